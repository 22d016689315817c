"""Setting up gates: fields, hours, equipment, the single exit of a closed circle, staff; who
may; audit."""

import datetime as dt

import pytest
from django.db import connection

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.models import AuditEntry

from .. import selectors, services
from ..models import Checkpoint
from .factories import gate


def create(world, key="a", **kw):
    fields = {"org": getattr(world, f"building_{key}"), "name": "东门", "kind": "compound_gate"} | kw
    return services.checkpoint_create(actor=getattr(world, f"street_officer_{key}"), via=COMMAND, **fields)


def update(world, g, key="a", **kw):
    fields = {"name": g.name, "kind": g.kind, "location": g.location, "opens_at": g.opens_at, "closes_at": g.closes_at,
              "equipment": g.equipment, "equipment_note": g.equipment_note, "is_single_exit": g.is_single_exit,
              "shift_starts": g.shift_starts, "is_active": g.is_active} | kw
    return services.checkpoint_update(actor=getattr(world, f"street_officer_{key}"), checkpoint=g, via=COMMAND, **fields)


def test_a_gate_is_created_with_its_place_hours_and_equipment(world):
    g = create(world, kind="village_entrance", name=" 村口 ", location="东风路口", opens_at=dt.time(6), closes_at=dt.time(22),
               equipment=["tent", "heater", "thermometer", "tent"], equipment_note="发电机")
    g.refresh_from_db()
    assert (g.name, g.kind, g.location, g.org, g.org_path, g.district_id) == (
        "村口", "village_entrance", "东风路口", world.building_a, world.building_a.path, world.district.pk)
    assert g.equipment == ["tent", "heater", "thermometer"] and g.equipment_note == "发电机"
    assert g.shift_starts == ["08:00", "16:00", "00:00"] and g.is_active and g.created_by == world.street_officer_a
    assert g.hours_label() == "06:00–22:00"
    assert [g.is_open_at(dt.time(h)) for h in (5, 6, 21, 22)] == [False, True, True, False]


def test_hours_past_midnight_and_round_the_clock(world):
    night = create(world, name="夜门", opens_at=dt.time(20), closes_at=dt.time(2))
    assert [night.is_open_at(dt.time(h)) for h in (19, 20, 23, 1, 2)] == [False, True, True, True, False]
    always = create(world, name="大门")
    assert always.is_open_at(dt.time(3)) and always.hours_label() == "24 hours"


@pytest.mark.parametrize("kw, field", [
    ({"name": "  "}, "name"), ({"kind": "castle"}, "kind"), ({"opens_at": dt.time(8)}, "opens_at"),
    ({"opens_at": dt.time(8), "closes_at": dt.time(8)}, "closes_at"), ({"equipment": ["tent", "cannon"]}, "equipment"),
])
def test_bad_fields_are_refused_with_the_field_named(world, kw, field):
    with pytest.raises(DomainError) as e:
        create(world, **kw)
    assert e.value.field == field
    assert not Checkpoint.objects.exists()


def test_two_gates_of_one_unit_have_different_names(world):
    g = create(world)
    with pytest.raises(DomainError) as e:
        create(world)
    assert e.value.field == "name"
    other = create(world, name="西门")
    with pytest.raises(DomainError):
        update(world, other, name="东门")
    assert create(world, "b").name == g.name  # another unit may use the name


# --- single exit ------------------------------------------------------------------------------

def test_a_closed_circle_has_one_single_exit(world):
    first = create(world, is_single_exit=True)
    with pytest.raises(DomainError) as e:
        create(world, name="西门", is_single_exit=True)
    assert e.value.code == "single_exit_taken" and first.name in str(e.value.message)
    west = create(world, name="西门")
    with pytest.raises(DomainError):
        update(world, west, is_single_exit=True)
    # Saving the single exit itself again is fine; another unit has its own.
    update(world, first, location="正门")
    assert create(world, org=world.grid2_a, name="东门", is_single_exit=True).is_single_exit


def test_when_the_single_exit_is_taken_out_of_service_another_gate_becomes_it(world):
    old = create(world, is_single_exit=True)
    west = create(world, name="西门")
    update(world, old, is_active=False)
    update(world, west, is_single_exit=True)
    assert list(Checkpoint.objects.filter(is_single_exit=True, is_active=True)) == [west]
    # The old one cannot come back into service as a second single exit...
    with pytest.raises(DomainError) as e:
        update(world, old, is_active=True)
    assert e.value.code == "single_exit_taken"
    # ...but it can come back as an ordinary gate.
    assert update(world, old, is_active=True, is_single_exit=False).is_active


def test_a_compound_lists_its_exits_single_exit_first(world):
    b = create(world, name="B门")
    a = create(world, name="A门")
    single = create(world, name="正门", is_single_exit=True)
    create(world, org=world.grid2_a, name="别处")
    assert list(selectors.circle_exits(actor=world.street_officer_a, org=world.building_a)) == [single, a, b]


# --- staff --------------------------------------------------------------------------------------

def test_staff_are_posted_within_the_gates_area_and_the_change_is_audited(world):
    g = create(world)
    services.checkpoint_staff_set(actor=world.grid_worker_a, checkpoint=g, users=[world.checkpoint_staff_a], via=COMMAND)
    assert list(g.staff.all()) == [world.checkpoint_staff_a]
    entry = AuditEntry.objects.filter(object_type="checkpoint", object_ref=str(g.uid)).order_by("-id").first()
    assert entry.detail == {"staff": [[], ["gate_a"]]}
    with pytest.raises(DomainError):
        services.checkpoint_staff_set(actor=world.street_officer_a, checkpoint=g, users=[world.checkpoint_staff_b], via=COMMAND)
    assert list(g.staff.all()) == [world.checkpoint_staff_a]


# --- who may ------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["checkpoint_staff_a", "supervision", "doctor_a", "police_a"])
def test_gate_staff_and_supervision_may_not_set_up_gates(world, who):
    actor = getattr(world, who)
    g = create(world)
    for attempt in (
        lambda: services.checkpoint_create(actor=actor, org=world.building_a, name="西门", kind="compound_gate", via=COMMAND),
        lambda: services.checkpoint_update(actor=actor, checkpoint=g, name="改名", kind="road", via=COMMAND),
        lambda: services.checkpoint_staff_set(actor=actor, checkpoint=g, users=[], via=COMMAND),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert list(Checkpoint.objects.values_list("name", flat=True)) == ["东门"]


def test_one_street_may_not_set_up_or_change_gates_in_the_other(world):
    g = create(world)
    with pytest.raises(PermissionDenied):
        services.checkpoint_create(actor=world.street_officer_b, org=world.building_a, name="西门", kind="compound_gate", via=COMMAND)
    with pytest.raises(PermissionDenied):
        services.checkpoint_update(actor=world.street_officer_b, checkpoint=g, name="改名", kind="road", via=COMMAND)
    with pytest.raises(PermissionDenied):
        services.checkpoint_create(actor=world.grid_worker_a, org=world.grid2_a, name="西门", kind="compound_gate", via=COMMAND)


def test_creating_and_changing_a_gate_are_audited_with_what_changed(world):
    g = create(world)
    update(world, g, name="正门", location="东风路1号")
    rows = list(AuditEntry.objects.filter(object_type="checkpoint", object_ref=str(g.uid)).order_by("id"))
    assert [(r.action, r.actor_id, r.org_path) for r in rows] == [("create", world.street_officer_a.pk, g.org_path),
                                                                   ("update", world.street_officer_a.pk, g.org_path)]
    assert set(rows[1].detail) == {"name", "location"}


def test_the_factory_gate_is_posted_and_listed(world):
    g = gate(world)
    assert list(selectors.checkpoint_list(actor=world.checkpoint_staff_a)) == [g]


# --- two managers at once (PostgreSQL) ---------------------------------------------------------

def _in_thread(fn):
    import threading

    from django.db import connections

    outcome = {}

    def run():
        try:
            outcome["value"] = fn()
        except Exception as e:  # noqa: BLE001 - the test inspects it
            outcome["error"] = e
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def race(first, second):
    """`first` runs in a transaction kept open until `second` has started and had time to reach
    its insert; returns both outcomes."""
    import threading
    import time

    from django.db import transaction

    holding, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            value = first()
            holding.set()
            release.wait(5)
        return value

    t1, out1 = _in_thread(hold)
    assert holding.wait(10)
    t2, out2 = _in_thread(second)
    time.sleep(0.5)
    release.set()
    t1.join(10)
    t2.join(10)
    return out1, out2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_single_exits_created_at_once_one_is_refused_clearly(world):
    out1, out2 = race(lambda: create(world, name="东门", is_single_exit=True),
                      lambda: create(world, name="西门", is_single_exit=True))
    assert "value" in out1, out1
    assert isinstance(out2.get("error"), DomainError) and out2["error"].code == "single_exit_taken", out2
    assert Checkpoint.objects.filter(is_single_exit=True).count() == 1
