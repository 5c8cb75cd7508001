"""The audit log as a person reads it (issue 13 review, point 7).

An entry's before/after holds codes: field names, states, ids, ISO timestamps. Here they become
words in the reader's language: a label per field (per kind of record, then shared ones, then a
humanised form of the key, never raw snake_case), each state labelled by ITS record's life cycle
(a lead's `accepted` is 已接受, not a listing's 已解决), timestamps as China-time dates, and ids as
the name or title of the record, linked where the admin can open it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import (
    AdoptionRequest,
    Application,
    AuditLog,
    Challenge,
    ConversionOffer,
    Deal,
    Enquiry,
    Event,
    EventMeeting,
    FinancingNeed,
    Lead,
    LoanProduct,
    Milestone,
    Need,
    Organisation,
    Result,
    User,
)
from matchmaker.models.enquiry import ENQUIRY_STATUS_LABELS, INTENT_LABELS
from matchmaker.services.platform import audit
from matchmaker.services.platform.amounts import format_money
from matchmaker.services.platform.dates import format_date, format_datetime
from matchmaker.web import challenge_labels, finance_labels, labels, pipeline_labels

#: Field labels shared by every kind of record (audit.VALUE_LABELS adds the older ones).
FIELD_LABELS: dict[str, Any] = {
    **audit.VALUE_LABELS,
    "location": _l("地点"),
    "starts_at": _l("开始时间"),
    "ends_at": _l("结束时间"),
    "registration_closes_at": _l("报名截止"),
    "slot_minutes": _l("每场洽谈时长（分钟）"),
    "deadline_at": _l("揭榜截止"),
    "expires_at": _l("有效期至"),
    "lead_id": _l("融资对接"),
    "firm_org_id": _l("企业"),
    "product_id": _l("贷款产品"),
    "approved_product_id": _l("授信产品"),
    "financing_need_id": _l("融资需求"),
    "meeting_id": _l("活动洽谈"),
    "approved_amount_wan": _l("授信金额"),
    "disbursed_amount_wan": _l("放款金额"),
    "first_loan": _l("首贷"),
    "need_id": _l("需求"),
    "challenge_id": _l("榜单"),
    "result_id": _l("成果"),
    "offer_id": _l("成果转化清单"),
    "application_id": _l("揭榜申请"),
    "adoption_request_id": _l("采用申请"),
    "enquiry_id": _l("对接"),
    "milestone_id": _l("里程碑"),
    "user_id": _l("账号"),
    "organisation_ids": _l("机构"),
    "document_id": _l("证明材料"),
    "grant_id": _l("数据授权"),
    "outcome": _l("结果"),
    "payment_form": _l("付款方式"),
    "visibility": _l("榜单类型"),
    "is_expert": _l("评审专家"),
    "invited_by_id": _l("邀请人"),
    "is_government": _l("政府榜"),
    "wants_trial": _l("申请试用"),
    "feasibility": _l("可行性"),
    "maturity": _l("成熟度"),
    "price": _l("报价"),
    "team": _l("团队"),
    "intent": _l("合作意向"),
    "listing": _l("对接的成果或需求"),
    "source": _l("来源"),
    "term_months": _l("期限（月）"),
    "collateral": _l("担保方式"),
    "kind": _l("类型"),
    "credit_code": _l("统一社会信用代码"),
    "scopes": _l("授权范围"),
    "size": _l("文件大小（字节）"),
    "version": _l("版本"),
    "modes": _l("交易方式"),
    "amount": _l("额度"),
    "rate": _l("年利率"),
    "term": _l("期限（月）"),
    "min_score": _l("最低创新积分"),
    "field_ids": _l("技术领域"),
    "requires_high_tech": _l("要求高新技术企业"),
    "requires_specialised": _l("要求专精特新"),
    "cap": _l("名额上限"),
    "kept": _l("保留的洽谈"),
    "proposed": _l("建议的洽谈"),
}

#: Where a kind of record uses a key in its own sense.
TYPE_FIELD_LABELS: dict[str, dict[str, Any]] = {
    "deal": {"title": _l("里程碑"), "outcome": _l("试用结果")},
    "event_meeting": {"outcome": _l("洽谈结果")},
    "lead": {"reason": _l("未获授信原因")},
    "organisation": {"name": _l("名称或文件名"), "kind": _l("机构类型")},
    "product": {"kind": _l("产品类型")},
}

_ORG_STATUS = {"pending": _l("待认证"), "verified": _l("已认证"), "rejected": _l("未通过")}
_ORG_KIND = {
    "enterprise": _l("企业"),
    "university": _l("高校"),
    "institute": _l("科研院所"),
    "bank": _l("银行"),
    "government": _l("政府部门"),
}

#: Each kind of record's own state labels.
STATUS_BY_TYPE: dict[str, dict[str, Any]] = {
    "result": labels.STATUS_LABELS,
    "need": labels.STATUS_LABELS,
    "challenge": labels.STATUS_LABELS,
    "application": challenge_labels.APPLICATION_STATUS_LABELS,
    "offer": challenge_labels.OFFER_STATUS_LABELS,
    "adoption": challenge_labels.ADOPTION_STATUS_LABELS,
    "deal": pipeline_labels.DEAL_STATUS_LABELS,
    "milestone": pipeline_labels.MILESTONE_STATUS_LABELS,
    "enquiry": {str(k): v for k, v in ENQUIRY_STATUS_LABELS.items()},
    "lead": finance_labels.LEAD_STATUS_LABELS,
    "product": finance_labels.PRODUCT_STATUS_LABELS,
    "financing_need": finance_labels.FINANCING_STATUS_LABELS,
    "finance_event": finance_labels.EVENT_STATUS_LABELS,
    "event_meeting": finance_labels.MEETING_STATUS_LABELS,
    "organisation": _ORG_STATUS,
}

#: Other coded values: (kind of record or "*", key) -> labels.
CODE_LABELS: dict[tuple[str, str], dict[str, Any]] = {
    ("event_meeting", "outcome"): finance_labels.MEETING_OUTCOME_LABELS,
    ("deal", "outcome"): pipeline_labels.TRIAL_OUTCOME_LABELS,
    ("lead", "reason"): finance_labels.CREDIT_REJECTION_LABELS,
    ("product", "kind"): finance_labels.PRODUCT_KIND_LABELS,
    ("organisation", "kind"): _ORG_KIND,
    ("*", "payment_form"): pipeline_labels.PAYMENT_FORM_LABELS,
    ("*", "visibility"): challenge_labels.VISIBILITY_LABELS,
    ("*", "intent"): {str(k): v for k, v in INTENT_LABELS.items()},
    ("*", "fields"): labels.DIFF_LABELS,
}

#: Keys holding ids of other records: key -> kind of record.
REFERENCES: dict[str, str] = {
    "need_id": "need",
    "challenge_id": "challenge",
    "result_id": "result",
    "offer_id": "offer",
    "application_id": "application",
    "adoption_request_id": "adoption",
    "enquiry_id": "enquiry",
    "milestone_id": "milestone",
    "lead_id": "lead",
    "meeting_id": "event_meeting",
    "financing_need_id": "financing_need",
    "product_id": "product",
    "approved_product_id": "product",
    "organisation_id": "organisation",
    "organisation_ids": "organisation",
    "firm_org_id": "organisation",
    "user_id": "user",
    "invited_by_id": "user",
}

_ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


def humanise(key: str) -> str:
    """An unknown field name as words: "slot_minutes" -> "Slot minutes"."""
    words = key.replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def field_label(object_type: str, key: str) -> str:
    """A field's label for this kind of record, in the reader's language."""
    label = TYPE_FIELD_LABELS.get(object_type, {}).get(key) or FIELD_LABELS.get(key)
    return str(label) if label is not None else humanise(key)


@dataclass(frozen=True)
class Shown:
    """One value as shown: its text, and a link to its record when there is one."""

    text: str
    url: str | None = None


@dataclass(frozen=True)
class Change:
    """One field of an entry: label, old value(s) (None: not recorded), new value(s)."""

    key: str
    label: str
    before: tuple[Shown, ...] | None
    after: tuple[Shown, ...]


# --- records by id ----------------------------------------------------------------------------
def _org_name(org: Organisation | None) -> str:
    return org.name if org is not None else ""


#: kind of record -> (model, title, admin link or None)
_RECORDS: dict[str, tuple[Any, Callable[[Any], str], Callable[[Any], str] | None]] = {
    "result": (Result, lambda r: r.title, lambda r: url_for("market.result", listing_id=r.id)),
    "need": (Need, lambda r: r.title, lambda r: url_for("market.need", listing_id=r.id)),
    "challenge": (
        Challenge,
        lambda r: r.need.title,
        lambda r: url_for("challenges.show_challenge", challenge_id=r.id),
    ),
    "offer": (
        ConversionOffer,
        lambda r: r.result.title,
        lambda r: url_for("challenges.show_offer", offer_id=r.id),
    ),
    "application": (
        Application,
        lambda r: f"{_org_name(r.organisation)} · {r.challenge.need.title}",
        lambda r: url_for("challenges.show_challenge", challenge_id=r.challenge_id),
    ),
    "adoption": (
        AdoptionRequest,
        lambda r: f"{_org_name(r.organisation)} · {r.offer.result.title}",
        lambda r: url_for("challenges.show_offer", offer_id=r.offer_id),
    ),
    "deal": (Deal, lambda r: f"{_org_name(r.provider)} · {_org_name(r.client)}", None),
    "milestone": (Milestone, lambda r: r.title, None),
    "enquiry": (Enquiry, lambda r: f"#{r.id}", None),
    "lead": (
        Lead,
        lambda r: f"{_org_name(r.bank)} · {_org_name(r.firm)}",
        lambda r: url_for("finance.lead", lead_id=r.id),
    ),
    "event_meeting": (
        EventMeeting,
        lambda r: f"{_org_name(r.bank)} · {_org_name(r.firm)}",
        lambda r: url_for("events.show_event", event_id=r.event_id),
    ),
    "finance_event": (
        Event,
        lambda r: r.title,
        lambda r: url_for("events.show_event", event_id=r.id),
    ),
    "financing_need": (FinancingNeed, lambda r: r.title, None),
    "product": (
        LoanProduct,
        lambda r: r.name,
        lambda r: url_for("finance.product", product_id=r.id),
    ),
    "organisation": (
        Organisation,
        lambda r: r.name,
        lambda r: url_for("admin.show_organisation", org_id=r.id),
    ),
    "user": (User, lambda r: r.email, lambda r: url_for("admin.list_users", q=r.email)),
}


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [int(v) for v in values if isinstance(v, int) and not isinstance(v, bool)]


def load_records(entries: Iterable[AuditLog]) -> dict[tuple[str, int], Shown]:
    """(kind, id) -> the record as shown, for every record the entries name (loaded per kind)."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.object_id and entry.object_id.isdigit():
            wanted.setdefault(entry.object_type, set()).add(int(entry.object_id))
        for side in (entry.before or {}, entry.after or {}):
            for key, value in side.items():
                if key in REFERENCES:
                    wanted.setdefault(REFERENCES[key], set()).update(_ids(value))
                elif key == "listing" and isinstance(value, str):  # "result:10"
                    listing_kind, _colon, listing_id = value.partition(":")
                    if listing_id.isdigit():
                        wanted.setdefault(listing_kind, set()).add(int(listing_id))
    shown: dict[tuple[str, int], Shown] = {}
    for kind, ids in wanted.items():
        if kind not in _RECORDS or not ids:
            continue
        model, title, link = _RECORDS[kind]
        for record in db.session.scalars(sa.select(model).where(model.id.in_(ids))):
            shown[(kind, record.id)] = Shown(title(record), link(record) if link else None)
    return shown


# --- values -----------------------------------------------------------------------------------
def _text(value: Any, key: str, object_type: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    if key == "status":
        labels_ = STATUS_BY_TYPE.get(object_type, {})
        return str(labels_.get(str(value), humanise(str(value))))
    for scope in (object_type, "*"):
        codes = CODE_LABELS.get((scope, key))
        if codes is not None:
            return str(codes.get(str(value), humanise(str(value))))
    if key.endswith("_wan"):
        try:
            return format_money(value, negotiable=False)
        except (ArithmeticError, ValueError, TypeError):
            return str(value)
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            return format_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return "；".join(
            f"{field_label(object_type, k)}：{_text(v, k, object_type)}" for k, v in value.items()
        )
    return str(value)


def _shown(
    value: Any, key: str, object_type: str, records: dict[tuple[str, int], Shown]
) -> tuple[Shown, ...]:
    kind = REFERENCES.get(key)
    if kind is not None and _ids(value):
        return tuple(records.get((kind, i), Shown(f"#{i}")) for i in _ids(value))
    if key == "listing" and isinstance(value, str) and ":" in value:  # "result:10"
        listing_kind, _colon, listing_id = value.partition(":")
        if listing_id.isdigit() and (listing_kind, int(listing_id)) in records:
            return (records[(listing_kind, int(listing_id))],)
    if isinstance(value, list) and key == "fields":
        return (Shown("、".join(_text(v, key, object_type) for v in value)),)
    if isinstance(value, list):
        return (Shown("、".join(_text(v, "", object_type) for v in value) or "—"),)
    return (Shown(_text(value, key, object_type)),)


def entry_changes(entry: AuditLog, records: dict[tuple[str, int], Shown]) -> list[Change]:
    """The entry's before/after as labelled, decoded values (no codes, no raw keys)."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(before) + [k for k in after if k not in before]
    kind = entry.object_type
    return [
        Change(
            key=k,
            label=field_label(kind, k),
            before=_shown(before.get(k), k, kind, records) if k in before else None,
            after=_shown(after.get(k), k, kind, records),
        )
        for k in keys
    ]


def object_shown(entry: AuditLog, records: dict[tuple[str, int], Shown]) -> Shown | None:
    """The record an entry is about, as shown (None: it has no id or no longer exists)."""
    if entry.object_id and entry.object_id.isdigit():
        return records.get((entry.object_type, int(entry.object_id)))
    return None
