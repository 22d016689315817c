"""Duty rosters: shifts laid out by the gate's pattern, who is on duty now, gaps, handovers."""

import datetime as dt

import pytest
from django.conf import settings
from django.http import Http404

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.models import AuditEntry

from .. import selectors, services
from ..models import DutyShift
from .conftest import DAY, local
from .factories import gate


def plan(world, g, start=DAY, days=1):
    return services.shifts_plan(actor=world.street_officer_a, checkpoint=g, start=start, days=days, via=COMMAND)


def spans(shifts):
    return [(s.starts_at, s.ends_at) for s in sorted(shifts, key=lambda s: s.starts_at)]


def test_the_district_runs_on_beijing_time():
    assert settings.TIME_ZONE == "Asia/Shanghai"


def test_the_default_pattern_is_three_shifts_of_eight_hours_without_a_gap(world):
    g = gate(world)
    assert spans(plan(world, g, days=2)) == [
        (local(DAY, 0), local(DAY, 8)), (local(DAY, 8), local(DAY, 16)), (local(DAY, 16), local(DAY + dt.timedelta(days=1), 0)),
        (local(DAY + dt.timedelta(days=1), 0), local(DAY + dt.timedelta(days=1), 8)),
        (local(DAY + dt.timedelta(days=1), 8), local(DAY + dt.timedelta(days=1), 16)),
        (local(DAY + dt.timedelta(days=1), 16), local(DAY + dt.timedelta(days=2), 0))]
    # local 08:00 is midnight UTC
    assert plan(world, g, start=DAY + dt.timedelta(days=5))[1].starts_at == dt.datetime(2024, 3, 9, 0, 0, tzinfo=dt.UTC)


def test_a_custom_pattern_of_two_twelve_hour_shifts(world):
    g = gate(world, shift_starts="07:00， 19:00")
    assert g.shift_starts == ["07:00", "19:00"]
    next_day = DAY + dt.timedelta(days=1)
    assert spans(plan(world, g, days=2)) == [
        (local(DAY, 7), local(DAY, 19)), (local(DAY, 19), local(next_day, 7)),
        (local(next_day, 7), local(next_day, 19)), (local(next_day, 19), local(next_day + dt.timedelta(days=1), 7))]


def test_a_pattern_whose_last_shift_crosses_midnight(world):
    g = gate(world, shift_starts=["22:00", "6:00", "14:00"])
    shifts = spans(plan(world, g, days=3))
    assert len(shifts) == 9
    assert shifts[2] == (local(DAY, 22), local(DAY + dt.timedelta(days=1), 6))
    assert all(a[1] == b[0] for a, b in zip(shifts, shifts[1:])), "consecutive shifts meet"
    assert {e - s for s, e in shifts} == {dt.timedelta(hours=8)}


@pytest.mark.parametrize("bad", ["25:00", "8", "08:00,08:00", "08:00,abc", "8:5"])
def test_a_malformed_pattern_is_refused(world, bad):
    with pytest.raises(DomainError) as e:
        gate(world, shift_starts=bad)
    assert e.value.field == "shift_starts"


def test_planning_again_keeps_the_days_already_planned(world):
    g = gate(world)
    plan(world, g, days=2)
    again = plan(world, g, start=DAY + dt.timedelta(days=1), days=2)
    assert len(again) == 3 and min(s.starts_at for s in again) == local(DAY + dt.timedelta(days=2), 0)
    assert DutyShift.objects.filter(checkpoint=g).count() == 9


def test_changing_the_pattern_does_not_overlap_the_shifts_of_a_day_already_planned(world):
    g = gate(world)
    plan(world, g)
    services.checkpoint_update(actor=world.street_officer_a, checkpoint=g, name=g.name, kind=g.kind, shift_starts="07:00,19:00",
                               via=COMMAND)
    plan(world, g, days=2)
    shifts = spans(DutyShift.objects.filter(checkpoint=g))
    assert all(a[1] <= b[0] for a, b in zip(shifts, shifts[1:])), shifts


@pytest.mark.parametrize("days", [0, 63, -1])
def test_plans_are_1_to_62_days(world, days):
    with pytest.raises(DomainError):
        plan(world, gate(world), days=days)
    assert not DutyShift.objects.exists()


@pytest.mark.parametrize("who", ["checkpoint_staff_a", "supervision", "street_officer_b"])
def test_only_the_gates_managers_plan_and_assign(world, who):
    g = gate(world)
    actor = getattr(world, who)
    with pytest.raises(PermissionDenied):
        services.shifts_plan(actor=actor, checkpoint=g, start=DAY, via=COMMAND)
    shift = plan(world, g)[0]
    with pytest.raises(PermissionDenied):
        services.duty_assign(actor=actor, shift=shift, name="李四", via=COMMAND)


def test_the_shift_on_duty_changes_exactly_at_the_boundary(world):
    g = gate(world)
    night, day, evening = plan(world, g)
    assert selectors.shift_now(checkpoint=g, now=local(DAY, 7, 59, 59)) == night
    assert selectors.shift_now(checkpoint=g, now=local(DAY, 8)) == day
    assert selectors.shift_now(checkpoint=g, now=local(DAY, 23, 59, 59)) == evening
    assert selectors.shift_now(checkpoint=g, now=local(DAY + dt.timedelta(days=1), 0)) is None
    assert selectors.shift_previous(shift=day) == night


def test_the_duty_board_shows_who_is_on_and_every_gap(world, now):
    staffed, empty, _unplanned = gate(world, name="东门"), gate(world, name="西门"), gate(world, name="北门")
    closed = gate(world, name="南门")
    services.checkpoint_update(actor=world.street_officer_a, checkpoint=closed, name=closed.name, kind=closed.kind, is_active=False,
                               via=COMMAND)
    for g in (staffed, empty):
        plan(world, g)
    on = selectors.shift_now(checkpoint=staffed, now=now)
    services.duty_assign(actor=world.grid_worker_a, shift=on, name="王志愿", phone="13900002222", kind="volunteer", via=COMMAND)
    services.duty_assign(actor=world.grid_worker_a, shift=on, name="", user=world.checkpoint_staff_a, kind="warden", via=COMMAND)
    board = {r.checkpoint.name: r for r in selectors.duty_board(actor=world.street_officer_a, now=now)}
    assert set(board) == {"东门", "西门", "北门"}
    assert not board["东门"].is_gap and len(board["东门"].names) == 2 and board["东门"].shift == on
    assert board["西门"].is_gap and board["西门"].shift is not None
    assert board["北门"].is_gap and board["北门"].shift is None


def test_a_person_is_on_a_shift_once_and_can_be_taken_off(world):
    shift = plan(world, gate(world))[0]
    a = services.duty_assign(actor=world.street_officer_a, shift=shift, name=" 李四 ", phone="13900003333", kind="party_member",
                             via=COMMAND)
    assert (a.name, a.kind) == ("李四", "party_member")
    with pytest.raises(DomainError):
        services.duty_assign(actor=world.street_officer_a, shift=shift, name="李四", via=COMMAND)
    with pytest.raises(DomainError):
        services.duty_assign(actor=world.street_officer_a, shift=shift, name="王五", kind="chef", via=COMMAND)
    with pytest.raises(DomainError):
        services.duty_assign(actor=world.street_officer_a, shift=shift, name="  ", via=COMMAND)
    services.duty_unassign(actor=world.street_officer_a, assignment=a, via=COMMAND)
    assert not shift.assignments.exists()


def test_the_outgoing_shift_leaves_a_handover_note_for_the_next(world, now):
    g = gate(world)
    night, day, _evening = plan(world, g)
    services.handover_record(actor=world.checkpoint_staff_a, shift=night, note="3号楼有发热人员已转诊", via=COMMAND)
    night.refresh_from_db()
    assert (night.handover_note, night.handover_by, night.handover_at) == ("3号楼有发热人员已转诊", world.checkpoint_staff_a, now)
    assert selectors.shift_previous(shift=day).handover_note == "3号楼有发热人员已转诊"
    with pytest.raises(DomainError):
        services.handover_record(actor=world.checkpoint_staff_a, shift=day, note=" ", via=COMMAND)


def test_only_those_on_the_post_or_its_managers_write_the_handover(world):
    g = gate(world, staff=[])
    shift = plan(world, g)[0]
    for outsider in (world.checkpoint_staff_a, world.supervision, world.street_officer_b):
        with pytest.raises(PermissionDenied):
            services.handover_record(actor=outsider, shift=shift, note="x", via=COMMAND)
    services.duty_assign(actor=world.street_officer_a, shift=shift, name="", user=world.checkpoint_staff_a, via=COMMAND)
    services.handover_record(actor=world.checkpoint_staff_a, shift=shift, note="交班", via=COMMAND)
    services.handover_record(actor=world.grid_worker_a, shift=shift, note="补记", via=COMMAND)


def test_staff_see_only_the_shifts_of_their_gates(world):
    mine, other = gate(world), gate(world, name="西门", staff=[])
    theirs = plan(world, other)[0]
    plan(world, mine)
    assert {s.checkpoint_id for s in selectors.shift_list(actor=world.checkpoint_staff_a, checkpoint=mine, since=DAY, until=DAY)} == {
        mine.pk}
    assert not selectors.shift_list(actor=world.checkpoint_staff_a, checkpoint=other, since=DAY, until=DAY).exists()
    with pytest.raises(Http404):
        selectors.access_shift(actor=world.checkpoint_staff_a, uid=theirs.uid)


def test_roster_changes_are_audited(world):
    g = gate(world)
    shift = plan(world, g)[0]
    a = services.duty_assign(actor=world.street_officer_a, shift=shift, name="李四", via=COMMAND)
    services.duty_unassign(actor=world.street_officer_a, assignment=a, via=COMMAND)
    services.handover_record(actor=world.checkpoint_staff_a, shift=shift, note="交班", via=COMMAND)
    assert list(AuditEntry.objects.filter(object_type="duty_shift").order_by("id").values_list("action", flat=True)) == [
        "create", "create", "delete", "update"]


def test_a_user_account_of_another_street_cannot_be_put_on_a_shift(world):
    shift = plan(world, gate(world))[0]
    with pytest.raises(DomainError):
        services.duty_assign(actor=world.street_officer_a, shift=shift, name="", user=world.checkpoint_staff_b, via=COMMAND)
    assert not shift.assignments.exists()


def test_one_person_is_not_on_duty_at_two_gates_at_once(world):
    officer = world.street_officer_a
    east, north = gate(world), gate(world, name="北门")
    day = dt.date(2024, 3, 4)
    first = services.shifts_plan(actor=officer, checkpoint=east, start=day, days=1, via=COMMAND)[0]
    other = services.shifts_plan(actor=officer, checkpoint=north, start=day, days=1, via=COMMAND)
    services.duty_assign(actor=officer, shift=first, name="杨帆", phone="13900002222", via=COMMAND)
    with pytest.raises(DomainError) as e:
        services.duty_assign(actor=officer, shift=other[0], name="杨帆", phone="13900002222", via=COMMAND)
    assert e.value.code == "duty_clash" and "东门" in str(e.value.message)
    services.duty_assign(actor=officer, shift=other[1], name="杨帆", phone="13900002222", via=COMMAND)  # the next shift is fine
