"""Who may see and do what: street a's people never reach street b's orders, checks, alerts,
spot checks and support requests, except a doctor or police officer named for one person there."""

import uuid

import pytest
from django.http import Http404

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.tests.factories import make_household, make_resident
from lianfang.quarantine import selectors, services
from lianfang.quarantine.models import (
    Alert,
    Duty,
    HealthCheck,
    OrderKind,
    Scheme,
    SpotCheck,
    SupportRequest,
)

from .factories import DAY, at, central_room, check, person, register, start, watch  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(world, frozen):
    """One order per street, each with a fever alert, a spot check and a support request."""
    frozen(at(DAY, 8))
    a, b = watch(world, "a"), watch(world, "b")
    for order, key in ((a, "a"), (b, "b")):
        check(order, getattr(world, f"doctor_{key}"), "38.0")
        services.spot_check_record(actor=getattr(world, f"police_{key}"), order=order, uid=uuid.uuid4(), result="present", via=COMMAND)
        services.support_request_open(actor=getattr(world, f"grid_worker_{key}"), order=order, uid=uuid.uuid4(), kind="groceries",
                                      detail="大米5公斤", via=COMMAND)
    return a, b


def spot(actor, order, result="present", note="", uid=None):
    return services.spot_check_record(actor=actor, order=order, uid=uid or uuid.uuid4(), result=result, note=note, via=COMMAND)


# --- reads --------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["street_officer_a", "doctor_a", "police_a", "grid_worker_a"])
def test_street_a_reads_nothing_of_street_b(world, both, who):
    a, b = both
    actor = getattr(world, who)
    assert [o.pk for o in selectors.order_list(actor=actor)] == [a.pk]
    assert [k.pk for k in selectors.key_person_list(actor=actor)] == [a.key_person_id]
    assert {x.order_id for x in selectors.alert_list(actor=actor)} == {a.pk}
    assert {x.order_id for x in selectors.spot_check_list(actor=actor)} == {a.pk}
    assert {x.order_id for x in selectors.support_request_list(actor=actor)} == {a.pk}
    assert [r.pk for r in selectors.followup_list(actor=actor)[0]] == [a.pk]
    assert selectors.alert_open_count(actor=actor) == 1
    b_alert = Alert.objects.get(order=b)
    b_support = SupportRequest.objects.get(order=b)
    for call in (lambda: selectors.access_order(actor=actor, uid=b.uid),
                 lambda: selectors.access_key_person(actor=actor, uid=b.key_person.uid),
                 lambda: selectors.access_alert(actor=actor, uid=b_alert.uid),
                 lambda: selectors.access_support_request(actor=actor, uid=b_support.uid)):
        with pytest.raises(Http404):
            call()
    assert selectors.access_order(actor=actor, uid=a.uid).pk == a.pk


def test_a_filter_on_the_other_street_returns_nothing(world, both):
    assert list(selectors.order_list(actor=world.street_officer_a, org=world.street_b)) == []
    assert list(selectors.alert_list(actor=world.doctor_a, org=world.street_b)) == []
    assert list(selectors.followup_list(actor=world.doctor_a, org=world.street_b)[0]) == []


def test_the_district_office_reads_both_streets(world, both):
    assert {o.pk for o in selectors.order_list(actor=world.district_office)} == {o.pk for o in both}
    assert selectors.alert_open_count(actor=world.district_office) == 2


def test_a_grid_worker_sees_only_the_own_grid(world, both, frozen):
    household = make_household(org=world.grid2_a, room="202")
    other_grid = watch(world, "a", resident=make_resident(household=household, name="网格二"))
    assert other_grid.pk not in {o.pk for o in selectors.order_list(actor=world.grid_worker_a)}
    with pytest.raises(PermissionDenied):
        check(other_grid, world.grid_worker_a)
    assert other_grid.pk in {o.pk for o in selectors.order_list(actor=world.street_officer_a)}


# --- writes -------------------------------------------------------------------------------------

def test_street_a_cannot_act_on_street_b(world, both):
    a, b = both
    b_alert = Alert.objects.get(order=b)
    b_support = SupportRequest.objects.get(order=b)
    officer = world.street_officer_a
    calls = [
        lambda: services.quarantine_order_extend(actor=officer, order=b, days=3, reason="x", via=COMMAND),
        lambda: services.quarantine_order_release(actor=officer, order=b, early=True, reason="x", via=COMMAND),
        lambda: services.quarantine_order_end(actor=officer, order=b, status="cancelled", reason="x", via=COMMAND),
        lambda: services.order_cadres_assign(actor=officer, order=b, scheme=Scheme.TWO_FOR_ONE,
                                             cadres=[{"duty": "village", "name": "甲"}, {"duty": "doctor", "name": "乙"}], via=COMMAND),
        lambda: services.key_person_transfer_out(actor=officer, key_person=b.key_person, reason="x", via=COMMAND),
        lambda: services.key_person_recategorise(actor=officer, key_person=b.key_person, category="confirmed_case", reason="x",
                                                 via=COMMAND),
        lambda: check(b, officer),
        lambda: check(b, world.doctor_a),
        lambda: check(b, world.grid_worker_a),
        lambda: services.notice_mark_signed(actor=world.doctor_a, order=b, via=COMMAND),
        lambda: spot(world.police_a, b),
        lambda: services.alert_acknowledge(actor=world.doctor_a, alert=b_alert, via=COMMAND),
        lambda: services.alert_close(actor=world.police_a, alert=b_alert, disposition="ruled_out", via=COMMAND),
        lambda: services.support_request_open(actor=world.grid_worker_a, order=b, uid=uuid.uuid4(), kind="medicine", detail="x",
                                              via=COMMAND),
        lambda: services.support_request_close(actor=officer, request=b_support, status="fulfilled", via=COMMAND),
    ]
    for i, call in enumerate(calls):
        with pytest.raises(PermissionDenied):
            call()
    b.refresh_from_db()
    b_alert.refresh_from_db()
    b_support.refresh_from_db()
    assert (b.status, b.days, b.notice_signed_at) == ("active", 14, None)
    assert (b_alert.status, b_support.status) == ("open", "open")
    assert HealthCheck.objects.filter(order=b).count() == 1 and SpotCheck.objects.filter(order=b).count() == 1


def test_street_a_cannot_order_street_bs_people_into_quarantine(world, frozen):
    frozen(at(DAY, 8))
    kp = register(world, "b")
    with pytest.raises(PermissionDenied):
        start(world, kp, actor=world.street_officer_a)


def test_a_checkpoint_cannot_record_checks(world, both):
    a, _b = both
    with pytest.raises(PermissionDenied):
        check(a, world.checkpoint_staff_a)


@pytest.mark.parametrize("who", ["grid_worker_a", "doctor_a", "police_a", "checkpoint_staff_a", "supervision"])
def test_only_managers_start_extend_and_release_orders(world, frozen, who):
    frozen(at(DAY, 8))
    actor = getattr(world, who)
    kp = register(world, "a", resident=person(world, "a", "李四"))
    with pytest.raises(PermissionDenied):
        start(world, kp, actor=actor)
    order = watch(world, "a")
    with pytest.raises(PermissionDenied):
        services.quarantine_order_extend(actor=actor, order=order, days=3, reason="x", via=COMMAND)
    with pytest.raises(PermissionDenied):
        services.quarantine_order_release(actor=actor, order=order, early=True, reason="x", via=COMMAND)


@pytest.mark.parametrize("who", ["police_a", "checkpoint_staff_a", "supervision"])
def test_roles_without_the_capability_cannot_record_checks(world, both, who):
    with pytest.raises(PermissionDenied):
        check(both[0], getattr(world, who))


@pytest.mark.parametrize("who", ["doctor_a", "grid_worker_a", "checkpoint_staff_a"])
def test_only_police_and_officers_spot_check(world, both, who):
    with pytest.raises(PermissionDenied):
        spot(getattr(world, who), both[0])


# --- named for one person in another street -----------------------------------------------------

@pytest.fixture
def named(world, frozen):
    """doctor_a and police_a are named for one person in street b; another person in b is not theirs."""
    frozen(at(DAY, 8))
    theirs = services.quarantine_order_start(
        actor=world.street_officer_b, key_person=register(world, "b"), kind=OrderKind.HOME_QUARANTINE, start_date=DAY,
        scheme=Scheme.TWO_FOR_ONE, cadres=[{"duty": Duty.DOCTOR, "user": world.doctor_a}, {"duty": Duty.POLICE, "user": world.police_a}],
        via=COMMAND)
    others = watch(world, "b", resident=person(world, "b", "王五"))
    return theirs, others


def test_a_named_doctor_sees_and_checks_that_one_person(world, named):
    theirs, others = named
    assert selectors.access_order(actor=world.doctor_a, uid=theirs.uid).pk == theirs.pk
    assert selectors.access_key_person(actor=world.doctor_a, uid=theirs.key_person.uid).pk == theirs.key_person_id
    hc, created = check(theirs, world.doctor_a, "37.5")
    assert created and hc.measured_by == world.doctor_a
    alert = Alert.objects.get(order=theirs)
    assert selectors.access_alert(actor=world.doctor_a, uid=alert.uid).pk == alert.pk
    services.alert_acknowledge(actor=world.doctor_a, alert=alert, via=COMMAND)
    assert [r.pk for r in selectors.followup_list(actor=world.doctor_a)[0]] == [theirs.pk]
    assert [r.pk for r in selectors.followup_list(actor=world.doctor_a, mine=True)[0]] == [theirs.pk]
    assert services.notice_mark_signed(actor=world.doctor_a, order=theirs, via=COMMAND).notice_signed_by == world.doctor_a


def test_a_named_doctor_sees_nobody_else_in_that_street(world, named):
    theirs, others = named
    assert [o.pk for o in selectors.order_list(actor=world.doctor_a)] == [theirs.pk]
    assert [k.pk for k in selectors.key_person_list(actor=world.doctor_a)] == [theirs.key_person_id]
    with pytest.raises(Http404):
        selectors.access_order(actor=world.doctor_a, uid=others.uid)
    with pytest.raises(PermissionDenied):
        check(others, world.doctor_a)
    check(others, world.doctor_b, "38.5")
    other_alert = Alert.objects.get(order=others)
    assert list(selectors.alert_list(actor=world.doctor_a)) == []
    with pytest.raises(Http404):
        selectors.access_alert(actor=world.doctor_a, uid=other_alert.uid)
    with pytest.raises(PermissionDenied):
        services.alert_close(actor=world.doctor_a, alert=other_alert, disposition="ruled_out", via=COMMAND)


def test_a_named_police_officer_spot_checks_that_one_person(world, named):
    theirs, others = named
    spot(world.police_a, theirs)
    with pytest.raises(PermissionDenied):
        spot(world.police_a, others)
    assert [s.order_id for s in selectors.spot_check_list(actor=world.police_a)] == [theirs.pk]


def test_a_named_doctor_cannot_manage_the_order(world, named):
    theirs, _others = named
    with pytest.raises(PermissionDenied):
        services.quarantine_order_extend(actor=world.doctor_a, order=theirs, days=3, reason="x", via=COMMAND)


def test_street_b_still_sees_its_own_people(world, named):
    assert {o.pk for o in selectors.order_list(actor=world.street_officer_b)} == {o.pk for o in named}
    assert list(selectors.order_list(actor=world.street_officer_a)) == []


# --- police spot checks -------------------------------------------------------------------------

def test_absent_at_a_spot_check_raises_an_alert(world, both, frozen):
    a, _b = both
    frozen(at(DAY, 21))
    record, created = spot(world.police_a, a, "absent", "敲门无人应答")
    assert created and record.checked_by == world.police_a
    alert = Alert.objects.get(kind="absent")
    assert (alert.order_id, alert.status, alert.raised_at, alert.detail) == (a.pk, "open", at(DAY, 21), "敲门无人应答")
    assert [x.pk for x in selectors.alert_list(actor=world.street_officer_a, kind="absent")] == [alert.pk]


def test_present_at_a_spot_check_raises_nothing(world, both):
    before = Alert.objects.count()
    spot(world.police_a, both[0], "present")
    assert Alert.objects.count() == before


def test_absent_needs_a_note(world, both):
    with pytest.raises(DomainError) as e:
        spot(world.police_a, both[0], "absent", "  ")
    assert e.value.field == "note"
    assert not Alert.objects.filter(kind="absent").exists()


def test_a_spot_check_is_idempotent_by_uid(world, both):
    uid = uuid.uuid4()
    first, created = spot(world.police_a, both[0], "absent", "不在家", uid=uid)
    again, created_again = spot(world.police_a, both[0], "absent", "不在家", uid=uid)
    assert created and not created_again and again.pk == first.pk
    assert Alert.objects.filter(kind="absent").count() == 1
    with pytest.raises(DomainError) as e:
        spot(world.district_office, both[1], uid=uid)
    assert e.value.code == "uid_conflict"


def test_a_spot_check_is_for_home_quarantine(world, frozen):
    frozen(at(DAY, 8))
    order = start(world, register(world, "a"), kind=OrderKind.CENTRAL, room=central_room(world))
    with pytest.raises(DomainError) as e:
        spot(world.police_a, order)
    assert e.value.code == "central"


def test_a_spot_check_takes_a_local_time_without_zone_like_a_health_check(world, both, frozen):
    import datetime as dt
    frozen(at(DAY, 21))
    record, _ = services.spot_check_record(actor=world.police_a, order=both[0], uid=uuid.uuid4(), result="present",
                                           checked_at=dt.datetime.combine(DAY, dt.time(20, 30)), via=COMMAND)
    record.refresh_from_db()
    assert record.checked_at == at(DAY, 20, 30)
