"""Display labels of 科技金融 (lazy, so they follow the locale); exposed to every template."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from matchmaker.models import Collateral, ConsentScope, credit, firm

FIRM_SIZE_LABELS = {str(size): label for size, label in firm.FIRM_SIZE_LABELS.items()}
SPECIALISED_LABELS = {str(level): label for level, label in firm.SPECIALISED_LABELS.items()}
CONSENT_SCOPE_LABELS = {
    ConsentScope.BASIC: _l("基本信息"),
    ConsentScope.INNOVATION: _l("创新指标"),
    ConsentScope.FINANCIALS: _l("财务数据"),
    ConsentScope.ACTIVITY: _l("平台活动"),
}
CONSENT_SCOPE_HELP = {
    ConsentScope.BASIC: _l("行业、规模、地区、成立年份、主要产品和联系人。"),
    ConsentScope.INNOVATION: _l(
        "高新技术企业和专精特新资质、专利、获奖、研发强度和创新积分。创新积分总分也计入营收和研发"
        "投入的增长、平台活跃度；这些分项本身只在同时授权财务数据或平台活动时显示。"
    ),
    ConsentScope.FINANCIALS: _l("各年度营业收入和研发投入。"),
    ConsentScope.ACTIVITY: _l("在平台上发布的需求、揭榜、承接成果、技术合同和验收情况。"),
}
VIEW_ACTION_LABELS = {
    "view": _l("查看画像"),
    "export": _l("导出"),
    "shortlist": _l("加入关注名单"),
    "lead": _l("发起对接"),
}
PRODUCT_KIND_LABELS = {
    "sci_tech": _l("科创贷"),
    "ip_pledge": _l("知识产权质押贷"),
    "use_first": _l("先用后付贷"),
    "talent": _l("人才贷"),
    "credit": _l("信用贷"),
    "other": _l("其他"),
}
PRODUCT_STATUS_LABELS = {
    "draft": _l("草稿"),
    "published": _l("已发布"),
    "withdrawn": _l("已下架"),
}
COLLATERAL_LABELS = {
    Collateral.UNSECURED: _l("信用（无抵押）"),
    Collateral.IP_PLEDGE: _l("知识产权质押"),
    Collateral.PROPERTY: _l("房产或设备抵押"),
    Collateral.GUARANTEE: _l("第三方担保"),
    Collateral.RECEIVABLES: _l("应收账款质押"),
}
FINANCING_STATUS_LABELS = {
    "open": _l("融资中"),
    "satisfied": _l("已获得融资"),
    "closed": _l("已关闭"),
}
LEAD_STATUS_LABELS = {
    "requested": _l("待企业回复"),
    "accepted": _l("企业已同意"),
    "declined": _l("企业已婉拒"),
    "withdrawn": _l("银行已撤回"),
    "in_contact": _l("对接中"),
    "approved": _l("已授信"),
    "rejected": _l("未获授信"),
    "disbursed": _l("已放款"),
}
LEAD_STATUS_STYLES = {
    "requested": "warning",
    "accepted": "info",
    "declined": "secondary",
    "withdrawn": "secondary",
    "in_contact": "primary",
    "approved": "success",
    "rejected": "danger",
    "disbursed": "success",
}
CREDIT_REJECTION_LABELS = {
    str(code): label for code, label in credit.CREDIT_REJECTION_LABELS.items()
}
EVENT_STATUS_LABELS = {
    "draft": _l("草稿"),
    "open": _l("报名中"),
    "scheduled": _l("已排期"),
    "finished": _l("已结束"),
    "cancelled": _l("已取消"),
}
MEETING_STATUS_LABELS = {
    "proposed": _l("建议"),
    "confirmed": _l("已确认"),
    "held": _l("已洽谈"),
    "cancelled": _l("已取消"),
}
MEETING_OUTCOME_LABELS = {
    "no_fit": _l("暂不匹配"),
    "follow_up": _l("继续沟通"),
    "lead": _l("转为对接线索"),
    "credit_intent": _l("达成授信意向"),
    "no_show": _l("未到场"),
}

FINANCE_LABELS: dict[str, Any] = {
    "FIRM_SIZE_LABELS": FIRM_SIZE_LABELS,
    "SPECIALISED_LABELS": SPECIALISED_LABELS,
    "CONSENT_SCOPE_LABELS": CONSENT_SCOPE_LABELS,
    "CONSENT_SCOPE_HELP": CONSENT_SCOPE_HELP,
    "VIEW_ACTION_LABELS": VIEW_ACTION_LABELS,
    "PRODUCT_KIND_LABELS": PRODUCT_KIND_LABELS,
    "PRODUCT_STATUS_LABELS": PRODUCT_STATUS_LABELS,
    "COLLATERAL_LABELS": COLLATERAL_LABELS,
    "FINANCING_STATUS_LABELS": FINANCING_STATUS_LABELS,
    "LEAD_STATUS_LABELS": LEAD_STATUS_LABELS,
    "LEAD_STATUS_STYLES": LEAD_STATUS_STYLES,
    "CREDIT_REJECTION_LABELS": CREDIT_REJECTION_LABELS,
    "EVENT_STATUS_LABELS": EVENT_STATUS_LABELS,
    "MEETING_STATUS_LABELS": MEETING_STATUS_LABELS,
    "MEETING_OUTCOME_LABELS": MEETING_OUTCOME_LABELS,
    "ConsentScope": ConsentScope,
    "Collateral": Collateral,
}
