"""The main paths end to end, through the services."""

import datetime as dt

import pytest
from django.utils import timezone

from lianfang.core.audit import COMMAND
from lianfang.quarantine.models import Alert
from lianfang.quarantine.tests.factories import watch

from .. import services
from ..models import Outcome, Passage, Referral
from .factories import card, code, draft, gate, record


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def test_a_card_scanned_at_the_gate_is_recorded_once_even_when_replayed(world, now):
    g, c = gate(world), card(world)
    d = draft(g, at=now, card=code(c))
    first = record(world.checkpoint_staff_a, d)
    again = record(world.checkpoint_staff_a, d)
    assert [r.created for r in first + again] == [True, False]
    assert Passage.objects.get().household == world.household_a
    assert not Passage.objects.get().is_visitor


def test_a_fever_is_referred_and_raises_a_referral(world, now):
    g = gate(world)
    result, = record(world.checkpoint_staff_a, draft(g, at=now, name="访客", phone="13912345678", temperature="37.3"))
    assert result.passage.outcome == Outcome.REFERRED and result.passage.is_visitor
    assert Referral.objects.get().reasons == ["fever"]


def test_a_quarantined_person_going_out_is_stopped_and_alerts_the_cadres(world, now):
    order = watch(world, "a")
    g, c = gate(world), card(world)
    result, = record(world.checkpoint_staff_a, draft(g, at=now, direction="out", temperature=None, card=code(c)))
    assert result.passage.is_breach and result.passage.outcome == Outcome.TURNED_BACK
    alert = Alert.objects.get(kind="breach")
    assert alert.order == order
    # Coming back in is not a breach.
    record(world.checkpoint_staff_a, draft(g, at=now, direction="in", card=code(c)))
    assert Alert.objects.filter(kind="breach").count() == 1


def test_a_bad_record_refuses_the_whole_batch(world, now):
    g = gate(world)
    good = draft(g, at=now, name="访客", phone="13912345678")
    bad = draft(g, at=now, name="访客", phone="13912345678", plate="京12345")
    with pytest.raises(services.BatchInvalid) as e:
        record(world.checkpoint_staff_a, good, bad)
    assert [(x.index, x.field) for x in e.value.errors] == [(1, "plate")]
    assert not Passage.objects.exists()


def test_revoked_card_is_refused(world, now):
    g, c = gate(world), card(world)
    new = services.pass_card_reissue(actor=world.street_officer_a, card=c, reason="丢失", via=COMMAND)
    with pytest.raises(services.BatchInvalid) as e:
        record(world.checkpoint_staff_a, draft(g, at=now, card=code(c)))
    assert e.value.errors[0].code == "card_revoked"
    assert record(world.checkpoint_staff_a, draft(g, at=now, card=code(new)))[0].created


def test_shifts_are_planned_in_three_eights(world):
    g = gate(world)
    shifts = services.shifts_plan(actor=world.street_officer_a, checkpoint=g, start=dt.date(2026, 11, 23), days=2, via=COMMAND)
    assert len(shifts) == 6
    assert {s.ends_at - s.starts_at for s in shifts} == {dt.timedelta(hours=8)}
    assert services.shifts_plan(actor=world.street_officer_a, checkpoint=g, start=dt.date(2026, 11, 23), days=2, via=COMMAND) == []
