"""Admin forms: reasons for decisions, and the audit log filter."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import Select


class RejectForm(FlaskForm):
    """Refusing verification needs a reason the organisation sees."""

    reason = TextAreaField(
        _l("不通过的原因"),
        validators=[
            InputRequired(_l("请填写不通过的原因。")),
            Length(max=2000, message=_l("原因不能超过 %(max)d 个字符。")),
        ],
    )


class ReasonForm(FlaskForm):
    """An optional reason for an account decision."""

    reason = StringField(_l("原因（选填）"), validators=[Optional(), Length(max=500)])


class BureauUserForm(FlaskForm):
    """A read-only 科技局 account: who it is for (they set their password by e-mail)."""

    email = EmailField(
        _l("邮箱"),
        validators=[
            InputRequired(_l("请填写邮箱。")),
            Length(max=254, message=_l("邮箱太长了。")),
            Email(_l("邮箱格式不正确。")),
        ],
    )
    name = StringField(_l("姓名"), validators=[Optional(), Length(max=100)])


class GroupedSelect(Select):
    """A select of option groups with a leading "all" option (no value) outside the groups."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        html = str(super().__call__(field, **kwargs))
        head, rest = html.split(">", 1)
        everything = self.render_option("", _l("全部"), not field.data)
        return Markup(f"{head}>{everything}{rest}")  # noqa: S704 - both parts escaped by WTForms


class AuditFilterForm(FlaskForm):
    """Filters of the audit log (GET form, no CSRF needed)."""

    class Meta:
        csrf = False

    #: choices: {kind of record: [(action code, label)]} (services/platform/audit.action_choices)
    action = SelectField(_l("操作"), validators=[Optional()], widget=GroupedSelect())
    object_type = StringField(_l("对象类型"), validators=[Optional(), Length(max=32)])
    object_id = StringField(_l("对象编号"), validators=[Optional(), Length(max=64)])
    actor_email = StringField(_l("操作人邮箱"), validators=[Optional(), Length(max=254)])
    since = DateField(_l("起始日期"), validators=[Optional()])
    until = DateField(_l("截止日期"), validators=[Optional()])


class FieldForm(FlaskForm):
    """A field of the taxonomy."""

    code = StringField(
        _l("代码"),
        validators=[
            InputRequired(_l("请填写代码。")),
            Length(max=32),
            Regexp(r"^[a-z0-9_]+$", message=_l("只能用小写字母、数字和下划线。")),
        ],
    )
    name = StringField(
        _l("中文名称"), validators=[InputRequired(_l("请填写名称。")), Length(max=64)]
    )
    name_en = StringField(
        _l("英文名称"), validators=[InputRequired(_l("请填写名称。")), Length(max=64)]
    )
    position = IntegerField(
        _l("排序"), default=100, validators=[Optional(), NumberRange(min=0, max=100000)]
    )
    is_active = BooleanField(_l("启用"), default=True)
