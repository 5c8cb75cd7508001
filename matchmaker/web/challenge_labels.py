"""Display labels of the 揭榜挂帅 pages (lazy, so they follow the locale) and the countdown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.models.base import utcnow
from matchmaker.services.challenges.challenge_states import DECLINE_LABELS

IP_LABELS = {
    "owner": _l("发榜方所有"),
    "solver": _l("揭榜方所有"),
    "shared": _l("双方共有"),
    "negotiable": _l("协商确定"),
}
LICENCE_LABELS = {
    "none": _l("不另行许可"),
    "exclusive": _l("独占许可"),
    "non_exclusive": _l("普通许可"),
    "open": _l("开放许可"),
}
PAYMENT_LABELS = {
    "lump_sum": _l("一次性支付"),
    "instalments": _l("分期支付"),
    "royalty": _l("提成支付"),
    "entry_fee_royalty": _l("入门费加提成"),
    "equity": _l("作价入股"),
    "use_first_pay_later": _l("先使用后付费"),
}
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
BAND_LABELS = {
    "lt10": _l("10 万元以下"),
    "10_50": _l("10–50 万元"),
    "50_100": _l("50–100 万元"),
    "100_500": _l("100–500 万元"),
    "gte500": _l("500 万元以上"),
    "negotiable": _l("面议"),
}


def countdown(deadline: datetime | None, now: datetime | None = None) -> str:
    """'还剩 12 天', '还剩 5 小时', or '已截止' for an application deadline."""
    if deadline is None:
        return ""
    left = deadline - (now or utcnow())
    seconds = left.total_seconds()
    if seconds <= 0:
        return _("已截止")
    if left.days >= 1:
        return _("还剩 %(n)d 天", n=left.days)
    hours = int(seconds // 3600)
    if hours >= 1:
        return _("还剩 %(n)d 小时", n=hours)
    return _("不到 1 小时")


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
}
