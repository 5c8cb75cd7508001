"""The demo listings: enough of them, every field, region and state, searchable, deterministic."""

from __future__ import annotations

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Challenge, ChallengeKind, Need, Organisation, Publication, Result
from matchmaker.seed.challenges import CHALLENGE_STATES
from matchmaker.seed.listings import listings_data
from matchmaker.services.market.browsing import BrowseFilter, browse_query
from matchmaker.services.platform.regions import REGIONS
from matchmaker.services.platform.taxonomy import KEY_INDUSTRIES, ensure_key_industries

FIELD_CODES = {code for code, _, _ in KEY_INDUSTRIES}


def _seed(runner, *args: str) -> None:
    result = runner.invoke(args=["seed", "demo", "--verbose", *args])
    assert result.exit_code == 0, result.output
    assert "listings: " in result.output


def _state(listing: Result | Need) -> str:
    """The demo state of a listing, as the owner would describe it."""
    if listing.status == "draft" and listing.review_reason_code:
        return "rejected"
    if listing.status == "pending_review" and listing.publication is not None:
        return "edited"
    return str(listing.status)


def _snapshot() -> list[tuple[str, str, str, str | None]]:
    rows = []
    for model in (Result, Need):
        for listing in db.session.scalars(sa.select(model)):
            rows.append((listing.KIND, listing.title, _state(listing), listing.review_reason_code))
    return sorted(rows)


def test_the_json_holds_enough_distinct_listings():
    data = listings_data()
    titles = [e["title"] for e in data["results"] + data["needs"]]
    assert len(data["results"]) >= 150
    assert len(data["needs"]) >= 80
    assert len(set(titles)) == len(titles)
    assert len({e["summary"] for e in data["results"]}) == len(data["results"])


def test_demo_listings_cover_every_field_region_and_state_and_are_searchable(runner):
    ensure_key_industries()
    db.session.commit()
    _seed(runner)

    results = db.session.scalars(sa.select(Result)).all()
    # a 场景's need belongs to the bureau and is never a public 技术需求 (docs/bureau.md)
    scenario_needs = sa.select(Challenge.need_id).where(Challenge.kind == ChallengeKind.SCENARIO)
    needs = db.session.scalars(sa.select(Need).where(Need.id.not_in(scenario_needs))).all()
    assert len(results) >= 150
    assert len(needs) >= 80
    for listings in (results, needs):
        assert {x.field.code for x in listings} == FIELD_CODES
        assert {x.region for x in listings} == set(REGIONS)
        assert all(x.contact_name and x.contact_phone and x.contact_email for x in listings)
    assert {_state(x) for x in results} == {
        "draft",
        "pending_review",
        "rejected",
        "listed",
        "edited",
        "withdrawn",
        "expired",
        "transferred",
    }
    assert {_state(x) for x in needs} == {
        "draft",
        "pending_review",
        "rejected",
        "open",
        "withdrawn",
        "expired",
        *CHALLENGE_STATES,  # the demo challenges move their needs along the 揭榜挂帅 states
    }
    # Most listings are public; public ones (and the one under re-review) have a public version.
    assert sum(x.status == "listed" for x in results) >= 0.6 * len(results)
    public = {"listed", "open", *CHALLENGE_STATES} - {"withdrawn"}  # a challenge stays public
    assert sum(x.status in public for x in needs) >= 0.5 * len(needs)
    published = db.session.scalar(sa.select(sa.func.count()).select_from(Publication))
    listed = sum(x.status in public for x in results + needs)
    assert published == listed + 1
    # Rejections carry a reason code and text; unverified organisations only have drafts.
    rejected = [x for x in results + needs if _state(x) == "rejected"]
    assert all(x.review_reason for x in rejected)
    unverified = [x for x in results + needs if x.organisation.status != "verified"]
    assert unverified
    assert {x.status for x in unverified} == {"draft"}
    # Offered modes, trial terms and expiry windows came through the services.
    assert all(x.modes and x.trl for x in results)
    assert all(x.trial_terms for x in results if x.modes & 64)
    assert all(x.expires_at is not None for x in results if x.status == "listed")

    # The public search works on the demo: 2-character Chinese queries and model numbers.
    def titles(q: str) -> list[str]:
        return [p.title for p in db.session.scalars(browse_query(BrowseFilter(kind="result", q=q)))]

    carbon = titles("碳纤")
    expected = {x.title for x in results if "碳纤维" in x.title and x.status == "listed"}
    assert expected
    assert expected <= set(carbon)
    assert any("磷酸铁锂" in t for t in titles("LiFePO4"))
    assert any("YOLOv8" in t for t in titles("yolov8"))
    assert titles("SiC MOSFET")
    needs = [p.title for p in db.session.scalars(browse_query(BrowseFilter(kind="need", q="碳纤")))]
    assert any("碳纤维" in t for t in needs)


def test_demo_listings_are_deterministic(runner):
    _seed(runner)
    first = _snapshot()
    _seed(runner, "--reset")
    second = _snapshot()
    assert first == second
    organisations = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
    # demo.json's organisations plus the firms finance.json registers for the bank's browser
    assert organisations == 16 + 12
    assert len(first) >= 230
