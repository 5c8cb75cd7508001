"""Writing the append-only audit log, and reading it as a person (labels, titles, values)."""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import AuditLog, User
from matchmaker.services.platform import security_events, uow
from matchmaker.services.platform.amounts import format_money

#: The client address of the current request; the web layer sets it, the CLI leaves it empty.
current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)


def record_audit(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditLog:
    """Append one audit record to the session (the caller commits with the change itself)."""
    entry = AuditLog(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=before,
        after=after,
        reason=reason,
        ip=current_ip.get(),
    )
    db.session.add(entry)
    _security_event(actor, action, object_type, entry.object_id)
    return entry


def _security_event(actor: User | None, action: str, object_type: str, object_id: Any) -> None:
    """An administrator's audited change (approve, reject, verify, suspend, activate,
    deactivate, terminate sessions, a role) as the security event `admin.action`, written once
    it is committed: a change that rolls back did not happen."""
    if actor is None or not actor.is_admin:
        return
    fields: dict[str, Any] = {
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "actor_id": actor.id,
    }
    uow.after_commit(lambda: security_events.event("admin.action", **fields))


@dataclass(frozen=True)
class AuditFilter:
    """Criteria for reading the audit log."""

    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    actor_email: str | None = None
    since: date | None = None
    until: date | None = None


def audit_query(criteria: AuditFilter) -> sa.Select:
    """Audit records matching the criteria, newest first."""
    stmt = sa.select(AuditLog).options(selectinload(AuditLog.actor))
    if criteria.action:
        stmt = stmt.where(AuditLog.action.startswith(criteria.action.strip()[:64], autoescape=True))
    if criteria.object_type:
        stmt = stmt.where(AuditLog.object_type == criteria.object_type.strip()[:32])
    if criteria.object_id:
        stmt = stmt.where(AuditLog.object_id == criteria.object_id.strip()[:64])
    if criteria.actor_email:
        stmt = stmt.join(User, AuditLog.actor_id == User.id).where(
            User.email == criteria.actor_email.strip().lower()
        )
    if criteria.since:
        stmt = stmt.where(AuditLog.created_at >= datetime.combine(criteria.since, time.min, UTC))
    if criteria.until:
        end = datetime.combine(criteria.until, time.min, UTC) + timedelta(days=1)
        stmt = stmt.where(AuditLog.created_at < end)
    return stmt.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())


def audit_actions() -> list[str]:
    """Every action name recorded so far (for the filter's dropdown)."""
    return list(db.session.scalars(sa.select(AuditLog.action).distinct().order_by(AuditLog.action)))


# --- Reading the log as a person: labels for codes, titles for objects, decoded values ---

#: What kind of record an entry is about (the part of the action code before the dot).
OBJECT_LABELS: dict[str, Any] = {
    "result": _l("科技成果"),
    "need": _l("技术需求"),
    "challenge": _l("揭榜挂帅榜单"),
    "application": _l("揭榜申请"),
    "offer": _l("成果转化清单"),
    "adoption": _l("采用申请"),
    "deal": _l("技术合同"),
    "milestone": _l("合同里程碑"),
    "enquiry": _l("对接"),
    "organisation": _l("机构"),
    "user": _l("账号"),
    "invitation": _l("邀请"),
    "field": _l("技术领域"),
    "lead": _l("融资对接"),
    "product": _l("贷款产品"),
    "financing_need": _l("融资需求"),
    "finance_event": _l("融资活动"),
    "event_meeting": _l("活动洽谈"),
    "firm_profile": _l("企业画像"),
    "consent": _l("数据授权"),
    "score_formula": _l("评分公式"),
    "file": _l("上传文件"),
}

#: The kind of ONE record, as the audit log's object column names it ("需求" / "Need", not the
#: plural of a list heading such as "技术需求" / "Technical needs").
OBJECT_LABELS_ONE: dict[str, Any] = {
    **OBJECT_LABELS,
    "result": _l("成果"),
    "need": _l("需求"),
}

#: What was done (the part after the dot), shared by every kind of record.
VERB_LABELS: dict[str, Any] = {
    "create": _l("创建"),
    "update": _l("修改"),
    "edit": _l("修改"),
    "submit": _l("提交审核"),
    "resubmit": _l("重新提交"),
    "retract": _l("撤回审核"),
    "approve": _l("审核通过"),
    "reject": _l("驳回"),
    "revise": _l("修改后重新审核"),
    "withdraw": _l("撤下"),
    "expire": _l("到期下架"),
    "confirm": _l("确认仍有效"),
    "publish": _l("发布"),
    "republish": _l("重新发布"),
    "close": _l("关闭"),
    "reopen": _l("重新开放"),
    "award": _l("选定揭榜方"),
    "unaward": _l("未揭榜结束"),
    "contract": _l("签订合同"),
    "start": _l("开始执行"),
    "accept": _l("接受"),
    "decline": _l("拒绝"),
    "terminate": _l("终止"),
    "invite": _l("邀请"),
    "review": _l("审核"),
    "redraft": _l("退回修改"),
    "shortlist": _l("入围"),
    "finalist": _l("进入终评"),
    "select": _l("选定"),
    "attach": _l("添加附件"),
    "attachment_add": _l("添加附件"),
    "attachment_remove": _l("删除附件"),
    "score": _l("评分"),
    "complete": _l("完成"),
    "return": _l("退回"),
    "progress": _l("更新进度"),
    "rework": _l("要求返工"),
    "contact": _l("开始联系"),
    "disburse": _l("放款"),
    "request": _l("发起对接"),
    "satisfy": _l("已满足"),
    "schedule": _l("排期"),
    "finish": _l("结束"),
    "cancel": _l("取消"),
    "cancel_reason": _l("填写取消原因"),
    "arrange": _l("安排洽谈"),
    "record": _l("记录"),
    "register": _l("报名"),
    "unregister": _l("取消报名"),
    "generate": _l("生成活动"),
    "outcome": _l("记录洽谈结果"),
    "hold": _l("举行"),
    "ask_info": _l("请求补充信息"),
    "provide_info": _l("补充信息"),
    "message": _l("发送消息"),
    "record_deal": _l("记录成交"),
    "report": _l("举报"),
    "block": _l("屏蔽"),
    "unblock": _l("取消屏蔽"),
    "grant": _l("授权"),
    "revoke": _l("撤销授权"),
    "verify": _l("认证通过"),
    "activate": _l("启用"),
    "deactivate": _l("停用"),
    "terminate_sessions": _l("强制下线"),
    "password_change": _l("修改密码"),
    "password_reset": _l("重置密码"),
    "mfa_enable": _l("开启两步验证"),
    "mfa_disable": _l("关闭两步验证"),
    "mfa_reset": _l("重置两步验证"),
    "mfa_recovery_codes": _l("重新生成恢复码"),
    "create_admin": _l("创建管理员"),
    "create_bureau": _l("创建科技局只读账号"),
    "panel_add": _l("添加评审专家"),
    "panel_invite": _l("邀请评审专家"),
    "milestone_add": _l("添加里程碑"),
    "trial_pay": _l("试用后付费"),
    "trial_return": _l("试用后退回"),
    "trial_extend": _l("延长试用"),
    "trial_overdue": _l("试用逾期"),
}

#: Keys of the before/after records, as a person reads them.
VALUE_LABELS: dict[str, Any] = {
    "status": _l("状态"),
    "fields": _l("修改的字段"),
    "reason": _l("原因"),
    "title": _l("标题"),
    "name": _l("名称"),
    "code": _l("代码"),
    "name_en": _l("英文名称"),
    "position": _l("排序"),
    "is_active": _l("启用"),
    "email": _l("邮箱"),
    "role": _l("角色"),
    "amount_wan": _l("金额"),
    "file": _l("文件"),
    "filename": _l("文件"),
    "trial_end": _l("试用截止"),
    "organisation_id": _l("机构"),
    "score": _l("评分"),
    "scan_status": _l("病毒扫描"),
}

#: Reasons are stored as "code: free text"; these are the codes, with the label shown instead.
_REASON_CODE = re.compile(r"^([a-z_]+): (.*)$", re.S)


def _reason_codes() -> dict[str, Any]:
    from matchmaker.models.enquiry import ENQUIRY_DECLINE_LABELS
    from matchmaker.models.listing import REVIEW_REASON_LABELS
    from matchmaker.services.challenges.challenge_states import DECLINE_LABELS

    return {
        **{str(k): v for k, v in ENQUIRY_DECLINE_LABELS.items()},
        **{str(k): v for k, v in DECLINE_LABELS.items()},
        **{str(k): v for k, v in REVIEW_REASON_LABELS.items()},
    }


#: Whole action codes whose verb means something else for that kind of record.
ACTION_LABELS: dict[str, Any] = {
    "organisation.register": _l("机构 · 注册"),
    "organisation.document_upload": _l("机构 · 上传证明材料"),
    "broker.register": _l("技术经纪人 · 注册"),
    "broker.verify": _l("技术经纪人 · 证书核验通过"),
    "broker.reject": _l("技术经纪人 · 证书未通过核验"),
    "broker.suspend": _l("技术经纪人 · 暂停资格"),
    "broker.reinstate": _l("技术经纪人 · 恢复资格"),
    "broker.claim": _l("技术经纪人 · 认领需求"),
    "broker.release": _l("技术经纪人 · 不再跟进需求"),
    "broker.assign": _l("技术经纪人 · 分配需求"),
    "broker.unassign": _l("技术经纪人 · 结束需求跟进"),
    "file.download": _l("上传文件 · 管理员下载待检文件"),
    "file.release": _l("上传文件 · 检查后放行"),
    "file.delete": _l("上传文件 · 检查后删除"),
}


def action_label(action: str) -> str:
    """The label of an action code ("result.approve" -> "科技成果 · 审核通过"), else the code."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    kind, _dot, verb = action.partition(".")
    if kind in OBJECT_LABELS and verb in VERB_LABELS:
        return f"{OBJECT_LABELS[kind]} · {VERB_LABELS[verb]}"
    return action


def action_choices(actions: list[str]) -> dict[str, list[tuple[str, str]]]:
    """The filter's options: one group per kind of record, human labels, the code as the value."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for action in actions:
        kind = action.partition(".")[0]
        group = str(OBJECT_LABELS.get(kind, kind))
        label = action_label(action)
        groups.setdefault(group, []).append((action, label.split(" · ", 1)[-1]))
    return {group: sorted(items, key=lambda i: i[1]) for group, items in sorted(groups.items())}


def reason_text(reason: str | None) -> str:
    """A reason as a person reads it: a leading reason code becomes its label."""
    if not reason:
        return ""
    match = _REASON_CODE.match(reason)
    codes = _reason_codes()
    if match and match.group(1) in codes:
        return f"{codes[match.group(1)]}：{match.group(2)}"
    if reason in codes:
        return str(codes[reason])
    return reason


def _value_text(value: Any, key: str = "") -> str:
    if value is None or value == "":
        return "—"
    if key.endswith("_wan") and not isinstance(value, bool | list | dict):
        try:  # an amount in 万元, in the page's one money format
            return format_money(value, negotiable=False)
        except (ArithmeticError, ValueError):
            return str(value)
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    if isinstance(value, list):
        return "、".join(_value_text(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{VALUE_LABELS.get(k, k)}：{_value_text(v, k)}" for k, v in value.items())
    return str(value)


@dataclass(frozen=True)
class ValueChange:
    """One key of an entry's before/after, decoded for reading."""

    key: str
    label: str
    before: Any
    after: Any
    has_before: bool

    @property
    def before_text(self) -> str:
        """The old value as text."""
        return _value_text(self.before, self.key)

    @property
    def after_text(self) -> str:
        """The new value as text."""
        return _value_text(self.after, self.key)


def value_changes(entry: AuditLog) -> list[ValueChange]:
    """The entry's before/after as labelled key: value pairs (no JSON, no escapes)."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(before) + [k for k in after if k not in before]
    return [
        ValueChange(
            key=k,
            label=str(VALUE_LABELS.get(k, k)),
            before=before.get(k),
            after=after.get(k),
            has_before=k in before,
        )
        for k in keys
    ]


#: Records an entry can point to by title: object_type -> (model, title attribute).
def _titled_models() -> dict[str, tuple[Any, str]]:
    from matchmaker.models import Challenge, Need, Organisation, Result

    return {
        "result": (Result, "title"),
        "need": (Need, "title"),
        "challenge": (Challenge, "title"),
        "organisation": (Organisation, "name"),
        "user": (User, "email"),
    }


def object_titles(entries: list[AuditLog]) -> dict[tuple[str, str], str]:
    """(object_type, object_id) -> the record's title, for the entries whose record still exists."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.object_id and entry.object_id.isdigit():
            wanted.setdefault(entry.object_type, set()).add(int(entry.object_id))
    titles: dict[tuple[str, str], str] = {}
    for kind, (model, attr) in _titled_models().items():
        ids = wanted.get(kind)
        if not ids:
            continue
        rows = db.session.execute(
            sa.select(model.id, getattr(model, attr)).where(model.id.in_(ids))
        )
        titles.update({(kind, str(row[0])): row[1] for row in rows})
    return titles
