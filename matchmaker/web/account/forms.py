"""The notification settings form: one checkbox per optional e-mail group."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField

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
