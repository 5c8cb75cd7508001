"""Account forms: notification e-mails (one checkbox per optional group), the text size, and
the personal access tokens of the JSON API."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from matchmaker.services.platform.notifications import EMAIL_GROUPS


class NotificationSettingsForm(FlaskForm):
    """A checked box means "e-mail me"; in-app notifications are always kept."""


for _group in EMAIL_GROUPS:
    if _group.optional:
        setattr(
            NotificationSettingsForm,
            _group.code,
            BooleanField(_group.label, description=_group.description),
        )
del _group


class TextSizeForm(FlaskForm):
    """The 大字模式 switch in the page footer: `size` is the size wanted, `next` the page."""

    size = SelectField(choices=[("large", "large"), ("normal", "normal")])
    next = HiddenField()


class ApiTokenForm(FlaskForm):
    """A new personal access token for the JSON API: its name, scope and lifetime."""

    name = StringField(
        _l("令牌名称"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("用来区分不同的令牌，例如“成果库同步”。"),
    )
    scope = SelectField(
        _l("权限范围"),
        choices=[("read", _l("只读")), ("write", _l("读写"))],
        default="read",
    )
    expires_in_days = IntegerField(
        _l("有效期（天）"),
        default=90,
        validators=[InputRequired(), NumberRange(min=1, max=365)],
        description=_l("1 到 365 天，到期后令牌自动失效。"),
    )


class RevokeTokenForm(FlaskForm):
    """The 撤销 button of one token: CSRF token only."""
