"""Pass cards: the signed, non-guessable code; issue, revoke and reissue; who may do it; audit."""

import pytest
from django.db import connection
from django.core import signing

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.models import AuditEntry
from lianfang.core.tests.factories import make_household
from lianfang.quarantine.tests.factories import person

from .. import selectors, services, tokens
from ..models import PassCard
from .factories import card, code


# --- the code -------------------------------------------------------------------------------

def test_the_code_carries_a_signed_random_token_never_the_id_number(world):
    c = card(world)
    text = code(c)
    assert text.startswith("LFP1:") and c.token in text
    assert world.resident_a.id_number not in text and world.resident_a.id_number[-6:] not in text
    assert tokens.token_from_code(text) == c.token
    assert len(c.token) >= 22  # 128 random bits, url-safe base64


def test_tokens_are_all_different(world):
    assert len({tokens.token_new() for _ in range(1000)}) == 1000


def test_a_code_read_by_a_scanner_with_spaces_newlines_or_a_lower_case_prefix_is_accepted(world):
    c = card(world)
    text = code(c)
    for read in (f"  {text}\n", "lfp1:" + text[5:], text[:10] + " " + text[10:], text[5:]):
        assert tokens.token_from_code(read) == c.token


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
    lambda t: t.rsplit(":", 1)[0],  # signature removed
    lambda t: "LFP1:" + "x" + t[5:],  # token changed
    lambda t: t.upper(),
    lambda t: "LFP1:" + signing.Signer(salt="another.purpose").sign(t[5:].rsplit(":", 1)[0]),  # signed for something else
    lambda t: "LFP1:" + signing.Signer(key="not-our-key", salt="lianfang.checkpoints.pass_card").sign(t[5:].rsplit(":", 1)[0]),
], ids=["signature", "unsigned", "token", "upper", "other-salt", "other-key"])
def test_a_tampered_or_foreign_code_is_refused(world, mangle):
    text = code(card(world))
    with pytest.raises(DomainError) as e:
        tokens.token_from_code(mangle(text))
    assert e.value.code == "card_unknown" and e.value.field == "card"


@pytest.mark.parametrize("empty", [None, "", "   ", "LFP1:", "lfp1: \n"])
def test_an_empty_code_asks_for_the_card(empty):
    with pytest.raises(DomainError) as e:
        tokens.token_from_code(empty)
    assert e.value.code == "card_missing"


# --- issue, revoke, reissue -----------------------------------------------------------------

def test_a_household_has_one_valid_card(world):
    c = card(world)
    assert (c.status, c.household, c.resident, c.issued_by, c.org_path) == (
        PassCard.Status.ACTIVE, world.household_a, None, world.street_officer_a, world.household_a.org_path)
    assert c.number.isdigit() and len(c.number) == 8
    with pytest.raises(DomainError) as e:
        card(world)
    assert e.value.code == "card_exists" and c.number in str(e.value.message)


def test_personal_cards_are_one_per_resident_and_live_beside_the_household_card(world):
    household_card = card(world)
    personal = card(world, resident=world.resident_a)
    assert household_card.status == personal.status == PassCard.Status.ACTIVE
    with pytest.raises(DomainError):
        card(world, resident=world.resident_a)
    other = person(world, "a", name="家属")
    assert card(world, resident=other).resident == other


def test_a_personal_card_needs_a_member_of_the_household(world):
    with pytest.raises(DomainError) as e:
        card(world, household=world.household_a, resident=world.resident_b)
    assert e.value.field == "resident"
    assert not PassCard.objects.exists()


def test_revoking_makes_the_card_useless_and_records_why(world, now):
    c = card(world)
    services.pass_card_revoke(actor=world.grid_worker_a, card=c, reason="搬离", via=COMMAND)
    c.refresh_from_db()
    assert (c.status, c.revoked_by, c.revoked_at, c.revoke_reason) == (PassCard.Status.REVOKED, world.grid_worker_a, now, "搬离")
    # The signature still checks out but the card no longer opens the gate (test_passages covers the gate).
    assert tokens.token_from_code(code(c)) == c.token
    # After a revocation a new card may be issued.
    assert card(world).status == PassCard.Status.ACTIVE


def test_revoking_needs_a_reason_and_happens_once(world):
    c = card(world)
    with pytest.raises(DomainError) as e:
        services.pass_card_revoke(actor=world.street_officer_a, card=c, reason="  ", via=COMMAND)
    assert e.value.field == "reason"
    c.refresh_from_db()
    assert c.status == PassCard.Status.ACTIVE
    services.pass_card_revoke(actor=world.street_officer_a, card=c, reason="丢失", via=COMMAND)
    with pytest.raises(DomainError) as e:
        services.pass_card_revoke(actor=world.street_officer_a, card=c, reason="丢失", via=COMMAND)
    assert e.value.code == "bad_transition"


def test_reissuing_revokes_the_old_card_and_issues_a_new_code(world):
    old = card(world, resident=world.resident_a)
    new = services.pass_card_reissue(actor=world.street_officer_a, card=old, reason="损坏", via=COMMAND)
    old.refresh_from_db()
    assert old.status == PassCard.Status.REVOKED and old.revoke_reason == "损坏"
    assert (new.status, new.replaces, new.household, new.resident) == (PassCard.Status.ACTIVE, old, old.household, old.resident)
    assert new.token != old.token and new.number != old.number
    assert PassCard.objects.filter(status="active").count() == 1


def test_a_revoked_card_cannot_be_reissued_and_a_failed_reissue_changes_nothing(world):
    c = card(world)
    with pytest.raises(DomainError):
        services.pass_card_reissue(actor=world.street_officer_a, card=c, reason="", via=COMMAND)
    c.refresh_from_db()
    assert c.status == PassCard.Status.ACTIVE and PassCard.objects.count() == 1
    services.pass_card_revoke(actor=world.street_officer_a, card=c, reason="丢失", via=COMMAND)
    with pytest.raises(DomainError) as e:
        services.pass_card_reissue(actor=world.street_officer_a, card=c, reason="丢失", via=COMMAND)
    assert e.value.code == "bad_transition" and PassCard.objects.count() == 1


def test_cards_are_issued_for_every_household_of_a_building_that_has_none(world):
    second = make_household(org=world.building_a, room="102")
    card(world)  # household_a has one already
    assert services.pass_cards_issue_for(actor=world.street_officer_a, org=world.building_a, via=COMMAND) == 1
    assert PassCard.objects.get(household=second).status == PassCard.Status.ACTIVE
    assert services.pass_cards_issue_for(actor=world.street_officer_a, org=world.building_a, via=COMMAND) == 0
    assert not PassCard.objects.filter(household=world.household_b).exists()


# --- who may ----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["checkpoint_staff_a", "supervision", "doctor_a", "police_a"])
def test_gate_staff_and_supervision_may_not_issue_revoke_or_reissue(world, who):
    actor = getattr(world, who)
    c = card(world)
    second = make_household(org=world.building_a, room="102")
    attempts = [
        lambda: services.pass_card_issue(actor=actor, household=second, via=COMMAND),
        lambda: services.pass_card_revoke(actor=actor, card=c, reason="x", via=COMMAND),
        lambda: services.pass_card_reissue(actor=actor, card=c, reason="x", via=COMMAND),
        lambda: services.pass_cards_issue_for(actor=actor, org=world.building_a, via=COMMAND),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert list(PassCard.objects.values_list("status", flat=True)) == ["active"]


def test_another_street_may_not_touch_the_cards_of_this_one(world):
    c = card(world)
    with pytest.raises(PermissionDenied):
        services.pass_card_issue(actor=world.street_officer_b, household=make_household(org=world.building_a, room="103"),
                                 via=COMMAND)
    with pytest.raises(PermissionDenied):
        services.pass_card_revoke(actor=world.street_officer_b, card=c, reason="x", via=COMMAND)
    with pytest.raises(PermissionDenied):
        services.pass_cards_issue_for(actor=world.street_officer_b, org=world.building_a, via=COMMAND)
    assert selectors.pass_card_list(actor=world.street_officer_b).count() == 0
    assert selectors.pass_card_list(actor=world.street_officer_a).get() == c


def test_checkpoint_staff_may_check_a_card_at_the_gate(world):
    c = card(world)
    found = selectors.pass_card_check(actor=world.checkpoint_staff_a, code=code(c))
    assert found.card == c and [m.name for m in found.members] == [world.resident_a.name] and not found.exit_blocked
    with pytest.raises(PermissionDenied):
        selectors.pass_card_check(actor=world.supervision, code=code(c))


# --- audit ------------------------------------------------------------------------------------

def test_issuing_revoking_and_reissuing_are_audited(world):
    c = card(world)
    new = services.pass_card_reissue(actor=world.street_officer_a, card=c, reason="丢失", via=COMMAND)
    services.pass_card_revoke(actor=world.grid_worker_a, card=new, reason="搬离", via=COMMAND)
    services.pass_cards_issue_for(actor=world.street_officer_a, org=world.building_a, via=COMMAND)
    rows = list(AuditEntry.objects.filter(object_type="pass_card").order_by("id").values_list("action", "object_ref", "actor_id"))
    assert rows == [("create", str(c.uid), world.street_officer_a.pk), ("create", str(new.uid), world.street_officer_a.pk),
                    ("update", str(new.uid), world.grid_worker_a.pk), ("create", "", world.street_officer_a.pk)]
    reissue = AuditEntry.objects.filter(object_type="pass_card").order_by("id")[1]
    assert reissue.detail == {"replaces": c.number, "reason": "丢失"}
    assert AuditEntry.objects.filter(object_type="pass_card").exclude(org_path__startswith=world.street_a.path).count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_cards_issued_at_once_for_one_household_one_is_refused_clearly(world):
    from .test_checkpoints import race

    out1, out2 = race(lambda: card(world), lambda: card(world))
    assert "value" in out1, out1
    assert isinstance(out2.get("error"), DomainError) and out2["error"].code == "card_exists", out2
    assert PassCard.objects.filter(status="active").count() == 1
