"""Forms of the 揭榜挂帅 pages (shape only; the challenge services check the rules)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from matchmaker.models import Application, Challenge
from matchmaker.models.base import CHINA
from matchmaker.models.listing import MODE_LABELS
from matchmaker.services.challenges.applications import ApplicationData
from matchmaker.services.challenges.challenges import MIN_TERMS_TEXT, ChallengeTerms
from matchmaker.services.challenges.conversion import OfferTerms
from matchmaker.services.platform.files import ACCEPT
from matchmaker.web.challenge_labels import (
    IP_LABELS,
    LICENCE_LABELS,
    PAYMENT_LABELS,
    VISIBILITY_LABELS,
)
from matchmaker.web.fields import AmountField, Wan
from matchmaker.web.ids import id_coerce, to_id
from matchmaker.web.listings.forms import MultiCheckboxField, trl_choices

_TEXT = Length(max=5000, message=_l("不能超过 %(max)d 个字符。"))


class _Substance:
    """At least MIN_TERMS_TEXT characters (blanks trimmed), with a message saying so; the same
    rule as the challenge service's."""

    def __init__(self, message: object) -> None:
        self.message = message

    def __call__(self, form: object, field: TextAreaField) -> None:
        if len((field.data or "").strip()) < MIN_TERMS_TEXT:
            raise ValidationError(str(self.message) % {"min": MIN_TERMS_TEXT})


def end_of_day(day: date) -> datetime:
    """The last second of a day in China, as an aware datetime."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=CHINA)


class PublishForm(FlaskForm):
    """发榜: the terms fixed before anyone applies."""

    bounty_wan = AmountField(
        _l("榜额（万元）"),
        places=2,
        default=Decimal(0),
        validators=[InputRequired(_l("请填写金额，面议请填 0。")), Wan(negotiable=True)],
        description=_l("填 0 表示面议。"),
    )
    deadline = DateField(
        _l("揭榜截止日期"),
        validators=[InputRequired(_l("请选择截止日期。"))],
        default=lambda: (datetime.now(CHINA) + timedelta(days=30)).date(),
    )
    success_criteria = TextAreaField(
        _l("成功标准"),
        validators=[
            InputRequired(_l("请填写成功标准。")),
            _Substance(_l("成功标准至少写 %(min)d 个字，说明可量化的验收指标。")),
            _TEXT,
        ],
        description=_l(
            "可量化的验收指标，揭榜方据此对照说明；至少 %(min)d 个字。", min=MIN_TERMS_TEXT
        ),
    )
    deliverables = TextAreaField(
        _l("预期交付成果"),
        validators=[
            InputRequired(_l("请填写预期交付成果。")),
            _Substance(_l("预期交付成果至少写 %(min)d 个字，说明交付什么。")),
            _TEXT,
        ],
        description=_l("至少 %(min)d 个字。", min=MIN_TERMS_TEXT),
    )
    ip_ownership = SelectField(_l("知识产权归属"), choices=list(IP_LABELS.items()), default="owner")
    ip_licence = SelectField(_l("许可方式"), choices=list(LICENCE_LABELS.items()), default="none")
    payment_form = SelectField(
        _l("支付方式"), choices=list(PAYMENT_LABELS.items()), default="instalments"
    )
    visibility = SelectField(
        _l("公开范围"),
        choices=list(VISIBILITY_LABELS.items()),
        default="public",
        description=_l("定向邀请榜只有受邀机构能看到和揭榜。"),
    )
    has_panel = BooleanField(_l("组织评审专家组打分"))

    def validate_deadline(self, field: DateField) -> None:
        """A past deadline is reported with the other fields' errors, not after them."""
        if field.data is not None and field.data < datetime.now(CHINA).date():
            raise ValidationError(str(_l("揭榜截止日期不能早于今天。")))

    def to_terms(self, *, is_government: bool) -> ChallengeTerms:
        """The service's terms."""
        return ChallengeTerms(
            deadline_at=end_of_day(self.deadline.data),
            success_criteria=self.success_criteria.data or "",
            deliverables=self.deliverables.data or "",
            ip_ownership=self.ip_ownership.data,
            ip_licence=self.ip_licence.data,
            payment_form=self.payment_form.data,
            bounty_wan=self.bounty_wan.data or Decimal(0),
            visibility=self.visibility.data,
            has_panel=bool(self.has_panel.data),
            is_government=is_government,
        )

    def fill_from(self, challenge: Challenge) -> None:
        """Fill the fields from a challenge's terms (one sent back, to edit and resubmit)."""
        self.bounty_wan.data = challenge.bounty_wan
        self.deadline.data = challenge.deadline_at.astimezone(CHINA).date()
        self.success_criteria.data = challenge.success_criteria
        self.deliverables.data = challenge.deliverables
        self.ip_ownership.data = str(challenge.ip_ownership)
        self.ip_licence.data = str(challenge.ip_licence)
        self.payment_form.data = str(challenge.payment_form)
        self.visibility.data = str(challenge.visibility)
        self.has_panel.data = challenge.has_panel

    def carried(self) -> list[tuple[str, str]]:
        """The submitted values as (name, value) pairs, for the confirmation page to post
        again (the confirmed post is validated again: nothing here is trusted)."""
        return [
            (field.name, value)
            for field in self
            if field.name != "csrf_token"
            for value in (field.raw_data or [])
        ]


class InviteForm(FlaskForm):
    """Invite organisations by id (picked from the recommendations or a name search)."""

    organisation_ids = MultiCheckboxField(
        _l("机构"), coerce=id_coerce, choices=[], validate_choice=False
    )


class ReasonForm(FlaskForm):
    """A free-text reason (withdrawing a challenge)."""

    reason = TextAreaField(
        _l("原因"),
        validators=[InputRequired(_l("请填写原因。")), Length(max=2000)],
        description=_l("已揭榜的机构会看到这个原因。"),
    )


class ActionForm(FlaskForm):
    """A bare POST with its CSRF token."""


class ApplicationAttachmentForm(FlaskForm):
    """Upload one attachment to the organisation's application."""

    file = FileField(
        _l("附件"),
        validators=[FileRequired(_l("请选择文件。"))],
        description=_l(
            "PDF、Word（.docx、.doc）、Excel（.xlsx）、PowerPoint（.pptx）或图片"
            "（PNG、JPEG、GIF、WebP），不超过 10 MB；不接受含宏的文件。"
        ),
        render_kw={"accept": ACCEPT},
    )


class MilestoneForm(Form):
    """One milestone of the plan: a title and the month it is due."""

    title = StringField(_l("里程碑"), validators=[Optional(), Length(max=200)])
    month = StringField(
        _l("完成月份"),
        validators=[Optional(), Regexp(r"^\d{4}-\d{2}$", message=_l("请按 年-月 填写。"))],
        render_kw={"type": "month", "placeholder": "2027-06"},
    )


class ApplicationForm(FlaskForm):
    """The standard one-page proposal."""

    approach = TextAreaField(
        _l("技术方案"), validators=[Optional(), Length(max=20000)], description=_l("至少 20 个字。")
    )
    indicators = TextAreaField(_l("预期指标与成功标准的对应"), validators=[Optional(), _TEXT])
    trl = SelectField(_l("技术成熟度"), choices=trl_choices(), validators=[Optional()])
    plan = FieldList(FormField(MilestoneForm), min_entries=3, max_entries=24)
    team = TextAreaField(_l("团队"), validators=[Optional(), _TEXT])
    price_wan = AmountField(
        _l("报价（万元）"),
        places=2,
        validators=[Optional(), Wan()],
        description=_l("留空表示面议。"),
    )
    terms = TextAreaField(_l("合作条件"), validators=[Optional(), _TEXT])
    source_result_id = HiddenField()

    def to_data(self) -> ApplicationData:
        """The service's proposal (blank milestone rows dropped)."""
        plan = tuple(
            {"title": row["title"].strip(), "due": f"{row['month']}-01" if row["month"] else ""}
            for row in self.plan.data
            if (row.get("title") or "").strip() or row.get("month")
        )
        source = self.source_result_id.data
        return ApplicationData(
            approach=self.approach.data or "",
            indicators=self.indicators.data or "",
            trl=int(self.trl.data) if self.trl.data else None,
            plan=plan,
            team=self.team.data or "",
            price_wan=self.price_wan.data,
            terms=self.terms.data or "",
            source_result_id=to_id(source),
        )

    def fill_from(self, data: ApplicationData | Application) -> None:
        """Fill the fields from a proposal or an application row."""
        self.approach.data = data.approach
        self.indicators.data = getattr(data, "indicators", "")
        self.trl.data = str(data.trl) if data.trl else ""
        self.team.data = data.team
        self.price_wan.data = data.price_wan
        self.terms.data = getattr(data, "terms", "")
        self.source_result_id.data = data.source_result_id or ""
        steps = list(getattr(data, "plan", ()) or ())
        while len(self.plan.entries):
            self.plan.pop_entry()
        for step in steps:
            due = str(step.get("due") or "")
            self.plan.append_entry({"title": step.get("title", ""), "month": due[:7]})
        while len(self.plan.entries) < max(3, len(steps) + 1):
            self.plan.append_entry()


class OfferForm(FlaskForm):
    """A result's terms on the conversion list."""

    modes = MultiCheckboxField(
        _l("交易方式"),
        coerce=int,
        choices=[(int(m), label) for m, label in MODE_LABELS.items()],
        validators=[InputRequired(_l("请至少选择一种交易方式。"))],
    )
    price_wan = AmountField(
        _l("价格（万元）"),
        places=2,
        validators=[Optional(), Wan()],
        description=_l("留空表示面议。"),
    )
    trial_months = IntegerField(
        _l("试用期（月）"),
        validators=[Optional(), NumberRange(min=1, max=60)],
        description=_l("提供先使用后付费时必填。"),
    )
    trial_terms = TextAreaField(_l("试用条件"), validators=[Optional(), _TEXT])

    def to_terms(self) -> OfferTerms:
        """The service's terms."""
        return OfferTerms(
            modes=sum(set(self.modes.data or [])),
            price_wan=self.price_wan.data,
            trial_months=self.trial_months.data,
            trial_terms=self.trial_terms.data or "",
        )


class AdoptionForm(FlaskForm):
    """申请采用: an enterprise's request to adopt a result."""

    intended_use = TextAreaField(
        _l("用途"), validators=[InputRequired(_l("请说明成果的用途。")), _TEXT]
    )
    scale = TextAreaField(_l("应用规模"), validators=[Optional(), _TEXT])
    preferred_terms = TextAreaField(_l("期望的合作条件"), validators=[Optional(), _TEXT])
    wants_trial = BooleanField(_l("希望先使用后付费"))
