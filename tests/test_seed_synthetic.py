"""`matchmaker seed synthetic`: published listings the public pages, search and index serve."""

from __future__ import annotations

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Need, Organisation, Publication, RecommenderState, Result
from matchmaker.seed.synthetic import DOMAIN, synthetic_counts


def _seed(runner, *args: str):  # noqa: ANN202
    return runner.invoke(args=["seed", "synthetic", *args])


def _count(stmt: sa.Select) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)


def test_synthetic_listings_are_published_listed_searchable_and_indexed(runner, client, login_as):
    outcome = _seed(runner, "--listings", "200")
    assert outcome.exit_code == 0, outcome.output
    assert "recommender index generation 1 with 200 documents" in outcome.output

    results = _count(sa.select(Result.id).where(Result.status == "listed"))
    needs = _count(sa.select(Need.id).where(Need.status == "open"))
    assert results + needs == 200
    assert results > 80 and needs > 30  # both kinds, results the larger share
    assert _count(sa.select(Publication.id)) == 200  # every listing public, as approval writes it
    assert synthetic_counts() == {"organisations": 2, "results": results, "needs": needs}
    orgs = db.session.scalars(sa.select(Organisation)).all()
    assert all(o.is_verified and o.website.endswith(DOMAIN) for o in orgs)
    assert all(len(o.members) == 1 and o.members[0].is_active for o in orgs)  # enquiries go there
    assert db.session.get(RecommenderState, 1).documents == 200

    page = client.get("/results")
    assert page.status_code == 200
    pub = db.session.scalars(
        sa.select(Publication)
        .where(Publication.kind == "result")
        .order_by(Publication.approved_at.desc())
    ).first()
    assert pub.title in page.get_data(as_text=True)  # the newest result leads the list
    assert f"共 {results} 条" in page.get_data(as_text=True)

    # a word of the demo vocabulary (Chinese only: Latin runs are spaced apart in search_text)
    word = next(k for k in pub.keywords.split(",") if not any(c.isascii() for c in k))
    expected = _count(
        sa.select(Publication.id).where(
            Publication.kind == "result", Publication.search_text.contains(word.lower())
        )
    )
    found = client.get("/results", query_string={"q": word})
    assert found.status_code == 200
    assert expected >= 1 and f"共 {expected} 条" in found.get_data(as_text=True)
    one = client.get("/results", query_string={"q": pub.title})
    assert pub.title in one.get_data(as_text=True)

    detail = client.get(f"/results/{pub.result_id}")
    assert detail.status_code == 200
    body = detail.get_data(as_text=True)
    assert pub.title in body
    assert pub.organisation.name in body
    need = db.session.scalars(sa.select(Publication).where(Publication.kind == "need")).first()
    assert client.get(f"/needs/{need.need_id}").status_code == 200

    login_as("enterprise")  # a 对接 request reaches the synthetic organisation's member
    sent = client.post(
        f"/connect/new?kind=result&id={pub.result_id}",
        data={"intent": "consulting", "message": "希望进一步了解合作方式。"},
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)


def test_a_second_run_refuses_unless_adding_more(runner):
    assert _seed(runner, "--listings", "20", "--no-index").exit_code == 0
    again = _seed(runner, "--listings", "20")
    assert again.exit_code != 0
    assert "already loaded" in again.output
    assert synthetic_counts()["results"] + synthetic_counts()["needs"] == 20

    more = _seed(runner, "--listings", "30", "--add-more", "--no-index")
    assert more.exit_code == 0, more.output
    counts = synthetic_counts()
    assert counts["organisations"] == 2
    assert counts["results"] + counts["needs"] == 50
    names = db.session.scalars(sa.select(Organisation.name)).all()
    assert len(set(names)) == len(names)  # numbering continued


def test_production_refuses_without_force(runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "SEED_ALLOWED", False)
    refused = _seed(runner, "--listings", "5")
    assert refused.exit_code != 0
    assert "--force" in refused.output
    assert synthetic_counts()["organisations"] == 0
