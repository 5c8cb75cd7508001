"""Every role's dashboard and the home page render their real content."""

from __future__ import annotations

from datetime import timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.models.base import utcnow
from matchmaker.services.market import listings
from tests.conftest import log_in
from tests.factories import make_user


def _listed_result(fields, owner, admin, title="稀土发光材料", now=None):
    result = listings.create_listing(
        actor=owner,
        data=listings.ResultData(
            title=title,
            field_id=fields["materials"].id,
            keywords=("稀土",),
            region="changchun",
            contact_name="王老师",
            contact_phone="13900000000",
            summary="一种高效稀土发光材料，量子效率大于90%，可用于白光LED。",
            trl=5,
            modes=1,
        ),
    )
    listings.submit_listing(actor=owner, listing=result)
    listings.approve_listing(actor=admin, listing=result, now=now)
    db.session.commit()
    return result


@pytest.mark.parametrize("role", ["enterprise", "university", "bank", "admin"])
def test_dashboard_renders_for_every_role(client, fields, role):
    user = make_user(role)
    db.session.commit()
    log_in(client, user)
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert user.name in response.get_data(as_text=True)


def test_university_dashboard_lists_expiring_results(client, fields):
    owner = make_user("university")
    admin = make_user("admin")
    db.session.commit()
    _listed_result(fields, owner, admin, now=utcnow() - timedelta(days=360))
    log_in(client, owner)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "即将到期" in page and "稀土发光材料" in page


def test_admin_dashboard_counts_pending_listings(client, fields):
    owner = make_user("university")
    admin = make_user("admin")
    db.session.commit()
    result = listings.create_listing(
        actor=owner,
        data=listings.ResultData(
            title="待审成果",
            field_id=fields["energy"].id,
            keywords=(),
            region="jilin",
            contact_name="赵",
            contact_email="z@example.com",
            summary="一种锂电池正极材料LiFePO4的低成本合成方法，循环寿命超过3000次。",
            trl=4,
            modes=2,
        ),
    )
    listings.submit_listing(actor=owner, listing=result)
    db.session.commit()
    log_in(client, admin)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "进入审核队列" in page


def test_home_page_shows_latest_public_results(client, fields):
    owner = make_user("university")
    admin = make_user("admin")
    db.session.commit()
    _listed_result(fields, owner, admin)
    page = client.get("/").get_data(as_text=True)
    assert "稀土发光材料" in page
    assert "13900000000" not in page


# --- 揭榜挂帅 and 对接 panels (issue 13, point 1) ---------------------------------------------


def test_enterprise_dashboard_counts_its_challenges_and_new_applications(client, fields):
    from tests.services.challenge_helpers import apply, challenge_world

    world = challenge_world(fields, deadline_at=utcnow() + timedelta(days=3))
    apply(world["uni_a"], world["challenge"])
    apply(world["uni_b"], world["challenge"])
    db.session.commit()
    log_in(client, world["owner"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "还没有发布榜单" not in page
    assert 'href="/my/challenges"' in page
    assert '征集中</span> <span class="small">1</span>' in page
    assert "共收到 2 份揭榜申请" in page and "2 份新申请" in page
    assert "本周截止" in page and world["need"].title in page
    client.get("/my/challenges")  # seen: nothing is new any more
    page = client.get("/dashboard").get_data(as_text=True)
    assert "共收到 2 份揭榜申请" in page and "份新申请" not in page


def test_enterprise_dashboard_without_challenges_says_so(client, fields):
    owner = make_user("enterprise")
    db.session.commit()
    log_in(client, owner)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "还没有发布榜单" in page and "还没有发布榜单，也没有揭榜申请" not in page


def test_university_dashboard_counts_its_applications_by_state(client, fields):
    from matchmaker.services.challenges import applications
    from tests.services.challenge_helpers import PROPOSAL, apply, challenge_world

    world = challenge_world(fields, deadline_at=utcnow() + timedelta(days=2))
    apply(world["uni_a"], world["challenge"])
    applications.save_application_draft(
        actor=world["uni_b"], challenge=world["challenge"], data=PROPOSAL
    )
    db.session.commit()
    log_in(client, world["uni_a"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "还没有揭榜申请" not in page
    assert (
        'href="/my/applications"' in page and '已提交</span> <span class="small">1</span>' in page
    )
    assert "本周截止" in page  # a submitted application may still be completed
    log_in(client, world["uni_b"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert '草稿</span> <span class="small">1</span>' in page and "本周截止" in page


def test_dashboard_lists_the_enquiries_waiting(client, fields):
    from matchmaker.services.connect import enquiries
    from tests.factories import publish_result

    admin = make_user("admin")
    uni = make_user("university")
    firm = make_user("enterprise")
    result = publish_result(uni, admin, fields, "碳纤维连续碳化技术", "连续碳化工艺，能耗降低两成")
    db.session.commit()
    log_in(client, uni)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "没有等待你处理的对接" in page
    enquiries.create_enquiry(
        actor=firm,
        kind="result",
        listing_id=result.id,
        data=enquiries.EnquiryData(intent="license", message="希望获得该技术的实施许可。"),
    )
    db.session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "1 条对接等待你处理" in page and "碳纤维连续碳化技术" in page
    assert firm.organisation.name in page
