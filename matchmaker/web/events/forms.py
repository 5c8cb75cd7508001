"""Forms of the event pages (shape only; services/events checks the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from matchmaker.models import Event, EventKind
from matchmaker.services.events.activity import OutcomeData
from matchmaker.services.events.events import EventData
from matchmaker.web.events.labels import EVENT_KIND_LABELS, OUTCOME_KIND_LABELS
from matchmaker.web.finance.event_forms import china_time, local_time, when_field
from matchmaker.web.ids import IdField, to_id

_TOO_LONG = _l("不能超过 %(max)d 个字符。")


def _slot_for_bank_events(form: FlaskForm, field: IntegerField) -> None:
    """Required for a 银企对接 event (its one-on-one meetings), optional for the other kinds."""
    if field.raw_data and str(field.raw_data[0]).strip():
        return
    field.errors[:] = []
    if form.kind.data == EventKind.BANK_ENTERPRISE.value:
        raise StopValidation(str(_l("请填写每场洽谈时长。")))
    raise StopValidation()


def _optional_int(value: object) -> int | None:
    """An organisation's or deal's id, None when blank or no id at all (web/ids.py)."""
    return to_id(value)


class EventForm(FlaskForm):
    """Create or edit an event of any kind."""

    kind = SelectField(
        _l("活动类型"),
        choices=list(EVENT_KIND_LABELS.items()),
        validators=[InputRequired(_l("请选择活动类型。"))],
    )
    title = StringField(
        _l("活动名称"),
        validators=[InputRequired(_l("请填写活动名称。")), Length(max=200, message=_TOO_LONG)],
    )
    organiser_org_id = SelectField(
        _l("主办机构"),
        choices=[],
        coerce=_optional_int,
        validate_choice=False,
        validators=[Optional()],
    )
    description = TextAreaField(
        _l("介绍"),
        validators=[Optional(), Length(max=5000, message=_TOO_LONG)],
        description=_l("主题、面向的机构、议程安排。公开页面会显示。"),
    )
    location = StringField(
        _l("地点"),
        validators=[Optional(), Length(max=200, message=_TOO_LONG)],
        description=_l("线下地址；线上活动可留空并填写参会链接。"),
    )
    online_url = StringField(
        _l("线上参会链接"),
        validators=[Optional(), Length(max=500, message=_TOO_LONG)],
        description=_l("以 https:// 开头；只有报名机构能看到。"),
    )
    starts_at = when_field(_l("开始时间"), _l("请填写开始时间。"), _l("北京时间。"))
    ends_at = when_field(_l("结束时间"), _l("请填写结束时间。"))
    registration_closes_at = when_field(
        _l("报名截止时间"), _l("请填写报名截止时间。"), _l("不能晚于开始时间。")
    )
    capacity = IntegerField(
        _l("名额（机构数）"),
        validators=[
            Optional(),
            NumberRange(min=1, max=10000, message=_l("名额应在 1 到 10000 之间，留空表示不限。")),
        ],
        description=_l("留空表示不限。"),
    )
    slot_minutes = IntegerField(
        _l("每场洽谈时长（分钟）"),
        default=20,
        validators=[
            _slot_for_bank_events,
            NumberRange(min=5, max=120, message=_l("应在 5 到 120 分钟之间。")),
        ],
        description=_l("仅银企对接会使用。"),
    )

    def fill(self, event: Event) -> None:
        """Show an event's stored values (times in China)."""
        self.kind.data = str(event.kind)
        self.title.data = event.title
        self.organiser_org_id.data = event.organiser_org_id
        self.description.data = event.description
        self.location.data = event.location
        self.online_url.data = event.online_url
        self.starts_at.data = local_time(event.starts_at)
        self.ends_at.data = local_time(event.ends_at)
        self.registration_closes_at.data = local_time(event.registration_closes_at)
        self.capacity.data = event.capacity
        self.slot_minutes.data = event.slot_minutes

    def to_data(self) -> EventData:
        """The service's input."""
        return EventData(
            kind=EventKind(self.kind.data),
            title=self.title.data or "",
            organiser_org_id=self.organiser_org_id.data or None,
            description=self.description.data or "",
            location=self.location.data or "",
            online_url=self.online_url.data or "",
            starts_at=china_time(self.starts_at.data),
            ends_at=china_time(self.ends_at.data),
            registration_closes_at=china_time(self.registration_closes_at.data),
            capacity=self.capacity.data,
            slot_minutes=self.slot_minutes.data or 20,
        )


class RegisterForm(FlaskForm):
    """Register one's organisation, with an optional note to the organiser."""

    note = TextAreaField(
        _l("备注"),
        validators=[Optional(), Length(max=500, message=_TOO_LONG)],
        description=_l("参会人员或希望交流的内容，仅主办方可见。"),
    )


class FeatureForm(FlaskForm):
    """Feature a public result or need by its number."""

    kind = SelectField(
        _l("类型"),
        choices=[("result", _l("科技成果")), ("need", _l("技术需求"))],
        validators=[InputRequired(_l("请选择成果或需求。"))],
    )
    listing_id = IdField(
        _l("编号"),
        validators=[InputRequired(_l("请填写成果或需求的编号。"))],
        message=_l("请填写公开页面地址中的编号（正整数）。"),
        description=_l("公开页面地址中的数字，或在下方搜索结果中选择。"),
    )


class OutcomeForm(FlaskForm):
    """An outcome between two registered organisations."""

    kind = SelectField(
        _l("成果类型"),
        choices=[("", _l("请选择"))] + list(OUTCOME_KIND_LABELS.items()),
        validators=[InputRequired(_l("请选择成果类型。"))],
    )
    first_org_id = SelectField(
        _l("机构一"),
        choices=[],
        coerce=_optional_int,
        validate_choice=False,
        validators=[InputRequired(_l("请选择一家已报名的机构。"))],
    )
    second_org_id = SelectField(
        _l("机构二"),
        choices=[],
        coerce=_optional_int,
        validate_choice=False,
        validators=[InputRequired(_l("请选择另一家已报名的机构。"))],
    )
    deal_id = SelectField(
        _l("关联技术合同"),
        choices=[],
        coerce=_optional_int,
        validate_choice=False,
        validators=[Optional()],
        description=_l("成果类型为“达成交易”时必选：这两家机构之间登记的合同。"),
    )
    intention_wan = StringField(
        _l("意向金额（万元）"),
        validators=[Optional(), Length(max=20, message=_TOO_LONG)],
        description=_l("签订意向时可填写。"),
    )
    note = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000, message=_TOO_LONG)])

    def to_data(self) -> OutcomeData:
        """The service's input."""
        return OutcomeData(
            kind=self.kind.data or "",
            first_org_id=self.first_org_id.data,
            second_org_id=self.second_org_id.data,
            deal_id=self.deal_id.data,
            intention_wan=self.intention_wan.data or None,
            note=self.note.data or "",
        )


class SummaryForm(FlaskForm):
    """The organiser's summary of the event."""

    summary = TextAreaField(
        _l("活动总结"),
        validators=[Optional(), Length(max=5000, message=_TOO_LONG)],
        description=_l("活动结束后在公开页面显示。"),
    )


class CancelForm(FlaskForm):
    """Cancel an event, with an optional reason for the record."""

    reason = TextAreaField(
        _l("取消原因"), validators=[Optional(), Length(max=2000, message=_TOO_LONG)]
    )


class ActionForm(FlaskForm):
    """A one-click step (publish, finish, check in, withdraw): CSRF only."""
