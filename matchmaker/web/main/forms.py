"""Forms of the main blueprint."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField


class LanguageForm(FlaskForm):
    """The language switch in the navigation bar."""

    locale = SelectField(choices=[("zh_Hans_CN", "中文"), ("en", "English")])
    next = HiddenField()
