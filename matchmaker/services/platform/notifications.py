"""The notification centre: in-app messages plus e-mail, rendered in each reader's language."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import Notification, User
from matchmaker.models.base import utcnow
from matchmaker.services.platform.amounts import format_money
from matchmaker.services.platform.links import absolute
from matchmaker.services.platform.mail import send_email

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

#: kind -> (subject, body); bodies take the notification's params as named placeholders.
MESSAGES: dict[str, tuple[Any, Any]] = {
    "listing.submitted": (
        _l("已提交审核：%(title)s"),
        _l("“%(title)s”已提交平台审核，审核结果会通知你。"),
    ),
    "listing.approved": (
        _l("审核通过：%(title)s"),
        _l("“%(title)s”已通过审核并公开展示，有效期至 %(expires)s。"),
    ),
    "listing.rejected": (
        _l("需要修改：%(title)s"),
        _l(
            "“%(title)s”未通过审核（%(reason_label)s），请按审核意见修改后重新提交。审核意见：%(reason)s。"
        ),
    ),
    "listing.expiring": (
        _l("即将到期：%(title)s"),
        _l("“%(title)s”将于 %(expires)s 到期。如果仍然有效，请登录平台点击“确认仍有效”延长展示。"),
    ),
    "listing.expired": (
        _l("已到期下架：%(title)s"),
        _l("“%(title)s”未在到期前确认，已从公开列表下架。你可以修改后重新提交。"),
    ),
    "expert.approved": (
        _l("专家档案审核通过：%(title)s"),
        _l("专家档案“%(title)s”已通过审核并在人才页面公开展示，有效期至 %(expires)s。"),
    ),
    "expert.rejected": (
        _l("专家档案需要修改：%(title)s"),
        _l(
            "专家档案“%(title)s”未通过审核（%(reason_label)s），请按审核意见修改后重新提交。审核意见：%(reason)s。"
        ),
    ),
    "expert.expiring": (
        _l("专家档案即将到期：%(title)s"),
        _l("专家档案“%(title)s”将于 %(expires)s 到期下架。如需继续展示，请更新后重新提交审核。"),
    ),
    "expert.expired": (
        _l("专家档案已到期下架：%(title)s"),
        _l("专家档案“%(title)s”已到期，已从人才页面下架。你可以更新后重新提交审核。"),
    ),
    "listing.review_needed": (
        _l("新的待审核内容：%(title)s"),
        _l("%(org)s 提交了“%(title)s”，请在审核队列中处理。"),
    ),
    "listing.review_digest": (
        _l("审核队列：%(n)d 条内容待审核"),
        _l("审核队列中有 %(n)d 条内容待审核，等待最久的是“%(oldest)s”（%(since)s 提交）。"),
    ),
    "alerts.search": (
        _l("订阅提醒：%(name)s 有 %(n)d 条新内容"),
        _l("你保存的搜索“%(name)s”有 %(n)d 条新发布的匹配内容。"),
    ),
    "alerts.follow": (
        _l("关注提醒：%(name)s 有 %(n)d 条新匹配"),
        _l("你关注的“%(name)s”有 %(n)d 条新的推荐匹配。"),
    ),
    "challenge.published": (
        _l("已发榜：%(title)s"),
        _l("“%(title)s”已发布为揭榜挂帅榜单，揭榜截止日期 %(deadline)s。"),
    ),
    "challenge.submitted": (
        _l("榜单已提交审核：%(title)s"),
        _l("榜单“%(title)s”已提交平台审核，审核通过后公开，结果会通知你。"),
    ),
    "challenge.approved": (
        _l("榜单审核通过：%(title)s"),
        _l("榜单“%(title)s”已通过审核并公开，揭榜截止日期 %(deadline)s。"),
    ),
    "challenge.rejected": (
        _l("榜单需要修改：%(title)s"),
        _l(
            "榜单“%(title)s”未通过审核（%(reason_label)s），请按审核意见修改后重新提交。审核意见：%(reason)s。"
        ),
    ),
    "challenge.invited": (
        _l("邀请揭榜：%(title)s"),
        _l("%(org)s 邀请你的机构揭榜“%(title)s”，截止日期 %(deadline)s。"),
    ),
    "challenge.closed": (
        _l("揭榜已截止：%(title)s"),
        _l("“%(title)s”已截止申请，共收到 %(n)d 份揭榜申请，请开始评审。"),
    ),
    "challenge.unawarded": (
        _l("榜单未揭榜：%(title)s"),
        _l("“%(title)s”已结束，未选定揭榜方。"),
    ),
    "challenge.withdrawn": (
        _l("榜单已撤下：%(title)s"),
        _l("“%(title)s”已被发榜方撤下：%(reason)s。"),
    ),
    "application.submitted": (
        _l("新的揭榜申请：%(title)s"),
        _l("%(org)s 提交了“%(title)s”的揭榜申请。"),
    ),
    "application.withdrawn": (
        _l("揭榜申请已撤回：%(title)s"),
        _l("%(org)s 撤回了“%(title)s”的揭榜申请。"),
    ),
    "application.shortlisted": (
        _l("揭榜申请进入初选：%(title)s"),
        _l("你对“%(title)s”的揭榜申请已进入初选名单。"),
    ),
    "application.finalist": (
        _l("揭榜申请进入终审：%(title)s"),
        _l("你对“%(title)s”的揭榜申请已进入终审，将由评审专家评分。"),
    ),
    "application.selected": (
        _l("揭榜成功：%(title)s"),
        _l("你的机构被选定为“%(title)s”的揭榜方，请与发榜方签订技术合同。"),
    ),
    "application.declined": (
        _l("揭榜申请未入选：%(title)s"),
        _l("你对“%(title)s”的揭榜申请未入选（%(reason_label)s）：%(reason)s。"),
    ),
    "panel.added": (
        _l("评审邀请：%(title)s"),
        _l("你已被加入“%(title)s”的评审专家组，请为终审申请评分。"),
    ),
    "panel.accepted": (
        _l("评审邀请已接受：%(title)s"),
        _l("%(name)s 接受了你的邀请，已加入“%(title)s”的评审专家组。"),
    ),
    "adoption.requested": (
        _l("新的成果承接申请：%(title)s"),
        _l("%(org)s 申请承接成果“%(title)s”。"),
    ),
    "adoption.accepted": (
        _l("承接申请已同意：%(title)s"),
        _l("成果“%(title)s”的持有方同意了你的承接申请，请签订技术合同。"),
    ),
    "adoption.declined": (
        _l("承接申请未获同意：%(title)s"),
        _l("成果“%(title)s”的持有方未同意你的承接申请：%(reason)s。"),
    ),
    "deal.recorded": (
        _l("技术合同已登记：%(title)s"),
        _l("“%(title)s”的技术合同已在平台登记。"),
    ),
    "deal.completed": (
        _l("合同已完成验收：%(title)s"),
        _l("“%(title)s”的全部里程碑已通过验收，合作完成。"),
    ),
    "deal.terminated": (
        _l("技术合同已终止：%(title)s"),
        _l("“%(title)s”的技术合同已终止：%(reason)s。"),
    ),
    "milestone.submitted": (
        _l("里程碑待验收：%(milestone)s"),
        _l("“%(title)s”的里程碑“%(milestone)s”已提交交付材料，请验收。"),
    ),
    "milestone.accepted": (
        _l("里程碑已通过验收：%(milestone)s"),
        _l("“%(title)s”的里程碑“%(milestone)s”已通过验收。"),
    ),
    "milestone.rework": (
        _l("里程碑需要返工：%(milestone)s"),
        _l("“%(title)s”的里程碑“%(milestone)s”未通过验收：%(reason)s。请修改后重新提交。"),
    ),
    "trial.ending": (
        _l("试用期即将结束：%(title)s"),
        _l("“%(title)s”的先使用后付费试用期将于 %(end)s 结束，请决定付费、退回或延长试用。"),
    ),
    "trial.overdue": (
        _l("试用期已过期：%(title)s"),
        _l("“%(title)s”的试用期已于 %(end)s 结束，尚未决定付费、退回或延长试用。"),
    ),
    "trial.ended": (
        _l("试用期结果（%(outcome)s）：%(title)s"),
        _l("“%(title)s”的试用期结果：%(outcome)s（试用期至 %(end)s）。"),
    ),
    # 科技金融 (params: bank, firm, product, amount, reason, title, when)
    "lead.requested": (
        _l("%(bank)s 希望与贵企业对接"),
        _l("%(bank)s 请求与贵企业联系（产品：%(product)s）。请在平台上同意或婉拒。"),
    ),
    "lead.accepted": (
        _l("%(firm)s 同意对接"),
        _l("%(firm)s 已同意贵行的对接请求，可以开始联系。"),
    ),
    "lead.declined": (
        _l("%(firm)s 婉拒了对接请求"),
        _l("%(firm)s 婉拒了贵行的对接请求。"),
    ),
    "lead.withdrawn": (
        _l("%(bank)s 撤回了对接请求"),
        _l("%(bank)s 撤回了与贵企业的对接请求。"),
    ),
    "lead.approved": (
        _l("%(bank)s 已批准授信"),
        _l("%(bank)s 已批准授信 %(amount)s（产品：%(product)s）。"),
    ),
    "lead.rejected": (
        _l("%(bank)s 未批准授信"),
        _l("%(bank)s 未批准本次授信：%(reason)s。"),
    ),
    "lead.disbursed": (
        _l("%(bank)s 已放款"),
        _l("%(bank)s 已放款 %(amount)s。"),
    ),
    "consent.expiring": (
        _l("企业画像授权即将到期"),
        _l("贵企业对银行的画像授权将于 %(when)s 到期，到期后银行将无法查看。"),
    ),
    "event.published": (
        _l("银企对接会：%(title)s"),
        _l("“%(title)s”将于 %(when)s 举行，欢迎报名。"),
    ),
    "event.scheduled": (
        _l("对接会日程已安排：%(title)s"),
        _l("“%(title)s”的一对一洽谈已排定，请在平台上查看时间和对象。"),
    ),
    "event.cancelled": (
        _l("活动已取消：%(title)s"),
        _l("“%(title)s”已取消。"),
    ),
    # 对接 (params: title, org; message bodies never go into a notification)
    "enquiry.received": (
        _l("新的对接请求：%(title)s"),
        _l("%(org)s 就“%(title)s”向贵机构发起对接请求，请在平台上接受、婉拒或要求补充信息。"),
    ),
    "enquiry.accepted": (
        _l("对接请求已被接受：%(title)s"),
        _l("%(org)s 接受了你就“%(title)s”发起的对接请求，双方联系方式已互相公开，可以开始洽谈。"),
    ),
    "enquiry.declined": (
        _l("对接请求未被接受：%(title)s"),
        _l("%(org)s 婉拒了你就“%(title)s”发起的对接请求（%(reason_label)s），请在平台上查看说明。"),
    ),
    "enquiry.info_requested": (
        _l("对方希望补充信息：%(title)s"),
        _l("%(org)s 希望你就“%(title)s”的对接请求补充信息，请在平台上答复。"),
    ),
    "enquiry.info_provided": (
        _l("对方已补充信息：%(title)s"),
        _l("%(org)s 已就“%(title)s”的对接请求补充信息，请在平台上答复。"),
    ),
    "enquiry.withdrawn": (
        _l("对接请求已撤回：%(title)s"),
        _l("%(org)s 撤回了就“%(title)s”发起的对接请求。"),
    ),
    "enquiry.reminder": (
        _l("对接请求待答复：%(title)s"),
        _l("%(org)s 就“%(title)s”发起的对接请求已等待 %(days)d 个工作日，请尽快答复。"),
    ),
    "enquiry.message": (
        _l("新的洽谈消息：%(title)s"),
        _l("%(org)s 在“%(title)s”的洽谈中发来了新消息，请登录平台查看。"),
    ),
    "enquiry.closed": (
        _l("洽谈已结束（%(outcome)s）：%(title)s"),
        _l("%(org)s 结束了“%(title)s”的洽谈，结果：%(outcome)s。"),
    ),
    "enquiry.reported": (
        _l("洽谈消息被举报：%(title)s"),
        _l("%(org)s 举报了“%(title)s”洽谈中的一条消息，请在管理后台处理。"),
    ),
    # 技术经纪人的引荐 (params: title, need, org, broker)
    "enquiry.introduced": (
        _l("经纪人引荐：%(title)s"),
        _l(
            "技术经纪人 %(broker)s 为贵机构的需求“%(need)s”引荐了“%(title)s”，"
            "请在平台上确认发起对接或谢绝。"
        ),
    ),
    "enquiry.introduction_received": (
        _l("经纪人引荐的对接请求：%(title)s"),
        _l(
            "%(org)s 经技术经纪人 %(broker)s 引荐，就“%(title)s”向贵机构发起对接请求，"
            "请在平台上接受、婉拒或要求补充信息。"
        ),
    ),
    "enquiry.introduction_consented": (
        _l("引荐已被确认：%(title)s"),
        _l("%(org)s 确认了你为需求“%(need)s”引荐的“%(title)s”，对接请求已发给对方。"),
    ),
    "enquiry.introduction_refused": (
        _l("引荐未被接受：%(title)s"),
        _l("%(org)s 谢绝了你为需求“%(need)s”引荐的“%(title)s”，原因请在“我的引荐”中查看。"),
    ),
    # 技术经纪人 (params: reason, title)
    "broker.verified": (
        _l("技术经纪人证书已核验"),
        _l("管理员已核验你的技术经纪人证书，现在可以认领需求并进行引荐。"),
    ),
    "broker.rejected": (
        _l("技术经纪人证书未通过核验"),
        _l("你的技术经纪人证书未通过核验：%(reason)s。如有疑问，请联系平台管理员。"),
    ),
    "broker.suspended": (
        _l("技术经纪人资格已暂停"),
        _l("你的技术经纪人资格已被暂停：%(reason)s。暂停期间不能认领需求或引荐。"),
    ),
    "broker.reinstated": (
        _l("技术经纪人资格已恢复"),
        _l("你的技术经纪人资格已恢复，可以继续跟进需求和引荐。"),
    ),
    "broker.assigned": (
        _l("新的跟进需求：%(title)s"),
        _l("管理员请你跟进需求“%(title)s”，请在工作台查看。"),
    ),
    "broker.unassigned": (
        _l("需求跟进已结束：%(title)s"),
        _l("管理员结束了你对需求“%(title)s”的跟进。"),
    ),
}


@dataclass(frozen=True)
class EmailGroup:
    """A group of notification kinds a user can stop receiving by e-mail (in-app stays)."""

    code: str
    prefixes: tuple[str, ...]
    label: Any
    description: Any
    optional: bool = True


#: The e-mail groups a user chooses from; a kind belongs to the first group with its prefix.
#: "account" (password reset, invitations, organisation review) can never be turned off; a kind
#: no group claims counts as an account mail, so it is never suppressed by accident.
ACCOUNT = "account"
EMAIL_GROUPS: tuple[EmailGroup, ...] = (
    EmailGroup(
        "listings",
        ("listing.",),
        _l("成果与需求发布"),
        _l("提交审核、审核结果、到期提醒和下架。"),
    ),
    EmailGroup(
        "experts",
        ("expert.",),
        _l("专家档案"),
        _l("专家档案的审核结果、到期提醒和下架。"),
    ),
    EmailGroup(
        "brokers",
        ("broker.",),
        _l("技术经纪人"),
        _l("技术经纪人证书的核验结果、资格暂停与恢复、管理员分派和结束的需求跟进。"),
    ),
    EmailGroup(
        "challenges",
        ("challenge.", "application.", "panel."),
        _l("揭榜挂帅"),
        _l("榜单发布与邀请、揭榜申请进展、评审邀请。"),
    ),
    EmailGroup(
        "deals",
        ("deal.", "milestone.", "trial.", "adoption."),
        _l("承接与技术合同"),
        _l("成果承接申请、合同登记、里程碑验收和试用期。"),
    ),
    EmailGroup(
        "finance",
        ("lead.", "consent.", "event."),
        _l("科技金融"),
        _l("银行对接请求、授信与放款进展、画像授权到期和银企对接会。"),
    ),
    EmailGroup(
        "connect",
        ("enquiry.",),
        _l("对接"),
        _l("对接请求及其答复、待答复提醒、洽谈消息和洽谈结束。"),
    ),
    EmailGroup(
        "alerts",
        ("alerts.",),
        _l("订阅提醒"),
        _l("保存的搜索和关注内容的新匹配摘要。"),
    ),
    EmailGroup(
        ACCOUNT,
        (),
        _l("账号与安全"),
        _l("重设密码、机构邀请和机构审核结果等邮件，无法关闭。"),
        optional=False,
    ),
)
OPTIONAL_GROUPS: tuple[str, ...] = tuple(g.code for g in EMAIL_GROUPS if g.optional)


def email_group(kind: str) -> str:
    """The code of the e-mail group a notification kind belongs to (unknown kinds: account)."""
    for group in EMAIL_GROUPS:
        if kind.startswith(group.prefixes):
            return group.code
    return ACCOUNT


def wants_email(user: User, kind: str) -> bool:
    """Whether the user receives e-mails of this kind (account mails always go out)."""
    group = email_group(kind)
    return group not in OPTIONAL_GROUPS or group not in (user.email_opt_out or [])


def set_email_opt_out(*, user: User, groups: Iterable[str]) -> list[str]:
    """Store which optional e-mail groups the user does not want (unknown codes dropped)."""
    chosen = set(groups)
    user.email_opt_out = [code for code in OPTIONAL_GROUPS if code in chosen]
    db.session.flush()
    return user.email_opt_out


#: Placeholders that show a coded choice (an outcome, a reason) -> the param holding its code.
#: Notifications store the code (`reason_code`: "duplicate", `outcome_code`: "pay"); older ones
#: stored the Chinese label itself (`reason_label`: "疑似重复", `outcome`: "付费"), found by a
#: reverse lookup. Both are shown in the reader's language when the notification is displayed.
LABELLED_PARAMS = {"outcome": "outcome_code", "reason_label": "reason_code"}
#: A person's free text that the message follows with its own full stop.
_TRAILING_STOP = "。.．;；，, "


def _code_tables() -> dict[str, Any]:
    """kind -> the code table of its coded param: a code is unique only within one table
    ("other" is in every one)."""
    from matchmaker.models.enquiry import ENQUIRY_DECLINE_LABELS, OUTCOME_LABELS
    from matchmaker.models.listing import REVIEW_REASON_LABELS
    from matchmaker.services.challenges.challenge_states import DECLINE_LABELS, TRIAL_LABELS

    return {
        "listing.rejected": REVIEW_REASON_LABELS,
        "expert.rejected": REVIEW_REASON_LABELS,
        "challenge.rejected": REVIEW_REASON_LABELS,
        "application.declined": DECLINE_LABELS,
        "enquiry.declined": ENQUIRY_DECLINE_LABELS,
        "enquiry.closed": OUTCOME_LABELS,
        "trial.ended": TRIAL_LABELS,
    }


def _label_tables() -> dict[str, Any]:
    """Every choice label a notification may carry: code -> label, and Chinese label -> label
    (for rows stored before codes, and kinds without a table of their own)."""
    tables: dict[str, Any] = {}
    for table in _code_tables().values():
        for code, label in table.items():
            tables.setdefault(str(code), label)
            msgid = getattr(label, "_args", (None,))[0]  # a lazy label's Chinese msgid
            if isinstance(msgid, str):
                tables.setdefault(msgid, label)
    return tables


def display_params(params: dict[str, Any], kind: str | None = None) -> dict[str, Any]:
    """A notification's params as the reader sees them: codes and stored Chinese labels in the
    reader's language, amounts in their money format, free-text reasons without a final stop."""
    shown = dict(params)
    tables: dict[str, Any] | None = None
    for name, code_param in LABELLED_PARAMS.items():
        code = shown.get(code_param)
        own = _code_tables().get(kind or "", {}) if isinstance(code, str) else {}
        if isinstance(code, str) and code in own:
            shown[name] = str(own[code])
            continue
        value = code if isinstance(code, str) else shown.get(name)
        if isinstance(value, str):
            tables = tables if tables is not None else _label_tables()
            shown[name] = str(tables[value]) if value in tables else shown.get(name, value)
    if isinstance(shown.get("reason"), str):
        shown["reason"] = shown["reason"].rstrip(_TRAILING_STOP) or shown["reason"]
    if "amount" in shown:  # stored in 万元, shown in the reader's one money format
        with suppress(ArithmeticError, ValueError):
            shown["amount"] = format_money(shown["amount"], negotiable=False)
    return shown


def render(kind: str, params: dict[str, Any]) -> tuple[str, str]:
    """The subject and body of a notification in the current locale."""
    subject, body = MESSAGES.get(kind, (kind, ""))
    params = display_params(params, kind)
    return str(subject) % params, str(body) % params


def notify(
    *,
    users: Iterable[User],
    kind: str,
    params: dict[str, Any],
    link: str | None = None,
    email: bool = True,
) -> list[Notification]:
    """Add an in-app notification for each active user and e-mail it in their language.

    The e-mail is skipped for users who opted out of the kind's group (see EMAIL_GROUPS).
    """
    created = []
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    for user in users:
        if not user.is_active:
            continue
        note = Notification(user_id=user.id, kind=kind, params=params, link=link)
        db.session.add(note)
        created.append(note)
        if email and wants_email(user, kind):
            with force_locale(user.locale or default):
                subject, body = render(kind, params)
            mailed = f"\n\n{absolute(link)}" if link else ""  # a path: the public URL's
            send_email(to=user.email, subject=subject, body=body + mailed)
    db.session.flush()
    return created


def unread_count(user: User) -> int:
    """How many notifications the user has not read."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def notifications_query(user: User) -> sa.Select:
    """The user's notifications, newest first."""
    return (
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one (or all) of the user's notifications read; returns how many changed."""
    stmt = sa.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    # SQLAlchemy 2.0 types every execute() as Result; an UPDATE's is a CursorResult.
    result = cast("CursorResult[Any]", db.session.execute(stmt.values(read_at=utcnow())))
    return result.rowcount or 0
