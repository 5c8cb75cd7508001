"""The user's own organisation: its status, members and invitations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.permissions import Permission, can_invite_to
from matchmaker.services.accounts import accounts
from matchmaker.web.forms import form_errors
from matchmaker.web.org.forms import InviteForm
from matchmaker.web.policy import permission_required

bp = Blueprint("org", __name__)


@bp.route("/", methods=["GET", "POST"])
@permission_required(Permission.ORG_INVITE)
def mine() -> Response | str:
    """My organisation, with the form to invite colleagues."""
    org = current_user.organisation
    if org is None:
        abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        if not can_invite_to(current_user, org):
            abort(403)
        with form_errors(form) as outcome:
            accounts.invite_member(
                actor=current_user,
                email=form.email.data,
                link_for=lambda token: url_for("auth.join", token=token, _external=True),
            )
        if outcome.ok:
            flash(_("邀请已发送到 %(email)s。", email=form.email.data), "success")
            return redirect(url_for("org.mine"))
    return render_template("org/mine.html", org=org, members=list(org.members), form=form)
