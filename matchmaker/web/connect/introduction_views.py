"""技术经纪人的引荐: the broker's form on a need it follows, the need owner's consent or
refusal, and the broker's "我的引荐" page (metadata only)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models import BrokerProfile, Enquiry, Need
from matchmaker.models.enquiry import ENQUIRY_STATUS_LABELS
from matchmaker.services.connect import introductions
from matchmaker.services.connect.enquiry_states import is_party
from matchmaker.web.connect.blueprint import bp, can_enquire
from matchmaker.web.connect.forms import ActionForm, IntroduceForm, RefuseIntroductionForm
from matchmaker.web.connect.views import answer, party_enquiry, render_enquiry
from matchmaker.web.forms import form_errors
from matchmaker.web.policy import login_required
from matchmaker.web.refusals import on_refusal


@bp.app_template_global("need_brokers")
def need_brokers(need: Need | None) -> list[BrokerProfile]:
    """The verified brokers following a need (its owner's page says who)."""
    return introductions.need_brokers(need) if need is not None else []


@bp.app_template_global("pending_introductions")
def pending_introductions(need: Need | None) -> list[Enquiry]:
    """Introductions for one of my organisation's needs waiting for its consent."""
    if need is None or not getattr(current_user, "is_authenticated", False):
        return []
    return introductions.pending_for_need(actor=current_user, need=need)


@bp.app_template_global("may_enquire_expert")
def may_enquire_expert(profile: Any) -> bool:
    """Whether to show 发起对接 on a 推荐专家 card (the rule of the result cards' button;
    a global because the card macros are imported without the request's context)."""
    return profile is not None and can_enquire(current_user, profile.organisation_id)


@bp.app_template_global("may_open_enquiry")
def may_open_enquiry(enquiry: Any) -> bool:
    """Whether the current user may open the enquiry's page (a deal links back to it)."""
    return enquiry is not None and is_party(current_user, enquiry)


def _render_introduce(broker: BrokerProfile, need: Need, form: IntroduceForm) -> str:
    return render_template(
        "connect/introduce.html", need=need, form=form, message_max=introductions.MAX_NOTE
    )


def _choices(broker: BrokerProfile, need: Need) -> list[tuple[str, str]]:
    options = [("", _("请选择"))]
    for candidate in introductions.candidates(broker=broker, need=need):
        kind = _("成果") if candidate.kind == "result" else _("专家")
        label = f"{kind} · {candidate.title} · {candidate.organisation}"
        if candidate.percent is not None:
            label += " · " + _("匹配度 %(score)s/100", score=candidate.percent)
        options.append((candidate.value, label))
    return options


@bp.route("/needs/<int:need_id>/introduce", methods=["GET", "POST"])
@login_required
def introduce(need_id: int) -> Response | str | tuple[str, int]:
    """引荐成果或专家: a verified broker following the need introduces a result or expert."""
    broker, need = introductions.get_need(actor=current_user, need_id=need_id)
    form = IntroduceForm()
    form.target.choices = _choices(broker, need)
    if not form.validate_on_submit():
        return _render_introduce(broker, need, form), 400 if form.is_submitted() else 200
    kind, target_id = form.chosen()
    on_refusal(lambda: _render_introduce(broker, need, form))
    with form_errors(form) as outcome:
        introductions.propose_introduction(
            actor=current_user,
            need=need,
            data=introductions.IntroductionData(
                target_kind=kind,
                target_id=target_id,
                intent=form.intent.data or "",
                note=form.note.data or "",
            ),
        )
    if not outcome.ok:
        return _render_introduce(broker, need, form), 400
    flash(_("引荐已提交，需求方确认后才会发给对方。"), "success")
    return redirect(url_for("connect.my_introductions"))


@bp.post("/<int:enquiry_id>/consent")
@login_required
def consent_introduction(enquiry_id: int) -> Response:
    """The need owner agrees: the introduction is sent to the other side as its enquiry."""
    enquiry = party_enquiry(enquiry_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    on_refusal(lambda: render_enquiry(enquiry))
    introductions.consent_introduction(actor=current_user, enquiry=enquiry)
    flash(_("已确认引荐，对接请求已发给对方。"), "success")
    return redirect(url_for("connect.show", enquiry_id=enquiry.id))


@bp.post("/<int:enquiry_id>/refuse")
@login_required
def refuse_introduction(enquiry_id: int) -> Response | tuple[str, int]:
    """The need owner declines the introduction, with the reason the broker reads."""
    return answer(
        enquiry_id,
        RefuseIntroductionForm(),
        "refuse_form",
        lambda enquiry, form: introductions.refuse_introduction(
            actor=current_user, enquiry=enquiry, reason=form.reason.data or ""
        ),
        _("已谢绝这条引荐，经纪人会看到你的说明。"),
    )


@bp.get("/my/introductions")
@login_required
def my_introductions() -> str:
    """我的引荐: the broker's introductions and the enquiries on the needs it follows
    (states, dates, organisations: never messages or files)."""
    return render_template(
        "connect/introductions.html",
        rows=introductions.broker_introductions(actor=current_user),
        followed=introductions.followed_needs(actor=current_user),
        statuses=ENQUIRY_STATUS_LABELS,
    )
