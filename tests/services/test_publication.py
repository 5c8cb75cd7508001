"""The public read model: exact facet counts, search (Chinese, English, normalised), sorting."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Mode, Publication
from matchmaker.models.base import utcnow
from matchmaker.services.market import browsing, listings, publication
from matchmaker.services.market.browsing import BrowseFilter, browse_query, facet_counts
from tests.factories import OrganisationFactory, make_user
from tests.services.test_listings import SENTINEL_EMAIL, SENTINEL_PHONE, listed, result_data

T, LX, LN, LO = Mode.TRANSFER, Mode.LICENSE_EXCLUSIVE, Mode.LICENSE_NON_EXCLUSIVE, Mode.LICENSE_OPEN
EQ, CO, UF = Mode.EQUITY, Mode.COOPERATION, Mode.USE_FIRST_PAY_LATER
#: Text that matches none of the queries below, so only titles and keywords decide.
NEUTRAL = {
    "keywords": (),
    "summary": "一种面向产业应用的技术成果，具有自主知识产权，主要指标达到国内先进水平。",
    "description": "应用前景广阔，可与企业合作开展工程化验证。",
}
NEED_NEUTRAL = {
    "keywords": (),
    "description": "企业在生产中遇到的技术难题，希望与高校院所合作攻关并实现产业化应用。",
    "targets": "",
    "existing_base": "",
}


@pytest.fixture
def corpus(fields):
    """Six public results, three open needs and some listings that must never be counted."""
    admin = make_user("admin")
    u1 = make_user("university")
    u2 = make_user("university")
    ent = make_user("enterprise")
    base = utcnow() - timedelta(days=10)

    def result(user, n, **kw):
        kw = {**NEUTRAL, **kw}
        return listed("result", fields, user, admin, now=base + timedelta(hours=n), **kw)

    def r(code):
        return fields[code].id

    items = {
        "r1": result(
            u1,
            1,
            title="碳纤维预浸料实验室制备",
            field_id=r("materials"),
            trl=2,
            modes=int(T),
            price_wan=Decimal("5"),
            region="changchun",
        ),
        "r2": result(
            u1,
            2,
            title="大丝束碳纤维中试线",
            field_id=r("materials"),
            trl=6,
            modes=int(LX | EQ),
            price_wan=Decimal("30"),
            region="jilin",
        ),
        "r3": result(
            u2,
            3,
            title="碳纤维复合材料回收",
            field_id=r("materials"),
            trl=8,
            modes=int(CO),
            price_wan=None,
            region="jilin",
        ),
        "r4": result(
            u2,
            4,
            title="LiFePO4正极材料低成本合成",
            field_id=r("energy"),
            trl=4,
            modes=int(T | UF),
            price_wan=Decimal("500"),
            region="changchun",
            keywords=("锂电池",),
        ),
        "r5": result(
            u1,
            5,
            title="钠离子电池储能系统",
            field_id=r("energy"),
            trl=9,
            modes=int(LO),
            price_wan=Decimal("100"),
            region="siping",
        ),
        "r6": result(
            u2,
            6,
            title="人参皂苷高效提取",
            field_id=r("biomedicine"),
            trl=5,
            modes=int(T | LN),
            price_wan=Decimal("10"),
            region="changchun",
        ),
        "n1": listed(
            "need",
            fields,
            ent,
            admin,
            now=base,
            **NEED_NEUTRAL,
            title="面议需求：高温合金焊接",
            field_id=r("metallurgy"),
            budget_wan=Decimal("0"),
            region="jilin",
        ),
        "n2": listed(
            "need",
            fields,
            ent,
            admin,
            now=base + timedelta(hours=1),
            **NEED_NEUTRAL,
            title="储能电池热管理需求",
            field_id=r("energy"),
            budget_wan=Decimal("80"),
            region="changchun",
        ),
        "n3": listed(
            "need",
            fields,
            ent,
            admin,
            now=base + timedelta(hours=2),
            **NEED_NEUTRAL,
            title="碳纤维自行车架需求",
            field_id=r("materials"),
            budget_wan=Decimal("20"),
            region="changchun",
        ),
    }
    # Never public: a draft, a withdrawn result, one whose validity ended (cron not run yet).
    listings.create_listing(actor=u1, data=result_data(fields, title="碳纤维草稿"))
    gone = listed("result", fields, u1, admin, title="碳纤维已撤下")
    listings.withdraw_listing(actor=u1, listing=gone)
    items["stale"] = listed(
        "result",
        fields,
        u2,
        admin,
        now=utcnow() - timedelta(days=400),
        title="碳纤维过期成果",
        region="baishan",
    )
    # r5 is under re-review with a new title: the public keeps counting its approved version.
    listings.update_listing(
        actor=u1,
        listing=items["r5"],
        data=result_data(fields, **{**_data_of(items["r5"]), "title": "新标题未审核"}),
    )
    db.session.commit()
    return {"items": items, "u1": u1, "u2": u2, "ent": ent, "admin": admin}


def _data_of(result) -> dict:
    return {
        **NEUTRAL,
        "title": result.title,
        "field_id": result.field_id,
        "trl": result.trl,
        "modes": result.modes,
        "price_wan": result.price_wan,
        "region": result.region,
        "keywords": tuple(result.keyword_list),
    }


def titles(f: BrowseFilter, **kw) -> list[str]:
    return [p.title for p in db.session.scalars(browse_query(f.cleaned(), **kw))]


def facets(f: BrowseFilter) -> dict[str, dict]:
    raw = facet_counts(f.cleaned())
    out: dict[str, dict] = {}
    for name, rows in raw.items():
        if name == "field":
            out[name] = {tf.code: n for tf, n in rows}
        elif name == "org":
            out[name] = {oid: n for (oid, _name), n in rows}
        else:
            out[name] = dict(rows)
    return out


# --- facets -----------------------------------------------------------------------------------
def test_result_facets_without_filters(corpus):
    got = facets(BrowseFilter(kind="result"))
    u1, u2 = corpus["u1"].organisation_id, corpus["u2"].organisation_id
    assert got == {
        "field": {"materials": 3, "biomedicine": 1, "energy": 2},
        "stage": {"lab": 1, "small_pilot": 2, "pilot": 1, "industrial": 2},
        "mode": {"transfer": 3, "license": 3, "equity": 1, "cooperation": 1, "use_first": 1},
        "price": {"lt10": 1, "10_50": 2, "100_500": 1, "gte500": 1, "negotiable": 1},
        "region": {"changchun": 3, "jilin": 2, "siping": 1},
        "org": {u1: 3, u2: 3},
    }
    assert len(titles(BrowseFilter(kind="result"))) == 6


def test_facet_lists_are_ordered(corpus):
    raw = facet_counts(BrowseFilter(kind="result"))
    assert [tf.code for tf, _ in raw["field"]] == [
        "materials",
        "biomedicine",
        "energy",
    ]  # taxonomy order
    assert [r for r, _ in raw["region"]] == ["changchun", "jilin", "siping"]  # most first
    assert [s for s, _ in raw["stage"]] == ["lab", "small_pilot", "pilot", "industrial"]
    assert [b for b, _ in raw["price"]] == ["lt10", "10_50", "100_500", "gte500", "negotiable"]
    (org_id, name), _count = raw["org"][0]
    assert org_id == corpus["u1"].organisation_id and name == corpus["u1"].organisation.name


def test_each_facet_applies_the_other_filters(corpus):
    got = facets(BrowseFilter(kind="result", field="materials"))
    u1, u2 = corpus["u1"].organisation_id, corpus["u2"].organisation_id
    assert got["field"] == {
        "materials": 3,
        "biomedicine": 1,
        "energy": 2,
    }  # its own filter is ignored
    assert got["region"] == {"changchun": 1, "jilin": 2}
    assert got["stage"] == {"lab": 1, "pilot": 1, "industrial": 1}
    assert got["mode"] == {"transfer": 1, "license": 1, "equity": 1, "cooperation": 1}
    assert got["price"] == {"lt10": 1, "10_50": 1, "negotiable": 1}
    assert got["org"] == {u1: 2, u2: 1}

    both = facets(BrowseFilter(kind="result", field="materials", region="jilin"))
    assert both["field"] == {"materials": 2}  # counted within jilin
    assert both["region"] == {"changchun": 1, "jilin": 2}  # counted within materials
    assert both["org"] == {u1: 1, u2: 1}
    assert sorted(titles(BrowseFilter(kind="result", field="materials", region="jilin"))) == sorted(
        ["大丝束碳纤维中试线", "碳纤维复合材料回收"]
    )


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"stage": "industrial"}, {"碳纤维复合材料回收", "钠离子电池储能系统"}),
        ({"stage": "small_pilot"}, {"LiFePO4正极材料低成本合成", "人参皂苷高效提取"}),
        ({"mode": "license"}, {"大丝束碳纤维中试线", "钠离子电池储能系统", "人参皂苷高效提取"}),
        ({"mode": "use_first"}, {"LiFePO4正极材料低成本合成"}),
        ({"price": "negotiable"}, {"碳纤维复合材料回收"}),
        ({"price": "10_50"}, {"大丝束碳纤维中试线", "人参皂苷高效提取"}),  # 10 is in 10–50
        ({"price": "100_500"}, {"钠离子电池储能系统"}),  # 100 is in 100–500
        ({"price": "gte500"}, {"LiFePO4正极材料低成本合成"}),  # 500 is in ≥500
        ({"region": "siping"}, {"钠离子电池储能系统"}),
        ({"field": "energy", "mode": "transfer"}, {"LiFePO4正极材料低成本合成"}),
        ({"field": "no-such-field"}, set()),
    ],
)
def test_filters(corpus, criteria, expected):
    assert set(titles(BrowseFilter(kind="result", **criteria))) == expected


def test_filter_by_organisation(corpus):
    org = corpus["u2"].organisation_id
    assert set(titles(BrowseFilter(kind="result", org=org))) == {
        "碳纤维复合材料回收",
        "LiFePO4正极材料低成本合成",
        "人参皂苷高效提取",
    }
    assert facets(BrowseFilter(kind="result", org=org))["org"] == {
        corpus["u1"].organisation_id: 3,
        org: 3,
    }


def test_need_facets_and_zero_budget_is_negotiable(corpus):
    got = facets(BrowseFilter(kind="need"))
    assert got == {
        "field": {"metallurgy": 1, "materials": 1, "energy": 1},
        "price": {"10_50": 1, "50_100": 1, "negotiable": 1},
        "region": {"changchun": 2, "jilin": 1},
        "org": {corpus["ent"].organisation_id: 3},
    }
    pub = corpus["items"]["n1"].publication
    assert pub.amount_wan is None  # budget 0 = 面议
    assert titles(BrowseFilter(kind="need", price="negotiable")) == ["面议需求：高温合金焊接"]
    assert set(titles(BrowseFilter(kind="need", field="materials"))) == {"碳纤维自行车架需求"}


def test_unknown_filter_values_are_dropped():
    cleaned = BrowseFilter(
        kind="result", stage="x", mode="y", price="z", sort="evil", field="f" * 99
    ).cleaned()
    assert (cleaned.stage, cleaned.mode, cleaned.price, cleaned.sort) == ("", "", "", "")
    assert len(cleaned.field) == 32


# --- sorting ----------------------------------------------------------------------------------
def test_sort_by_price_puts_negotiable_last(corpus):
    assert titles(BrowseFilter(kind="result", sort="price_asc")) == [
        "碳纤维预浸料实验室制备",
        "人参皂苷高效提取",
        "大丝束碳纤维中试线",
        "钠离子电池储能系统",
        "LiFePO4正极材料低成本合成",
        "碳纤维复合材料回收",
    ]
    assert titles(BrowseFilter(kind="result", sort="price_desc")) == [
        "LiFePO4正极材料低成本合成",
        "钠离子电池储能系统",
        "大丝束碳纤维中试线",
        "人参皂苷高效提取",
        "碳纤维预浸料实验室制备",
        "碳纤维复合材料回收",
    ]
    assert titles(BrowseFilter(kind="need", sort="price_asc"))[-1] == "面议需求：高温合金焊接"


def test_default_sort_is_newest_approval(corpus):
    assert titles(BrowseFilter(kind="result"))[:2] == ["人参皂苷高效提取", "钠离子电池储能系统"]
    assert BrowseFilter(kind="result").effective_sort == "newest"
    assert BrowseFilter(kind="result", q="碳纤").effective_sort == "relevance"
    assert (
        BrowseFilter(kind="result", sort="relevance").effective_sort == "newest"
    )  # nothing to rank


# --- search -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "碳纤",
            {"碳纤维预浸料实验室制备", "大丝束碳纤维中试线", "碳纤维复合材料回收"},
        ),  # 2 characters
        ("碳纤维", {"碳纤维预浸料实验室制备", "大丝束碳纤维中试线", "碳纤维复合材料回收"}),
        (
            "碳纖維",
            {"碳纤维预浸料实验室制备", "大丝束碳纤维中试线", "碳纤维复合材料回收"},
        ),  # traditional
        ("LiFePO4", {"LiFePO4正极材料低成本合成"}),
        ("lifepo4", {"LiFePO4正极材料低成本合成"}),
        ("ＬｉＦｅＰＯ４", {"LiFePO4正极材料低成本合成"}),  # full-width
        ("锂电池", {"LiFePO4正极材料低成本合成"}),  # keyword
        ("碳纤 中试", {"大丝束碳纤维中试线"}),  # terms are AND-ed
        ("石墨烯", set()),
        ("新标题未审核", set()),  # an unapproved edit is not searchable
        ("钠离子", {"钠离子电池储能系统"}),  # its approved version still is
        ("碳纤维草稿", set()),
        ("碳纤维已撤下", set()),
        ("碳纤维过期成果", set()),
    ],
)
def test_search(corpus, query, expected):
    assert set(titles(BrowseFilter(kind="result", q=query))) == expected


def test_search_counts_follow_the_query(corpus):
    got = facets(BrowseFilter(kind="result", q="碳纤"))
    assert got["field"] == {"materials": 3}
    assert got["region"] == {"changchun": 1, "jilin": 2}


def test_relevance_ranks_a_title_match_above_a_body_match(fields):
    admin, owner = make_user("admin"), make_user("university")
    base = utcnow() - timedelta(days=1)
    listed(
        "result",
        fields,
        owner,
        admin,
        now=base,
        title="石墨烯导热膜",
        summary="一种高导热薄膜材料的连续化制备方法，导热系数大于1500W/mK。",
    )
    listed(
        "result",
        fields,
        owner,
        admin,
        now=base + timedelta(hours=1),
        title="高导热薄膜",
        summary="以石墨烯为原料的高导热薄膜材料连续化制备方法，导热系数高。",
    )
    listed(
        "result",
        fields,
        owner,
        admin,
        now=base + timedelta(hours=2),
        title="无关成果",
        summary="一种与查询词完全无关的成果，用来确认过滤确实生效了。",
    )
    db.session.commit()
    assert titles(BrowseFilter(kind="result", q="石墨烯")) == ["石墨烯导热膜", "高导热薄膜"]
    assert titles(BrowseFilter(kind="result", q="石墨烯", sort="newest")) == [
        "高导热薄膜",
        "石墨烯导热膜",
    ]


def test_like_wildcards_are_literal(fields):
    admin, owner = make_user("admin"), make_user("university")
    for title in (
        "转化率提升50%的催化剂",
        "转化率提升50倍的催化剂",
        "碳_纤维复合材料",
        "碳和纤维复合材料",
    ):
        listed("result", fields, owner, admin, title=title)
    db.session.commit()
    assert titles(BrowseFilter(kind="result", q="%")) == ["转化率提升50%的催化剂"]
    assert titles(BrowseFilter(kind="result", q="50%")) == ["转化率提升50%的催化剂"]
    assert titles(BrowseFilter(kind="result", q="碳_纤")) == ["碳_纤维复合材料"]  # not 碳和纤
    assert titles(BrowseFilter(kind="result", q="_")) == ["碳_纤维复合材料"]
    assert titles(BrowseFilter(kind="result", q="\\")) == []


def test_huge_query_is_bounded(corpus):
    f = BrowseFilter(kind="result", q="碳纤 " * 5000).cleaned()
    assert len(f.q) <= browsing.MAX_QUERY
    assert len(f.terms) <= browsing.MAX_TERMS
    assert set(titles(f)) == {"碳纤维预浸料实验室制备", "大丝束碳纤维中试线", "碳纤维复合材料回收"}
    assert titles(BrowseFilter(kind="result", q="碳" * 10000)) == []
    facet_counts(BrowseFilter(kind="result", q="x" * 10000).cleaned())


# --- visibility -------------------------------------------------------------------------------
def test_expired_publications_are_hidden_before_the_cron_runs(corpus):
    stale = corpus["items"]["stale"]
    assert stale.status == "listed" and stale.publication is not None  # cron has not run
    assert "碳纤维过期成果" not in titles(BrowseFilter(kind="result"))
    assert "baishan" not in facets(BrowseFilter(kind="result"))["region"]
    assert publication.public_publication("result", stale.id) is None
    assert stale.publication.id not in [
        p.id for p in publication.organisation_publications(stale.organisation_id)
    ]
    assert stale.id not in [p.result_id for p in publication.latest("result", limit=50)]
    assert publication.publication_counts() == {"result": 6, "need": 3}


def test_public_publication_is_the_approved_version(corpus):
    r5 = corpus["items"]["r5"]
    pub = publication.public_publication("result", r5.id)
    assert pub is not None and pub.title == "钠离子电池储能系统"
    assert r5.title == "新标题未审核"


def test_publication_holds_no_contact_details(corpus):
    for pub in db.session.scalars(sa.select(Publication)):
        blob = repr([getattr(pub, c.key) for c in Publication.__table__.columns])
        assert SENTINEL_PHONE not in blob and SENTINEL_EMAIL not in blob
        assert "李老师" not in blob and "王工" not in blob


def test_organisation_publications(corpus):
    pubs = publication.organisation_publications(corpus["u1"].organisation_id)
    assert sorted(p.title for p in pubs) == sorted(
        ["碳纤维预浸料实验室制备", "大丝束碳纤维中试线", "钠离子电池储能系统"]
    )
    assert publication.organisation_publications(OrganisationFactory().id) == []


# --- detail and diff --------------------------------------------------------------------------
def test_detail_view_public_version_versus_working_copy(corpus):
    r5 = corpus["items"]["r5"]
    public = publication.detail_view(r5, r5.publication)
    working = publication.detail_view(r5, None)
    assert public["title"] == "钠离子电池储能系统" and working["title"] == "新标题未审核"
    assert public["approved_at"] == r5.publication.approved_at and working["approved_at"] is None
    assert public["id"] == working["id"] == r5.id
    for view in (public, working):
        assert SENTINEL_PHONE not in repr(view) and SENTINEL_EMAIL not in repr(view)


def test_need_detail_shows_negotiable_budget_as_none(corpus):
    n1 = corpus["items"]["n1"]
    assert publication.detail_view(n1, None)["amount"] is None
    assert publication.detail_view(n1, n1.publication)["amount"] is None
    n2 = corpus["items"]["n2"]
    assert publication.detail_view(n2, n2.publication)["amount"] == Decimal("80")


def test_changes_since_approval(corpus):
    r5 = corpus["items"]["r5"]
    changes = publication.changes_since_approval(r5)
    assert [c["key"] for c in changes] == ["title"]
    change = changes[0]
    assert (change["before"], change["after"]) == ("钠离子电池储能系统", "新标题未审核")
    assert ("delete", "钠离子电池储能系统") in change["segments"] and (
        "insert",
        "新标题未审核",
    ) in change["segments"]
    r1 = corpus["items"]["r1"]
    assert publication.changes_since_approval(r1) == []


def test_changes_of_a_never_approved_listing_list_every_field(fields):
    owner = make_user("university")
    draft = listings.create_listing(actor=owner, data=result_data(fields))
    keys = {c["key"] for c in publication.changes_since_approval(draft)}
    assert {"title", "summary", "field", "trl", "modes", "amount", "description"} <= keys


def test_text_diff_segments():
    assert publication.text_diff("碳纤维原丝", "碳纤维复丝") == [
        ("equal", "碳纤维"),
        ("delete", "原"),
        ("insert", "复"),
        ("equal", "丝"),
    ]


def test_need_data_round_trip(fields):
    owner, admin = make_user("enterprise"), make_user("admin")
    need = listed("need", fields, owner, admin, targets="节拍≤5分钟", existing_base="热压罐")
    data = need.publication.data
    assert data["targets"] == "节拍≤5分钟" and data["existing_base"] == "热压罐"
    assert need.publication.trl is None and need.publication.modes == 0
