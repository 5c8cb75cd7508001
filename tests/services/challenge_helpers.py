"""Shared set-up for the challenge and deal service tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from matchmaker.extensions import db
from matchmaker.models.base import utcnow
from matchmaker.services.challenges import applications, challenges
from tests.factories import make_user, publish_need, publish_result

PROPOSAL = applications.ApplicationData(
    approach="采用连续碳化工艺改进原丝预氧化，降低能耗并提高强度一致性。",
    indicators="拉伸强度 ≥ 4.9 GPa，对应成功标准第 1 条。",
    trl=6,
    plan=({"title": "中试线改造", "due": "2027-03-01"}, {"title": "批量验证", "due": "2027-06-01"}),
    team="教授 1 名，博士 3 名。",
    price_wan=Decimal(60),
    terms="合作开发，知识产权归发榜方。",
)


def terms(**overrides: object) -> challenges.ChallengeTerms:
    """Challenge terms with a deadline ten days ahead."""
    values: dict[str, object] = {
        "deadline_at": utcnow() + timedelta(days=10),
        "success_criteria": "拉伸强度不低于 4.9 GPa。",
        "deliverables": "中试工艺包与检测报告。",
        "ip_ownership": "owner",
        "payment_form": "instalments",
        "bounty_wan": Decimal(100),
        "has_panel": True,
    }
    values.update(overrides)
    return challenges.ChallengeTerms(**values)  # type: ignore[arg-type]


def challenge_world(fields, **overrides: object) -> dict:
    """An enterprise with a challenge, two universities (one with a listed result), an admin."""
    admin = make_user("admin")
    owner = make_user("enterprise")
    uni_a = make_user("university")
    uni_b = make_user("university")
    need = publish_need(
        owner, admin, fields, "高强度碳纤维原丝工艺", "需要提升碳纤维原丝的强度与一致性" * 2
    )
    result = publish_result(
        uni_a, admin, fields, "碳纤维连续碳化技术", "连续碳化工艺，能耗降低两成"
    )
    challenge = challenges.publish_challenge(actor=owner, need=need, terms=terms(**overrides))
    db.session.commit()
    return {
        "admin": admin,
        "owner": owner,
        "uni_a": uni_a,
        "uni_b": uni_b,
        "need": need,
        "result": result,
        "challenge": challenge,
    }


def apply(user, challenge, data=PROPOSAL, now=None):
    """Save a draft and submit it."""
    application = applications.save_application_draft(
        actor=user, challenge=challenge, data=data, now=now
    )
    applications.submit_application(actor=user, application=application, now=now)
    return application
