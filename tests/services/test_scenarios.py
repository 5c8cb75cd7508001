"""场景清单: a scenario is a 政府榜 of kind 场景 on a need of the bureau, reviewed, listed on its
own list, applied to, selected and contracted through the challenge services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import AuditLog, Challenge, Deal, Need
from matchmaker.models.base import utcnow
from matchmaker.permissions import can_apply_to_challenge
from matchmaker.services.challenges import (
    applications,
    challenge_review,
    challenges,
    deals,
    scenarios,
)
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tests.factories import OrganisationFactory, make_user
from tests.services.challenge_helpers import apply, challenge_world, terms

TITLE = "智慧病房护理机器人试点"


def scenario_data(fields, **overrides: object) -> scenarios.ScenarioData:
    values: dict[str, object] = {
        "title": TITLE,
        "description": "长春市中心医院开放两间病房，提供真实护理场景、护士配合和三个月试用期。",
        "field_id": fields["biomedicine"].id if "biomedicine" in fields else None,
        "region": "changchun",
        "scenario_owner": "长春市中心医院",
        "scenario_site": "长春市朝阳区工农大路 1478 号",
        "terms": terms(bounty_wan=Decimal(50), has_panel=False),
    }
    values.update(overrides)
    if values["field_id"] is None:
        values["field_id"] = next(iter(fields.values())).id
    return scenarios.ScenarioData(**values)  # type: ignore[arg-type]


@pytest.fixture
def world(fields):
    bureau = OrganisationFactory(government=True)
    admin = make_user("admin", organisation=bureau)
    university = make_user("university")
    enterprise = make_user("enterprise")
    db.session.commit()
    return {
        "bureau": bureau,
        "admin": admin,
        "university": university,
        "enterprise": enterprise,
        "fields": fields,
    }


def _count(model) -> int:  # noqa: ANN001
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_publish_reviews_lists_applies_selects_and_contracts(world):
    admin, uni = world["admin"], world["university"]
    challenge = scenarios.publish_scenario(actor=admin, data=scenario_data(world["fields"]))
    db.session.commit()
    need = challenge.need
    assert challenge.kind == "scenario" and challenge.is_government
    assert (challenge.scenario_owner, challenge.scenario_site) == (
        "长春市中心医院",
        "长春市朝阳区工农大路 1478 号",
    )
    assert need.organisation_id == world["bureau"].id and need.publication is None
    # a 政府榜: waits for the review queue, not listed anywhere before
    assert challenge.status == "challenge_review"
    assert challenge in challenge_review.pending_challenges()
    assert scenarios.public_scenarios().items == []
    assert not challenges.can_see_challenge(uni, challenge)

    challenge_review.approve_challenge(actor=admin, challenge=challenge)
    db.session.commit()
    listed = scenarios.public_scenarios()
    assert listed.items == [challenge] and listed.total == 1
    assert challenge not in challenges.public_challenges()  # not on the 榜单 list
    assert challenges.can_see_challenge(uni, challenge)

    application = apply(uni, challenge)
    applications.shortlist_application(actor=admin, application=application)
    challenges.close_applications(actor=admin, challenge=challenge)
    applications.select_application(
        actor=admin, application=application, others_code="other", others_reason="无"
    )
    db.session.commit()
    assert application.status == "selected" and challenge.status == "awarded"

    deal = deals.record_deal(
        actor=admin,
        application=application,
        terms=deals.DealTerms(mode="cooperation", amount_wan=Decimal(50), payment_form="lump_sum"),
    )
    db.session.commit()
    assert deal.provider_org_id == uni.organisation_id
    assert deal.client_org_id == world["bureau"].id
    assert challenge.status == "contracted"
    assert scenarios.public_scenarios(status="done").items == [challenge]
    assert db.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "need.create")
    ).object_id == str(need.id)


def test_an_admin_without_organisation_publishes_for_the_bureau(world):
    other_admin = make_user("admin")
    challenge = scenarios.publish_scenario(actor=other_admin, data=scenario_data(world["fields"]))
    assert challenge.need.organisation_id == world["bureau"].id
    assert challenges.can_manage_challenge(other_admin, challenge)


def test_no_government_organisation_is_refused(fields):
    admin = make_user("admin")
    with pytest.raises(InvalidTransition):
        scenarios.publish_scenario(actor=admin, data=scenario_data(fields))
    assert _count(Need) == 0


@pytest.mark.parametrize("role", ["enterprise", "university", "bank", "broker", "bureau"])
def test_only_admins_publish(world, role):
    user = make_user(role)
    with pytest.raises(PermissionDenied):
        scenarios.publish_scenario(actor=user, data=scenario_data(world["fields"]))
    with pytest.raises(PermissionDenied):
        scenarios.preview_scenario(actor=user, data=scenario_data(world["fields"]))
    assert _count(Challenge) == 0 and _count(Need) == 0


def test_bad_input_names_every_field_and_stores_nothing(world):
    bad = scenario_data(
        world["fields"],
        title=" ",
        description="太短",
        field_id=999999,
        region="mars",
        scenario_owner="",
        scenario_site="",
        terms=terms(deadline_at=utcnow() - timedelta(days=1), success_criteria="x"),
    )
    with pytest.raises(ValidationFailed) as failed:
        scenarios.publish_scenario(actor=world["admin"], data=bad)
    assert set(failed.value.errors) >= {
        "title",
        "description",
        "field_id",
        "region",
        "scenario_owner",
        "scenario_site",
        "deadline_at",
        "success_criteria",
    }
    assert _count(Challenge) == 0 and _count(Need) == 0


def test_preview_stores_nothing(world):
    audits = _count(AuditLog)
    need, preview_terms = scenarios.preview_scenario(
        actor=world["admin"], data=scenario_data(world["fields"])
    )
    db.session.flush()
    assert need.title == TITLE and need not in db.session
    assert preview_terms.is_government and preview_terms.visibility == "public"
    assert _count(Need) == 0 and _count(Challenge) == 0 and _count(AuditLog) == audits


def test_list_filters_by_field_and_region_and_pages(world):
    fields = list(world["fields"].values())
    admin = world["admin"]
    made = []
    for i in range(3):
        data = scenario_data(
            world["fields"],
            title=f"{TITLE}{i}",
            field_id=fields[i % 2].id,
            region="changchun" if i < 2 else "jilin",
        )
        challenge = scenarios.publish_scenario(actor=admin, data=data)
        challenge_review.approve_challenge(actor=admin, challenge=challenge)
        made.append(challenge)
    db.session.commit()
    assert scenarios.public_scenarios(region="jilin").items == [made[2]]
    assert set(scenarios.public_scenarios(field_id=fields[1].id).items) == {made[1]}
    first = scenarios.public_scenarios(per_page=2)
    assert (first.total, first.pages, len(first.items)) == (3, 2, 2)
    second = scenarios.public_scenarios(per_page=2, page=2)
    assert len(second.items) == 1 and second.page == 2
    assert scenarios.public_scenarios(per_page=2, page=99).page == 2


def test_a_deal_only_for_the_selected_application(world):
    admin, uni = world["admin"], world["university"]
    challenge = scenarios.publish_scenario(actor=admin, data=scenario_data(world["fields"]))
    challenge_review.approve_challenge(actor=admin, challenge=challenge)
    application = apply(uni, challenge)
    with pytest.raises(InvalidTransition):
        deals.record_deal(
            actor=admin,
            application=application,
            terms=deals.DealTerms(
                mode="cooperation", amount_wan=Decimal(5), payment_form="lump_sum"
            ),
        )
    assert _count(Deal) == 0


def test_the_demo_seed_publishes_three_scenarios(runner):
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    listed = scenarios.public_scenarios()
    assert len(listed.items) == 2  # open: the ward (with 吉林大学's application) and the factory
    assert all(c.need.organisation.name == "长春市科学技术局" for c in listed.items)
    applicants = {a.organisation.name for c in listed.items for a in c.applications}
    assert applicants == {"吉林大学"}
    (awarded,) = scenarios.public_scenarios(status="done").items
    assert awarded.status == "awarded"
    assert [a.status for a in awarded.applications] == ["selected"]
    assert challenges.public_challenges() and all(
        c.kind == "challenge" for c in challenges.public_challenges()
    )


# --- firms apply to scenarios ------------------------------------------------------------------
def _listed(world) -> Challenge:  # noqa: ANN001
    challenge = scenarios.publish_scenario(
        actor=world["admin"], data=scenario_data(world["fields"])
    )
    challenge_review.approve_challenge(actor=world["admin"], challenge=challenge)
    return challenge


def test_a_firm_applies_to_a_scenario_without_a_result_and_is_contracted(world):
    admin, firm = world["admin"], world["enterprise"]
    challenge = _listed(world)
    assert can_apply_to_challenge(firm, challenge)
    application = apply(firm, challenge)
    assert application.status == "submitted" and application.source_result_id is None
    applications.shortlist_application(actor=admin, application=application)
    challenges.close_applications(actor=admin, challenge=challenge)
    applications.select_application(
        actor=admin, application=application, others_code="other", others_reason="无"
    )
    deal = deals.record_deal(
        actor=admin,
        application=application,
        terms=deals.DealTerms(mode="cooperation", amount_wan=Decimal(20), payment_form="lump_sum"),
    )
    assert (deal.provider_org_id, deal.client_org_id) == (
        firm.organisation_id,
        world["bureau"].id,
    )


def test_firms_apply_to_no_ordinary_challenge_and_no_one_to_their_own(world):
    plain = challenge_world(world["fields"])
    owner, challenge = plain["owner"], plain["challenge"]
    for firm in (owner, world["enterprise"]):
        assert not can_apply_to_challenge(firm, challenge)
        with pytest.raises(PermissionDenied):
            apply(firm, challenge)
    assert can_apply_to_challenge(plain["uni_b"], challenge)
    scenario = _listed(world)
    bureau_member = make_user("enterprise", organisation=world["bureau"])
    assert not can_apply_to_challenge(bureau_member, scenario)
    unverified = make_user("enterprise", verified=False)
    assert not can_apply_to_challenge(unverified, scenario)


# --- sent back, edited whole, resubmitted --------------------------------------------------------
def _returned(world) -> Challenge:  # noqa: ANN001
    challenge = scenarios.publish_scenario(
        actor=world["admin"], data=scenario_data(world["fields"])
    )
    challenge_review.reject_challenge(
        actor=world["admin"], challenge=challenge, code="incomplete", reason="请补充场景方联系人。"
    )
    return challenge


def test_a_returned_scenario_is_edited_whole_and_goes_back_into_review(world):
    admin = world["admin"]
    challenge = _returned(world)
    stored = scenarios.scenario_data_of(challenge)
    assert stored.scenario_owner == "长春市中心医院" and stored.terms.bounty_wan == Decimal(50)
    fields = list(world["fields"].values())
    other_field = next(f for f in fields if f.id != challenge.need.field_id)
    data = scenario_data(
        world["fields"],
        title=f"{TITLE}（二期）",
        field_id=other_field.id,
        scenario_owner="吉林大学第一医院",
        scenario_site="长春市朝阳区新民大街 71 号",
        terms=terms(bounty_wan=Decimal(80), has_panel=False),
    )
    audits = _count(AuditLog)
    need, preview_terms = scenarios.check_scenario_resubmission(
        actor=admin, challenge=challenge, data=data
    )
    db.session.flush()
    assert need.title == f"{TITLE}（二期）" and need not in db.session
    assert preview_terms.is_government and preview_terms.visibility == "public"
    assert challenge.need.title == TITLE and _count(AuditLog) == audits

    changed = scenarios.resubmit_scenario(actor=admin, challenge=challenge, data=data)
    db.session.commit()
    assert {"title", "field_id", "scenario_owner", "scenario_site", "bounty_wan"} <= set(changed)
    assert challenge.status == "challenge_review"
    assert challenge in challenge_review.pending_challenges()
    assert challenge.need.title == f"{TITLE}（二期）"
    assert challenge.need.field_id == other_field.id
    assert challenge.scenario_owner == "吉林大学第一医院" and challenge.bounty_wan == Decimal(80)
    assert challenge.kind == "scenario" and challenge.is_government
    assert "resubmitted" in challenge_review.review_grounds(challenge)
    edits = db.session.scalars(
        sa.select(AuditLog).where(
            AuditLog.action == "challenge.update", AuditLog.object_id == str(challenge.id)
        )
    ).all()
    assert any("scenario_owner" in (e.after or {}).get("fields", []) for e in edits)
    with pytest.raises(InvalidTransition):  # under review again: not editable
        scenarios.resubmit_scenario(actor=admin, challenge=challenge, data=data)


def test_a_resubmission_is_checked_whole_and_stores_nothing(world):
    challenge = _returned(world)
    bad = scenario_data(world["fields"], title=" ", scenario_site="", description="短")
    with pytest.raises(ValidationFailed) as failed:
        scenarios.resubmit_scenario(actor=world["admin"], challenge=challenge, data=bad)
    assert set(failed.value.errors) >= {"title", "scenario_site", "description"}
    assert challenge.status == "challenge_returned" and challenge.need.title == TITLE


@pytest.mark.parametrize("role", ["enterprise", "university", "bank", "broker", "bureau"])
def test_only_admins_resubmit_a_scenario(world, role):
    challenge = _returned(world)
    with pytest.raises(PermissionDenied):
        scenarios.resubmit_scenario(
            actor=make_user(role), challenge=challenge, data=scenario_data(world["fields"])
        )
    assert challenge.status == "challenge_returned"


def test_a_plain_challenge_is_not_resubmitted_as_a_scenario(world):
    plain = challenge_world(world["fields"])["challenge"]
    with pytest.raises(NotFound):
        scenarios.returned_scenario(actor=world["admin"], challenge=plain)
