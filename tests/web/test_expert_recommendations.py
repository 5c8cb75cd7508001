"""推荐专家 on a need's pages and the enterprise dashboard; needs and challenges for an expert."""

from __future__ import annotations

import re

import pytest

from matchmaker.extensions import db
from matchmaker.services import matching
from matchmaker.services.challenges import challenges
from tests.conftest import log_in
from tests.factories import make_user, publish_need
from tests.services.challenge_helpers import terms
from tests.services.test_matching_experts import GINSENG, make_expert


@pytest.fixture
def world(db, fields):
    admin = make_user("admin")
    uni = make_user("university")
    other_uni = make_user("university")
    firm = make_user("enterprise")
    db.session.commit()
    need = publish_need(
        firm,
        admin,
        fields,
        "碳纤维复合材料成型工艺",
        "需要碳纤维复合材料的低成本热压成型工艺，用于汽车轻量化零部件批量生产。",
    )
    ginseng_need = publish_need(
        firm,
        admin,
        fields,
        "人参皂苷提取工艺",
        "需要人参皂苷的高效提取与纯化工艺，用于功能食品生产。",
        field="agrifood",
    )
    carbon = make_expert(uni, admin, fields)
    ginseng = make_expert(
        other_uni, admin, fields, name="赵磊", unit="生命科学学院", field="agrifood", **GINSENG
    )
    draft = make_expert(other_uni, admin, fields, name="孙丽", status="draft")
    matching.rebuild_index()
    db.session.commit()
    return {
        "admin": admin,
        "uni": uni,
        "firm": firm,
        "need": need,
        "ginseng_need": ginseng_need,
        "carbon": carbon,
        "ginseng": ginseng,
        "draft": draft,
    }


def _expert_block(page: str) -> str:
    match = re.search(r'<section class="mb-4 expert-recommendations".*?</section>', page, re.S)
    assert match, "no 推荐专家 block"
    return match.group(0)


def test_a_needs_public_page_recommends_the_matching_expert_with_reasons(client, world):
    w = world
    block = _expert_block(client.get(f"/needs/{w['need'].id}").get_data(as_text=True))
    assert "推荐专家" in block
    assert f'href="/experts/{w["carbon"].id}"' in block
    assert "王建国" in block and "教授" in block and "材料学院" in block
    assert re.search(r'class="badge text-bg-info me-1 term-chip">[^<]*碳纤维', block)
    assert re.search(r'data-percent="(\d+)"', block)
    assert "赵磊" not in block  # below the floor
    assert "孙丽" not in block  # a draft
    assert "no-good-expert" not in block


def test_the_public_page_of_the_expert_linked_from_the_card_opens(client, world):
    assert client.get(f"/experts/{world['carbon'].id}").status_code == 200


def test_with_no_good_expert_the_block_says_so(client, world, fields):
    w = world
    lonely = publish_need(
        w["firm"],
        w["admin"],
        fields,
        "无人机低空物流调度",
        "需要低空无人机物流航线规划与调度系统，覆盖长春周边的县域配送网点。",
        field="low_altitude",
    )
    block = _expert_block(client.get(f"/needs/{lonely.id}").get_data(as_text=True))
    assert "no-good-expert" in block and "还没有足够相关的专家" in block
    assert "/experts/" not in block


def test_the_needs_owner_page_shows_the_block(client, world):
    w = world
    log_in(client, w["firm"])
    block = _expert_block(client.get(f"/my/needs/{w['need'].id}").get_data(as_text=True))
    assert f'href="/experts/{w["carbon"].id}"' in block


def test_a_results_page_has_no_expert_block(client, world, fields):
    from tests.factories import publish_result

    w = world
    result = publish_result(w["uni"], w["admin"], fields, "碳纤维热压成型", "碳纤维复合材料热压")
    page = client.get(f"/results/{result.id}").get_data(as_text=True)
    assert "expert-recommendations" not in page


def test_the_enterprise_dashboard_has_a_recommended_experts_panel(client, world):
    w = world
    log_in(client, w["firm"])
    page = client.get("/dashboard").get_data(as_text=True)
    panel = re.search(r'<div class="card expert-panel">.*?</div></div>', page, re.S)
    assert panel
    assert f'href="/experts/{w["carbon"].id}"' in panel.group(0)
    assert f'href="/experts/{w["ginseng"].id}"' in panel.group(0)  # for the ginseng need
    assert "匹配你的“碳纤维复合材料成型工艺”" in panel.group(0)


def test_an_enterprise_without_open_needs_sees_the_empty_panel(client, world):
    firm = make_user("enterprise")
    db.session.commit()
    log_in(client, firm)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "expert-panel" in page and "no-good-expert" in page


def test_the_keepers_page_shows_recommended_needs_and_challenges(client, world, fields):
    w = world
    challenge_need = publish_need(
        w["firm"],
        w["admin"],
        fields,
        "碳纤维复合材料轻量化结构",
        "需要碳纤维复合材料轻量化结构设计与热压成型，面向新能源汽车电池壳体。",
    )
    challenge = challenges.publish_challenge(actor=w["firm"], need=challenge_need, terms=terms())
    db.session.commit()
    log_in(client, w["uni"])
    page = client.get(f"/my/experts/{w['carbon'].id}").get_data(as_text=True)
    assert "为这位专家推荐" in page
    assert f"/r/need/{w['need'].id}" in page
    assert f'href="/challenges/{challenge.id}"' in page
    assert f"/r/need/{w['ginseng_need'].id}" not in page
    assert "term-chip" in page


def test_a_researcher_with_an_account_sees_recommendations_on_the_dashboard(client, world):
    w = world
    w["carbon"].user_id = w["uni"].id
    db.session.commit()
    log_in(client, w["uni"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "researcher-panel" in page
    assert f"/r/need/{w['need'].id}" in page


def test_a_university_member_without_a_profile_has_no_researcher_panel(client, world):
    member = make_user("university")
    db.session.commit()
    log_in(client, member)
    response = client.get("/dashboard")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "researcher-panel" not in page
