"""Forms of the 银企对接 meeting pages (shape only; the services check the rules), and the time
fields the common event form (web/events/forms.py) shares."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from matchmaker.models.base import CHINA
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


def when_field(label: object, message: object, description: object = None) -> ChinaTimeField:
    return ChinaTimeField(
        label,
        format=_WHEN,
        validators=[InputRequired(message)],
        description=description,
    )


def china_time(value: datetime) -> datetime:
    """A time typed on the page is China time."""
    return value.replace(tzinfo=CHINA) if value.tzinfo is None else value


def local_time(value: datetime) -> datetime:
    """A stored (UTC) time as the naive China time the input shows."""
    return value.astimezone(CHINA).replace(tzinfo=None)


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
