"""Saved searches and alerts: my subscriptions, subscribe, change, and one-click unsubscribe."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.extensions import csrf
from matchmaker.models import Subscription, SubscriptionKind
from matchmaker.services.market import alerts
from matchmaker.web.alerts.forms import SubscribeForm, SubscriptionForm
from matchmaker.web.forms import form_errors
from matchmaker.web.policy import is_safe_next, login_required, public

bp = Blueprint("alerts", __name__)
PREFIX = "alert"  # the subscribe form shares the list page with the search form's q, sort, ...


@bp.app_context_processor
def subscribe_forms() -> dict[str, Any]:
    """`alert_form(...)`: the subscribe form the list and detail pages render for members."""
    return {"alert_form": lambda **data: SubscribeForm(formdata=None, prefix=PREFIX, **data)}


def _target_url(subscription: Subscription) -> str:
    if subscription.kind == SubscriptionKind.FOLLOW:
        endpoint = "market.result" if subscription.target_kind == "result" else "market.need"
        return url_for(endpoint, listing_id=subscription.listing_id)
    endpoint = "market.results" if subscription.target_kind == "result" else "market.needs"
    return url_for(endpoint, **(subscription.criteria or {}))


def _row_form(subscription: Subscription, formdata: Any = None) -> SubscriptionForm:
    return SubscriptionForm(
        formdata=formdata,
        prefix=f"s{subscription.id}",
        frequency=subscription.frequency.value,
        action="save",
    )


@bp.get("/subscriptions")
@login_required
def index() -> str:
    """My saved searches and followed listings, with frequency and delete controls."""
    rows = [
        (sub, alerts.describe(sub), _target_url(sub), _row_form(sub))
        for sub in alerts.subscriptions_of(current_user)
    ]
    return render_template("alerts/index.html", rows=rows)


@bp.post("/subscriptions")
@login_required
def create() -> Response:
    """Save the list page's search, or follow a listing's matches."""
    form = SubscribeForm(prefix=PREFIX)
    target = form.next.data if is_safe_next(form.next.data) else url_for("alerts.index")
    if not form.validate_on_submit() or (form.kind.data == "follow" and not form.listing_id.data):
        flash(_("订阅没有保存：内容不完整。"), "warning")
        return redirect(target)
    with form_errors(None) as outcome:  # a refusal's reasons are flashed on the page it came from
        if form.kind.data == "search":
            alerts.save_search(
                actor=current_user,
                kind=form.target.data,
                args=form.data,
                frequency=form.frequency.data,
            )
        else:
            alerts.follow_listing(
                actor=current_user,
                kind=form.target.data,
                listing_id=form.listing_id.data,
                frequency=form.frequency.data,
            )
    if not outcome.ok:
        return redirect(target)
    flash(_("已订阅：新的匹配内容会通过站内消息和邮件提醒你。"), "success")
    return redirect(target)


@bp.post("/subscriptions/<int:subscription_id>")
@login_required
def update(subscription_id: int) -> Response:
    """Change a subscription's frequency, pause it, or delete it (mine only; others' are 404)."""
    subscription = alerts.get_own(actor=current_user, subscription_id=subscription_id)
    form = _row_form(subscription, request.form)
    if not form.validate_on_submit():
        flash(_("没有保存：请选择提醒频率。"), "warning")
        return redirect(url_for("alerts.index"))
    if form.action.data == "delete":
        alerts.delete_subscription(actor=current_user, subscription=subscription)
        message = _("订阅已删除。")
    else:
        alerts.update_subscription(
            actor=current_user,
            subscription=subscription,
            frequency=form.frequency.data,
            is_active=form.action.data == "save",
        )
        message = _("订阅已更新。") if form.action.data == "save" else _("订阅已暂停。")
    flash(message, "success")
    return redirect(url_for("alerts.index"))


def _private(page: str, status: int = 200) -> Response:
    response = Response(page, status=status)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/unsubscribe/<token>")
@public
def unsubscribe_page(token: str) -> Response:
    """What the e-mail's link would unsubscribe, with a button (a GET changes nothing)."""
    subscription = alerts.subscription_for_token(token)
    return _private(
        render_template(
            "alerts/unsubscribe.html",
            subscription=subscription,
            token=token,
            name=alerts.describe(subscription),
            done=False,
        )
    )


@bp.post("/unsubscribe/<token>")
@public
@csrf.exempt  # RFC 8058 one-click: mail clients POST without a session; the token authorises
def unsubscribe(token: str) -> Response:
    """Unsubscribe in one click (the page's button, or a mail client's List-Unsubscribe-Post)."""
    subscription = alerts.unsubscribe(token=token)
    return _private(
        render_template(
            "alerts/unsubscribe.html",
            subscription=subscription,
            token=token,
            name=alerts.describe(subscription),
            done=True,
        )
    )
