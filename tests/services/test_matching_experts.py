"""Experts as the third kind of document: 推荐专家 for needs, needs and challenges for experts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.models import ExpertStatus
from matchmaker.models.base import utcnow
from matchmaker.services import matching
from matchmaker.services.challenges import challenges
from matchmaker.services.talent import expert_review, experts
from tests.factories import make_user, publish_need
from tests.services.challenge_helpers import terms

CARBON = {
    "directions": "碳纤维复合材料热压成型\n轻量化结构设计",
    "keywords": "碳纤维,复合材料",
    "biography": "长期从事碳纤维复合材料低成本成型研究。",
}
GINSENG = {
    "directions": "人参皂苷提取与纯化",
    "keywords": "人参皂苷,提取",
    "biography": "研究人参皂苷的分离纯化与功能食品开发。",
}


def make_expert(
    owner,
    admin,
    fields,
    *,
    name="王建国",
    unit="材料学院",
    status="published",
    field="materials",
    **text,
):
    """A profile through the services, stopped at `status` (draft, pending_review, published)."""
    values = {
        "name": name,
        "title": "教授",
        "unit": unit,
        "field_id": fields[field].id,
        "offers": 1,
        "contact_phone": "0431-85166888",
        **(text or CARBON),
    }
    expert = experts.create_expert(actor=owner, data=experts.ExpertData(**values))
    if status != "draft":
        experts.submit_expert(actor=owner, expert=expert)
    if status == "published":
        expert_review.approve_expert(actor=admin, expert=expert)
    db.session.commit()
    return expert


@pytest.fixture
def world(db, fields):
    admin = make_user("admin")
    uni = make_user("university")
    other_uni = make_user("university")
    firm = make_user("enterprise")
    db.session.commit()
    carbon_need = publish_need(
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
    return {
        "admin": admin,
        "uni": uni,
        "other_uni": other_uni,
        "firm": firm,
        "carbon_need": carbon_need,
        "ginseng_need": ginseng_need,
    }


def _ids(recs):
    return [rec.profile.id for rec in recs]


def test_a_carbon_fibre_expert_is_recommended_for_a_carbon_fibre_need_with_reasons(
    app, world, fields
):
    w = world
    carbon = make_expert(w["uni"], w["admin"], fields)
    ginseng = make_expert(
        w["other_uni"],
        w["admin"],
        fields,
        name="赵磊",
        unit="生命科学学院",
        field="agrifood",
        **GINSENG,
    )
    matching.rebuild_index()
    db.session.commit()

    recs = matching.recommend_experts_for(w["carbon_need"])
    assert _ids(recs) == [carbon.id]  # the ginseng expert is below the floor: not shown
    why = recs[0].why
    assert any("碳纤维" in term for term in why.terms)  # a whole shared word, not a fragment
    assert "王建国" not in why.terms and "教授" not in why.terms  # the name is not matching text
    assert 1 <= recs[0].percent <= 100
    assert recs[0].match.factors.get("field", 0) > 0  # same field: a visible bonus
    assert _ids(matching.recommend_experts_for(w["ginseng_need"])) == [ginseng.id]


def test_the_index_counts_and_holds_expert_documents(app, world, fields):
    w = world
    expert = make_expert(w["uni"], w["admin"], fields)
    state = matching.rebuild_index()
    db.session.commit()
    assert state.documents == 3  # two needs and the expert
    doc = matching.document_for_expert(expert)
    assert doc.id == f"expert:{expert.id}" and doc.kind == "expert"
    assert "王建国" not in f"{doc.title} {doc.body} {doc.keywords}"
    assert "碳纤维复合材料热压成型" in doc.title and "碳纤维" in doc.keywords


def test_an_approved_expert_is_matchable_at_once_and_counts_towards_freshness(app, world, fields):
    w = world
    matching.rebuild_index()
    db.session.commit()
    before = matching.changed_since_fit()
    expert = make_expert(w["uni"], w["admin"], fields)  # approved after the fit
    assert matching.changed_since_fit() == before + 1
    assert _ids(matching.recommend_experts_for(w["carbon_need"])) == [expert.id]

    experts.withdraw_expert(actor=w["uni"], expert=expert)
    db.session.commit()
    assert matching.recommend_experts_for(w["carbon_need"]) == []


@pytest.mark.parametrize("status", ["draft", "pending_review"])
def test_an_unpublished_expert_is_never_recommended(app, world, fields, status):
    w = world
    make_expert(w["uni"], w["admin"], fields, status=status)
    matching.rebuild_index()
    db.session.commit()
    assert matching.recommend_experts_for(w["carbon_need"]) == []


def test_an_expired_expert_is_never_recommended(app, world, fields):
    w = world
    lapsed = make_expert(w["uni"], w["admin"], fields)
    expired = make_expert(w["other_uni"], w["admin"], fields, name="李敏")
    matching.rebuild_index()
    db.session.commit()
    assert set(_ids(matching.recommend_experts_for(w["carbon_need"]))) == {lapsed.id, expired.id}

    lapsed.expires_at = utcnow() - timedelta(minutes=1)  # the expiry job has not run yet
    expired.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert matching.recommend_experts_for(w["carbon_need"]) == []
    expert_review.expire_experts()
    db.session.commit()
    assert expired.status == ExpertStatus.EXPIRED
    matching.rebuild_index()
    db.session.commit()
    assert matching.recommend_experts_for(w["carbon_need"]) == []


def test_experts_of_the_needs_own_organisation_are_not_recommended_to_it(app, world, fields):
    w = world
    uni = w["uni"]
    # a member of the university who posts needs for it (the rule: another organisation's)
    poster = make_user("enterprise", organisation=uni.organisation)
    db.session.commit()
    own_need = publish_need(
        poster,
        w["admin"],
        fields,
        "碳纤维复合材料热压成型",
        "需要碳纤维复合材料热压成型工艺，用于轨道交通车体轻量化部件。",
    )
    own = make_expert(uni, w["admin"], fields)
    other = make_expert(w["other_uni"], w["admin"], fields, name="李敏")
    matching.rebuild_index()
    db.session.commit()
    assert _ids(matching.recommend_experts_for(own_need)) == [other.id]
    assert set(_ids(matching.recommend_experts_for(w["carbon_need"]))) == {own.id, other.id}
    # and the expert is not offered its own organisation's need
    need_ids = {r.publication.listing_id for r in matching.recommend_for_expert(own).needs}
    assert own_need.id not in need_ids and w["carbon_need"].id in need_ids


def test_the_expert_sees_the_need_and_the_open_challenge(app, world, fields):
    w = world
    expert = make_expert(w["uni"], w["admin"], fields)
    challenge_need = publish_need(
        w["firm"],
        w["admin"],
        fields,
        "碳纤维复合材料轻量化结构",
        "需要碳纤维复合材料轻量化结构设计与热压成型，面向新能源汽车电池壳体。",
    )
    challenge = challenges.publish_challenge(actor=w["firm"], need=challenge_need, terms=terms())
    db.session.commit()
    matching.rebuild_index()
    db.session.commit()

    opps = matching.recommend_for_expert(expert)
    assert [r.publication.listing_id for r in opps.needs] == [w["carbon_need"].id]
    assert [c.challenge.id for c in opps.challenges] == [challenge.id]
    assert any("碳纤维" in term for term in opps.needs[0].why.terms)
    assert any("碳纤维" in term for term in opps.challenges[0].why.terms)
    # the ginseng need is not relevant to a carbon-fibre expert
    assert w["ginseng_need"].id not in [r.publication.listing_id for r in opps.needs]


def test_an_edit_under_review_keeps_the_approved_text_in_the_index(app, world, fields):
    w = world
    expert = make_expert(w["uni"], w["admin"], fields)
    data = experts.ExpertData(
        name=expert.name,
        title=expert.title,
        unit=expert.unit,
        field_id=fields["agrifood"].id,
        offers=1,
        contact_phone="0431-85166888",
        **GINSENG,
    )
    experts.update_expert(actor=w["uni"], expert=expert, data=data)  # an edit of substance
    db.session.commit()
    assert expert.status == ExpertStatus.PENDING_REVIEW and expert.public_snapshot is not None
    matching.rebuild_index()
    db.session.commit()
    # the public (approved) version is what matches, not the unreviewed text
    assert _ids(matching.recommend_experts_for(w["carbon_need"])) == [expert.id]
    assert matching.recommend_experts_for(w["ginseng_need"]) == []
    assert "人参" not in matching.document_for_expert(expert).title

    expert_review.approve_expert(actor=w["admin"], expert=expert)
    db.session.commit()
    # approved: the new text replaces the old one at once (change log, no rebuild)
    assert _ids(matching.recommend_experts_for(w["ginseng_need"])) == [expert.id]
    assert matching.recommend_experts_for(w["carbon_need"]) == []


def test_the_same_person_listed_twice_is_shown_once(app, world, fields):
    w = world
    first = make_expert(w["uni"], w["admin"], fields)
    twin = make_expert(w["other_uni"], w["admin"], fields)  # same name, same directions
    matching.rebuild_index()
    db.session.commit()
    recs = matching.recommend_experts_for(w["carbon_need"])
    assert len(recs) == 1
    assert {recs[0].profile.id, *(s.profile.id for s in recs[0].similar)} == {first.id, twin.id}


def test_the_enterprise_dashboard_lists_experts_for_its_open_needs(app, world, fields):
    w = world
    expert = make_expert(w["uni"], w["admin"], fields)
    matching.rebuild_index()
    db.session.commit()
    pairs = matching.recommend_experts_for_organisation(organisation_id=w["firm"].organisation_id)
    assert [(need.id, rec.profile.id) for need, rec in pairs] == [(w["carbon_need"].id, expert.id)]
    other_firm = make_user("enterprise")
    db.session.commit()
    assert (
        matching.recommend_experts_for_organisation(organisation_id=other_firm.organisation_id)
        == []
    )


def test_a_researcher_with_an_account_gets_their_profiles_recommendations(app, world, fields):
    w = world
    expert = make_expert(w["uni"], w["admin"], fields)
    expert.user_id = w["uni"].id
    db.session.commit()
    matching.rebuild_index()
    db.session.commit()
    [(profile, opps)] = matching.recommend_for_researcher(w["uni"].id)
    assert profile.id == expert.id
    assert [r.publication.listing_id for r in opps.needs] == [w["carbon_need"].id]
    assert matching.recommend_for_researcher(w["other_uni"].id) == []
