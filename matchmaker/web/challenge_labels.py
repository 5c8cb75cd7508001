"""Display labels of the 揭榜挂帅 pages (lazy, so they follow the locale) and the countdown."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from matchmaker.models.base import utcnow
from matchmaker.models.challenge import LICENCE_LABELS as _LICENCE_LABELS
from matchmaker.models.deal import PAYMENT_FORM_LABELS
from matchmaker.services.challenges.challenge_states import DECLINE_LABELS
from matchmaker.web.labels import PRICE_LABELS

IP_LABELS = {
    "owner": _l("发榜方所有"),
    "solver": _l("揭榜方所有"),
    "shared": _l("双方共有"),
    "negotiable": _l("协商确定"),
}
LICENCE_LABELS = {str(kind): label for kind, label in _LICENCE_LABELS.items()}
PAYMENT_LABELS = {str(form): label for form, label in PAYMENT_FORM_LABELS.items()}
VISIBILITY_LABELS = {"public": _l("公开榜"), "invite_only": _l("定向邀请榜")}
APPLICATION_STATUS_LABELS = {
    "draft": _l("草稿"),
    "submitted": _l("已提交"),
    "shortlisted": _l("入围初选"),
    "finalist": _l("进入终选"),
    "selected": _l("已选定"),
    "declined": _l("未入选"),
    "withdrawn": _l("已撤回"),
}
APPLICATION_STATUS_STYLES = {
    "draft": "secondary",
    "submitted": "primary",
    "shortlisted": "info",
    "finalist": "info",
    "selected": "success",
    "declined": "danger",
    "withdrawn": "dark",
}
OFFER_STATUS_LABELS = {"open": _l("转化榜上"), "closed": _l("已下榜")}
ADOPTION_STATUS_LABELS = {
    "submitted": _l("已提交"),
    "accepted": _l("已接受"),
    "declined": _l("未接受"),
    "withdrawn": _l("已撤回"),
}
#: The bounty bands of the challenge list are the price bands of the market's lists.
BAND_LABELS = PRICE_LABELS


def countdown(deadline: datetime | None, now: datetime | None = None) -> str:
    """'还剩 12 天', '还剩 5 小时', or '已截止' for an application deadline."""
    if deadline is None:
        return ""
    left = deadline - (now or utcnow())
    seconds = left.total_seconds()
    if seconds <= 0:
        return _("已截止")
    if left.days >= 1:
        return ngettext("还剩 %(num)d 天", "还剩 %(num)d 天", left.days)
    hours = int(seconds // 3600)
    if hours >= 1:
        return ngettext("还剩 %(num)d 小时", "还剩 %(num)d 小时", hours)
    return _("不到 1 小时")


#: A deadline is shown as urgent (red) only this close; further away the countdown is plain.
URGENT_WITHIN = timedelta(days=7)


def countdown_style(deadline: datetime | None, now: datetime | None = None) -> str:
    """The countdown badge's colour: 'danger' within URGENT_WITHIN of the deadline, else plain."""
    if deadline is None:
        return "secondary"
    return "danger" if deadline - (now or utcnow()) <= URGENT_WITHIN else "secondary"


CHALLENGE_LABELS: dict[str, Any] = {
    "IP_LABELS": IP_LABELS,
    "LICENCE_LABELS": LICENCE_LABELS,
    "PAYMENT_LABELS": PAYMENT_LABELS,
    "VISIBILITY_LABELS": VISIBILITY_LABELS,
    "APPLICATION_STATUS_LABELS": APPLICATION_STATUS_LABELS,
    "APPLICATION_STATUS_STYLES": APPLICATION_STATUS_STYLES,
    "DECLINE_LABELS": {str(k): v for k, v in DECLINE_LABELS.items()},
    "OFFER_STATUS_LABELS": OFFER_STATUS_LABELS,
    "ADOPTION_STATUS_LABELS": ADOPTION_STATUS_LABELS,
    "BAND_LABELS": BAND_LABELS,
    "countdown": countdown,
    "countdown_style": countdown_style,
}
