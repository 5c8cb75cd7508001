"""技术经纪人 pages for everyone: registration, the public list and page; and the broker's own
认领需求 page with its claim and release buttons."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import db, limiter
from matchmaker.permissions import Permission
from matchmaker.services.accounts import mail_throttle
from matchmaker.services.accounts.accounts import PersonData, SignUpLinks, normalise_email
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.platform.links import external_url
from matchmaker.services.platform.taxonomy import active_fields
from matchmaker.services.talent import broker_assignments, broker_stats, brokers
from matchmaker.web.auth.forms import ConfirmForm
from matchmaker.web.brokers.blueprint import bp
from matchmaker.web.brokers.forms import BrokerRegisterForm
from matchmaker.web.forms import form_errors
from matchmaker.web.ids import page_arg
from matchmaker.web.policy import anonymous_only, is_safe_next, permission_required, public
from matchmaker.web.refusals import on_refusal

PER_PAGE = 20


def _page() -> int:
    return page_arg()


def _verify_link(token: str) -> str:
    return external_url("auth.verify_email", token=token)  # never the Host header


@bp.route("/brokers/register", methods=["GET", "POST"])
@anonymous_only
@limiter.limit(mail_throttle.register_limit, methods=["POST"], scope="broker-register")
def register() -> Response | str:
    """注册为技术经纪人: an individual with a licence, verified by the admin before acting.

    A new address and one that already has an account get the same answer (SECURITY.md row
    8): `sign_up_broker` mails the account's owner instead of telling here."""
    form = BrokerRegisterForm()
    if form.is_submitted():
        shape_ok = form.validate()
        person = PersonData(
            name=form.name.data or "",
            email=form.email.data or "",
            password=form.password.data or "",
            phone=form.phone.data,
            locale=session.get("locale"),
        )
        data = brokers.BrokerData(
            licence_number=form.licence_number.data or "",
            issuing_body=form.issuing_body.data or "",
            organisation=form.organisation.data or "",
            fields_text=form.fields_text.data or "",
            biography=form.biography.data or "",
        )
        with form_errors(form) as outcome:
            if not shape_ok:
                # every error at once: the rules' reasons beside the fields the form let through
                problems = brokers.registration_problems(person=person, broker=data)
                raise ValidationFailed(
                    {k: v for k, v in problems.items() if not getattr(form, k).errors}
                )
            brokers.sign_up_broker(
                person=person,
                broker=data,
                links=SignUpLinks(
                    verify=_verify_link,
                    login=external_url("auth.login"),
                    reset=external_url("auth.forgot_password"),
                ),
            )
        if outcome.ok:
            session["signed_up_email"] = normalise_email(person.email)
            return redirect(url_for("auth.registered"))
    return render_template("brokers/register.html", form=form)


@bp.get("/brokers")
@public
def list_brokers() -> str:
    """Verified brokers, with their figures."""
    page = db.paginate(
        brokers.public_brokers_query(),
        page=_page(),
        per_page=PER_PAGE,
        max_per_page=50,
        error_out=False,
    )
    stats = broker_stats.stats_for([b.id for b in page.items])
    return render_template("brokers/list.html", page=page, stats=stats)


@bp.get("/brokers/<int:broker_id>")
@public
def show_broker(broker_id: int) -> str:
    """A verified broker's public page: licence, fields, figures and recent introductions."""
    broker = brokers.public_broker(broker_id)
    if broker is None:
        abort(404)
    return render_template(
        "brokers/show.html",
        broker=broker,
        stats=broker_stats.broker_stats(broker),
        recent=broker_stats.recent_introductions(broker),
    )


@bp.get("/brokers/needs")
@permission_required(Permission.BROKER_ACT)
def claimable_needs() -> str:
    """认领需求: public needs the broker does not follow yet (search and field facet)."""
    broker = brokers.broker_of(current_user)
    if broker is None:
        abort(404)
    q = " ".join(request.args.get("q", "").split())[:100]
    field_code = request.args.get("field", "")[:32]
    page = db.paginate(
        broker_assignments.claimable_needs_query(broker, q=q, field_code=field_code),
        page=_page(),
        per_page=PER_PAGE,
        max_per_page=50,
        error_out=False,
    )
    locale = str(get_locale() or "zh_Hans_CN")
    return render_template(
        "brokers/claim.html",
        broker=broker,
        page=page,
        q=q,
        field_code=field_code,
        fields=[(f.code, f.label(locale)) for f in active_fields()],
        form=ConfirmForm(formdata=None),
    )


def _back(default: str) -> Response:
    target = request.form.get("next", "")
    return redirect(target if is_safe_next(target) else default)


@bp.post("/brokers/needs/<int:need_id>/claim")
@permission_required(Permission.BROKER_ACT)
def claim_need(need_id: int) -> Response:
    """Start following a need (a verified broker only)."""
    if ConfirmForm().validate_on_submit():
        on_refusal(claimable_needs)
        broker_assignments.claim_need(actor=current_user, need_id=need_id)
        flash(_("已认领这条需求，可以在工作台跟进。"), "success")
    return _back(url_for("brokers.claimable_needs"))


@bp.post("/brokers/needs/<int:need_id>/release")
@permission_required(Permission.BROKER_ACT)
def release_need(need_id: int) -> Response:
    """Stop following a need."""
    if ConfirmForm().validate_on_submit():
        broker_assignments.release_need(actor=current_user, need_id=need_id)
        flash(_("已不再跟进这条需求。"), "success")
    return _back(url_for("main.dashboard"))
