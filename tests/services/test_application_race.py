"""Autosave and 提交 can both create an organisation's draft at once: the second one updates it."""

from __future__ import annotations

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Application
from matchmaker.services.challenges import applications
from tests.services.challenge_helpers import PROPOSAL, challenge_world


def test_a_draft_created_meanwhile_is_updated_instead_of_failing(fields, monkeypatch):
    w = challenge_world(fields)
    first = applications.save_application_draft(
        actor=w["uni_a"],
        challenge=w["challenge"],
        data=applications.ApplicationData(approach="草稿"),
    )
    db.session.commit()
    # The second request looked before the first one's row was committed: it saw nothing.
    monkeypatch.setattr(applications, "_organisation_application", _none_once())
    second = applications.save_application_draft(
        actor=w["uni_a"], challenge=w["challenge"], data=PROPOSAL
    )
    db.session.commit()
    assert second.id == first.id
    rows = db.session.scalars(
        sa.select(Application).where(Application.challenge_id == w["challenge"].id)
    ).all()
    assert [row.approach for row in rows] == [PROPOSAL.approach]
    assert len(w["challenge"].applications) == 1


def _none_once():
    real = applications._organisation_application
    calls = []

    def lookup(challenge, actor):
        calls.append(1)
        return None if len(calls) == 1 else real(challenge, actor)

    return lookup
