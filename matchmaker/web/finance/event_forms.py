"""Forms of the 银企对接 event pages (shape only; services/finance_events checks the rules)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from matchmaker.models import Event
from matchmaker.models.base import CHINA
from matchmaker.services.finance.finance_events import EventData
from matchmaker.web.finance_labels import MEETING_OUTCOME_LABELS

_WHEN = "%Y-%m-%dT%H:%M"
_TOO_LONG = _l("不能超过 %(max)d 个字符。")


class ChinaTimeField(DateTimeLocalField):
    """A date and time typed in a browser's datetime-local input, with a Chinese parse error."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("请按“2026-12-03 14:05”的格式填写时间。"))) from None


def _when(label: object, message: object, description: object = None) -> ChinaTimeField:
    return ChinaTimeField(
        label,
        format=_WHEN,
        validators=[InputRequired(message)],
        description=description,
    )


def _china(value: datetime) -> datetime:
    """A time typed on the page is China time."""
    return value.replace(tzinfo=CHINA) if value.tzinfo is None else value


def _local(value: datetime) -> datetime:
    """A stored (UTC) time as the naive China time the input shows."""
    return value.astimezone(CHINA).replace(tzinfo=None)


class EventForm(FlaskForm):
    """Create or edit an event: what, where, when, and how long each meeting lasts."""

    title = StringField(
        _l("对接会名称"),
        validators=[InputRequired(_l("请填写对接会名称。")), Length(max=200, message=_TOO_LONG)],
    )
    description = TextAreaField(
        _l("介绍"),
        validators=[Optional(), Length(max=5000, message=_TOO_LONG)],
        description=_l("主题、面向的企业和银行、议程安排。公开页面会显示。"),
    )
    location = StringField(
        _l("地点"),
        validators=[Optional(), Length(max=200, message=_TOO_LONG)],
        description=_l("线下地址，或“线上”及会议方式。"),
    )
    starts_at = _when(_l("开始时间"), _l("请填写开始时间。"), _l("北京时间。"))
    ends_at = _when(_l("结束时间"), _l("请填写结束时间。"))
    registration_closes_at = _when(
        _l("报名截止时间"), _l("请填写报名截止时间。"), _l("不能晚于开始时间。")
    )
    slot_minutes = IntegerField(
        _l("每场洽谈时长（分钟）"),
        default=20,
        validators=[
            InputRequired(_l("请填写每场洽谈时长。")),
            NumberRange(min=5, max=120, message=_l("应在 5 到 120 分钟之间。")),
        ],
    )

    def fill(self, event: Event) -> None:
        """Show an event's stored values (times in China)."""
        self.title.data = event.title
        self.description.data = event.description
        self.location.data = event.location
        self.starts_at.data = _local(event.starts_at)
        self.ends_at.data = _local(event.ends_at)
        self.registration_closes_at.data = _local(event.registration_closes_at)
        self.slot_minutes.data = event.slot_minutes

    def to_data(self) -> EventData:
        """The service's input."""
        return EventData(
            title=self.title.data or "",
            description=self.description.data or "",
            location=self.location.data or "",
            starts_at=_china(self.starts_at.data),
            ends_at=_china(self.ends_at.data),
            registration_closes_at=_china(self.registration_closes_at.data),
            slot_minutes=self.slot_minutes.data,
        )


class RegisterForm(FlaskForm):
    """Register one's organisation, with an optional note to the organiser."""

    note = TextAreaField(
        _l("备注"),
        validators=[Optional(), Length(max=500, message=_TOO_LONG)],
        description=_l("希望洽谈的内容或参会人员，仅主办方可见。"),
    )


class ScheduleForm(FlaskForm):
    """生成洽谈安排, optionally limiting how many meetings one bank gets."""

    cap = IntegerField(
        _l("每家银行最多洽谈场次"),
        validators=[Optional(), NumberRange(min=1, max=500, message=_l("请填写正整数。"))],
        description=_l("留空表示不限（以时段数为上限）。"),
    )


class CancelEventForm(FlaskForm):
    """Cancel an event, with an optional reason for the record."""

    reason = TextAreaField(
        _l("取消原因"), validators=[Optional(), Length(max=2000, message=_TOO_LONG)]
    )


class OutcomeForm(FlaskForm):
    """Record what came of a meeting."""

    outcome = SelectField(
        _l("洽谈结果"),
        choices=[("", _l("请选择"))] + list(MEETING_OUTCOME_LABELS.items()),
        validators=[InputRequired(_l("请选择洽谈结果。"))],
    )
    note = TextAreaField(
        _l("备注"),
        validators=[Optional(), Length(max=2000, message=_TOO_LONG)],
        description=_l("选择“转为对接线索”时，备注会作为对接请求的留言发给企业。"),
    )

    def limit_to(self, values: list[str]) -> None:
        """Offer only some outcomes (the organiser cannot open a lead for a bank)."""
        self.outcome.choices = [(k, v) for k, v in self.outcome.choices if k == "" or k in values]


class ActionForm(FlaskForm):
    """A one-click step (publish, finish, confirm, cancel a meeting, withdraw): CSRF only."""
