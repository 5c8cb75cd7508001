"""Removing or replacing a stored file follows the unit of work (SECURITY.md row 31,
v5.0.0-2.3.3: operations are transactional; issue 17 point 11a).

A removal deletes the row at once and the file only after the commit
(`files.delete_after_commit`): when a later step of the same unit fails, or the commit itself
fails, the row is still there and its file still readable. A save that fails after the file
was written leaves no file that no row names (`files.orphaned_keys`), whether a later step or
the commit fails. Every path that removes a stored file is covered: listing attachments,
application attachments, the organisation's scan (replaced); the other stored files (deal
evidence, 对接 files) are never removed, and their saves are covered here and in
tests/web/test_stored_files.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import ApplicationAttachment, Attachment, OrganisationDocument
from matchmaker.models.stored_file import StoredFile
from matchmaker.services.accounts import accounts, evidence
from matchmaker.services.challenges import application_files, applications
from matchmaker.services.market import attachments
from matchmaker.services.platform import files, storage, uow
from matchmaker.web.listings import views as listing_views
from tests.conftest import log_in
from tests.factories import PDF_BYTES, PNG_BYTES, make_user, scan_upload
from tests.services.challenge_helpers import PROPOSAL, challenge_world
from tests.web.test_listings_web import setup_listing


class LaterStepFailed(RuntimeError):
    """What a step after the removal raises."""


@contextmanager
def failing_commit() -> Iterator[None]:
    """The commit itself fails (a deferred constraint, a lost connection)."""

    def refuse(session: Session) -> None:
        raise LaterStepFailed("the commit failed")

    sa.event.listen(Session, "before_commit", refuse)
    try:
        yield
    finally:
        sa.event.remove(Session, "before_commit", refuse)


def run_failing(work: Callable[[], object], how: str) -> None:
    """Run `work` in a unit of work that fails after it: in a later step or at the commit."""

    def unit() -> None:
        if how == "later-step":
            with uow.scope():
                work()
                raise LaterStepFailed("a later step of the same unit of work failed")
        with failing_commit(), uow.scope():
            work()

    with pytest.raises(LaterStepFailed):
        unit()


@dataclass(frozen=True)
class Kept:
    """A stored row as the test remembers it (its instance may be gone after a deletion)."""

    model: type[StoredFile]
    id: int
    key: str


def kept(row: StoredFile) -> Kept:
    return Kept(type(row), row.id, files.key_of(row.stored_name))  # type: ignore[attr-defined]


def row_of(stored: Kept) -> StoredFile | None:
    """The row, found by its file (SQLite may give a replacing row the same id)."""
    db.session.expire_all()
    name = stored.key.removeprefix(files.PREFIX)
    model: Any = stored.model
    return db.session.scalar(sa.select(model).where(model.stored_name == name))


def readable(stored: Kept) -> bytes | None:
    """The file's bytes read through the storage, or None when it is gone."""
    blob = files.StoredBlob(stored.key)
    if not blob.exists():
        return None
    with blob.open() as stream:
        return stream.read()


@pytest.fixture(autouse=True)
def earlier_keys(app: object) -> set[str]:
    """The stored keys left by earlier tests (the tables are wiped between tests, the folder
    is not): only keys this test adds count."""
    EARLIER.clear()
    EARLIER.update(storage.get().keys(files.PREFIX))
    return EARLIER


EARLIER: set[str] = set()


def no_orphans() -> bool:
    """No file this test stored lacks its row, and no pending `.part` file is left."""
    new = set(storage.get().keys(files.PREFIX)) - EARLIER
    orphans = set(files.orphaned_keys()) & new
    return orphans == set() and not any(key.endswith(".part") for key in new)


# --- what each kind of removal needs --------------------------------------------------------
def listing_attachment(fields: object) -> tuple[Kept, Callable[[], object]]:
    owner, _admin, listing = setup_listing("result", "draft", fields)
    with uow.scope():
        row = kept(
            attachments.add_attachment(
                actor=owner, listing=listing, stream=io.BytesIO(PDF_BYTES), filename="报告.pdf"
            )
        )
    return row, lambda: attachments.remove_attachment(actor=owner, attachment=row_of(row))


def application_attachment(fields: object) -> tuple[Kept, Callable[[], object]]:
    w = challenge_world(fields)
    with uow.scope():
        application = applications.save_application_draft(
            actor=w["uni_a"], challenge=w["challenge"], data=PROPOSAL
        )
        row = kept(
            application_files.add_application_attachment(
                actor=w["uni_a"],
                application=application,
                stream=io.BytesIO(PDF_BYTES),
                filename="方案.pdf",
            )
        )
    return row, lambda: application_files.remove_application_attachment(
        actor=w["uni_a"], attachment=row_of(row)
    )


def organisation_scan(fields: object) -> tuple[Kept, Callable[[], object]]:
    member = make_user("enterprise")
    org = member.organisation
    with uow.scope():
        row = kept(evidence.upload_document(actor=member, organisation=org, upload=scan_upload()))
    return row, lambda: evidence.upload_document(
        actor=member,
        organisation=org,
        upload=evidence.DocumentUpload(stream=io.BytesIO(PNG_BYTES), filename="新执照.png"),
    )


REMOVALS = {
    "listing-attachment": listing_attachment,
    "application-attachment": application_attachment,
    "organisation-scan-replaced": organisation_scan,
}


@pytest.mark.parametrize("how", ["later-step", "commit"])
@pytest.mark.parametrize("kind", REMOVALS)
def test_a_removal_that_does_not_commit_keeps_the_row_and_its_file(fields, kind, how):
    """Row 31: the row is still there and its file still readable; nothing is left over."""
    row, remove = REMOVALS[kind](fields)
    assert readable(row) == PDF_BYTES
    run_failing(remove, how)
    assert row_of(row) is not None
    assert readable(row) == PDF_BYTES
    assert no_orphans()  # the replacing scan of the third kind is gone too


@pytest.mark.parametrize("kind", REMOVALS)
def test_a_committed_removal_deletes_the_file(fields, kind):
    """Row 31, the other half: once the removal is stored, the file goes too."""
    row, remove = REMOVALS[kind](fields)
    with uow.scope():
        remove()
    assert row_of(row) is None
    assert readable(row) is None
    assert no_orphans()


def test_removing_an_attachment_in_a_request_that_then_fails(client, fields, monkeypatch):
    """Row 31, through the page: a step after the removal fails (a 500): the row and its file
    are kept; the same request without the failure removes both."""
    owner, _admin, listing = setup_listing("result", "draft", fields)
    with uow.scope():
        row = kept(
            attachments.add_attachment(
                actor=owner, listing=listing, stream=io.BytesIO(PDF_BYTES), filename="报告.pdf"
            )
        )
    log_in(client, owner)
    url = f"/my/results/{listing.id}/attachments/{row.id}/delete"

    def later_step(*args: object, **kwargs: object) -> None:
        raise LaterStepFailed("a later step of the request failed")

    monkeypatch.setattr(listing_views, "flash", later_step)  # right after the service call
    assert client.post(url).status_code == 500
    assert row_of(row) is not None and readable(row) == PDF_BYTES
    monkeypatch.undo()
    assert client.post(url).status_code == 302
    assert row_of(row) is None and readable(row) is None
    assert no_orphans()


# --- saves that fail leave no file behind -----------------------------------------------------
def save_listing_attachment(fields: object) -> Callable[[], object]:
    owner, _admin, listing = setup_listing("result", "draft", fields)
    return lambda: attachments.add_attachment(
        actor=owner, listing=listing, stream=io.BytesIO(PDF_BYTES), filename="报告.pdf"
    )


def save_registration(fields: object) -> Callable[[], object]:
    return lambda: accounts.register_organisation(
        organisation=accounts.OrganisationData(
            kind="enterprise",
            name="长春回滚测试有限公司",
            region="changchun",
            credit_code="91350100M000100Y43",
        ),
        person=accounts.PersonData(
            name="王伟", email="rollback@example.com", password="blue mango parachute 17"
        ),
        document=scan_upload(),
    )


SAVES = {
    "listing-attachment": save_listing_attachment,
    "registration-scan": save_registration,
    "organisation-scan": lambda fields: organisation_scan(fields)[1],
}


@pytest.mark.parametrize("how", ["later-step", "commit"])
@pytest.mark.parametrize("kind", SAVES)
def test_a_save_that_does_not_commit_leaves_no_orphan_file(fields, kind, how):
    """Row 31: `Monkeypatch ... file save to raise mid-operation → no partial rows, no orphan
    files`: the stored file goes with the rolled-back row."""
    save = SAVES[kind](fields)
    counts = {
        m: db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Attachment, ApplicationAttachment, OrganisationDocument)
    }
    run_failing(save, how)
    db.session.expire_all()
    assert counts == {
        m: db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Attachment, ApplicationAttachment, OrganisationDocument)
    }
    assert no_orphans()
