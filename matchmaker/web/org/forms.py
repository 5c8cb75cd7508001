"""Forms for an organisation's own page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField
from wtforms.validators import Email, InputRequired, Length

from matchmaker.services.accounts.evidence import ACCEPT


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


class DocumentForm(FlaskForm):
    """Upload or replace the organisation's 营业执照 / 法人证书 scan."""

    document = FileField(
        _l("营业执照或事业单位法人证书扫描件"),
        validators=[FileRequired(_l("请上传营业执照或事业单位法人证书的扫描件。"))],
        description=_l("PDF、JPEG 或 PNG，不超过 5 MB。只有平台管理员和本机构成员能看到。"),
        render_kw={"accept": ACCEPT},
    )
