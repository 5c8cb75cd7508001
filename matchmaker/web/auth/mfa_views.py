"""The login's second step (issue 17): the code step, forced enrolment for the roles that
require a second factor, the e-mailed sign-in link of a guarded account, and the hook that keeps
a session of such a role from any page until it has passed the second factor.

Between the password and the second step the session holds only `PENDING_KEY` (who, until
when): nobody is logged in, so every page treats the visitor as anonymous; completing the step
starts a fresh session (`_log_in`, anti-fixation)."""

from __future__ import annotations

import time

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import User
from matchmaker.services.accounts import login_guard, mfa
from matchmaker.services.platform import security_events
from matchmaker.web.auth.forms import ConfirmForm, EnrolForm, SecondStepForm
from matchmaker.web.auth.views import (
    _log_in,
    after_password,
    bp,
    too_many_attempts,
)
from matchmaker.web.forms import form_errors
from matchmaker.web.mfa_display import PENDING_KEY, enrolment_secret, has_second_factor, qr_svg
from matchmaker.web.policy import anonymous_only

#: What a session of a role that requires the factor may still reach before passing it.
_UNGUARDED_ENDPOINTS = frozenset(
    {
        "static",
        "auth.logout",
        "account.keep_alive",
        "account.set_text_size",
        "account.mfa_setup",
        "main.set_language",
        "main.choose_language",
    }
)


def _pending_user(*, enrol: bool) -> User | None:
    """The user between password and second step, while that state is fresh and still theirs."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or bool(pending.get("enrol")) != enrol:
        return None
    if not isinstance(pending.get("exp"), int) or pending["exp"] < time.time():
        return None
    uid = pending.get("uid")
    user = db.session.get(User, uid) if isinstance(uid, int) else None
    if user is None or not user.is_active or user.session_version != pending.get("sv"):
        return None
    return user


def _start_over() -> Response:
    session.pop(PENDING_KEY, None)
    flash(_("登录已超时，请重新输入邮箱和密码。"), "warning")
    return redirect(url_for("auth.login"))


def _finish(user: User) -> Response:
    target = (session.get(PENDING_KEY) or {}).get("next") or ""
    _log_in(user, second_factor=True)
    security_events.event("login.success", user_id=user.id, ip=request.remote_addr, mfa=True)
    return redirect(target or url_for("main.dashboard"))


@bp.route("/login/code", methods=["GET", "POST"])
@anonymous_only
def mfa_code() -> Response | str:
    """The second step: a code from the authenticator app, or a recovery code."""
    user = _pending_user(enrol=False)
    if user is None:
        return _start_over()
    form = SecondStepForm()
    if form.validate_on_submit():
        step = login_guard.check_second_step(user=user, code=form.code.data, ip=request.remote_addr)
        if step.wait:
            return too_many_attempts(step.wait)
        if step.ok:
            return _finish(user)
        form.code.errors = [*form.code.errors, _("验证码不正确、已使用过或已过期。")]
    return render_template("auth/mfa_code.html", form=form)


@bp.route("/login/setup", methods=["GET", "POST"])
@anonymous_only
def mfa_enrol() -> Response | str:
    """Forced enrolment: an account whose role requires the second factor sets it up before it
    is logged in."""
    user = _pending_user(enrol=True)
    if user is None:
        return _start_over()
    secret = enrolment_secret()
    form = EnrolForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            codes = mfa.confirm_enrolment(user=user, secret=secret, code=form.code.data)
        if outcome.ok:
            target = (session.get(PENDING_KEY) or {}).get("next") or url_for("main.dashboard")
            _log_in(user, second_factor=True)  # a fresh session: the secret is gone from it
            security_events.event(
                "login.success", user_id=user.id, ip=request.remote_addr, mfa=True
            )
            return render_template("account/mfa_codes.html", codes=codes, continue_to=target)
    return render_template(
        "auth/mfa_enrol.html",
        form=form,
        secret=secret,
        qr=qr_svg(mfa.provisioning_uri(user, secret), _("两步验证二维码")),
        forced=True,
    )


@bp.route("/login/link/<token>", methods=["GET", "POST"])
@anonymous_only
def sign_in_link(token: str) -> Response | str:
    """The e-mailed single-use sign-in link: GET shows a button (mail scanners that open links
    do not spend it), POST logs in (or goes on to the second step / enrolment)."""
    if login_guard.user_for_sign_in_token(token) is None:
        flash(_("登录链接无效、已使用或已过期，请重新登录。"), "danger")
        return redirect(url_for("auth.login"))
    form = ConfirmForm()
    if form.validate_on_submit():
        user = login_guard.use_sign_in_token(token)
        if user is None:
            flash(_("登录链接无效、已使用或已过期，请重新登录。"), "danger")
            return redirect(url_for("auth.login"))
        return after_password(user, guarded=False)
    return render_template("auth/mfa_link.html", form=form)


@bp.before_app_request
def require_second_factor() -> Response | None:
    """A signed-in session of a role that requires the second factor reaches nothing until it
    has passed it: with the factor set up, it logs in again (code step); without, it enrols."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in _UNGUARDED_ENDPOINTS or request.path.startswith("/api/"):
        return None
    if has_second_factor():
        return None
    g.pop("_login_user", None)  # runs before web/hooks.py's policy hook: identity is per request
    if not current_user.is_authenticated or not mfa.required_for(current_user):
        return None
    if current_user.has_totp:
        security_events.event(
            "mfa.challenge", outcome="denied", user_id=current_user.id, reason="session_without"
        )
        logout_user()
        locale = session.get("locale")
        session.clear()
        if locale:
            session["locale"] = locale
        flash(_("请重新登录并完成两步验证。"), "warning")
        return redirect(url_for("auth.login"))
    flash(_("你的账号需要先设置两步验证。"), "warning")
    return redirect(url_for("account.mfa_setup"))
