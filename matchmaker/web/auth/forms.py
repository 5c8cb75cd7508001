"""Forms for registration, login and passwords: shape only; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, Email, EqualTo, InputRequired, Length, Optional, Regexp

from matchmaker.services.accounts.evidence import ACCEPT
from matchmaker.services.accounts.passwords import MAX_LENGTH, MIN_LENGTH

KIND_CHOICES = [
    ("enterprise", _l("企业")),
    ("university", _l("高校")),
    ("institute", _l("科研院所")),
    ("bank", _l("银行")),
]


def email_field() -> EmailField:
    return EmailField(
        _l("邮箱"),
        validators=[
            InputRequired(_l("请填写邮箱。")),
            Length(max=254, message=_l("邮箱太长了。")),
            Email(_l("邮箱格式不正确。")),
        ],
        render_kw={"autocomplete": "email"},  # WCAG 1.3.5: the browser can fill it in
    )


def _new_password(label: object) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(_l("请填写密码。")),
            Length(
                min=MIN_LENGTH,
                max=MAX_LENGTH,
                message=_l("密码长度应为 %(min)d 到 %(max)d 个字符。"),
            ),
        ],
        description=_l("至少 8 个字符；可以用一句话作密码，不要求特殊字符。"),
        render_kw={"autocomplete": "new-password"},
    )


def _confirm(field: str) -> PasswordField:
    return PasswordField(
        _l("再次输入密码"),
        validators=[
            InputRequired(_l("请再次输入密码。")),
            EqualTo(field, _l("两次输入的密码不一致。")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class PersonFields(FlaskForm):
    """The person behind an account."""

    name = StringField(
        _l("姓名"),
        validators=[
            InputRequired(_l("请填写姓名。")),
            Length(max=100, message=_l("姓名不能超过 %(max)d 个字符。")),
        ],
        render_kw={"autocomplete": "name"},
    )
    phone = StringField(
        _l("手机号"),
        validators=[
            Optional(),
            Regexp(r"^\+?[0-9][0-9 -]{6,19}$", message=_l("手机号格式不正确。")),
        ],
        description=_l("选填，仅向已认证机构的登录用户展示。"),
        render_kw={"autocomplete": "tel"},
    )
    password = _new_password(_l("密码"))
    confirm = _confirm("password")


class RegisterForm(PersonFields):
    """A new organisation with its first member."""

    kind = SelectField(_l("机构类型"), choices=KIND_CHOICES, validators=[InputRequired()])
    org_name = StringField(
        _l("机构名称"),
        validators=[
            InputRequired(_l("请填写机构名称。")),
            Length(min=2, max=200, message=_l("机构名称应为 %(min)d 到 %(max)d 个字符。")),
        ],
        render_kw={"autocomplete": "organization"},
    )
    credit_code = StringField(
        _l("统一社会信用代码"),
        validators=[
            InputRequired(_l("请填写统一社会信用代码（18 位，见营业执照或事业单位法人证书）。")),
            Length(max=40, message=_l("统一社会信用代码应为 18 位。")),
        ],
        description=_l("18 位，印在营业执照或事业单位法人证书上。"),
    )
    document = FileField(
        _l("营业执照或事业单位法人证书扫描件"),
        validators=[FileRequired(_l("请上传营业执照或事业单位法人证书的扫描件。"))],
        description=_l(
            "企业和银行上传营业执照，高校和科研院所上传事业单位法人证书；PDF、JPEG 或 PNG，"
            "不超过 5 MB。只有平台管理员和本机构成员能看到。"
        ),
        render_kw={"accept": ACCEPT},
    )
    region = SelectField(_l("所在地区"), validators=[InputRequired(_l("请选择所在地区。"))])
    website = StringField(
        _l("网站"),
        validators=[Optional(), Length(max=255), URL(message=_l("网址格式不正确。"))],
        render_kw={"autocomplete": "url"},
    )
    description = TextAreaField(
        _l("机构简介"),
        validators=[Optional(), Length(max=2000, message=_l("简介不能超过 %(max)d 个字符。"))],
    )
    email = email_field()


class JoinForm(PersonFields):
    """Accepting an invitation: the e-mail address comes from the invitation."""


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = email_field()
    password = PasswordField(
        _l("密码"),
        validators=[
            InputRequired(_l("请填写密码。")),
            Length(max=MAX_LENGTH, message=_l("密码太长了。")),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(FlaskForm):
    """Changing a password needs the current one."""

    current_password = PasswordField(
        _l("当前密码"),
        validators=[InputRequired(_l("请填写当前密码。")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password(_l("新密码"))
    confirm = _confirm("new_password")


class ForgotPasswordForm(FlaskForm):
    """Ask for a reset link."""

    email = email_field()


class ResetPasswordForm(FlaskForm):
    """Choose a new password with a reset token."""

    password = _new_password(_l("新密码"))
    confirm = _confirm("password")


class ConfirmForm(FlaskForm):
    """A button that posts (logout and other one-click actions): CSRF token only."""


# --- second factor (issue 17) -------------------------------------------------------------------
def _code_field(label: object, description: object) -> StringField:
    return StringField(
        label,
        validators=[
            InputRequired(_l("请输入验证码。")),
            Length(max=32, message=_l("验证码太长了。")),
        ],
        description=description,
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
            "inputmode": "text",
        },
    )


class SecondStepForm(FlaskForm):
    """The login's second step: a code from the authenticator app, or a recovery code."""

    code = _code_field(
        _l("验证码"),
        _l("输入验证器应用显示的 6 位数字；手机不在身边时，可输入一个恢复码（如 abcde-23456）。"),
    )


class EnrolForm(FlaskForm):
    """Completing enrolment: a current code of the new secret."""

    code = _code_field(_l("验证码"), _l("扫描二维码或手动输入密钥后，输入应用显示的 6 位数字。"))


class PasswordAgainForm(FlaskForm):
    """Re-authentication before a sensitive change (new recovery codes, turning the factor off)."""

    password = PasswordField(
        _l("当前密码"),
        validators=[InputRequired(_l("请填写当前密码。")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class AccountEnrolForm(EnrolForm):
    """Turning the factor on from the account page: a current code and the password again."""

    password = PasswordField(
        _l("当前密码"),
        validators=[InputRequired(_l("请填写当前密码。")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
