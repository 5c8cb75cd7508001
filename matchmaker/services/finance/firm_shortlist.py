"""A bank's shortlist (关注名单) of firms, with its own notes (never shown to the firm).

A firm goes on the list only while it consents (the addition is written to its view log as
a shortlist); the entry and its note stay when consent lapses, but the firm then shows as
授权已失效 with no profile data and cannot be opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import ShortlistEntry, User, ViewAction
from matchmaker.models.base import utcnow
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.services.finance import consent
from matchmaker.services.finance.firm_scope import FirmView, accesses_of, bank_org_id, views_of

NOTE_MAX = 1000


@dataclass(frozen=True)
class ShortlistRow:
    """An entry of the bank's shortlist; `firm` is None once the firm's consent has lapsed."""

    entry: ShortlistEntry
    firm: FirmView | None
    access: consent.FirmAccess | None


def shortlisted_ids(bank_id: int, firm_ids: Sequence[int]) -> set[int]:
    """Which of the firms are on the bank's shortlist."""
    if not firm_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(ShortlistEntry.firm_org_id).where(
                ShortlistEntry.bank_org_id == bank_id,
                ShortlistEntry.firm_org_id.in_(list(firm_ids)),
            )
        )
    )


def shortlist_entry(*, actor: User, firm_org_id: int) -> ShortlistEntry | None:
    """The actor's bank's entry for the firm, if any."""
    return db.session.scalar(
        sa.select(ShortlistEntry).where(
            ShortlistEntry.bank_org_id == bank_org_id(actor),
            ShortlistEntry.firm_org_id == firm_org_id,
        )
    )


def _clean_note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed({"note": _("备注不能超过 %(max)d 个字符。", max=NOTE_MAX)})
    return note


def add_to_shortlist(*, actor: User, firm_org_id: int, note: str = "") -> ShortlistEntry:
    """Put a consenting firm on the bank's shortlist (once per bank; again sets the note)."""
    note = _clean_note(note)
    access = consent.peek_firm(actor=actor, firm_org_id=firm_org_id)
    entry = shortlist_entry(actor=actor, firm_org_id=firm_org_id)
    if entry is not None:
        entry.note = note
        entry.updated_at = utcnow()
        db.session.flush()
        return entry
    entry = ShortlistEntry(
        bank_org_id=actor.organisation_id,
        firm_org_id=firm_org_id,
        note=note,
        created_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:  # a colleague added the firm a moment ago: keep one entry
        entry = shortlist_entry(actor=actor, firm_org_id=firm_org_id)
        if entry is None:
            raise
        entry.note = note
        return entry
    consent.log_view(actor=actor, access=access, action=ViewAction.SHORTLIST)
    return entry


def update_note(*, actor: User, firm_org_id: int, note: str) -> ShortlistEntry:
    """Change the bank's own note (also after the firm's consent lapsed)."""
    note = _clean_note(note)
    entry = shortlist_entry(actor=actor, firm_org_id=firm_org_id)
    if entry is None:
        raise NotFound
    entry.note = note
    entry.updated_at = utcnow()
    db.session.flush()
    return entry


def remove_from_shortlist(*, actor: User, firm_org_id: int) -> None:
    """Take the firm off the bank's shortlist."""
    entry = shortlist_entry(actor=actor, firm_org_id=firm_org_id)
    if entry is None:
        raise NotFound
    db.session.delete(entry)
    db.session.flush()


def shortlist(*, actor: User, with_activity: bool = False) -> list[ShortlistRow]:
    """The bank's shortlist, last changed first; lapsed firms come without profile data."""
    bank_id = bank_org_id(actor)
    entries = db.session.scalars(
        sa.select(ShortlistEntry)
        .where(ShortlistEntry.bank_org_id == bank_id)
        .options(selectinload(ShortlistEntry.firm))
        .order_by(ShortlistEntry.updated_at.desc(), ShortlistEntry.id.desc())
    ).all()
    if not entries:
        return []
    live = consent.consenting_firms().subquery()
    rows = db.session.execute(
        sa.select(live).where(live.c.organisation_id.in_([e.firm_org_id for e in entries]))
    ).all()
    accesses = accesses_of(rows)
    seen = {
        a.organisation.id: (a, v)
        for a, v in zip(accesses, views_of(accesses, with_activity=with_activity), strict=True)
    }
    out = []
    for entry in entries:
        access, view = seen.get(entry.firm_org_id, (None, None))
        out.append(ShortlistRow(entry=entry, firm=view, access=access))
    return out
