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
