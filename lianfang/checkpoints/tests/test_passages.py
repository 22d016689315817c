"""Recording one passage at a gate: who it is, the checks, the outcome, referrals and breaches.
Through the services, against the real database."""

import datetime as dt
from decimal import Decimal

import pytest

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.tests.factories import make_household, make_resident
from lianfang.quarantine import services as quarantine_services
from lianfang.quarantine.models import Alert, QuarantineOrder
from lianfang.quarantine.tests.factories import person, watch

from .. import selectors, services, tokens
from ..models import Outcome, Passage, Referral, Subject
from .conftest import DAY, local
from .factories import card, code, draft, gate, record

VISITOR = {"name": "访客", "phone": "13912345678"}


def one(actor, d):
    (result,) = record(actor, d)
    return result


def refused(actor, *drafts):
    with pytest.raises(services.BatchInvalid) as e:
        record(actor, *drafts)
    assert not Passage.objects.exists(), "nothing may be stored from a refused batch"
    return e.value.errors


# --- who passes -----------------------------------------------------------------------------

def test_a_household_card_names_the_household_and_is_not_a_visitor_at_its_own_gate(world, now):
    g, c = gate(world), card(world)
    p = one(world.checkpoint_staff_a, draft(g, at=now, card=code(c))).passage
    p.refresh_from_db()
    assert (p.subject, p.card, p.household, p.resident, p.is_visitor) == (Subject.CARD, c, world.household_a, None, False)
    assert p.recorded_by == world.checkpoint_staff_a and p.recorded_at == now


def test_a_personal_card_names_the_resident(world, now):
    g, c = gate(world), card(world, resident=world.resident_a)
    p = one(world.checkpoint_staff_a, draft(g, at=now, card=code(c))).passage
    assert p.resident == world.resident_a and p.name == world.resident_a.name


def test_a_card_of_another_compound_is_a_visitor_here(world, now):
    g, c = gate(world), card(world, "b")
    p = one(world.checkpoint_staff_a, draft(g, at=now, card=code(c))).passage
    assert p.household == world.household_b and p.is_visitor


def test_a_resident_of_the_same_community_but_another_building_is_a_visitor_at_a_building_gate(world, now):
    g = gate(world)  # closes building_a
    other = make_household(org=world.grid2_a, room="202")
    neighbour = make_resident(household=other, name="邻居")
    p = one(world.checkpoint_staff_a, draft(g, at=now, id_number=neighbour.id_number)).passage
    assert p.resident == neighbour and p.is_visitor


def test_an_id_number_of_a_registered_resident_fills_in_the_person(world, now):
    g = gate(world)
    r = world.resident_a
    p = one(world.checkpoint_staff_a, draft(g, at=now, id_number=r.id_number.lower())).passage
    p.refresh_from_db()
    assert (p.subject, p.resident, p.household_id, p.name, p.id_number, p.is_visitor) == (
        Subject.ID_NUMBER, r, r.household_id, r.name, r.id_number, False)


def test_an_id_number_of_a_resident_of_another_street_is_found_and_is_a_visitor(world, now):
    g = gate(world)
    p = one(world.checkpoint_staff_a, draft(g, at=now, id_number=world.resident_b.id_number)).passage
    assert p.resident == world.resident_b and p.is_visitor


def test_an_unregistered_id_number_needs_the_persons_name(world, now):
    from lianfang.core.tests.factories import make_id_number

    g = gate(world)
    number = make_id_number(region="310101")
    (err,) = refused(world.checkpoint_staff_a, draft(g, at=now, id_number=number))
    assert err.field == "name"
    p = one(world.checkpoint_staff_a, draft(g, at=now, id_number=number, name="外地人")).passage
    assert p.resident is None and p.name == "外地人" and p.is_visitor


def test_a_malformed_id_number_is_refused(world, now):
    (err,) = refused(world.checkpoint_staff_a, draft(gate(world), at=now, id_number="110105198001010000"))
    assert err.code == "id_number"


def test_a_card_and_an_id_number_together_are_refused(world, now):
    g, c = gate(world), card(world)
    (err,) = refused(world.checkpoint_staff_a, draft(g, at=now, card=code(c), id_number=world.resident_a.id_number))
    assert err.code == "identity"


def test_a_visitor_needs_a_name_and_a_phone(world, now):
    g = gate(world)
    assert refused(world.checkpoint_staff_a, draft(g, at=now, name="访客"))[0].field == "phone"
    assert refused(world.checkpoint_staff_a, draft(g, at=now, phone="13912345678"))[0].code == "identity"
    assert refused(world.checkpoint_staff_a, draft(g, at=now, name="访客", phone="12"))[0].field == "phone"
    p = one(world.checkpoint_staff_a, draft(g, at=now, purpose="送货", **VISITOR)).passage
    assert p.subject == Subject.VISITOR and p.is_visitor and p.purpose == "送货"


# --- the checks -----------------------------------------------------------------------------

def test_everyone_coming_in_has_their_temperature_taken_going_out_it_is_optional(world, now):
    g = gate(world)
    assert refused(world.checkpoint_staff_a, draft(g, at=now, temperature=None, **VISITOR))[0].code == "temperature"
    p = one(world.checkpoint_staff_a, draft(g, at=now, direction="out", temperature=None, **VISITOR)).passage
    assert p.temperature is None and p.outcome == Outcome.PASSED


@pytest.mark.parametrize("raw", ["33.9", "43.1", "365", "-1", "abc", "NaN", "Infinity", "1e5"])
def test_a_temperature_out_of_range_is_refused_with_a_clear_error_and_nothing_stored(world, now, raw):
    (err,) = refused(world.checkpoint_staff_a, draft(gate(world), at=now, temperature=raw, **VISITOR))
    assert (err.field, err.code) == ("temperature", "temperature") and err.message


@pytest.mark.parametrize("raw, expected", [("36.5", "36.5"), (36.55, "36.6"), ("37,1℃", "37.1"), (37, "37.0")])
def test_a_temperature_is_stored_with_one_decimal(world, now, raw, expected):
    p = one(world.checkpoint_staff_a, draft(gate(world), at=now, temperature=raw, **VISITOR)).passage
    p.refresh_from_db()
    assert p.temperature == Decimal(expected)


def test_37_3_is_a_fever_referred_to_the_clinic_and_37_2_passes(world, now):
    g = gate(world)
    hot = one(world.checkpoint_staff_a, draft(g, at=now, temperature="37.3", **VISITOR))
    ok = one(world.checkpoint_staff_a, draft(g, at=now, temperature="37.2", **VISITOR))
    assert (hot.passage.is_fever, hot.passage.outcome) == (True, Outcome.REFERRED)
    assert (ok.passage.is_fever, ok.passage.outcome) == (False, Outcome.PASSED)
    referral = Referral.objects.get()
    assert referral.passage == hot.passage and referral.reasons == ["fever"] and referral.status == Referral.Status.OPEN
    assert referral.org_path == g.org_path and referral.raised_at == now
    assert any("fever clinic" in str(n) for n in hot.notes)


@pytest.mark.parametrize("colour, reason", [("yellow", "yellow_code"), ("red", "red_code")])
def test_a_yellow_or_red_health_code_is_referred(world, now, colour, reason):
    p = one(world.checkpoint_staff_a, draft(gate(world), at=now, health_code=colour, **VISITOR)).passage
    assert p.outcome == Outcome.REFERRED
    assert Referral.objects.get(passage=p).reasons == [reason]


def test_a_green_code_and_a_normal_temperature_pass_without_a_referral(world, now):
    p = one(world.checkpoint_staff_a, draft(gate(world), at=now, health_code="green", **VISITOR)).passage
    assert p.outcome == Outcome.PASSED and not Referral.objects.exists()


def test_a_fever_with_a_red_code_is_one_referral_with_both_reasons(world, now):
    p = one(world.checkpoint_staff_a, draft(gate(world), at=now, temperature="38.0", health_code="red", **VISITOR)).passage
    assert Referral.objects.get(passage=p).reasons == ["fever", "red_code"]


@pytest.mark.parametrize("field, value, code", [("health_code", "blue", "health_code"), ("direction", "up", "direction"),
                                                ("outcome", "escaped", "outcome")])
def test_a_value_outside_the_choices_is_refused(world, now, field, value, code):
    d = draft(gate(world), at=now, **VISITOR)
    setattr(d, field, value)
    assert refused(world.checkpoint_staff_a, d)[0].code == code


def test_turned_back_needs_a_reason(world, now):
    g = gate(world)
    assert refused(world.checkpoint_staff_a, draft(g, at=now, outcome="turned_back", **VISITOR))[0].field == "turn_back_reason"
    p = one(world.checkpoint_staff_a, draft(g, at=now, outcome="turned_back", turn_back_reason="无通行证", **VISITOR)).passage
    assert (p.outcome, p.turn_back_reason) == (Outcome.TURNED_BACK, "无通行证")


def test_a_vehicle_plate_is_stored_canonical_and_disinfection_only_with_a_vehicle(world, now):
    g = gate(world)
    car = one(world.checkpoint_staff_a, draft(g, at=now, plate=" 京a·12345 ", disinfected=True, **VISITOR)).passage
    walker = one(world.checkpoint_staff_a, draft(g, at=now, disinfected=True, **VISITOR)).passage
    assert (car.plate, car.disinfected) == ("京A12345", True)
    assert (walker.plate, walker.disinfected) == ("", None)


@pytest.mark.parametrize("plate", ["京12345", "A12345", "京A1234", "京A123456789", "京I12345", "沪A12345X1"])
def test_a_malformed_plate_is_refused(world, now, plate):
    (err,) = refused(world.checkpoint_staff_a, draft(gate(world), at=now, plate=plate, **VISITOR))
    assert (err.field, err.code) == ("plate", "plate")


# --- cards at the gate ----------------------------------------------------------------------

def test_an_unknown_but_well_signed_token_is_refused(world, now):
    (err,) = refused(world.checkpoint_staff_a, draft(gate(world), at=now, card=tokens.card_code(tokens.token_new())))
    assert err.code == "card_unknown"


def test_a_forged_code_is_refused(world, now):
    g, c = gate(world), card(world)
    forged = code(c)[:-2] + ("AA" if not code(c).endswith("AA") else "BB")
    assert refused(world.checkpoint_staff_a, draft(g, at=now, card=forged))[0].code == "card_unknown"
    assert refused(world.checkpoint_staff_a, draft(g, at=now, card=c.token))[0].code == "card_unknown"


def test_a_revoked_card_is_refused_and_its_replacement_passes(world, now):
    g, c = gate(world), card(world)
    new = services.pass_card_reissue(actor=world.street_officer_a, card=c, reason="丢失", via=COMMAND)
    (err,) = refused(world.checkpoint_staff_a, draft(g, at=now, card=code(c)))
    assert err.code == "card_revoked" and c.number in err.message
    assert one(world.checkpoint_staff_a, draft(g, at=now, card=code(new))).passage.card == new


# --- times ----------------------------------------------------------------------------------

def test_a_naive_time_is_local_time(world, now):
    g = gate(world)
    p = one(world.checkpoint_staff_a, draft(g, at=dt.datetime(2024, 3, 4, 8, 0), **VISITOR)).passage
    p.refresh_from_db()
    assert p.at == local(DAY, 8) == dt.datetime(2024, 3, 4, 0, 0, tzinfo=dt.UTC)


def test_a_time_given_as_iso_text_with_an_offset_is_kept_exact(world, now):
    p = one(world.checkpoint_staff_a, draft(gate(world), at="2024-03-04T01:30:00+00:00", **VISITOR)).passage
    p.refresh_from_db()
    assert p.at == local(DAY, 9, 30)


@pytest.mark.parametrize("offset, ok", [(dt.timedelta(minutes=9), True), (dt.timedelta(minutes=11), False),
                                        (-dt.timedelta(days=29, hours=23), True), (-dt.timedelta(days=30, minutes=1), False)])
def test_times_in_the_future_or_more_than_30_days_old_are_refused(world, now, offset, ok):
    d = draft(gate(world), at=now + offset, **VISITOR)
    if ok:
        assert one(world.checkpoint_staff_a, d).created
    else:
        assert refused(world.checkpoint_staff_a, d)[0].code == "at"


@pytest.mark.parametrize("at", [None, "yesterday", "2024-13-01T00:00", 1709517600])
def test_a_missing_or_garbled_time_is_refused(world, now, at):
    assert refused(world.checkpoint_staff_a, draft(gate(world), at=at, **VISITOR))[0].code == "at"


# --- where and who may record ---------------------------------------------------------------

def test_a_gate_out_of_service_takes_no_records(world, now):
    g = gate(world)
    services.checkpoint_update(actor=world.street_officer_a, checkpoint=g, name=g.name, kind=g.kind, is_active=False, via=COMMAND)
    assert refused(world.checkpoint_staff_a, draft(g, at=now, **VISITOR))[0].code == "checkpoint"


def test_staff_record_only_at_the_gates_they_are_posted_to(world, now):
    posted, other = gate(world), gate(world, name="西门", staff=[])
    assert refused(world.checkpoint_staff_a, draft(other, at=now, **VISITOR))[0].code == "checkpoint"
    assert refused(world.checkpoint_staff_b, draft(posted, at=now, **VISITOR))[0].code == "checkpoint"
    assert refused(world.street_officer_b, draft(posted, at=now, **VISITOR))[0].code == "checkpoint"
    # The gate's managers may record at any gate of their jurisdiction.
    assert one(world.street_officer_a, draft(other, at=now, **VISITOR)).created


@pytest.mark.parametrize("who", ["supervision", "doctor_a", "police_a"])
def test_roles_without_the_capability_may_not_record(world, now, who):
    g = gate(world)
    with pytest.raises(PermissionDenied):
        record(getattr(world, who), draft(g, at=now, **VISITOR))
    assert not Passage.objects.exists()


# --- quarantine breaches ---------------------------------------------------------------------

def test_a_person_under_an_active_order_going_out_by_id_number_is_stopped_and_alerts_the_cadres(world, now):
    order = watch(world, "a")
    g = gate(world)
    result = one(world.checkpoint_staff_a, draft(g, at=now, direction="out", temperature=None, id_number=world.resident_a.id_number))
    p = result.passage
    assert p.is_breach and p.outcome == Outcome.TURNED_BACK and p.turn_back_reason
    alert = Alert.objects.get()
    assert (alert.kind, alert.order, alert.key_person_id, alert.org_path, alert.raised_at) == (
        Alert.Kind.BREACH, order, order.key_person_id, order.org_path, now)
    assert alert.status == Alert.Status.OPEN and g.name in alert.detail
    assert any("quarantine" in str(n) for n in result.notes)


def test_coming_in_is_never_a_breach(world, now):
    watch(world, "a")
    g, c = gate(world), card(world)
    p = one(world.checkpoint_staff_a, draft(g, at=now, direction="in", card=code(c))).passage
    assert not p.is_breach and p.outcome == Outcome.PASSED and not Alert.objects.exists()


def test_a_household_card_is_blocked_from_exit_when_one_member_is_quarantined(world, now):
    order = watch(world, "a")
    person(world, "a", name="家属")  # a member not under quarantine
    g, c = gate(world), card(world)
    p = one(world.checkpoint_staff_a, draft(g, at=now, direction="out", temperature=None, card=code(c))).passage
    assert p.is_breach and p.outcome == Outcome.TURNED_BACK
    assert list(Alert.objects.values_list("order_id", flat=True)) == [order.pk]
    assert selectors.pass_card_check(actor=world.checkpoint_staff_a, code=code(c)).exit_blocked


def test_a_household_card_with_two_quarantined_members_raises_one_alert_per_active_order(world, now):
    first = watch(world, "a")
    second = watch(world, "a", resident=person(world, "a", name="家属"))
    g, c = gate(world), card(world)
    one(world.checkpoint_staff_a, draft(g, at=now, direction="out", temperature=None, card=code(c)))
    assert sorted(Alert.objects.filter(kind="breach").values_list("order_id", flat=True)) == sorted([first.pk, second.pk])


def test_a_personal_card_of_a_member_not_under_quarantine_goes_out(world, now):
    watch(world, "a")
    member = person(world, "a", name="家属")
    g, c = gate(world), card(world, resident=member)
    p = one(world.checkpoint_staff_a, draft(g, at=now, direction="out", temperature=None, card=code(c))).passage
    assert not p.is_breach and p.outcome == Outcome.PASSED and not Alert.objects.exists()


def _release(world, order):
    return quarantine_services.quarantine_order_release(actor=world.street_officer_a, order=order, early=True, reason="核酸阴性",
                                                        via=COMMAND)


def _end(status):
    def do(world, order):
        return quarantine_services.quarantine_order_end(actor=world.street_officer_a, order=order, status=status, reason="转院",
                                                        via=COMMAND)
    return do


@pytest.mark.parametrize("finish", [_release, _end(QuarantineOrder.Status.TRANSFERRED), _end(QuarantineOrder.Status.CANCELLED)],
                         ids=["released", "transferred", "cancelled"])
def test_a_released_or_ended_order_is_no_breach_and_the_person_passes(world, now, finish):
    order = watch(world, "a")
    finish(world, order)
    g, c = gate(world), card(world)
    by_card = one(world.checkpoint_staff_a, draft(g, at=now, direction="out", temperature=None, card=code(c))).passage
    by_id = one(world.checkpoint_staff_a, draft(g, at=now, direction="out", temperature=None, id_number=world.resident_a.id_number)).passage
    assert [(p.is_breach, p.outcome) for p in (by_card, by_id)] == [(False, Outcome.PASSED)] * 2
    assert not Alert.objects.filter(kind="breach").exists()
    assert not selectors.pass_card_check(actor=world.checkpoint_staff_a, code=code(c)).exit_blocked


def test_a_resident_of_another_street_under_quarantine_is_stopped_at_any_gate(world, now):
    order = watch(world, "b")
    g = gate(world)
    p = one(world.checkpoint_staff_a, draft(g, at=now, direction="out", temperature=None, id_number=world.resident_b.id_number)).passage
    assert p.is_breach and Alert.objects.get().order == order


def test_a_breach_with_a_fever_is_both_stopped_alerted_and_referred(world, now):
    order = watch(world, "a")
    g = gate(world)
    p = one(world.checkpoint_staff_a, draft(g, at=now, direction="out", temperature="38.5", id_number=world.resident_a.id_number)).passage
    assert p.is_breach and p.is_fever
    assert p.outcome in (Outcome.REFERRED, Outcome.TURNED_BACK)
    assert Alert.objects.get(kind="breach").order == order
    assert Referral.objects.get().reasons == ["fever"]


def test_a_replayed_breach_raises_no_second_alert(world, now):
    watch(world, "a")
    g = gate(world)
    d = draft(g, at=now, direction="out", temperature=None, id_number=world.resident_a.id_number)
    record(world.checkpoint_staff_a, d)
    (again,) = record(world.checkpoint_staff_a, d)
    assert not again.created and again.passage.is_breach
    assert Alert.objects.count() == 1 and Passage.objects.count() == 1


# --- referrals ------------------------------------------------------------------------------

@pytest.fixture
def referral(world, now):
    one(world.checkpoint_staff_a, draft(gate(world), at=now, temperature="38.2", **VISITOR))
    return Referral.objects.get()


def test_a_referral_is_acknowledged_then_closed(world, now, referral):
    r = services.referral_acknowledge(actor=world.grid_worker_a, referral=referral, via=COMMAND)
    assert (r.status, r.acknowledged_by, r.acknowledged_at) == (Referral.Status.ACKNOWLEDGED, world.grid_worker_a, now)
    r = services.referral_close(actor=world.doctor_a, referral=r, disposition="ruled_out", via=COMMAND)
    r.refresh_from_db()
    assert (r.status, r.closed_by, r.disposition, r.acknowledged_by) == (Referral.Status.CLOSED, world.doctor_a, "ruled_out",
                                                                          world.grid_worker_a)


def test_closing_an_open_referral_acknowledges_it_at_the_same_time(world, now, referral):
    r = services.referral_close(actor=world.street_officer_a, referral=referral, disposition="at_clinic", via=COMMAND)
    assert r.acknowledged_at == r.closed_at == now and r.acknowledged_by == world.street_officer_a


def test_a_closed_referral_cannot_be_acknowledged_or_closed_again(world, now, referral):
    services.referral_close(actor=world.street_officer_a, referral=referral, disposition="at_clinic", via=COMMAND)
    for act in (lambda: services.referral_acknowledge(actor=world.street_officer_a, referral=referral, via=COMMAND),
                lambda: services.referral_close(actor=world.street_officer_a, referral=referral, disposition="at_clinic", via=COMMAND)):
        with pytest.raises(DomainError) as e:
            act()
        assert e.value.code == "bad_transition"


def test_an_acknowledged_referral_cannot_be_acknowledged_twice(world, now, referral):
    services.referral_acknowledge(actor=world.street_officer_a, referral=referral, via=COMMAND)
    with pytest.raises(DomainError) as e:
        services.referral_acknowledge(actor=world.street_officer_a, referral=referral, via=COMMAND)
    assert e.value.code == "bad_transition"


def test_closing_needs_a_disposition_and_other_needs_a_description(world, now, referral):
    for disposition, outcome in (("", ""), ("cured", ""), ("other", "  ")):
        with pytest.raises(DomainError):
            services.referral_close(actor=world.street_officer_a, referral=referral, disposition=disposition, outcome=outcome, via=COMMAND)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.OPEN
    services.referral_close(actor=world.street_officer_a, referral=referral, disposition="other", outcome="自行就医", via=COMMAND)


@pytest.mark.parametrize("who", ["checkpoint_staff_a", "supervision", "street_officer_b", "grid_worker_b"])
def test_only_those_handling_alerts_in_the_jurisdiction_acknowledge_or_close(world, now, referral, who):
    with pytest.raises(PermissionDenied):
        services.referral_acknowledge(actor=getattr(world, who), referral=referral, via=COMMAND)
    with pytest.raises(PermissionDenied):
        services.referral_close(actor=getattr(world, who), referral=referral, disposition="ruled_out", via=COMMAND)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.OPEN
