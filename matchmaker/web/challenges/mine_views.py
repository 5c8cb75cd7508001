"""我的榜单: the challenges the user's organisation published, with their new applications."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission
from matchmaker.services.challenges import overview
from matchmaker.web.challenges.blueprint import bp
from matchmaker.web.policy import permission_required


@bp.get("/my/challenges")
@permission_required(Permission.CHALLENGE_PUBLISH)
def my_challenges() -> str:
    """State, deadline, applications and those new since the last visit of every challenge."""
    rows = overview.my_challenges(actor=current_user)
    seen_before = current_user.challenges_seen_at
    overview.mark_challenges_seen(actor=current_user, rows=rows)
    return render_template("challenges/mine.html", rows=rows, seen_before=seen_before, now=utcnow())
