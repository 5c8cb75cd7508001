"""The pure meeting-planning algorithm of a 银企对接 event: no database, no Flask.

The rules: eligible pairs come first, then higher fit; one meeting per (bank, firm) pair on its
best product/need; each pair takes the earliest slot in which neither side is busy; a bank has
at most `cap` meetings. Ties are broken by ids, so the same input gives the same schedule.
services/finance/event_scheduling.py feeds it from the database and writes what it proposes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Candidate:
    """One bank product against one firm's financing need, as judged by the eligibility rules."""

    bank_id: int
    firm_id: int
    product_id: int
    need_id: int
    eligible: bool
    fit: float


@dataclass(frozen=True)
class Proposal:
    """A meeting to propose: a pair, what it is about, and its slot."""

    bank_id: int
    firm_id: int
    product_id: int
    need_id: int
    slot: Hashable
    fit: float
    eligible: bool


def _rank(c: Candidate) -> tuple[bool, float, int, int, int, int]:
    return (not c.eligible, -c.fit, c.bank_id, c.firm_id, c.product_id, c.need_id)


def best_pairs(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The best product/need per (bank, firm) pair, best pairs first (eligible, then fit)."""
    best: dict[tuple[int, int], Candidate] = {}
    for c in candidates:
        key = (c.bank_id, c.firm_id)
        if key not in best or _rank(c) < _rank(best[key]):
            best[key] = c
    return sorted(best.values(), key=_rank)


def propose(
    candidates: Iterable[Candidate],
    slots: Sequence[Hashable],
    *,
    cap: int | None = None,
    busy: Iterable[tuple[str, int, Hashable]] = (),
    booked: dict[int, int] | None = None,
    skip: Iterable[tuple[int, int]] = (),
) -> list[Proposal]:
    """Place the best pairs greedily into the earliest slot free for both sides.

    `busy` holds ("bank" | "firm", org id, slot) already taken by kept meetings, `booked` the
    number of kept meetings per bank (they count toward `cap`), `skip` the (bank, firm) pairs
    that already have a kept meeting. `cap` defaults to the number of slots.
    """
    limit = len(slots) if cap is None else max(0, cap)
    taken = set(busy)
    count: Counter[int] = Counter(booked or {})
    done = set(skip)
    out: list[Proposal] = []
    for c in best_pairs(candidates):
        if (c.bank_id, c.firm_id) in done or count[c.bank_id] >= limit:
            continue
        for slot in slots:
            if ("bank", c.bank_id, slot) in taken or ("firm", c.firm_id, slot) in taken:
                continue
            taken.add(("bank", c.bank_id, slot))
            taken.add(("firm", c.firm_id, slot))
            count[c.bank_id] += 1
            done.add((c.bank_id, c.firm_id))
            out.append(
                Proposal(c.bank_id, c.firm_id, c.product_id, c.need_id, slot, c.fit, c.eligible)
            )
            break
    return out


def slot_starts(
    starts_at: datetime, ends_at: datetime, minutes: int, *, not_before: datetime | None = None
) -> list[datetime]:
    """The start of every whole slot between the event's start and end (skipping past ones)."""
    step = timedelta(minutes=minutes)
    slots: list[datetime] = []
    t = starts_at
    while t + step <= ends_at:
        if not_before is None or t >= not_before:
            slots.append(t)
        t += step
    return slots
