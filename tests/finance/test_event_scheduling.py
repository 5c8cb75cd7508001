"""生成洽谈安排 as a pure function (services/finance/meeting_plan.py).

Hand-made cases with known answers: no database and no application needed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from matchmaker.services.finance.meeting_plan import (
    Candidate,
    best_pairs,
    propose,
    slot_starts,
)


def c(bank: int, firm: int, fit: float, *, eligible: bool = True, product: int = 0, need: int = 0):
    """A candidate; product and need ids default to something derived from the pair."""
    return Candidate(
        bank_id=bank,
        firm_id=firm,
        product_id=product or bank * 100,
        need_id=need or firm * 100,
        eligible=eligible,
        fit=fit,
    )


def placed(proposals) -> list[tuple[int, int, object]]:
    return [(p.bank_id, p.firm_id, p.slot) for p in proposals]


# --- best_pairs -----------------------------------------------------------------------------------
def test_best_pairs_keeps_the_best_product_and_need_per_pair():
    pairs = best_pairs(
        [
            c(1, 10, 0.5, product=101, need=1001),
            c(1, 10, 0.9, product=102, need=1001),
            c(1, 10, 0.7, product=101, need=1002),
        ]
    )
    assert len(pairs) == 1
    assert (pairs[0].product_id, pairs[0].need_id, pairs[0].fit) == (102, 1001, 0.9)


def test_an_eligible_product_beats_an_ineligible_one_with_a_higher_fit():
    (pair,) = best_pairs([c(1, 10, 0.95, eligible=False, product=101), c(1, 10, 0.72, product=102)])
    assert pair.product_id == 102 and pair.eligible


def test_pairs_are_ordered_eligible_first_then_by_fit():
    pairs = best_pairs(
        [
            c(1, 10, 0.99, eligible=False),
            c(1, 11, 0.71),
            c(2, 10, 0.88),
            c(2, 11, 0.40, eligible=False),
        ]
    )
    assert [(p.bank_id, p.firm_id) for p in pairs] == [(2, 10), (1, 11), (1, 10), (2, 11)]


# --- propose: slots and conflicts -----------------------------------------------------------------
def test_each_pair_takes_the_earliest_slot_free_for_both_sides():
    proposals = propose([c(1, 10, 0.9), c(1, 11, 0.8), c(2, 10, 0.7)], ["s1", "s2", "s3"])
    # bank 1 meets firm 10 first; firm 11 waits for bank 1; firm 10 is busy with bank 1 at s1,
    # so bank 2 meets it at s2.
    assert placed(proposals) == [(1, 10, "s1"), (1, 11, "s2"), (2, 10, "s2")]


def test_no_bank_and_no_firm_has_two_meetings_in_one_slot():
    rng = random.Random(7)
    candidates = [
        c(bank, firm, round(rng.random(), 3), eligible=rng.random() < 0.6)
        for bank in range(1, 6)
        for firm in range(10, 30)
        if rng.random() < 0.7
    ]
    proposals = propose(candidates, list(range(6)))
    banks = [(p.bank_id, p.slot) for p in proposals]
    firms = [(p.firm_id, p.slot) for p in proposals]
    assert len(banks) == len(set(banks))
    assert len(firms) == len(set(firms))
    assert len({(p.bank_id, p.firm_id) for p in proposals}) == len(proposals)
    # every bank is as busy as it can be: 6 slots and plenty of firms
    per_bank = {b: sum(p.bank_id == b for p in proposals) for b in range(1, 6)}
    assert set(per_bank.values()) == {6}


def test_a_pair_with_no_common_free_slot_gets_no_meeting():
    proposals = propose([c(1, 10, 0.9), c(2, 10, 0.8), c(2, 11, 0.5)], ["s1"])
    assert placed(proposals) == [(1, 10, "s1"), (2, 11, "s1")]


def test_better_pairs_are_placed_first():
    # firm 10 is wanted by both banks; the better pair gets the first slot
    proposals = propose([c(2, 10, 0.6), c(1, 10, 0.9)], ["09:00", "09:20"])
    assert placed(proposals) == [(1, 10, "09:00"), (2, 10, "09:20")]


def test_cap_limits_the_meetings_of_each_bank_to_its_best_pairs():
    candidates = [c(1, firm, 0.5 + firm / 100) for firm in range(10, 15)] + [c(2, 10, 0.3)]
    proposals = propose(candidates, ["a", "b", "c", "d", "e"], cap=2)
    bank1 = [p.firm_id for p in proposals if p.bank_id == 1]
    assert bank1 == [14, 13]  # the two best fits
    assert [p.firm_id for p in proposals if p.bank_id == 2] == [10]


def test_cap_defaults_to_the_number_of_slots():
    proposals = propose([c(1, firm, 0.8) for firm in range(10, 20)], ["a", "b", "c"])
    assert len(proposals) == 3


def test_kept_meetings_block_their_slots_count_toward_the_cap_and_are_not_repeated():
    proposals = propose(
        [c(1, 10, 0.9), c(1, 11, 0.8), c(1, 12, 0.7), c(2, 11, 0.6)],
        ["a", "b", "c"],
        cap=2,
        busy={("bank", 1, "a"), ("firm", 10, "a"), ("firm", 11, "b")},
        booked={1: 1},
        skip={(1, 10)},
    )
    # (1, 10) is already kept at "a"; bank 1 has room for one more: firm 11, which is busy at
    # "b" (kept elsewhere), so "c"; bank 2 meets firm 11 at "a".
    assert placed(proposals) == [(1, 11, "c"), (2, 11, "a")]


def test_the_same_input_in_any_order_gives_the_same_schedule():
    rng = random.Random(3)
    candidates = [
        c(bank, firm, round(rng.choice([0.5, 0.7, 0.9]), 2), eligible=rng.random() < 0.5)
        for bank in range(1, 4)
        for firm in range(10, 18)
    ]
    expected = propose(candidates, list(range(4)), cap=3)
    for seed in range(5):
        shuffled = candidates[:]
        random.Random(seed).shuffle(shuffled)
        assert propose(shuffled, list(range(4)), cap=3) == expected


def test_ties_are_broken_by_ids():
    proposals = propose([c(2, 11, 0.8), c(1, 11, 0.8), c(1, 10, 0.8)], ["a"])
    assert placed(proposals) == [(1, 10, "a"), (2, 11, "a")]


def test_nothing_to_propose():
    assert propose([], ["a"]) == []
    assert propose([c(1, 10, 0.9)], []) == []
    assert propose([c(1, 10, 0.9)], ["a"], cap=0) == []


# --- slots ----------------------------------------------------------------------------------------
START = datetime(2030, 6, 1, 1, 0, tzinfo=UTC)


def test_slots_are_whole_and_inside_the_event():
    slots = slot_starts(START, START + timedelta(minutes=70), 20)
    assert slots == [START + timedelta(minutes=m) for m in (0, 20, 40)]


def test_slots_already_begun_are_skipped():
    slots = slot_starts(
        START, START + timedelta(hours=1), 20, not_before=START + timedelta(minutes=5)
    )
    assert slots == [START + timedelta(minutes=20), START + timedelta(minutes=40)]
