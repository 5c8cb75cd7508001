"""The directory through the API: organisations (verified for everyone, a pending one for its
members and admins only) and expert profiles (the public 人才 search and page with the staged
contact, the keepers' drafts, edits and steps, the admins' review), scopes and mass assignment."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ExpertProfile, ExpertStatus, OrgStatus
from matchmaker.services import matching
from matchmaker.services.talent import expert_public, expert_review, experts
from tests.factories import OrganisationFactory, make_user, publish_need

PHONE = "0431-99887766"  # sentinels: must never reach a caller the rule does not allow
EMAIL = "sentinel.expert@example.edu.cn"
API = "/api/v1"


def _published(owner, admin, fields, **overrides) -> ExpertProfile:
    values = {
        "name": "李敏",
        "title": "教授",
        "unit": "化学学院",
        "field_id": fields["materials"].id,
        "directions": "碳纤维复合材料 轻量化车身结构",
        "keywords": "碳纤维,复合材料",
        "offers": 3,
        "contact_phone": PHONE,
        "contact_email": EMAIL,
    }
    values.update(overrides)
    expert = experts.create_expert(actor=owner, data=experts.ExpertData(**values))
    experts.submit_expert(actor=owner, expert=expert)
    expert_review.approve_expert(actor=admin, expert=expert)
    db.session.commit()
    return expert


def _body(fields, **overrides) -> dict:
    body = {
        "name": "王建国",
        "title": "教授",
        "unit": "材料科学与工程学院",
        "field_id": fields["materials"].id,
        "directions": "碳纤维复合材料\n轻量化结构设计",
        "keywords": ["碳纤维", "复合材料"],
        "patents": ["ZL202010000001.1 一种碳纤维预浸料"],
        "offers": ["consulting", "co_development"],
        "availability": "每月两天",
        "contact_phone": PHONE,
        "contact_email": EMAIL,
    }
    body.update(overrides)
    return body


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ExpertProfile)) or 0


@pytest.fixture
def world(db, fields):  # noqa: ANN001, ANN201
    admin = make_user("admin")
    keeper = make_user("university")
    colleague = make_user("university", organisation=keeper.organisation)
    other_uni = make_user("university")
    firm = make_user("enterprise")
    pending_firm = make_user("enterprise", verified=False)
    db.session.commit()
    expert = _published(keeper, admin, fields)
    return {
        "admin": admin,
        "keeper": keeper,
        "colleague": colleague,
        "other_uni": other_uni,
        "firm": firm,
        "pending_firm": pending_firm,
        "expert": expert,
    }


# --- the public 人才 pages ----------------------------------------------------------------------
def test_expert_list_and_detail_are_public_without_the_contact(client, world):
    expert = world["expert"]
    listing = client.get(f"{API}/experts")
    assert listing.status_code == 200
    body = listing.get_json()
    assert [item["id"] for item in body["items"]] == [expert.id]
    item = body["items"][0]
    assert item["offers"] == ["consulting", "co_development"]
    assert item["field"]["code"] == "materials"
    assert item["url"].endswith(f"/experts/{expert.id}")
    assert {f["offer"]: f["count"] for f in body["facets"]["offers"]}["consulting"] == 1
    assert body["facets"]["fields"] == [
        {"code": "materials", "name": expert.field.name, "count": 1}
    ]
    assert body["facets"]["organisations"][0]["id"] == expert.organisation_id
    detail = client.get(f"{API}/experts/{expert.id}")
    assert detail.status_code == 200
    assert detail.get_json()["contact"] is None
    for answer in (listing, detail):
        text = answer.get_data(as_text=True)
        assert PHONE not in text and EMAIL not in text


def test_expert_search_filters_as_on_the_web(client, world, fields):
    other = _published(
        world["other_uni"],
        world["admin"],
        fields,
        name="赵强",
        directions="玉米秸秆 生物降解",
        keywords="秸秆",
        offers=8,
        field_id=fields["agrifood"].id,
    )

    def ids(**query) -> list[int]:
        answer = client.get(f"{API}/experts", query_string=query)
        assert answer.status_code == 200
        return [i["id"] for i in answer.get_json()["items"]]

    assert set(ids()) == {world["expert"].id, other.id}
    assert ids(q="秸秆") == [other.id]
    assert ids(offer="training") == [other.id]
    assert ids(org=world["keeper"].organisation_id) == [world["expert"].id]
    assert ids(field="materials") == [world["expert"].id]
    page = client.get(f"{API}/experts", query_string={"page_size": 1}).get_json()
    assert len(page["items"]) == 1 and page["total"] == 2 and "page=2" in page["next"]
    capped = client.get(f"{API}/experts", query_string={"page_size": 5000}).get_json()
    assert capped["page_size"] == 50
    bad = client.get(f"{API}/experts", query_string={"offer": "magic", "org": "x"})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"offer", "org"}


def test_a_draft_profile_is_not_public(client, world, bearer):
    draft = experts.create_expert(
        actor=world["keeper"], data=experts.ExpertData(name="草稿专家", unit="物理学院")
    )
    db.session.commit()
    assert client.get(f"{API}/experts/{draft.id}").status_code == 404
    keeper = bearer(world["keeper"])
    assert client.get(f"{API}/experts/{draft.id}", headers=keeper).status_code == 404
    assert client.get(f"{API}/my/experts/{draft.id}", headers=keeper).status_code == 200


def test_contact_follows_the_staged_disclosure(client, world, bearer):
    url = f"{API}/experts/{world['expert'].id}"

    def contact(headers) -> object:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200
        return answer.get_json()["contact"]

    seen = {"phone": PHONE, "email": EMAIL}
    assert contact({}) is None
    assert contact(bearer(world["firm"])) == seen  # a verified organisation's member
    assert contact(bearer(world["admin"])) == seen
    assert contact(bearer("broker")) == seen  # a verified 技术经纪人
    # a signed-in user of an unverified organisation: only when the keepers made it public
    assert contact(bearer(world["pending_firm"])) is None
    # a token limited to another area reads as a visitor
    assert contact(bearer(world["firm"], scopes=("read:market",))) is None
    world["expert"].contact_public = True
    db.session.commit()
    assert contact(bearer(world["pending_firm"])) == seen
    assert contact({}) is None  # visitors never


def test_expert_detail_has_an_etag(client, world):
    url = f"{API}/experts/{world['expert'].id}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304


# --- organisations ------------------------------------------------------------------------------
def test_directory_lists_verified_organisations_only(client, world):
    body = client.get(f"{API}/organisations", query_string={"page_size": 50}).get_json()
    ids = {item["id"] for item in body["items"]}
    assert world["keeper"].organisation_id in ids and world["firm"].organisation_id in ids
    assert world["pending_firm"].organisation_id not in ids
    assert all(item["status"] == "verified" for item in body["items"])
    keeper_org = next(i for i in body["items"] if i["id"] == world["keeper"].organisation_id)
    assert keeper_org["counts"] == {"results": 0, "needs": 0, "experts": 1}
    text = str(body)
    assert world["firm"].organisation.credit_code not in text


def test_directory_filters_and_sorts(client, world):
    def names(**query) -> list[str]:
        answer = client.get(f"{API}/organisations", query_string=query)
        assert answer.status_code == 200
        return [i["name"] for i in answer.get_json()["items"]]

    uni_name = world["keeper"].organisation.name
    assert uni_name in names(kind="university")
    assert world["firm"].organisation.name not in names(kind="university")
    assert names(q=uni_name) == [uni_name]
    assert names(region="yanbian") == []
    assert names() == sorted(names())
    bad = client.get(f"{API}/organisations", query_string={"kind": "club", "sort": "size"})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"kind", "sort"}


def test_verified_organisation_page_is_public_without_private_fields(client, world):
    org = world["firm"].organisation
    answer = client.get(f"{API}/organisations/{org.id}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["name"] == org.name and body["credit_code"] is None
    assert org.credit_code not in answer.get_data(as_text=True)
    assert answer.headers["ETag"]


def test_pending_organisation_is_404_except_to_members_and_admins(client, world, bearer):
    org = world["pending_firm"].organisation
    assert org.status == OrgStatus.PENDING
    url = f"{API}/organisations/{org.id}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=bearer(world["firm"])).status_code == 404
    # a member's token limited to another area reads as a visitor
    limited = bearer(world["pending_firm"], scopes=("read:market",))
    assert client.get(url, headers=limited).status_code == 404
    own = client.get(url, headers=bearer(world["pending_firm"]))
    assert own.status_code == 200
    assert own.get_json()["status"] == "pending"
    assert own.get_json()["credit_code"] == org.credit_code
    assert client.get(url, headers=bearer(world["admin"])).status_code == 200
    rejected = OrganisationFactory(status=OrgStatus.REJECTED, verified_at=None)
    db.session.commit()
    assert client.get(f"{API}/organisations/{rejected.id}").status_code == 404


def test_errors_in_english_with_accept_language(client, world, bearer):
    en = {"Accept-Language": "en"}
    missing = client.get(f"{API}/organisations/999999", headers=en).get_json()
    assert missing["code"] == "not_found" and missing["message"].isascii()
    headers = {**bearer(world["keeper"], scopes=("read", "write")), **en}
    answer = client.post(
        f"{API}/experts", json={"name": "", "status": "published"}, headers=headers
    )
    assert answer.status_code == 422
    fields_ = answer.get_json()["fields"]
    assert {"name", "unit", "status"} <= set(fields_)
    assert all(m.isascii() for messages in fields_.values() for m in messages)


# --- keepers ------------------------------------------------------------------------------------
def test_keeper_creates_edits_submits_and_the_admin_approves(client, world, bearer, fields):
    keeper = bearer(world["keeper"], scopes=("read", "write"))
    created = client.post(f"{API}/experts", json=_body(fields, is_self=True), headers=keeper)
    assert created.status_code == 201, created.get_json()
    record = created.get_json()
    assert record["status"] == "draft" and record["is_self"] is True
    assert record["organisation"]["id"] == world["keeper"].organisation_id
    assert record["offers"] == ["consulting", "co_development"]
    assert "submit" in record["actions"]
    expert_id = record["id"]

    patched = client.patch(
        f"{API}/experts/{expert_id}",
        json={"availability": "每周一天", "contact_visibility": "signed_in"},
        headers=keeper,
    )
    assert patched.status_code == 200
    assert patched.get_json()["availability"] == "每周一天"
    assert patched.get_json()["contact_visibility"] == "signed_in"
    assert patched.get_json()["title"] == "教授"  # what was not sent is kept
    assert patched.get_json()["is_self"] is True

    colleague = bearer(world["colleague"], scopes=("read", "write"))
    mine = client.get(f"{API}/my/experts", headers=colleague).get_json()
    assert expert_id in {i["id"] for i in mine["items"]}

    submitted = client.post(f"{API}/experts/{expert_id}/submit", headers=keeper)
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "pending_review"
    again = client.post(f"{API}/experts/{expert_id}/submit", headers=keeper)
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_transition"

    admin = bearer(world["admin"], scopes=("read", "write"))
    queue = client.get(f"{API}/review/experts", headers=admin).get_json()
    assert expert_id in {i["id"] for i in queue["items"]}
    assert client.get(f"{API}/review/experts/{expert_id}", headers=admin).status_code == 200
    approved = client.post(f"{API}/experts/{expert_id}/approve", headers=admin)
    assert approved.status_code == 200 and approved.get_json()["status"] == "published"
    assert client.get(f"{API}/experts/{expert_id}").status_code == 200

    withdrawn = client.post(f"{API}/experts/{expert_id}/withdraw", headers=keeper)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert client.get(f"{API}/experts/{expert_id}").status_code == 404
    assert client.post(f"{API}/experts/{expert_id}/retract", headers=keeper).status_code == 409


def test_submit_reports_what_is_missing_and_reject_needs_a_reason(client, world, bearer):
    keeper = bearer(world["keeper"], scopes=("read", "write"))
    bare = client.post(
        f"{API}/experts", json={"name": "张三", "unit": "物理学院"}, headers=keeper
    ).get_json()
    refused = client.post(f"{API}/experts/{bare['id']}/submit", headers=keeper)
    assert refused.status_code == 422
    assert {"field_id", "directions", "offers", "contact_phone"} <= set(
        refused.get_json()["fields"]
    )
    db.session.expire_all()
    assert db.session.get(ExpertProfile, bare["id"]).status == ExpertStatus.DRAFT

    expert = world["expert"]
    admin = bearer(world["admin"], scopes=("read", "write"))
    published = client.post(
        f"{API}/experts/{expert.id}/reject",
        json={"code": "unclear", "reason": "请补充研究方向。"},
        headers=admin,
    )
    assert published.status_code == 409  # only a pending profile can be rejected
    experts.update_expert(
        actor=world["keeper"],
        expert=expert,
        data=experts.ExpertData(
            **{
                **{k: getattr(expert, k) for k in expert_public.SNAPSHOT_FIELDS},
                "directions": "新方向",
            },
            contact_phone=PHONE,
            result_ids=[],
        ),
    )
    db.session.commit()
    assert expert.status == ExpertStatus.PENDING_REVIEW
    missing = client.post(f"{API}/experts/{expert.id}/reject", json={}, headers=admin)
    assert missing.status_code == 422 and set(missing.get_json()["fields"]) == {"code", "reason"}
    rejected = client.post(
        f"{API}/experts/{expert.id}/reject",
        json={"code": "unclear", "reason": "请补充研究方向。"},
        headers=admin,
    )
    assert rejected.status_code == 200
    assert rejected.get_json()["status"] == "draft"
    assert rejected.get_json()["review_reason"] == "请补充研究方向。"
    # the approved version stays public while the edit goes back to its keepers
    assert client.get(f"{API}/experts/{expert.id}").get_json()["directions"] != "新方向"


@pytest.mark.parametrize(
    "extra",
    [
        {"status": "published"},
        {"organisation_id": 1},
        {"id": 4242},
        {"user_id": 1},
        {"contact_public": True},
        {"published_at": "2026-01-01T00:00:00Z"},
        {"public_snapshot": {}},
    ],
)
def test_mass_assignment_is_refused_and_nothing_stored(client, world, bearer, fields, extra):
    """SECURITY.md row 17 (v5.0.0-15.3.3)."""
    keeper = bearer(world["keeper"], scopes=("read", "write"))
    before = _count()
    created = client.post(f"{API}/experts", json={**_body(fields), **extra}, headers=keeper)
    assert created.status_code == 422
    assert set(created.get_json()["fields"]) == set(extra)
    db.session.rollback()
    assert _count() == before
    expert = world["expert"]
    patched = client.patch(f"{API}/experts/{expert.id}", json=extra, headers=keeper)
    assert patched.status_code == 422
    db.session.expire_all()
    assert expert.status == ExpertStatus.PUBLISHED
    assert expert.organisation_id == world["keeper"].organisation_id


def test_another_organisations_expert_is_404_for_every_owner_operation(client, world, bearer):
    """SECURITY.md row 15 (v5.0.0-8.2.2)."""
    expert_id = world["expert"].id
    outsider = bearer(world["other_uni"], scopes=("read", "write"))
    calls = [
        ("get", f"{API}/my/experts/{expert_id}", None),
        ("patch", f"{API}/experts/{expert_id}", {"availability": "随时"}),
        ("post", f"{API}/experts/{expert_id}/submit", None),
        ("post", f"{API}/experts/{expert_id}/retract", None),
        ("post", f"{API}/experts/{expert_id}/withdraw", None),
        ("get", f"{API}/experts/{expert_id}/matches", None),
    ]
    for method, url, body in calls:
        answer = getattr(client, method)(url, json=body, headers=outsider)
        assert answer.status_code == 404, (method, url)
    mine = client.get(f"{API}/my/experts", headers=outsider).get_json()
    assert mine["items"] == []
    db.session.expire_all()
    assert world["expert"].status == ExpertStatus.PUBLISHED
    assert world["expert"].availability == ""


def test_scopes_guard_the_directory(client, world, bearer, fields):
    expert_id = world["expert"].id
    read_only = bearer(world["keeper"], scopes=("read",))
    for method, url, body in [
        ("post", f"{API}/experts", _body(fields)),
        ("patch", f"{API}/experts/{expert_id}", {"availability": "随时"}),
        ("post", f"{API}/experts/{expert_id}/withdraw", None),
    ]:
        answer = getattr(client, method)(url, json=body, headers=read_only)
        assert answer.status_code == 403 and answer.get_json()["code"] == "insufficient_scope"
    for scopes in (("read:market",), ("read:market", "write:market")):
        market_only = bearer(world["keeper"], scopes=scopes)
        for method, url, body in [
            ("get", f"{API}/my/experts", None),
            ("get", f"{API}/my/experts/{expert_id}", None),
            ("get", f"{API}/experts/{expert_id}/matches", None),
            ("post", f"{API}/experts", _body(fields)),
            ("post", f"{API}/experts/{expert_id}/submit", None),
        ]:
            answer = getattr(client, method)(url, json=body, headers=market_only)
            assert answer.status_code == 403, (scopes, method, url)
            assert answer.get_json()["code"] == "insufficient_scope"
    directory_only = bearer(world["keeper"], scopes=("read:directory",))
    assert client.get(f"{API}/my/experts", headers=directory_only).status_code == 200
    assert client.get(f"{API}/my/experts").status_code == 401
    db.session.expire_all()
    assert world["expert"].status == ExpertStatus.PUBLISHED


def test_only_keepers_and_reviewers(client, world, bearer, fields):
    firm = bearer(world["firm"], scopes=("read", "write"))
    assert client.post(f"{API}/experts", json=_body(fields), headers=firm).status_code == 403
    assert client.get(f"{API}/my/experts", headers=firm).status_code == 403
    assert client.get(f"{API}/review/experts", headers=firm).status_code == 403
    keeper = bearer(world["keeper"], scopes=("read", "write"))
    expert_id = world["expert"].id
    assert client.post(f"{API}/experts/{expert_id}/approve", headers=keeper).status_code == 403
    assert client.get(f"{API}/review/experts/{expert_id}", headers=keeper).status_code == 403


def test_matches_for_the_keepers(client, world, bearer, fields):
    need = publish_need(
        world["firm"],
        world["admin"],
        fields,
        "汽车车身碳纤维复合材料轻量化需求",
        "寻求碳纤维复合材料车身轻量化结构方案，希望与高校专家合作开发。",
    )
    matching.rebuild_index()
    db.session.commit()
    answer = client.get(
        f"{API}/experts/{world['expert'].id}/matches", headers=bearer(world["keeper"])
    )
    assert answer.status_code == 200
    body = answer.get_json()
    assert [m["listing"]["id"] for m in body["needs"]] == [need.id]
    assert 0 < body["needs"][0]["score"] <= 100 and body["needs"][0]["terms"]
    assert body["challenges"] == []
    limited = client.get(
        f"{API}/experts/{world['expert'].id}/matches",
        query_string={"limit": 0},
        headers=bearer(world["keeper"]),
    )
    assert limited.status_code == 422


def test_no_contact_or_credit_code_reaches_a_visitor_anywhere(client, world):
    org = world["keeper"].organisation
    urls = [
        f"{API}/experts",
        f"{API}/experts/{world['expert'].id}",
        f"{API}/organisations",
        f"{API}/organisations/{org.id}",
        f"{API}/organisations/{world['firm'].organisation_id}",
    ]
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        text = answer.get_data(as_text=True)
        for secret in (PHONE, EMAIL, org.credit_code, world["firm"].organisation.credit_code):
            assert secret not in text, (url, secret)


def test_nul_characters_are_refused(client, world, bearer, fields):
    nul = client.get(f"{API}/experts", query_string={"q": "碳\x00"})
    assert nul.status_code in (400, 422)  # the app's request hook refuses NUL in any query
    keeper = bearer(world["keeper"], scopes=("read", "write"))
    before = _count()
    answer = client.post(
        f"{API}/experts", json=_body(fields, patents=["ZL\x00"], name="张\x00"), headers=keeper
    )
    assert answer.status_code == 422
    assert {f.split(".")[0] for f in answer.get_json()["fields"]} == {"patents", "name"}
    db.session.rollback()
    assert _count() == before


def test_editing_a_published_profile(client, world, bearer):
    expert = world["expert"]
    keeper = bearer(world["keeper"], scopes=("read", "write"))
    url = f"{API}/experts/{expert.id}"
    contact_only = client.patch(url, json={"contact_phone": "0431-12345678"}, headers=keeper)
    assert contact_only.status_code == 200
    assert contact_only.get_json()["status"] == "published"  # the contact is not reviewed
    substance = client.patch(url, json={"directions": "氢能储运材料"}, headers=keeper)
    assert substance.status_code == 200
    assert substance.get_json()["status"] == "pending_review"
    assert substance.get_json()["is_public"] is True
    public = client.get(url).get_json()
    assert public["under_review"] is True
    assert public["directions"] == "碳纤维复合材料 轻量化车身结构"  # the approved version
    unknown_result = client.patch(url, json={"result_ids": [999999]}, headers=keeper)
    assert unknown_result.status_code == 422
    assert set(unknown_result.get_json()["fields"]) == {"result_ids"}


def test_is_self_takes_a_json_boolean_only(client, world, bearer, fields):
    keeper = bearer(world["keeper"], scopes=("read", "write"))
    for value in (1, "true", "yes"):
        answer = client.post(f"{API}/experts", json=_body(fields, is_self=value), headers=keeper)
        assert answer.status_code == 422 and set(answer.get_json()["fields"]) == {"is_self"}
    mine = client.post(f"{API}/experts", json=_body(fields, is_self=True), headers=keeper)
    assert mine.get_json()["is_self"] is True
    url = f"{API}/experts/{mine.get_json()['id']}"
    dropped = client.patch(url, json={"is_self": False}, headers=keeper)
    assert dropped.status_code == 200 and dropped.get_json()["is_self"] is False
