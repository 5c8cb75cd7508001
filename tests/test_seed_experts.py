"""The demo expert profiles: published, kept by universities and institutes, with results."""

from __future__ import annotations

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ExpertProfile, ExpertStatus, OrgKind
from matchmaker.seed.experts import experts_data


def test_demo_experts_are_published_with_their_results(runner, client):
    result = runner.invoke(args=["seed", "demo", "--verbose"])
    assert result.exit_code == 0, result.output
    assert "experts: " in result.output
    profiles = list(db.session.scalars(sa.select(ExpertProfile)))
    assert len(profiles) == len(experts_data()["experts"]) >= 5
    assert all(p.status == ExpertStatus.PUBLISHED for p in profiles)
    assert all(p.organisation.kind in (OrgKind.UNIVERSITY, OrgKind.INSTITUTE) for p in profiles)
    assert all(p.results for p in profiles)
    assert all(r.organisation_id == p.organisation_id for p in profiles for r in p.results)
    page = client.get("/experts?q=人参").get_data(as_text=True)
    assert "孙丽娟" in page and "陈立群" not in page
