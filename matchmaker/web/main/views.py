"""Home page, dashboards, language switch and the health check."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.permissions import Permission, Role, has_permission
from matchmaker.services import matching
from matchmaker.services.accounts.accounts import set_locale
from matchmaker.services.challenges import overview
from matchmaker.services.connect import inbox
from matchmaker.services.market import feedback, listings, publication
from matchmaker.services.platform import health, stats
from matchmaker.web.brokers.panels import admin_broker_panel, broker_dashboard
from matchmaker.web.finance.panels import finance_panel
from matchmaker.web.funnel_panels import admin_funnel
from matchmaker.web.i18n import LOCALE_COOKIE
from matchmaker.web.main.forms import LanguageForm
from matchmaker.web.matching.experts import expert_panel
from matchmaker.web.policy import is_safe_next, permission_required, public
from matchmaker.web.tracking import record_impressions

bp = Blueprint("main", __name__)

DASHBOARD_TEMPLATES = {
    Role.ENTERPRISE: "main/dashboard_enterprise.html",
    Role.UNIVERSITY: "main/dashboard_university.html",
    Role.BANK: "main/dashboard_bank.html",
    Role.ADMIN: "main/dashboard_admin.html",
    Role.BROKER: "main/dashboard_broker.html",
    Role.BUREAU: "main/dashboard_bureau.html",
}


@bp.get("/")
@public
def index() -> str:
    """The public home page."""
    return render_template(
        "main/index.html",
        counts=stats.verified_organisation_counts(),
        listing_counts=publication.publication_counts(),
        latest_results=publication.latest("result"),
        latest_needs=publication.latest("need", limit=4),
    )


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    """The database, Redis, the job backlog and the index generation, for load balancers and
    monitoring (services/platform/health.py): 503 when the database does not answer."""
    body, ok = health.report()
    return jsonify(body), 200 if ok else 503


def _remember_locale(response: Response, locale: str) -> Response:
    """A visitor's choice lives in a cookie (a year), so switching starts no session."""
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=365 * 24 * 3600,
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.post("/language")
@public
def set_language() -> Response:
    """Switch the interface language (and remember it on the account): the signed-in users'
    form, with its CSRF token."""
    form = LanguageForm()
    target = form.next.data if is_safe_next(form.next.data) else url_for("main.index")
    response = redirect(target)
    if form.validate_on_submit():
        if session.get("locale"):
            session["locale"] = form.locale.data
        if current_user.is_authenticated:
            set_locale(user=current_user, locale=form.locale.data)
        _remember_locale(response, form.locale.data)
    return response


@bp.get("/language")
@public
def choose_language() -> Response:
    """A visitor's language switch: a GET form, so public pages carry no CSRF token and start
    no session (they stay cacheable). Changing the display language is harmless."""
    next_url = request.args.get("next", "")
    target = next_url if is_safe_next(next_url) else url_for("main.index")
    response = redirect(target)
    locale = request.args.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        return response
    if current_user.is_authenticated:
        return response  # a GET changes no account: signed-in users have the POST form
    if session.get("locale"):
        session["locale"] = locale
    return _remember_locale(response, locale)


@bp.get("/dashboard")
@permission_required(Permission.DASHBOARD_VIEW)
def dashboard() -> str:
    """Each role's starting page; later features fill its panels."""
    context: dict[str, object] = {}
    if current_user.role == Role.ADMIN:
        context["overview"] = {
            **stats.admin_overview(),
            "pending_listings": listings.review_queue_size(),
        }
        context["feedback"] = feedback.feedback_counts()
        context["deal_stats"] = stats.deal_statistics()
        context["platform_funnel"] = admin_funnel(request.args)
        context["broker_activity"] = admin_broker_panel()
    elif current_user.role == Role.BROKER:
        context.update(broker_dashboard(current_user))
    elif has_permission(current_user, Permission.LISTING_MANAGE):
        kind = "result" if has_permission(current_user, Permission.RESULT_CREATE) else "need"
        context["mine"] = listings.owner_overview(
            organisation_id=current_user.organisation_id, kind=kind
        )
        for_you = matching.recommend_for_organisation(
            organisation_id=current_user.organisation_id, kind=kind
        )
        record_impressions(rec.publication for _listing, rec in for_you)
        context["for_you"] = for_you
        context["enquiries_open"] = inbox.inbox(actor=current_user, status="open")[:5]
    if has_permission(current_user, Permission.CHALLENGE_PUBLISH):
        context["my_challenges"] = overview.owner_summary(actor=current_user)
    if has_permission(current_user, Permission.CHALLENGE_APPLY):
        context["my_applications"] = overview.applicant_summary(actor=current_user)
    context["finance"] = finance_panel(current_user)
    context.update(expert_panel(current_user))  # 推荐专家 / an expert's needs and challenges
    return render_template(DASHBOARD_TEMPLATES[current_user.role], **context)


@bp.app_context_processor
def language_form() -> dict[str, object]:
    """The navigation bar's language switch, pointing back at the current page."""
    # A visitor's switch is a pair of links (no token: building a form with CSRF would start a
    # session and make every public page uncacheable).
    visitor = {} if current_user.is_authenticated else {"meta": {"csrf": False}}
    form = LanguageForm(formdata=None, next=request.full_path.rstrip("?"), **visitor)
    return {"language_form": form}
