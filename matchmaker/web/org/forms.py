"""Forms for an organisation's own page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import Email, InputRequired, Length


class InviteForm(FlaskForm):
    """Invite a colleague by e-mail."""

    email = EmailField(
        _l("同事的邮箱"),
        validators=[
            InputRequired(_l("请填写邮箱。")),
            Length(max=254, message=_l("邮箱太长了。")),
            Email(_l("邮箱格式不正确。")),
        ],
    )
