"""Display labels for coded values, shared by templates (lazy, so they follow the locale)."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.models import MODE_GROUPS, Mode, stage_for_trl
from matchmaker.models.listing import (
    MODE_LABELS,
    PATENT_STATUS_LABELS,
    REVIEW_REASON_LABELS,
)
from matchmaker.models.listing import STAGE_LABELS as _STAGE_LABELS
from matchmaker.services.platform.amounts import format_money

STATUS_LABELS = {
    "draft": _l("草稿"),
    "pending_review": _l("待审核"),
    "listed": _l("已上架"),
    "open": _l("征集中"),
    "withdrawn": _l("已撤下"),
    "expired": _l("已过期"),
    "transferred": _l("已转化"),
    "evaluating": _l("评审中"),
    "awarded": _l("已揭榜"),
    "contracted": _l("已签约"),
    "in_progress": _l("实施中"),
    "accepted": _l("已解决"),  # a challenge whose delivery was accepted
    "unawarded": _l("未揭榜"),
    "terminated": _l("已终止"),
    "challenge_review": _l("待审核"),  # a challenge waiting for the platform's review
    "challenge_returned": _l("已退回修改"),  # sent back by the reviewer
}
STATUS_STYLES = {
    "draft": "secondary",
    "pending_review": "warning",
    "listed": "success",
    "open": "success",
    "withdrawn": "dark",
    "expired": "danger",
    "transferred": "info",
    "challenge_review": "warning",
    "challenge_returned": "danger",
}
STAGE_LABELS = {str(stage): label for stage, label in _STAGE_LABELS.items()}
MODE_GROUP_LABELS = {
    "transfer": _l("转让"),
    "license": _l("许可"),
    "equity": _l("作价投资"),
    "cooperation": _l("合作开发"),
    "use_first": _l("先使用后付费"),
}
#: Price (and bounty) bands, written in the one money format of the page's language.
PRICE_LABELS = {
    "lt10": LazyString(lambda: _("%(amount)s以下", amount=format_money(10))),
    "10_50": LazyString(format_money, 10, 50),
    "50_100": LazyString(format_money, 50, 100),
    "100_500": LazyString(format_money, 100, 500),
    "gte500": LazyString(lambda: _("%(amount)s以上", amount=format_money(500))),
    "negotiable": _l("面议"),
}
SORT_LABELS = {
    "relevance": _l("相关度"),
    "newest": _l("最新"),
    "price_asc": _l("金额从低到高"),
    "price_desc": _l("金额从高到低"),
}
DIFF_LABELS = {
    "title": _l("标题"),
    "summary": _l("简介"),
    "keywords": _l("关键词"),
    "field": _l("技术领域"),
    "region": _l("所在地区"),
    "description": _l("详细介绍"),
    "trl": _l("技术成熟度"),
    "modes": _l("交易方式"),
    "amount": _l("金额"),
    "deadline": _l("截止日期"),
    "patents": _l("专利"),
    "software_copyrights": _l("软件著作权"),
    "trial_terms": _l("先使用后付费条件"),
    "team": _l("团队/发明人"),
    "targets": _l("预期目标"),
    "existing_base": _l("现有工作基础"),
    "attachments": _l("附件"),
}

JOB_LABELS = {
    "queued": _l("排队中"),
    "running": _l("运行中"),
    "done": _l("已完成"),
    "failed": _l("失败"),
}
FACTOR_LABELS = {
    "field": _l("同一技术领域"),
    "maturity": _l("成熟度相符"),
    "region": _l("同一地区"),
    "budget": _l("预算与价格相符"),
    "freshness": _l("新近发布"),
}


def mode_labels(bits: int | None) -> list[str]:
    """The labels of the modes in a bit set."""
    return [str(label) for mode, label in MODE_LABELS.items() if (bits or 0) & mode]


def stage_label(trl: int | None) -> str:
    """'TRL 6 · 中试'."""
    stage = stage_for_trl(trl)
    return f"TRL {trl} · {STAGE_LABELS[stage.value]}" if stage else "—"


TEMPLATE_LABELS: dict[str, Any] = {
    "STATUS_LABELS": STATUS_LABELS,
    "STATUS_STYLES": STATUS_STYLES,
    "STAGE_LABELS": STAGE_LABELS,
    "MODE_GROUP_LABELS": MODE_GROUP_LABELS,
    "PRICE_LABELS": PRICE_LABELS,
    "SORT_LABELS": SORT_LABELS,
    "REASON_LABELS": {str(k): v for k, v in REVIEW_REASON_LABELS.items()},
    "PATENT_STATUS": PATENT_STATUS_LABELS,
    "DIFF_LABELS": DIFF_LABELS,
    "FACTOR_LABELS": FACTOR_LABELS,
    "JOB_LABELS": JOB_LABELS,
    "mode_labels": mode_labels,
    "stage_label": stage_label,
    "MODE_GROUPS": MODE_GROUPS,
    "Mode": Mode,
}
