"""The gate's rules at their edges: referrals the gate decides, orders not started yet, records
synced late from an offline phone, replays by the phone that recorded, other districts' cards."""

import datetime as dt

import pytest

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError
from lianfang.core.models import Level
from lianfang.core.tests.factories import make_household, make_org
from lianfang.quarantine.models import Alert
from lianfang.quarantine.tests.factories import watch

from .. import selectors, services, tokens
from ..models import Outcome, PassCard, Referral
from ..plates import plate_parse
from .conftest import DAY, local
from .factories import card, code, draft, gate, record

VISITOR = {"name": "访客", "phone": "13912345678"}


def test_a_referral_the_gate_decides_is_a_referral_someone_closes(world, now):
    result, = record(world.checkpoint_staff_a, draft(gate(world), at=now, outcome="referred", **VISITOR))
    assert result.passage.outcome == Outcome.REFERRED
    assert Referral.objects.get().reasons == ["by_gate"]


def test_an_order_entered_ahead_of_its_start_does_not_hold_the_person_yet(world, now):
    watch(world, "a", start=DAY + dt.timedelta(days=2))
    result, = record(world.checkpoint_staff_a, draft(gate(world), at=now, direction="out", temperature=None, card=code(card(world))))
    assert not result.passage.is_breach and result.passage.outcome == Outcome.PASSED
    assert not Alert.objects.filter(kind="breach").exists()


def test_a_breach_synced_late_keeps_what_the_gate_did_and_still_alerts(world, frozen):
    frozen(local(DAY, 8))
    watch(world, "a")
    g, c = gate(world), card(world)
    frozen(local(DAY, 12))  # the phone was offline since 09:00
    result, = record(world.checkpoint_staff_a, draft(g, at=local(DAY, 9), direction="out", temperature=None, card=code(c)))
    assert result.passage.is_breach and result.passage.outcome == Outcome.PASSED
    assert "offline" in str(result.notes[0])
    alert = Alert.objects.get(kind="breach")
    assert alert.raised_at == local(DAY, 9)


def test_the_phone_that_recorded_may_replay_after_its_staff_left_the_gate(world, now):
    g = gate(world)
    d = draft(g, at=now, **VISITOR)
    record(world.checkpoint_staff_a, d)
    services.checkpoint_staff_set(actor=world.street_officer_a, checkpoint=g, users=[], via=COMMAND)
    assert record(world.checkpoint_staff_a, d)[0].created is False
    # Someone else replaying that uid learns nothing.
    other = world.checkpoint_staff_b
    with pytest.raises(services.BatchInvalid) as e:
        record(other, draft(gate(world, "b"), at=now, uid=d.uid, **VISITOR))
    assert e.value.errors[0].code == "uid_conflict"


def test_a_card_of_another_district_is_unknown_here(world, now):
    elsewhere = make_org(name="外区", level=Level.DISTRICT)
    street = make_org(name="外街", level=Level.STREET, parent=elsewhere)
    grid = make_org(name="外网格", level=Level.GRID, parent=make_org(name="外社区", level=Level.COMMUNITY, parent=street))
    household = make_household(org=grid)
    foreign = PassCard.objects.create(district=elsewhere, household=household, org_path=household.org_path, number="X1",
                                      token=tokens.token_new())
    with pytest.raises(services.BatchInvalid) as e:
        record(world.checkpoint_staff_a, draft(gate(world), at=now, card=code(foreign)))
    assert e.value.errors[0].code == "card_unknown"
    with pytest.raises(DomainError):
        selectors.pass_card_check(actor=world.checkpoint_staff_a, code=code(foreign))


def test_a_plate_is_ascii_after_the_province():
    with pytest.raises(DomainError):
        plate_parse("京Aßß1")
    assert plate_parse("京a·12345") == "京A12345"


def test_a_household_card_going_out_names_who_is_under_quarantine(world, frozen):
    frozen(local(DAY, 8))
    watch(world, "a")
    g, c = gate(world), card(world)
    frozen(local(DAY, 9, 0, 30))
    result, = record(world.checkpoint_staff_a, draft(g, at=local(DAY, 9), direction="out", temperature=None, card=code(c)))
    assert world.resident_a.name in str(result.notes[0])
    assert Alert.objects.get(kind="breach").detail == f"Tried to go out at {g.name}; turned back."


def test_an_offline_breach_tells_the_cadres_the_person_went_out(world, frozen):
    frozen(local(DAY, 8))
    watch(world, "a")
    g, c = gate(world), card(world)
    frozen(local(DAY, 12))
    record(world.checkpoint_staff_a, draft(g, at=local(DAY, 9), direction="out", temperature=None, card=code(c)))
    assert Alert.objects.get(kind="breach").detail.startswith(f"Went out at {g.name}")
