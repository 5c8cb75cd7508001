"""My account settings: which notification e-mails I receive, 大字模式 (larger text), and the
keep-alive that the session-timeout warning calls (issue 19), and my API tokens (issue 15)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import csrf
from matchmaker.models.base import utcnow
from matchmaker.services.accounts import api_tokens
from matchmaker.services.accounts.accounts import set_large_text
from matchmaker.services.platform import notifications
from matchmaker.web.accessibility import TEXT_SIZE_COOKIE
from matchmaker.web.account.forms import (
    ApiTokenForm,
    NotificationSettingsForm,
    RevokeTokenForm,
    TextSizeForm,
    describe_scopes,
)
from matchmaker.web.forms import form_errors
from matchmaker.web.policy import is_safe_next, login_required, public

bp = Blueprint("account", __name__)


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notification_settings() -> Response | str:
    """Choose which groups of notifications are also e-mailed (account mails always are)."""
    if request.method == "POST":
        form = NotificationSettingsForm()  # an unchecked box is absent from the form: off
    else:
        opted_out = set(current_user.email_opt_out or [])
        form = NotificationSettingsForm(
            data={code: code not in opted_out for code in notifications.OPTIONAL_GROUPS}
        )
    if form.validate_on_submit():
        notifications.set_email_opt_out(
            user=current_user,
            groups=[code for code in notifications.OPTIONAL_GROUPS if not form[code].data],
        )
        flash(_("通知设置已保存。"), "success")
        return redirect(url_for("account.notification_settings"))
    mandatory = [group for group in notifications.EMAIL_GROUPS if not group.optional]
    return render_template("account/notifications.html", form=form, mandatory=mandatory)


@bp.post("/text-size")
@public
@csrf.exempt
def set_text_size() -> Response:
    """Switch 大字模式 on or off: remembered on the account, and in a cookie for visitors.
    A visitor's form carries no CSRF token (public pages start no session, so they stay
    cacheable: web/hooks.py) and a text size is harmless; a signed-in user's form still does."""
    form = TextSizeForm(**({} if current_user.is_authenticated else {"meta": {"csrf": False}}))
    target = form.next.data if is_safe_next(form.next.data) else url_for("main.index")
    response = redirect(target)
    if form.validate_on_submit():
        large = form.size.data == "large"
        if current_user.is_authenticated:
            set_large_text(user=current_user, on=large)
        response.set_cookie(
            TEXT_SIZE_COOKIE,
            "large" if large else "normal",
            max_age=365 * 24 * 3600,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response


@bp.post("/keep-alive")
@login_required
def keep_alive() -> Response:
    """Stay signed in: any request restarts the idle timer (web/hooks.py); this one does only
    that, for the warning shown before the session ends (static/js/session.js)."""
    return Response(status=204)


# --- API 令牌 (personal access tokens of the JSON API, issue 15) --------------------------------
def _tokens_page(form: ApiTokenForm, new_secret: str | None = None) -> str:
    return render_template(
        "account/tokens.html",
        form=form,
        tokens=api_tokens.list_tokens(user=current_user),
        revoke_form=RevokeTokenForm(formdata=None),
        new_secret=new_secret,
        now=utcnow(),
        describe_scopes=describe_scopes,
    )


def _token_form(**kwargs: object) -> ApiTokenForm:
    form = ApiTokenForm(**kwargs)
    form.limit_to(
        may_write=api_tokens.may_write(current_user),
        areas=api_tokens.allowed_areas(current_user),
    )
    return form


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def api_tokens_page() -> str:
    """List my API tokens and create one (read or read+write, for all areas or the chosen
    ones); a new token's secret is shown on this answer only (never redirected through the
    session cookie, which is signed but readable)."""
    form = _token_form()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            made = api_tokens.create_token(
                user=current_user,
                name=form.name.data,
                scopes=form.scopes(),
                expires_in_days=form.expires_in_days.data,
            )
        if outcome.ok:
            return _tokens_page(_token_form(formdata=None), new_secret=made.secret)
    return _tokens_page(form)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int) -> Response:
    """Revoke one of my tokens (another user's token: 404)."""
    if RevokeTokenForm().validate_on_submit():
        api_tokens.revoke_token(user=current_user, token_id=token_id)
        flash(_("令牌已撤销，使用它的程序将无法再访问。"), "success")
    return redirect(url_for("account.api_tokens_page"))
