"""Stored uploads follow the unit of work: kept after the commit, gone after a rollback.

One request per kind of stored file (listing attachment, application attachment, milestone
evidence) stores its file and then fails (a 500): neither the pending nor the final file
remains, and no row. The same upload without the failure leaves the final file.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ApplicationAttachment, Attachment, MilestoneEvidence
from matchmaker.services.challenges import application_files, deals
from matchmaker.services.market import attachments
from matchmaker.services.platform.files import storage_dir
from tests.conftest import log_in
from tests.services.test_deals import TERMS, awarded  # noqa: F401  (a fixture)
from tests.web.test_application_attachments import _draft, _upload, world  # noqa: F401
from tests.web.test_listings_web import setup_listing, upload

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _files() -> set[str]:
    return {p.name for p in storage_dir().iterdir()}


def _count(model: type) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _fail(*args: object, **kwargs: object) -> None:
    raise RuntimeError("a later step of the request failed")


def _stored_then(model: type, before: set[str], *, kept: bool) -> None:
    new = _files() - before
    assert not any(name.endswith(".part") for name in new)
    if kept:
        assert _count(model) == 1
        name = db.session.scalar(sa.select(model.stored_name))  # type: ignore[attr-defined]
        assert new == {name}
    else:
        assert new == set()
        assert _count(model) == 0


@pytest.mark.parametrize("fails", [True, False])
def test_listing_attachment(client, fields, monkeypatch, fails):
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    if fails:
        monkeypatch.setattr(attachments, "record_audit", _fail)
    before = _files()
    response = upload(client, "result", listing.id, PDF, "报告.pdf")
    assert response.status_code == (500 if fails else 302)
    _stored_then(Attachment, before, kept=not fails)


@pytest.mark.parametrize("fails", [True, False])
def test_application_attachment(client, world, monkeypatch, fails):  # noqa: F811
    _draft(client, world)
    if fails:
        monkeypatch.setattr(application_files, "record_audit", _fail)
    before = _files()
    response = _upload(client, world, PDF, "方案.pdf")
    assert response.status_code == (500 if fails else 302)
    _stored_then(ApplicationAttachment, before, kept=not fails)


@pytest.mark.parametrize("fails", [True, False])
def test_milestone_evidence(client, awarded, monkeypatch, fails):  # noqa: F811
    w = awarded
    deal = deals.record_deal(actor=w["owner"], application=w["application"], terms=TERMS)
    milestone = deals.add_milestone(
        actor=w["owner"], deal=deal, title="中试线改造", due_on=date(2027, 3, 1)
    )
    db.session.commit()
    log_in(client, w["uni_a"])
    if fails:
        monkeypatch.setattr(deals, "notify", _fail)
    before = _files()
    prefix = f"evidence-{milestone.id}"
    response = client.post(
        f"/my/deals/{deal.id}/milestones/{milestone.id}/evidence",
        data={f"{prefix}-file": (io.BytesIO(PDF), "验收报告.pdf"), f"{prefix}-note": "已完成"},
        content_type="multipart/form-data",
    )
    assert response.status_code == (500 if fails else 302)
    _stored_then(MilestoneEvidence, before, kept=not fails)
    db.session.expire_all()
    assert db.session.get(type(milestone), milestone.id).status == (
        "pending" if fails else "submitted"
    )
