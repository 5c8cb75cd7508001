"""What a page shows of a match: only relevant ones (no padding), a 0–100 score with its legend,
penalties as penalties, near duplicates collapsed, and invitations ranked with their reason."""

from __future__ import annotations

import re

import pytest

from matchmaker.extensions import db
from matchmaker.recommender import Match
from matchmaker.services import matching
from tests.conftest import log_in
from tests.factories import make_user, publish_need, publish_result

LASER = "需要大功率光纤激光熔覆头，用于轴类零件表面激光熔覆修复，熔覆层无裂纹。"
GINSENG = "人参皂苷高效提取纯化新方法，皂苷得率提高一倍，适合保健食品原料企业。"
BLACK_SOIL = "寒区黑土地保护性耕作模式，秸秆覆盖免耕播种，玉米单产稳定提高。"
LASER_RESULT = "光纤激光熔覆修复技术，熔覆层无裂纹，适用于轴类零件表面修复与再制造。"


def html_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def people(db, fields):
    return make_user("admin"), make_user("enterprise"), make_user("university")


def _cards(html: str) -> list[str]:
    return re.findall(r'class="card mb-2 recommendation" data-listing="([^"]+)"', html)


def test_unrelated_candidates_are_not_shown_and_the_page_says_so(client, people, fields):
    admin, firm, uni = people
    need = publish_need(firm, admin, fields, "激光熔覆头", LASER)
    publish_result(uni, admin, fields, "人参皂苷提取纯化", GINSENG, field="biomedicine")
    publish_result(uni, admin, fields, "黑土地保护性耕作", BLACK_SOIL, field="agrifood")
    log_in(client, firm)
    for url in (f"/my/needs/{need.id}", f"/needs/{need.id}"):
        html = html_of(client.get(url))
        assert _cards(html) == [], url
        assert "还没有足够相关的匹配" in html
        assert "人参皂苷" not in html and "黑土地" not in html
        # The owner is offered an alert for when a good match appears.
        assert "有新的匹配时提醒我" in html


def test_owner_alert_offer_follows_the_listing(client, people, fields):
    admin, firm, uni = people
    need = publish_need(firm, admin, fields, "激光熔覆头", LASER)
    publish_result(uni, admin, fields, "人参皂苷提取纯化", GINSENG, field="biomedicine")
    log_in(client, firm)
    html = html_of(client.get(f"/my/needs/{need.id}"))
    form = html[html.index('class="d-flex flex-wrap gap-2 align-items-end match-alert"') - 200 :]
    fields_ = dict(re.findall(r'<input [^>]*name="([^"]+)"[^>]*value="([^"]*)"', form[:2000]))
    response = client.post("/subscriptions", data=fields_)
    assert response.status_code == 302
    subs = html_of(client.get("/subscriptions"))
    assert "激光熔覆头" in subs


def test_related_result_is_shown_with_a_score_out_of_100_and_a_legend(client, people, fields):
    admin, firm, uni = people
    need = publish_need(firm, admin, fields, "激光熔覆头", LASER)
    good = publish_result(uni, admin, fields, "光纤激光熔覆修复", LASER_RESULT)
    publish_result(uni, admin, fields, "人参皂苷提取纯化", GINSENG, field="biomedicine")
    log_in(client, firm)
    html = html_of(client.get(f"/my/needs/{need.id}"))
    assert _cards(html) == [f"result:{good.id}"]
    score = int(re.search(r'data-percent="(\d+)"', html).group(1))
    assert 1 <= score <= 100
    assert f"匹配度 {score}/100" in html
    assert "100 表示两者内容几乎相同" in html  # the one-line legend
    assert "文本相似度" not in html  # no unscaled numbers
    assert re.search(r'class="badge text-bg-info me-1 term-chip">[^<]*激光', html)


def test_a_penalty_is_shown_as_a_penalty(client, people, fields):
    admin, firm, uni = people
    need = publish_need(firm, admin, fields, "激光熔覆头", LASER)  # budget 80 万元
    publish_result(uni, admin, fields, "光纤激光熔覆修复", LASER_RESULT, price=500)
    log_in(client, firm)
    html = html_of(client.get(f"/my/needs/{need.id}"))
    assert "+-" not in html
    penalty = re.search(r'class="match-penalty[^"]*" data-factor="budget">(.*?)</li>', html, re.S)
    assert penalty is not None
    assert re.search(r"预算与价格不符：−\d+", penalty.group(1))
    assert "预算与价格相符" not in html


def test_the_same_item_listed_twice_is_collapsed(client, people, fields):
    admin, firm, uni = people
    need = publish_need(firm, admin, fields, "激光熔覆头", LASER)
    first = publish_result(uni, admin, fields, "光纤激光熔覆修复技术", LASER_RESULT)
    second = publish_result(
        uni, admin, fields, "光纤激光熔覆修复技术", LASER_RESULT + "可上门服务。"
    )
    log_in(client, firm)
    html = html_of(client.get(f"/my/needs/{need.id}"))
    cards = _cards(html)
    assert len(cards) == 1 and cards[0] in {f"result:{first.id}", f"result:{second.id}"}
    assert "+1 相似" in html
    assert "<details" in html[html.index("+1 相似") - 300 :]


def test_percent_and_explanation_scale():
    assert matching.match_percent(0) == 0
    assert matching.match_percent(-0.1) == 0
    assert matching.match_percent(0.0001) == 1
    assert matching.match_percent(matching.FULL_MATCH_SCORE) == 100
    assert matching.match_percent(5.0) == 100
    match = Match(
        "result:1",
        "result",
        score=0.31,
        text_score=0.30,
        factors={"field": 0.05, "budget": -0.02, "region": 0.0},
        terms=("耐火材料", "碳纤维"),
        pairs=(("refractory", "耐火材料"),),
    )
    why = matching.explain(match)
    assert why.terms == ("碳纤维",)  # the paired term is shown once, as its pair
    assert why.pairs == (("refractory", "耐火材料"),)
    assert [(r.factor, r.points) for r in why.bonuses] == [("field", 8)]
    assert [(r.factor, r.points, r.penalty) for r in why.penalties] == [("budget", -3, True)]
    assert why.percent == 50 + 8 - 3  # the shown parts add up to the shown total


def test_factors_never_lift_a_match_without_shared_content():
    lifted = Match("result:1", "result", 0.07, 0.0, {"field": 0.05, "region": 0.02}, ())
    no_terms = Match("result:2", "result", 0.2, 0.12, {"field": 0.05}, ())
    shared = Match("result:3", "result", 0.2, 0.12, {}, ("激光熔覆",))
    english = Match("result:4", "result", 0.2, 0.12, {}, (), (("cladding", "熔覆"),))
    assert not matching.is_relevant(lifted)
    assert not matching.is_relevant(no_terms)
    assert matching.is_relevant(shared) and matching.is_relevant(english)


def test_the_floor_drops_weak_matches(monkeypatch):
    from matchmaker.recommender import floor

    weak = Match("result:1", "result", 0.2, 0.05, {"field": 0.05}, ("工艺",))
    assert matching.is_relevant(weak) or floor.RELEVANCE_FLOOR > 0.05
    monkeypatch.setattr(floor, "RELEVANCE_FLOOR", 0.1)
    assert not matching.is_relevant(weak)


def test_english_pairs_are_shown_as_pairs(app):
    from flask import render_template_string

    match = Match("result:1", "result", 0.3, 0.3, {}, ("耐火材料",), (("refractory", "耐火材料"),))
    with app.test_request_context():
        html = render_template_string(
            '{% from "matching/_why.html" import why %}{{ why(explanation) }}',
            explanation=matching.explain(match),
        )
    assert "refractory → " in html and "耐火材料" in html
    assert html.count("耐火材料") == 1


# --- 推荐邀请 ------------------------------------------------------------------------------------
def test_invitees_are_ranked_by_the_engine_with_the_reason(client, people, fields):
    from matchmaker.models import OrgKind
    from matchmaker.services.challenges import challenges
    from tests.services.challenge_helpers import terms

    admin, firm, uni = people
    institute = make_user("university")
    institute.organisation.kind = OrgKind.INSTITUTE
    farm_uni = make_user("university")
    need = publish_need(firm, admin, fields, "光纤激光熔覆头", LASER * 2)
    publish_result(uni, admin, fields, "光纤激光熔覆修复", LASER_RESULT)
    publish_result(
        institute, admin, fields, "激光熔覆涂层", "激光熔覆耐磨涂层，熔覆层硬度高，适用于轴类零件。"
    )
    publish_result(farm_uni, admin, fields, "黑土地保护性耕作", BLACK_SOIL, field="agrifood")
    challenge = challenges.publish_challenge(actor=firm, need=need, terms=terms())
    db.session.commit()
    log_in(client, firm)
    html = html_of(client.get(f"/my/challenges/{challenge.id}"))
    ranked = re.findall(r'class="form-check mb-2 invitee" data-org="(\d+)"', html)
    assert set(ranked) == {str(uni.organisation_id), str(institute.organisation_id)}
    assert str(farm_uni.organisation_id) not in ranked
    assert farm_uni.organisation.name not in html
    section = html[html.index("推荐邀请") :]
    assert "依据成果：" in section and "term-chip" in section


# --- the same rule in alerts and dashboards --------------------------------------------------
def test_alerts_and_dashboards_never_carry_an_unrelated_listing(client, people, fields):
    from matchmaker.services.market import alert_digests, alerts

    admin, firm, uni = people
    need = publish_need(firm, admin, fields, "激光熔覆头", LASER)
    sub = alerts.follow_listing(actor=firm, kind="need", listing_id=need.id, frequency="instant")
    db.session.commit()
    publish_result(uni, admin, fields, "人参皂苷提取纯化", GINSENG, field="biomedicine")
    good = publish_result(uni, admin, fields, "光纤激光熔覆修复", LASER_RESULT)
    assert [p.listing_id for p in alert_digests.collect_matches(sub)] == [good.id]
    log_in(client, firm)
    html = html_of(client.get("/dashboard"))
    assert "光纤激光熔覆修复" in html and "人参皂苷" not in html


def test_a_dashboard_with_nothing_relevant_says_so(client, people, fields):
    admin, firm, uni = people
    publish_need(firm, admin, fields, "激光熔覆头", LASER)
    publish_result(uni, admin, fields, "人参皂苷提取纯化", GINSENG, field="biomedicine")
    log_in(client, firm)
    html = html_of(client.get("/dashboard"))
    assert "人参皂苷" not in html
    assert "还没有足够相关的匹配" in html
