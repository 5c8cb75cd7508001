"""Consent scopes, expiry, revocation and the view log (services/consent.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from matchmaker.models import ConsentScope, ProfileView, ViewAction
from matchmaker.models.base import utcnow
from matchmaker.services.errors import NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.finance import consent
from tests.factories import make_user
from tests.finance_factories import expire_consent, make_firm


def test_bank_sees_exactly_the_consented_scopes_and_the_look_is_logged(db):
    firm = make_firm(scopes=int(ConsentScope.BASIC | ConsentScope.FINANCIALS))
    bank = make_user("bank")
    access = consent.open_firm(actor=bank, firm_org_id=firm.organisation_id)
    assert access.allows(ConsentScope.BASIC) and access.allows(ConsentScope.FINANCIALS)
    assert not access.allows(ConsentScope.INNOVATION)
    assert not access.allows(ConsentScope.ACTIVITY)
    (row,) = consent.views_of(firm.organisation_id)
    assert (row.bank_org_id, row.user_id, row.action) == (
        bank.organisation_id,
        bank.id,
        ViewAction.VIEW,
    )
    assert row.scopes == int(ConsentScope.BASIC | ConsentScope.FINANCIALS)
    (summary,) = consent.view_counts_by_bank(firm.organisation_id)
    assert summary[0].id == bank.organisation_id and summary[1] == 1


def test_peek_does_not_log(db):
    firm = make_firm()
    consent.peek_firm(actor=make_user("bank"), firm_org_id=firm.organisation_id)
    assert db.session.query(ProfileView).count() == 0


def test_no_consent_expired_or_revoked_is_not_found(db):
    bank = make_user("bank")
    never = make_firm(scopes=None)
    with pytest.raises(NotFound):
        consent.open_firm(actor=bank, firm_org_id=never.organisation_id)
    expired = make_firm()
    expire_consent(expired)
    with pytest.raises(NotFound):
        consent.open_firm(actor=bank, firm_org_id=expired.organisation_id)
    revoked = make_firm()
    consent.open_firm(actor=bank, firm_org_id=revoked.organisation_id)
    consent.revoke(actor=revoked)
    with pytest.raises(NotFound):
        consent.open_firm(actor=bank, firm_org_id=revoked.organisation_id)
    assert consent.visible_scopes(revoked.organisation_id) == 0


@pytest.mark.parametrize("role", ["enterprise", "university", "admin"])
def test_only_verified_banks_may_look(db, role):
    firm = make_firm()
    with pytest.raises(NotFound):
        consent.open_firm(actor=make_user(role), firm_org_id=firm.organisation_id)
    with pytest.raises(NotFound):
        consent.open_firm(actor=make_user("bank", verified=False), firm_org_id=firm.organisation_id)


def test_a_new_grant_replaces_the_live_one(db):
    firm = make_firm(scopes=int(ConsentScope.BASIC))
    consent.grant(actor=firm, scopes=ConsentScope.BASIC | ConsentScope.ACTIVITY, days=30)
    grants = consent.history(firm.organisation_id)
    assert len(grants) == 2
    assert grants[0].revoked_at is None and grants[1].revoked_at is not None
    assert (
        consent.visible_scopes(firm.organisation_id) == ConsentScope.BASIC | ConsentScope.ACTIVITY
    )


def test_consented_firms_lists_only_live_grants(db):
    live = make_firm()
    expired = make_firm()
    expire_consent(expired)
    make_firm(scopes=None)
    ids = {row.organisation_id for row in db.session.execute(consent.consenting_firms())}
    assert ids == {live.organisation_id}


def test_bad_grants_are_refused(db):
    firm = make_firm(scopes=None)
    with pytest.raises(ValidationFailed) as error:
        consent.grant(actor=firm, scopes=0, days=7)
    assert set(error.value.errors) == {"scopes", "days"}
    with pytest.raises(ValidationFailed):
        consent.revoke(actor=firm)
    with pytest.raises(PermissionDenied):
        consent.grant(actor=make_user("bank"), scopes=ConsentScope.BASIC, days=30)


def test_view_count_since_counts_only_the_window(db):
    firm = make_firm()
    bank = make_user("bank")
    for _ in range(2):
        consent.open_firm(actor=bank, firm_org_id=firm.organisation_id)
    oldest = consent.views_of(firm.organisation_id)[-1]
    oldest.created_at = utcnow() - timedelta(days=40)
    db.session.flush()
    assert consent.view_count_since(firm.organisation_id, utcnow() - timedelta(days=30)) == 1
    assert consent.view_count_since(firm.organisation_id, utcnow() - timedelta(days=50)) == 2
