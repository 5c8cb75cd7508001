"""Routes of the 科技金融 blueprint, the firm's side: its profile (企业画像), its consent to
banks, the log of banks' views, its 创新积分 breakdown; the admin's score formula versions and
the public explanation of the formula.
"""

from __future__ import annotations

import math
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models import ConsentScope, FirmProfile
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission
from matchmaker.services.challenges.challenge_states import local_date
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.finance import consent, firm_activity, firm_profiles, innovation_score
from matchmaker.services.platform import taxonomy, uow
from matchmaker.web.finance.blueprint import bp
from matchmaker.web.finance.profile_forms import (
    ConfirmForm,
    ConsentForm,
    FormulaForm,
    ProfileForm,
)
from matchmaker.web.finance_labels import CONSENT_SCOPE_LABELS
from matchmaker.web.forms import form_errors
from matchmaker.web.i18n import select_locale
from matchmaker.web.policy import permission_required, public

RADAR_SIZE = 340
RADAR_RADIUS = 90


def _pt(x: float, y: float) -> str:
    return f"{x:.1f},{y:.1f}"


@bp.app_template_global("score_radar")
def score_radar(breakdown: dict[str, Any]) -> dict[str, Any]:
    """Geometry of the radar chart of a score breakdown (one axis per indicator, 0-100)."""
    rows = list((breakdown or {}).get("indicators") or [])
    n = max(len(rows), 3)
    c = RADAR_SIZE / 2

    def at(i: int, value: float, radius: float = RADAR_RADIUS) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        r = radius * max(0.0, min(100.0, value)) / 100
        return c + r * math.cos(angle), c + r * math.sin(angle)

    rings = [" ".join(_pt(*at(i, level)) for i in range(n)) for level in (25, 50, 75, 100)]
    axes = []
    for i, row in enumerate(rows):
        x, y = at(i, 100)
        lx, ly = at(i, 100, RADAR_RADIUS + 16)
        dx = lx - c
        anchor = "middle" if abs(dx) < 1 else ("start" if dx > 0 else "end")
        axes.append(
            {
                "key": row.get("key"),
                "x": f"{x:.1f}",
                "y": f"{y:.1f}",
                "lx": f"{lx:.1f}",
                "ly": f"{ly:.1f}",
                "anchor": anchor,
            }
        )
    points = [at(i, float(row.get("normalised") or 0)) for i, row in enumerate(rows)]
    return {
        "size": RADAR_SIZE,
        # the labels stick out sideways more than up and down: crop the empty bands; 40 more
        # units each side hold the 16-unit labels (at least 12 px on a phone: issue 19)
        "view": f"-40 {c - RADAR_RADIUS - 28:.0f} {RADAR_SIZE + 80} {2 * RADAR_RADIUS + 56}",
        "centre": f"{c:.1f}",
        "rings": rings,
        "axes": axes,
        "shape": " ".join(_pt(x, y) for x, y in points),
        "dots": [{"x": f"{x:.1f}", "y": f"{y:.1f}"} for x, y in points],
    }


@bp.app_template_global("consent_scope_labels")
def consent_scope_labels(bits: int | None) -> list[str]:
    """The labels of the scopes in a consent bit set, in a fixed order."""
    return [str(label) for scope, label in CONSENT_SCOPE_LABELS.items() if (bits or 0) & scope]


# --- the firm's profile -----------------------------------------------------------------------


def _my_profile() -> FirmProfile | None:
    return firm_profiles.profile_of(current_user.organisation_id)


def _score_due(profile: FirmProfile | None) -> bool:
    """Whether the stored score is out of date (the page offers to recompute it)."""
    return profile is not None and innovation_score.needs_rescore(profile)


@bp.route("/profile")
@permission_required(Permission.FIRM_PROFILE)
def profile() -> str:
    """企业画像: what the firm declared, what the platform computed, and its score."""
    mine = _my_profile()
    activity = firm_activity.platform_activity(current_user.organisation_id)
    return render_template(
        "finance/profile.html",
        profile=mine,
        activity=activity,
        completeness=firm_profiles.completeness(mine),
        grant=consent.live_grant(current_user.organisation_id),
        today=utcnow().date(),
        score_due=_score_due(mine),
        recompute_form=ConfirmForm(formdata=None),
    )


def _profile_form(*, submitted: bool) -> ProfileForm:
    form = ProfileForm() if submitted else ProfileForm(formdata=None)
    form.field_id.choices = [(0, _("请选择")), *taxonomy.field_choices(select_locale())]
    return form


@bp.route("/profile/edit", methods=["GET", "POST"])
@permission_required(Permission.FIRM_PROFILE)
def edit_profile() -> Response | str | tuple[str, int]:
    """Declare or update the profile and the financial years; the score is recomputed."""
    if request.method == "GET":
        form = _profile_form(submitted=False)
        form.fill(firm_profiles.data_of(_my_profile()))
        return render_template("finance/profile_edit.html", form=form)
    form = _profile_form(submitted=True)
    if not form.validate_on_submit():
        return render_template("finance/profile_edit.html", form=form), 400
    with form_errors(form) as outcome:
        saved = firm_profiles.save_profile(actor=current_user, data=form.to_data())
    if not outcome.ok:
        return render_template("finance/profile_edit.html", form=form), 400
    flash(_("企业画像已保存，创新积分已更新为 %(score)s。", score=saved.score), "success")
    return redirect(url_for("finance.profile"))


@bp.route("/score")
@permission_required(Permission.FIRM_PROFILE)
def my_score() -> str:
    """The firm's 创新积分 with its breakdown (radar chart and table)."""
    mine = _my_profile()
    return render_template(
        "finance/score.html",
        profile=mine,
        score_due=_score_due(mine),
        recompute_form=ConfirmForm(formdata=None),
    )


@bp.route("/score/recompute", methods=["POST"])
@permission_required(Permission.FIRM_PROFILE)
def recompute_score() -> Response:
    """Bring the firm's score up to date now (its platform activity or the formula changed)."""
    form = ConfirmForm()
    mine = _my_profile()
    if mine is None:
        abort(404)
    if form.validate_on_submit():
        innovation_score.compute_score(mine)
        flash(_("创新积分已重新计算：%(score)s。", score=mine.score), "success")
    return redirect(url_for("finance.my_score"))


# --- consent and the view log ---------------------------------------------------------------


def _render_consent(form: ConsentForm | None = None) -> str:
    org_id = current_user.organisation_id
    if form is None:
        form = ConsentForm(formdata=None)
        live = consent.live_grant(org_id)
        form.scopes.data = [int(s) for s in ConsentScope if live and live.scopes & s]
    return render_template(
        "finance/consent.html",
        form=form,
        revoke_form=ConfirmForm(formdata=None),
        grant=consent.live_grant(org_id),
        history=consent.history(org_id),
        now=utcnow(),
    )


@bp.route("/consent", methods=["GET", "POST"])
@permission_required(Permission.FIRM_PROFILE)
def consent_page() -> Response | str | tuple[str, int]:
    """Choose what banks may see and for how long (a new grant replaces the live one)."""
    if request.method == "GET":
        return _render_consent()
    form = ConsentForm()
    if not form.validate_on_submit():
        return _render_consent(form), 400
    scopes = 0
    for bit in form.scopes.data or []:
        scopes |= int(bit)
    with form_errors(form) as outcome:
        row = consent.grant(actor=current_user, scopes=scopes, days=form.days.data)
    if not outcome.ok:
        return _render_consent(form), 400
    flash(
        _(
            "已授权银行查看：%(scopes)s，有效期至 %(when)s。",
            scopes=_("、").join(consent_scope_labels(row.scopes)),
            when=local_date(row.expires_at),
        ),
        "success",
    )
    return redirect(url_for("finance.consent_page"))


@bp.route("/consent/revoke", methods=["POST"])
@permission_required(Permission.FIRM_PROFILE)
def revoke_consent() -> Response | tuple[str, int]:
    """End the live consent now: banks lose access on their next request."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render_consent(), 400
    try:
        consent.revoke(actor=current_user)
    except ValidationFailed:  # nothing to revoke: a conflict with the state, not a bad form
        uow.discard()
        flash(_("当前没有生效的授权。"), "warning")
        return _render_consent(), 409
    flash(_("授权已撤回，银行将无法再查看贵企业的画像。"), "success")
    return redirect(url_for("finance.consent_page"))


@bp.route("/views")
@permission_required(Permission.FIRM_PROFILE)
def views_log() -> str:
    """哪些银行查看了我的画像: a summary per bank and every look, newest first."""
    org_id = current_user.organisation_id
    return render_template(
        "finance/views_log.html",
        summary=consent.view_counts_by_bank(org_id),
        rows=consent.views_of(org_id),
        grant=consent.live_grant(org_id),
    )


# --- the score formula ----------------------------------------------------------------------


@bp.route("/score/formula")
@public
def score_formula_explained() -> str:
    """The 创新积分 formula in force, explained (public: it holds no firm's data)."""
    formula = innovation_score.current_formula()
    return render_template(
        "finance/formula.html",
        formula=formula,
        indicators=innovation_score.INDICATORS,
        scoring=innovation_score,
    )


@bp.route("/score-formula")
@permission_required(Permission.SCORE_FORMULA)
def score_formulas() -> str:
    """Every version of the weights (the admin's page)."""
    versions = innovation_score.formulas()
    return render_template(
        "finance/formula_versions.html",
        versions=versions,
        indicators=innovation_score.INDICATORS,
    )


@bp.route("/score-formula/new", methods=["GET", "POST"])
@permission_required(Permission.SCORE_FORMULA)
def new_score_formula() -> Response | str | tuple[str, int]:
    """Edit the weights: a new version; every firm's score is recomputed by a job."""
    current = innovation_score.current_formula()
    if request.method == "GET":
        form = FormulaForm(formdata=None, data=dict(current.weights))
        return render_template("finance/formula_edit.html", form=form, current=current)
    form = FormulaForm()
    if not form.validate_on_submit():
        return render_template("finance/formula_edit.html", form=form, current=current), 400
    with form_errors(form) as outcome:
        formula = innovation_score.save_formula(
            actor=current_user,
            weights=form.weights(innovation_score.KEYS),
            note=form.note.data,
        )
    if not outcome.ok:
        return render_template("finance/formula_edit.html", form=form, current=current), 400
    flash(
        _("已启用第 %(version)s 版积分公式，所有企业的积分将重新计算。", version=formula.version),
        "success",
    )
    return redirect(url_for("finance.score_formulas"))
