"""Registration, login, logout, password change and reset, invitations."""

from __future__ import annotations

import logging
import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from matchmaker.extensions import limiter
from matchmaker.services.accounts import (
    accounts,
    email_verification,
    login_guard,
    mail_throttle,
    mfa,
)
from matchmaker.services.accounts.evidence import DocumentUpload
from matchmaker.services.accounts.users import logout_everywhere
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.platform import security_events
from matchmaker.services.platform.links import external_url
from matchmaker.services.platform.regions import region_choices
from matchmaker.web.auth.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    JoinForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from matchmaker.web.errors import log_refusal
from matchmaker.web.forms import form_errors
from matchmaker.web.hooks import start_session
from matchmaker.web.mfa_display import PENDING_KEY, has_second_factor, mark_second_factor
from matchmaker.web.policy import (
    accepts_files,
    anonymous_only,
    is_safe_next,
    login_required,
    public,
)

bp = Blueprint("auth", __name__)
security_log = logging.getLogger("matchmaker.security")


def _person(form: RegisterForm | JoinForm, email: str) -> accounts.PersonData:
    return accounts.PersonData(
        name=form.name.data,
        email=email,
        password=form.password.data,
        phone=form.phone.data,
        locale=session.get("locale"),
    )


def _log_in(user: accounts.User, *, second_factor: bool = False) -> None:
    locale = session.get("locale")
    # A session that passed the second factor keeps that when its user logs in again (a
    # password change); a new login passes it only through the code step or enrolment.
    same_user = current_user.is_authenticated and current_user.id == user.id
    passed = second_factor or (same_user and has_second_factor())
    session.clear()  # a fresh session on login (anti-fixation)
    if locale:
        session["locale"] = locale
    login_user(user)
    start_session(user)
    if passed:
        mark_second_factor()


def _upload(data: object) -> DocumentUpload | None:
    if isinstance(data, FileStorage) and data.filename:
        return DocumentUpload(stream=data.stream, filename=data.filename)
    return None


def _verify_link(token: str) -> str:
    return external_url("auth.verify_email", token=token)  # never the Host header


def _sign_up_links() -> accounts.SignUpLinks:
    return accounts.SignUpLinks(
        verify=_verify_link,
        login=external_url("auth.login"),
        reset=external_url("auth.forgot_password"),
    )


@bp.route("/register", methods=["GET", "POST"])
@anonymous_only
@accepts_files
@limiter.limit(mail_throttle.register_limit, methods=["POST"], scope="register")
def register() -> Response | str:
    """Register an organisation, its first member and its licence / certificate scan.

    A new address and one that already has an account get the same answer, the page asking
    to read the mail (SECURITY.md row 8): `sign_up_organisation` mails the account's owner
    instead of telling here. The form's other errors are shown as usual."""
    if set(request.files) - {"document"}:
        abort(400)  # a file where a text field belongs (only the scan is a file)
    form = RegisterForm()
    form.region.choices = region_choices()
    if form.is_submitted():
        shape_ok = form.validate()
        org = accounts.OrganisationData(
            kind=form.kind.data or "",
            name=form.org_name.data or "",
            region=form.region.data or "",
            credit_code=form.credit_code.data,
            website=form.website.data,
            description=form.description.data,
        )
        person = _person(form, form.email.data or "")
        document = _upload(form.document.data)
        with form_errors(form) as outcome:
            if not shape_ok:
                # Every error at once: the rules' reasons beside the fields the form let through.
                problems = accounts.registration_problems(
                    organisation=org, person=person, document=document
                )
                raise ValidationFailed(
                    {k: v for k, v in problems.items() if not getattr(form, k).errors}
                )
            accounts.sign_up_organisation(
                organisation=org, person=person, document=document, links=_sign_up_links()
            )
        if outcome.ok:
            session["signed_up_email"] = accounts.normalise_email(person.email)
            return redirect(url_for("auth.registered"))
    return render_template("auth/register.html", form=form)


@bp.get("/register/sent")
@anonymous_only
def registered() -> str:
    """After a registration (an organisation's or a broker's): read the mail to go on."""
    return render_template("auth/registered.html", email=session.get("signed_up_email"))


@bp.get("/verify-email/<token>")
@public
def verify_email(token: str) -> Response:
    """Open the link mailed at sign-up: the address is verified."""
    user = email_verification.verify_email(token=token)
    if user is None:
        flash(_("验证链接无效或已过期。登录后可以重新发送验证邮件。"), "danger")
    else:
        flash(_("邮箱 %(email)s 已验证。", email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return redirect(url_for("auth.login"))


def _resend_key() -> str:
    return f"verify-mail:{getattr(current_user, 'id', None) or request.remote_addr}"


@bp.post("/verify-email/resend")
@login_required
@limiter.limit("1 per minute;5 per day", key_func=_resend_key, scope="verify-mail")
def resend_verification() -> Response:
    """Send the verification mail again (rate-limited per account)."""
    if current_user.is_email_verified:
        flash(_("你的邮箱已经验证过了。"), "info")
    elif ConfirmForm().validate_on_submit():
        email_verification.resend_verification_email(user=current_user, link_for=_verify_link)
        flash(_("验证邮件已重新发送到 %(email)s。", email=current_user.email), "info")
    target = request.form.get("next", "")
    return redirect(target if is_safe_next(target) else url_for("main.dashboard"))


@bp.route("/join/<token>", methods=["GET", "POST"])
@anonymous_only
def join(token: str) -> Response | str:
    """Accept an invitation to join an organisation."""
    invitation = accounts.find_invitation(token)
    if invitation is None:
        flash(_("邀请链接无效、已使用或已过期。"), "danger")
        return redirect(url_for("main.index"))
    form = JoinForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            user = accounts.accept_invitation(token=token, person=_person(form, invitation.email))
        if outcome.ok:
            _log_in(user)
            flash(_("欢迎加入 %(org)s。", org=invitation.organisation.name), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/join.html", form=form, invitation=invitation)


@bp.route("/login", methods=["GET", "POST"])
@anonymous_only
def login() -> Response | str:
    """Log in with e-mail and password; then the second step when the account needs one.

    Failures are throttled per address and per account and address (429), never per account
    alone: after many failures from anywhere the account is guarded instead of locked
    (services/accounts/login_guard.py)."""
    form = LoginForm()
    if form.validate_on_submit():
        check = login_guard.check_password(
            email=form.email.data, password=form.password.data, ip=request.remote_addr
        )
        if check.wait:
            return too_many_attempts(check.wait)
        if check.user is None and check.guarded:
            return _link_sent_page()  # the same page whether the account exists or not
        if check.user is None:
            form.password.errors = [*form.password.errors, _("邮箱或密码不正确，或账号已停用。")]
        else:
            return after_password(check.user, guarded=check.guarded)
    return render_template("auth/login.html", form=form)


def _link_sent_page() -> str:
    minutes = current_app.config["LOGIN_LINK_MAX_AGE"] // 60
    return render_template("auth/mfa_link_sent.html", minutes=minutes)


def too_many_attempts(wait: int) -> Response:
    """429 with Retry-After and the time to wait, in the user's language."""
    log_refusal(429, reason="login_throttled")
    message = login_guard.wait_message(wait)
    response = make_response(
        render_template("errors/error.html", code=429, title=_("操作太频繁"), message=message),
        429,
    )
    response.headers["Retry-After"] = str(wait)
    return response


def after_password(user: accounts.User, *, guarded: bool) -> Response | str:
    """The right password was given (or a sign-in link opened, guarded=False): log in, or go
    on to the second step, forced enrolment, or the e-mailed link."""
    target = request.args.get("next", "")
    target = target if is_safe_next(target) else ""
    step = mfa.next_step(user, guarded=guarded)
    if step == "link":
        login_guard.send_sign_in_link(
            user=user,
            link_for=lambda token: external_url("auth.sign_in_link", token=token),
        )
        return _link_sent_page()
    if step in ("code", "enrol"):
        begin_pending(user, enrol=step == "enrol", target=target)
        security_events.event("mfa.challenge", user_id=user.id, method=step)
        return redirect(url_for("auth.mfa_code" if step == "code" else "auth.mfa_enrol"))
    _log_in(user)
    security_events.event("login.success", user_id=user.id, ip=request.remote_addr)
    return redirect(target or url_for("main.dashboard"))


def begin_pending(user: accounts.User, *, enrol: bool, target: str) -> None:
    """Between the password and the second step: a fresh session holding only who and until
    when (no login: every page still treats the visitor as anonymous)."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session[PENDING_KEY] = {
        "uid": user.id,
        "sv": user.session_version,
        "exp": int(time.time()) + current_app.config["MFA_PENDING_MAX_AGE"],
        "next": target,
        "enrol": enrol,
    }


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Log out; the old session cookie stops working everywhere."""
    form = ConfirmForm()
    if form.validate_on_submit():
        logout_everywhere(user=current_user)
        security_log.info("logout", extra={"user_id": current_user.id})
        logout_user()
        locale = session.get("locale")
        session.clear()
        if locale:
            session["locale"] = locale
        flash(_("你已退出登录。"), "info")
    return redirect(url_for("main.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str:
    """Change the password; every other session ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            accounts.change_password(
                user=current_user, current=form.current_password.data, new=form.new_password.data
            )
        if outcome.ok:
            _log_in(current_user._get_current_object())
            flash(_("密码已修改，其他设备上的登录已失效。"), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/forgot", methods=["GET", "POST"])
@anonymous_only
@limiter.limit("5 per minute;30 per day", methods=["POST"])
def forgot_password() -> Response | str:
    """Ask for a password reset link (the answer never reveals whether the account exists)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(
            email=form.email.data,
            link_for=lambda token: external_url("auth.reset_password", token=token),
        )
        flash(_("如果这个邮箱已注册，重设密码的链接已发送，请查收邮件。"), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@anonymous_only
def reset_password(token: str) -> Response | str:
    """Choose a new password with the e-mailed token."""
    if accounts.user_for_reset_token(token) is None:
        flash(_("重设链接无效或已过期，请重新申请。"), "danger")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            accounts.reset_password(token=token, new=form.password.data)
        if outcome.ok:
            flash(_("密码已重设，请用新密码登录。"), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.get("/terms")
@public
def terms() -> str:
    """What the platform does with the data people give it."""
    return render_template("auth/terms.html")
