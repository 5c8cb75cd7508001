"""Forms of the owner's pipeline, the panel, adoption decisions and deals (shape only)."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from matchmaker.services.challenges.deals import DealTerms
from matchmaker.services.platform.files import ACCEPT
from matchmaker.web.fields import AmountField, Wan
from matchmaker.web.pipeline_labels import (
    DEAL_MODE_LABELS,
    DECLINE_REASON_LABELS,
    PAYMENT_FORM_LABELS,
    TRIAL_OUTCOME_LABELS,
)

_REASON_TEXT = [
    InputRequired(_l("请填写具体说明，申请方会看到。")),
    Length(max=2000, message=_l("不能超过 %(max)d 个字符。")),
]


class ActionForm(FlaskForm):
    """A one-click step (shortlist, finalist, close, accept): CSRF only."""


class DeclineForm(FlaskForm):
    """Decline an application: a reason code and the text the applicant sees."""

    code = RadioField(
        _l("未入选原因"),
        choices=list(DECLINE_REASON_LABELS.items()),
        validators=[InputRequired(_l("请选择未入选原因。"))],
    )
    reason = TextAreaField(_l("具体说明"), validators=_REASON_TEXT)


class SelectForm(FlaskForm):
    """Select the solver: the reason the other applicants receive."""

    code = RadioField(
        _l("告知其他申请方的原因"),
        choices=list(DECLINE_REASON_LABELS.items()),
        validators=[InputRequired(_l("请选择未入选原因。"))],
    )
    reason = TextAreaField(_l("给其他申请方的说明"), validators=_REASON_TEXT)


class PanelForm(FlaskForm):
    """Add a reviewer: a member of the owner's organisation, or an expert by e-mail."""

    user_id = SelectField(_l("本机构成员"), coerce=int, validators=[Optional()])
    email = EmailField(
        _l("或按邮箱邀请专家"),
        validators=[Optional(), Length(max=254), Email(_l("邮箱格式不正确。"))],
        description=_l("将向该邮箱发送评审邀请，对方用这个邮箱的账号登录并确认后加入专家组。"),
    )

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        """One of the two is required."""
        if not super().validate(extra_validators):
            return False
        if not self.user_id.data and not (self.email.data or "").strip():
            self.email.errors = [*self.email.errors, _l("请选择成员或填写专家邮箱。")]
            return False
        return True


def _score(label: object) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("请评分。")),
            NumberRange(min=0, max=10, message=_l("评分应为 0 到 10 的整数。")),
        ],
    )


class ScoreForm(FlaskForm):
    """One panel member's scores of one finalist."""

    application_id = HiddenField(validators=[InputRequired()])
    feasibility = _score(_l("可行性"))
    maturity = _score(_l("成熟度"))
    price = _score(_l("报价"))
    team = _score(_l("团队"))
    comment = TextAreaField(
        _l("评语"),
        validators=[Optional(), Length(max=2000, message=_l("不能超过 %(max)d 个字符。"))],
    )


class AdoptionDecisionForm(FlaskForm):
    """The result owner accepts or declines an adoption request."""

    decision = RadioField(
        _l("决定"),
        choices=[("accept", _l("同意承接")), ("decline", _l("婉拒"))],
        validators=[InputRequired(_l("请选择。"))],
    )
    reason = TextAreaField(
        _l("说明"),
        validators=[Optional(), Length(max=2000, message=_l("不能超过 %(max)d 个字符。"))],
        description=_l("婉拒时必填，申请方会看到。"),
    )


class DealForm(FlaskForm):
    """The contract terms (技术合同)."""

    mode = SelectField(
        _l("合作方式"),
        choices=list(DEAL_MODE_LABELS.items()),
        validators=[InputRequired(_l("请选择。"))],
    )
    amount_wan = AmountField(
        _l("合同金额（万元）"),
        places=2,
        validators=[InputRequired(_l("请填写合同金额。")), Wan()],
    )
    payment_form = SelectField(
        _l("支付方式"),
        choices=list(PAYMENT_FORM_LABELS.items()),
        validators=[InputRequired(_l("请选择。"))],
    )
    contract_number = StringField(
        _l("技术合同登记号"),
        validators=[Optional(), Length(max=64, message=_l("不能超过 %(max)d 个字符。"))],
    )
    signed_on = DateField(_l("签订日期"), validators=[Optional()])
    trial_start = DateField(
        _l("试用开始日期"), validators=[Optional()], description=_l("仅先使用后付费需要填写。")
    )
    trial_end = DateField(_l("试用结束日期"), validators=[Optional()])
    #: Shown only for a deal from a broker's introduction (经纪服务).
    broker_fee_wan = AmountField(
        _l("经纪服务费（万元）"),
        places=2,
        validators=[Optional(), Wan()],
        description=_l("选填。引荐这项合作的技术经纪人收取的服务费。"),
    )

    def to_terms(self) -> DealTerms:
        """The form's values as the service's input."""
        return DealTerms(
            mode=self.mode.data,
            amount_wan=cast(Decimal, self.amount_wan.data),  # InputRequired: never None here
            payment_form=self.payment_form.data,
            contract_number=(self.contract_number.data or "").strip() or None,
            signed_on=self.signed_on.data,
            trial_start=self.trial_start.data,
            trial_end=self.trial_end.data,
            broker_fee_wan=self.broker_fee_wan.data,
        )


class MilestoneForm(FlaskForm):
    """Add a delivery milestone."""

    title = StringField(
        _l("里程碑名称"),
        validators=[
            InputRequired(_l("请填写里程碑名称。")),
            Length(max=200, message=_l("不能超过 %(max)d 个字符。")),
        ],
    )
    due_on = DateField(_l("计划完成日期"), validators=[InputRequired(_l("请填写日期。"))])


class EvidenceForm(FlaskForm):
    """The provider's delivery: a file and a note."""

    file = FileField(
        _l("交付证明材料"),
        validators=[FileRequired(_l("请选择文件。"))],
        description=_l(
            "PDF、Word（.docx、.doc）、Excel（.xlsx）、PowerPoint（.pptx）或图片"
            "（PNG、JPEG、GIF、WebP），不超过 10 MB；不接受含宏的文件。"
        ),
        render_kw={"accept": ACCEPT},
    )
    note = TextAreaField(
        _l("交付说明"),
        validators=[Optional(), Length(max=2000, message=_l("不能超过 %(max)d 个字符。"))],
    )


class ReasonForm(FlaskForm):
    """A required reason (rework, termination)."""

    reason = TextAreaField(
        _l("原因"),
        validators=[
            InputRequired(_l("请填写原因。")),
            Length(max=2000, message=_l("不能超过 %(max)d 个字符。")),
        ],
    )


class TrialForm(FlaskForm):
    """End a 先使用后付费 trial: pay, return or extend."""

    outcome = RadioField(
        _l("试用结果"),
        choices=list(TRIAL_OUTCOME_LABELS.items()),
        validators=[InputRequired(_l("请选择。"))],
    )
    new_end = DateField(
        _l("新的试用结束日期"), validators=[Optional()], description=_l("仅延长试用需要填写。")
    )
