"""Forms of the 技术经纪人 pages: shape only; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from matchmaker.web.auth.forms import PersonFields, email_field
from matchmaker.web.ids import id_coerce


class BrokerRegisterForm(PersonFields):
    """An individual broker: the person (the same fields as every sign-up, with the phone
    required: need owners call their broker), the licence and where the broker works."""

    email = email_field()
    phone = StringField(
        _l("手机号"),
        validators=[
            InputRequired(_l("请填写手机号。")),
            Regexp(r"^\+?[0-9][0-9 -]{6,19}$", message=_l("手机号格式不正确。")),
        ],
        description=_l("仅向登录用户展示，方便需求方联系你。"),
        render_kw={"autocomplete": "tel"},
    )
    licence_number = StringField(
        _l("证书编号"),
        validators=[
            InputRequired(_l("请填写技术经纪人证书编号。")),
            Length(max=64, message=_l("证书编号不能超过 %(max)d 个字符。")),
        ],
        description=_l("技术经纪人证书上的编号：字母、数字或连字符，5 到 40 位。"),
    )
    issuing_body = StringField(
        _l("发证机构"),
        validators=[
            InputRequired(_l("请填写发证机构。")),
            Length(max=200, message=_l("发证机构不能超过 200 个字符。")),
        ],
        description=_l("例如：吉林省科学技术厅。"),
    )
    organisation = StringField(
        _l("所属机构（选填）"),
        validators=[Optional(), Length(max=200, message=_l("机构名称不能超过 200 个字符。"))],
        description=_l("平台上已认证机构的全称或统一社会信用代码；独立经纪人请留空。"),
        render_kw={"autocomplete": "organization"},
    )
    fields_text = StringField(
        _l("服务领域"),
        validators=[Optional(), Length(max=500, message=_l("服务领域不能超过 %(max)d 个字符。"))],
        description=_l("例如：新材料、装备制造、生物医药。"),
    )
    biography = TextAreaField(
        _l("个人简介"),
        validators=[Optional(), Length(max=2000, message=_l("个人简介不能超过 %(max)d 个字符。"))],
    )


class BrokerReasonForm(FlaskForm):
    """Rejecting or suspending a broker needs a reason the broker sees."""

    reason = TextAreaField(
        _l("原因"),
        validators=[
            InputRequired(_l("请填写原因。")),
            Length(max=2000, message=_l("原因不能超过 %(max)d 个字符。")),
        ],
    )


class AssignNeedForm(FlaskForm):
    """The admin picks a public need for a broker to follow."""

    need_id = SelectField(
        _l("需求"),
        coerce=id_coerce,
        validate_choice=False,  # the service refuses a need that is not public (404)
        validators=[InputRequired(_l("请选择一条需求。"))],
    )
