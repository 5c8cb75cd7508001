"""Demo 场景清单: three application scenarios the bureau published for their owners.

Played through the services as people would act: the admin publishes each scenario (a 政府榜,
so the admin then approves it from the review queue); 吉林大学 applies to the hospital's ward,
which is still open; 长春理工大学 applies to the low-altitude delivery scenario, which the
admin shortlists, closes and awards to it (已揭榜); the factory line has no application yet.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Organisation, User
from matchmaker.models.base import CHINA, utcnow
from matchmaker.services.challenges import applications, challenge_review, challenges, scenarios
from matchmaker.services.platform import taxonomy

SCENARIOS: tuple[dict[str, Any], ...] = (
    {
        "title": "智慧病房护理机器人应用场景",
        "description": (
            "长春市中心医院开放两间普通病房作为护理机器人试点场景：提供真实的夜间巡视、"
            "送药和体征记录工作流程，护士团队配合试用三个月，医院信息科提供院内网络接入。"
        ),
        "field": "biomedicine",
        "region": "changchun",
        "owner": "长春市中心医院",
        "site": "长春市朝阳区工农大路 1478 号住院部 8 楼",
        "criteria": "机器人在病房连续运行 30 天，夜间巡视覆盖率 100%，故障率低于 1%。",
        "deliverables": "试点运行报告、护理流程改进方案和设备运维手册。",
        "bounty_wan": 50,
        "deadline_days": 40,
        "applicant": "吉林大学",
        "outcome": "open",
    },
    {
        "title": "整车工厂 AI 视觉质检产线场景",
        "description": (
            "长春汽车经济技术开发区一家整车工厂开放一条总装线作为 AI 视觉质检试点场景："
            "提供工位、照明改造条件和历史缺陷图片，质量部门配合标注和验证。"
        ),
        "field": "ai_software",
        "region": "changchun",
        "owner": "长春汽车经济技术开发区管理委员会",
        "site": "长春汽车经济技术开发区东风大街总装车间",
        "criteria": "漏检率低于 0.5%，误报率低于 3%，单车检测时间不超过 60 秒。",
        "deliverables": "可部署的质检系统、验证报告和产线改造建议。",
        "bounty_wan": 0,
        "deadline_days": 55,
        "applicant": None,
        "outcome": "open",
    },
    {
        "title": "净月区低空物流配送应用场景",
        "description": (
            "长春净月高新技术产业开发区开放三条园区低空航线，用于无人机即时配送试点："
            "提供起降点、空域协调和园区企业的真实配送需求。"
        ),
        "field": "low_altitude",
        "region": "changchun",
        "owner": "长春净月高新技术产业开发区管理委员会",
        "site": "长春净月高新技术产业开发区生态大街沿线",
        "criteria": "累计安全配送 1000 单，准点率 95% 以上，无安全事故。",
        "deliverables": "航线运行报告、安全评估报告和规模化运营方案。",
        "bounty_wan": 120,
        "deadline_days": 30,
        "applicant": "长春理工大学",
        "outcome": "awarded",
    },
)


def _member(name: str) -> User:
    user = db.session.scalar(
        sa.select(User)
        .join(Organisation, User.organisation_id == Organisation.id)
        .where(Organisation.name == name)
        .order_by(User.id)
        .limit(1)
    )
    if user is None:
        raise LookupError(f"unknown organisation {name!r} in seed/scenarios.py")
    return user


def _proposal(entry: dict[str, Any], now: datetime) -> applications.ApplicationData:
    today = now.astimezone(CHINA).date()
    return applications.ApplicationData(
        approach=f"针对「{entry['title']}」，在现场分阶段部署并与场景方共同验证，逐步扩大试点范围。",
        indicators=f"逐条对照成功标准：{entry['criteria']}",
        trl=6,
        plan=(
            {"title": "现场部署", "due": (today + timedelta(days=60)).isoformat()},
            {"title": "试点验证", "due": (today + timedelta(days=150)).isoformat()},
        ),
        team="教授 1 名，副教授 2 名，博士研究生 4 名。",
        price_wan=Decimal(str(entry["bounty_wan"])) if entry["bounty_wan"] else None,
        terms="场景试点期间的数据归场景方所有，形成的知识产权按条款约定。",
    )


def load_scenarios(
    *, admin: User | None, echo: Any = print, now: datetime | None = None
) -> dict[str, int]:
    """Publish, approve and play the demo scenarios; returns counts."""
    if admin is None:
        echo("  scenarios skipped: the demo has no administrator")
        return {"scenarios": 0}
    now = now or utcnow()
    today = now.astimezone(CHINA).date()
    applied = 0
    for entry in SCENARIOS:
        field = taxonomy.field_by_code(entry["field"])
        data = scenarios.ScenarioData(
            title=entry["title"],
            description=entry["description"],
            field_id=field.id if field is not None else None,
            region=entry["region"],
            scenario_owner=entry["owner"],
            scenario_site=entry["site"],
            terms=challenges.ChallengeTerms(
                deadline_at=datetime.combine(
                    today + timedelta(days=entry["deadline_days"]), time(17), CHINA
                ),
                success_criteria=entry["criteria"],
                deliverables=entry["deliverables"],
                ip_ownership="negotiable",
                payment_form="instalments",
                bounty_wan=Decimal(entry["bounty_wan"]),
            ),
        )
        challenge = scenarios.publish_scenario(actor=admin, data=data, now=now)
        challenge_review.approve_challenge(actor=admin, challenge=challenge, now=now)
        if entry["applicant"] is None:
            continue
        applicant = _member(entry["applicant"])
        application = applications.save_application_draft(
            actor=applicant, challenge=challenge, data=_proposal(entry, now), now=now
        )
        applications.submit_application(actor=applicant, application=application, now=now)
        applied += 1
        if entry["outcome"] == "awarded":
            applications.shortlist_application(actor=admin, application=application)
            challenges.close_applications(actor=admin, challenge=challenge, now=now)
            applications.select_application(
                actor=admin,
                application=application,
                others_code="other",
                others_reason="场景方已与选定团队确认试点方案。",
                now=now,
            )
    db.session.flush()
    echo(f"  scenarios: {len(SCENARIOS)} ({applied} with an application, 1 awarded)")
    return {"scenarios": len(SCENARIOS), "scenario_applications": applied}
