"""A bank's shortlist: one entry per firm, private notes, lapsed consent shows no profile."""

from __future__ import annotations

import pytest

from matchmaker.models import ConsentScope, ShortlistEntry, ViewAction
from matchmaker.services.errors import NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.finance import consent, firm_shortlist
from tests.factories import make_user
from tests.finance_factories import expire_consent, make_firm

BASIC = int(ConsentScope.BASIC)


@pytest.fixture
def bank(db):
    return make_user("bank")


def test_adding_is_logged_once_and_unique_per_bank(db, bank):
    firm = make_firm(scopes=BASIC)
    firm_shortlist.add_to_shortlist(actor=bank, firm_org_id=firm.organisation_id, note="首贷客户")
    entry = firm_shortlist.add_to_shortlist(
        actor=bank, firm_org_id=firm.organisation_id, note="复核后跟进"
    )
    assert db.session.query(ShortlistEntry).count() == 1
    assert entry.note == "复核后跟进"
    (view,) = consent.views_of(firm.organisation_id)
    assert view.action == ViewAction.SHORTLIST
    other = make_user("bank")
    firm_shortlist.add_to_shortlist(actor=other, firm_org_id=firm.organisation_id)
    assert db.session.query(ShortlistEntry).count() == 2


def test_a_firm_without_consent_cannot_be_added(db, bank):
    with pytest.raises(NotFound):
        firm_shortlist.add_to_shortlist(
            actor=bank, firm_org_id=make_firm(scopes=None).organisation_id
        )
    assert db.session.query(ShortlistEntry).count() == 0


def test_a_long_note_is_refused_and_nothing_is_stored(db, bank):
    firm = make_firm(scopes=BASIC)
    with pytest.raises(ValidationFailed) as failed:
        firm_shortlist.add_to_shortlist(
            actor=bank, firm_org_id=firm.organisation_id, note="x" * 1001
        )
    assert "note" in failed.value.errors
    assert db.session.query(ShortlistEntry).count() == 0


def test_lapsed_consent_keeps_the_entry_without_profile_data(db, bank):
    live = make_firm(scopes=BASIC)
    lapsed = make_firm(scopes=BASIC)
    for firm in (live, lapsed):
        firm_shortlist.add_to_shortlist(actor=bank, firm_org_id=firm.organisation_id)
    expire_consent(lapsed)
    rows = {r.entry.firm_org_id: r for r in firm_shortlist.shortlist(actor=bank)}
    assert rows[live.organisation_id].firm is not None
    assert rows[lapsed.organisation_id].firm is None
    assert rows[lapsed.organisation_id].access is None
    # the bank's own note can still be changed, and the entry removed
    entry = firm_shortlist.update_note(
        actor=bank, firm_org_id=lapsed.organisation_id, note="授权到期，待续"
    )
    assert entry.note == "授权到期，待续"
    firm_shortlist.remove_from_shortlist(actor=bank, firm_org_id=lapsed.organisation_id)
    assert [r.entry.firm_org_id for r in firm_shortlist.shortlist(actor=bank)] == [
        live.organisation_id
    ]


def test_another_banks_entries_are_out_of_reach(db, bank):
    firm = make_firm(scopes=BASIC)
    firm_shortlist.add_to_shortlist(actor=bank, firm_org_id=firm.organisation_id, note="内部评估")
    other = make_user("bank")
    assert firm_shortlist.shortlist(actor=other) == []
    with pytest.raises(NotFound):
        firm_shortlist.update_note(actor=other, firm_org_id=firm.organisation_id, note="x")
    with pytest.raises(NotFound):
        firm_shortlist.remove_from_shortlist(actor=other, firm_org_id=firm.organisation_id)
    assert firm_shortlist.shortlist_entry(actor=bank, firm_org_id=firm.organisation_id).note == (
        "内部评估"
    )


def test_only_verified_banks_have_a_shortlist(db):
    with pytest.raises(PermissionDenied):
        firm_shortlist.shortlist(actor=make_user("bank", verified=False))
    with pytest.raises(PermissionDenied):
        firm_shortlist.shortlist(actor=make_user("enterprise"))
