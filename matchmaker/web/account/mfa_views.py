"""账号 → 两步验证 (issue 17): turn the second factor (TOTP) on, see how many recovery codes are
left, make new ones or turn the factor off (both after the password again)."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.services.accounts import mfa
from matchmaker.web.account.views import bp
from matchmaker.web.auth.forms import AccountEnrolForm, PasswordAgainForm
from matchmaker.web.forms import form_errors
from matchmaker.web.mfa_display import (
    SECOND_FACTOR_KEY,
    end_enrolment,
    enrolment_secret,
    mark_second_factor,
    qr_svg,
)
from matchmaker.web.policy import login_required
from matchmaker.web.refusals import on_refusal


def _settings_page(
    codes_form: PasswordAgainForm | None = None, disable_form: PasswordAgainForm | None = None
) -> str:
    user = current_user
    return render_template(
        "account/mfa.html",
        enabled=user.has_totp,
        required=mfa.required_for(user),
        remaining=mfa.remaining_recovery_codes(user) if user.has_totp else 0,
        codes_form=codes_form or PasswordAgainForm(formdata=None, prefix="codes"),
        disable_form=disable_form or PasswordAgainForm(formdata=None, prefix="off"),
    )


@bp.get("/two-step")
@login_required
def mfa_settings() -> str:
    """The second factor's state and what can be done with it."""
    return _settings_page()


@bp.route("/two-step/setup", methods=["GET", "POST"])
@login_required
def mfa_setup() -> Response | str:
    """Set up the authenticator app: a QR code (and the secret as text), then a current code;
    the recovery codes are shown once, on this answer."""
    if current_user.has_totp:
        flash(_("两步验证已经开启。"), "info")
        return redirect(url_for("account.mfa_settings"))
    secret = enrolment_secret()
    form = AccountEnrolForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            codes = mfa.enrol_from_account(
                user=current_user, secret=secret, code=form.code.data, password=form.password.data
            )
        if outcome.ok:
            end_enrolment()
            mark_second_factor()
            return render_template(
                "account/mfa_codes.html",
                codes=codes,
                continue_to=url_for("account.mfa_settings"),
            )
    return render_template(
        "auth/mfa_enrol.html",
        form=form,
        secret=secret,
        qr=qr_svg(mfa.provisioning_uri(current_user, secret), _("两步验证二维码")),
        forced=mfa.required_for(current_user),
    )


@bp.post("/two-step/recovery-codes")
@login_required
def mfa_recovery_codes() -> Response | str | tuple[str, int]:
    """New recovery codes after the password again (the old ones stop working)."""
    form = PasswordAgainForm(prefix="codes")
    if form.validate_on_submit():
        on_refusal(_settings_page)
        with form_errors(form) as outcome:
            codes = mfa.regenerate_recovery_codes(user=current_user, password=form.password.data)
        if outcome.ok:
            return render_template(
                "account/mfa_codes.html",
                codes=codes,
                continue_to=url_for("account.mfa_settings"),
            )
    return _settings_page(codes_form=form), 400


@bp.post("/two-step/disable")
@login_required
def mfa_disable() -> Response | tuple[str, int]:
    """Turn the second factor off after the password again (not for admin and bank accounts)."""
    form = PasswordAgainForm(prefix="off")
    if form.validate_on_submit():
        on_refusal(_settings_page)
        with form_errors(form) as outcome:
            mfa.disable(user=current_user, password=form.password.data)
        if outcome.ok:
            session.pop(SECOND_FACTOR_KEY, None)
            flash(_("两步验证已关闭。"), "success")
            return redirect(url_for("account.mfa_settings"))
    return _settings_page(disable_form=form), 400
