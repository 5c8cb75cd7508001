"""My account settings: which notification e-mails I receive."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.services.platform import notifications
from matchmaker.web.account.forms import NotificationSettingsForm
from matchmaker.web.policy import login_required

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
