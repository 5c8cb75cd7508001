"""Feedback on a recommendation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from matchmaker.web.ids import IdField


class FeedbackForm(FlaskForm):
    """Useful / not useful, with an optional reason."""

    source_kind = HiddenField(validators=[InputRequired(), AnyOf(["need", "result"])])
    source_id = IdField(validators=[InputRequired()])
    target_kind = HiddenField(validators=[InputRequired(), AnyOf(["need", "result"])])
    target_id = IdField(validators=[InputRequired()])
    useful = SelectField(
        choices=[("1", _l("有用")), ("0", _l("没用"))], validators=[InputRequired()]
    )
    reason = StringField(_l("原因（选填）"), validators=[Optional(), Length(max=500)])
    next = HiddenField()
