"""Forms of loan products, financing needs and leads (shape only; the services judge the rest)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from matchmaker.services.finance.financing_needs import FinancingNeedData
from matchmaker.services.finance.loan_products import ProductData
from matchmaker.web.fields import AmountField, Wan
from matchmaker.web.finance_labels import (
    COLLATERAL_LABELS,
    CREDIT_REJECTION_LABELS,
    PRODUCT_KIND_LABELS,
)
from matchmaker.web.listings.forms import MultiCheckboxField

_TOO_LONG = _l("不能超过 %(max)d 个字符。")
_NUMBER = _l("请填写数字。")


def _collateral_field(label: object, description: object = None) -> MultiCheckboxField:
    return MultiCheckboxField(
        label,
        coerce=int,
        choices=[(int(flag), text) for flag, text in COLLATERAL_LABELS.items()],
        description=description,
    )


def _bits(values: list[int] | None) -> int:
    total = 0
    for value in values or []:
        total |= int(value)
    return total


def collateral_values(bits: int) -> list[int]:
    """The checked boxes of a collateral bit set."""
    return [int(flag) for flag in COLLATERAL_LABELS if bits & flag]


def _decimal(
    label: object, places: int = 2, *, wan: Wan | None = None, **kwargs: object
) -> AmountField:
    """A required number; `wan`: an amount in 万元 under the platform's one rule."""
    return AmountField(
        label,
        places=places,
        validators=[InputRequired(_NUMBER), *([wan] if wan else [])],
        **kwargs,
    )


class ProductForm(FlaskForm):
    """A loan product: ranges and eligibility rules."""

    name = StringField(
        _l("产品名称"),
        validators=[InputRequired(_l("请填写产品名称。")), Length(max=120, message=_TOO_LONG)],
    )
    kind = SelectField(
        _l("产品类型"),
        choices=list(PRODUCT_KIND_LABELS.items()),
        validators=[InputRequired(_l("请选择产品类型。"))],
    )
    description = TextAreaField(
        _l("产品介绍"),
        validators=[Optional(), Length(max=10_000, message=_TOO_LONG)],
        description=_l("适用对象、资金用途、办理流程等，也用于与企业融资需求的文本匹配。"),
    )
    amount_min_wan = _decimal(_l("最低额度（万元）"), wan=Wan())
    amount_max_wan = _decimal(_l("最高额度（万元）"), wan=Wan(positive=True))
    term_min_months = IntegerField(_l("最短期限（月）"), validators=[InputRequired(_NUMBER)])
    term_max_months = IntegerField(_l("最长期限（月）"), validators=[InputRequired(_NUMBER)])
    rate_min = _decimal(_l("最低年利率（%）"))
    rate_max = _decimal(_l("最高年利率（%）"), description=_l("年利率在 0% 到 24% 之间。"))
    field_ids = MultiCheckboxField(
        _l("支持的行业"), coerce=int, choices=[], description=_l("不选表示不限行业。")
    )
    min_score = AmountField(
        _l("创新积分门槛"),
        places=0,
        validators=[Optional()],
        description=_l("0–100，留空表示不设门槛。"),
    )
    requires_high_tech = BooleanField(_l("要求高新技术企业"))
    requires_specialised = BooleanField(_l("要求专精特新企业"))
    collateral = _collateral_field(_l("接受的担保方式"))

    def to_data(self) -> ProductData:
        """The form's values as the service's input."""
        return ProductData(
            name=self.name.data or "",
            kind=self.kind.data or "",
            description=self.description.data or "",
            amount_min_wan=self.amount_min_wan.data,
            amount_max_wan=self.amount_max_wan.data,
            term_min_months=self.term_min_months.data,
            term_max_months=self.term_max_months.data,
            rate_min=self.rate_min.data,
            rate_max=self.rate_max.data,
            field_ids=tuple(self.field_ids.data or ()),
            min_score=self.min_score.data,
            requires_high_tech=bool(self.requires_high_tech.data),
            requires_specialised=bool(self.requires_specialised.data),
            collateral=_bits(self.collateral.data),
        )


class FinancingNeedForm(FlaskForm):
    """A financing need: amount, purpose, term, collateral offered."""

    title = StringField(
        _l("标题"),
        validators=[InputRequired(_l("请填写标题。")), Length(max=120, message=_TOO_LONG)],
        description=_l("如：研发设备购置贷款"),
    )
    amount_wan = _decimal(_l("融资金额（万元）"), wan=Wan(positive=True))
    term_months = IntegerField(_l("期限（月）"), validators=[InputRequired(_NUMBER)])
    purpose = TextAreaField(
        _l("资金用途"),
        validators=[InputRequired(_l("请说明资金用途。")), Length(max=5000, message=_TOO_LONG)],
        description=_l("用于与银行产品的文本匹配，请写清项目和用途。"),
    )
    collateral = _collateral_field(
        _l("可提供的担保方式"), _l("可多选；知识产权质押适用于已授权专利。")
    )

    def to_data(self) -> FinancingNeedData:
        """The form's values as the service's input."""
        return FinancingNeedData(
            title=self.title.data or "",
            amount_wan=self.amount_wan.data,
            purpose=self.purpose.data or "",
            term_months=self.term_months.data,
            collateral=_bits(self.collateral.data),
        )


class CloseNeedForm(FlaskForm):
    """Close a financing need: satisfied or closed."""

    outcome = RadioField(
        _l("关闭原因"),
        choices=[("satisfied", _l("已获得融资")), ("closed", _l("不再需要"))],
        validators=[InputRequired(_l("请选择关闭原因。"))],
    )


class LeadRequestForm(FlaskForm):
    """A bank's request to contact a firm."""

    product_id = SelectField(_l("推荐产品"), coerce=int, validators=[Optional()])
    financing_need_id = SelectField(_l("对应的融资需求"), coerce=int, validators=[Optional()])
    message = TextAreaField(
        _l("给企业的留言"),
        validators=[Optional(), Length(max=2000, message=_TOO_LONG)],
        description=_l("说明贵行能提供的支持；企业同意后双方开始联系。"),
    )
    meeting_id = HiddenField()


class AnswerForm(FlaskForm):
    """The firm's answer to a contact request."""

    decision = RadioField(
        _l("答复"),
        choices=[("accept", _l("同意对接")), ("decline", _l("婉拒"))],
        validators=[InputRequired(_l("请选择同意或婉拒。"))],
    )
    reply = TextAreaField(
        _l("回复（可选）"),
        validators=[Optional(), Length(max=2000, message=_TOO_LONG)],
        description=_l("如联系时间、联系人。"),
    )


class ApproveForm(FlaskForm):
    """Credit approved: amount and product."""

    amount_wan = AmountField(
        _l("授信金额（万元）"),
        places=2,
        validators=[InputRequired(_NUMBER), Wan(positive=True)],
    )
    product_id = SelectField(
        _l("授信产品"), coerce=int, validators=[InputRequired(_l("请选择授信所用的贷款产品。"))]
    )


class RejectForm(FlaskForm):
    """Credit declined: a reason code and an optional note."""

    reason = RadioField(
        _l("未授信原因"),
        choices=list(CREDIT_REJECTION_LABELS.items()),
        validators=[InputRequired(_l("请选择未授信原因。"))],
    )
    note = TextAreaField(
        _l("说明（企业可见）"), validators=[Optional(), Length(max=2000, message=_TOO_LONG)]
    )


class DisburseForm(FlaskForm):
    """The loan paid out."""

    amount_wan = AmountField(
        _l("放款金额（万元）"),
        places=2,
        validators=[InputRequired(_NUMBER), Wan(positive=True)],
    )
    first_loan = BooleanField(_l("首贷"), description=_l("该企业此前没有获得过银行贷款。"))


class ActionForm(FlaskForm):
    """A one-click step (publish, withdraw, in contact): CSRF only."""


__all__ = [
    "ActionForm",
    "AnswerForm",
    "ApproveForm",
    "CloseNeedForm",
    "DisburseForm",
    "FinancingNeedForm",
    "LeadRequestForm",
    "ProductForm",
    "RejectForm",
    "collateral_values",
]
