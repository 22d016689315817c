"""The management pages of checkpoints: the list, setting a gate up, its page, its roster and
who is on duty now. Street b's people never see street a's gates."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from lianfang.core import clock
from lianfang.core.audit import COMMAND
from lianfang.core.models import AuditEntry

from .. import services
from ..models import Checkpoint, DutyAssignment, DutyShift
from .factories import gate

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2024, 3, 4)


@pytest.fixture
def at_ten():
    """10:00 local on MONDAY: the 08:00–16:00 shift is on duty."""
    clock.set_now(timezone.make_aware(dt.datetime(2024, 3, 4, 10, 0)))
    yield
    clock.set_now(None)


def planned(world, g, *, people=("张三",)):
    services.shifts_plan(actor=world.street_officer_a, checkpoint=g, start=MONDAY, days=1, via=COMMAND)
    shift = g.shifts.get(starts_at=timezone.make_aware(dt.datetime(2024, 3, 4, 8, 0)))
    for i, name in enumerate(people):
        # A phone per person and gate: the same phone at two gates at once is refused (one person, one place).
        phone = "13900001111" if i == 0 and g.name == "东门" else f"1390000{g.pk % 100:02d}{i:02d}"
        services.duty_assign(actor=world.street_officer_a, shift=shift, name=name, phone=phone, via=COMMAND)
    return shift


def xlsx_rows(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(values_only=True))


GOOD = {"org": None, "name": "南门", "kind": "compound_gate", "location": "南侧路口", "opens_at": "06:00", "closes_at": "22:00",
        "equipment": ["tent", "thermometer"], "equipment_note": "对讲机", "shift_starts": "08:00, 20:00"}


def good(world, **changes):
    return {**GOOD, "org": world.building_a.code, **changes}


# --- the list -------------------------------------------------------------------------------

def test_the_list_shows_who_is_on_duty_and_highlights_a_gap(world, client_for, at_ten):
    east = gate(world)
    planned(world, east, people=("张三", "李四"))
    gate(world, name="北门")
    page = client_for(world.street_officer_a).get("/checkpoints/list/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "东门" in html and "北门" in html and "张三 (Volunteer)、李四 (Volunteer)" in html
    assert 'class="badge err">nobody' in html
    assert "gate_a" in html  # the posted staff


def test_it_filters_by_unit_kind_and_search(world, client_for):
    gate(world)
    gate(world, name="村口", kind="village_entrance", org=world.community_a)
    client = client_for(world.street_officer_a)
    assert "村口" not in client.get(f"/checkpoints/list/?org={world.building_a.code}").content.decode()
    by_kind = client.get("/checkpoints/list/?kind=village_entrance").content.decode()
    assert "村口" in by_kind and "东门" not in by_kind
    assert "东门" not in client.get("/checkpoints/list/?q=村").content.decode()


def test_checkpoint_staff_see_only_the_gates_they_are_posted_to(world, client_for):
    gate(world)
    gate(world, name="北门", staff=[])
    html = client_for(world.checkpoint_staff_a).get("/checkpoints/list/").content.decode()
    assert "东门" in html and "北门" not in html


def test_the_list_exports_to_excel_and_is_audited(world, client_for, at_ten):
    g = gate(world, is_single_exit=True)
    planned(world, g)
    response = client_for(world.street_officer_a).get("/checkpoints/list/?format=xlsx")
    rows = xlsx_rows(response)
    assert rows[0][:8] == ("Name", "Type", "Unit", "Location", "Hours", "Single exit", "In service", "On duty now")
    assert rows[1][0] == "东门" and rows[1][5] == "yes" and rows[1][7] == "张三 (Volunteer)" and rows[1][8] == "gate_a"
    entry = AuditEntry.objects.get(action="export")
    assert entry.object_type == "checkpoint" and entry.detail["rows"] == 1


# --- setting a gate up ----------------------------------------------------------------------

def test_it_sets_up_a_checkpoint(world, client_for):
    response = client_for(world.grid_worker_a).post("/checkpoints/new/", good(world))
    g = Checkpoint.objects.get()
    assert response.status_code == 302 and response.url == f"/checkpoints/{g.uid}/"
    assert (g.org, g.name, g.location, g.equipment, g.equipment_note) == (world.building_a, "南门", "南侧路口", ["tent", "thermometer"], "对讲机")
    assert (g.opens_at, g.closes_at, g.shift_starts) == (dt.time(6), dt.time(22), ["08:00", "20:00"])


def test_the_form_offers_units_of_the_jurisdiction_only(world, client_for):
    html = client_for(world.street_officer_a).get("/checkpoints/new/").content.decode()
    assert world.building_a.code in html and world.community_a.code in html and world.building_b.code not in html


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, "This field is required."),
    ({"opens_at": "", "closes_at": "22:00"}, "Give both the opening and the closing time, or neither for 24 hours."),
    ({"shift_starts": "8点, 16:00"}, "Shift start times are like 08:00, 16:00, 00:00."),
    ({"shift_starts": "08:00, 08:00"}, "A shift start time is listed twice."),
])
def test_bad_input_shows_the_error_and_stores_nothing(world, client_for, changes, message):
    response = client_for(world.street_officer_a).post("/checkpoints/new/", good(world, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Checkpoint.objects.exists()


def test_a_unit_of_another_street_is_not_offered(world, client_for):
    response = client_for(world.street_officer_a).post("/checkpoints/new/", good(world, org=world.building_b.code))
    assert response.status_code == 400 and not Checkpoint.objects.exists()


def test_a_second_single_exit_is_refused_naming_the_first(world, client_for):
    gate(world, name="东门", is_single_exit=True)
    response = client_for(world.street_officer_a).post("/checkpoints/new/", good(world, is_single_exit="on"))
    assert response.status_code == 400
    assert "already has its single exit: 东门" in response.content.decode()
    assert Checkpoint.objects.count() == 1


def test_checkpoint_staff_may_not_set_up_gates(world, client_for):
    assert client_for(world.checkpoint_staff_a).get("/checkpoints/new/").status_code == 403


def test_editing_changes_the_gate_and_posts_staff(world, client_for):
    g = gate(world, staff=[])
    client = client_for(world.street_officer_a)
    page = client.get(f"/checkpoints/{g.uid}/edit/").content.decode()
    assert "gate_a" in page and "gate_b" not in page  # only staff working in the gate's area
    data = {**good(world, name="东门", is_active="on", staff=[str(world.checkpoint_staff_a.pk)])}
    response = client.post(f"/checkpoints/{g.uid}/edit/", data)
    assert response.status_code == 302
    g.refresh_from_db()
    assert g.location == "南侧路口" and list(g.staff.all()) == [world.checkpoint_staff_a]


def test_a_refused_edit_changes_nothing(world, client_for):
    gate(world, name="北门", is_single_exit=True)
    g = gate(world, staff=[])
    response = client_for(world.street_officer_a).post(
        f"/checkpoints/{g.uid}/edit/", good(world, name="东门", is_active="on", is_single_exit="on", staff=[str(world.checkpoint_staff_a.pk)]))
    assert response.status_code == 400 and "already has its single exit: 北门" in response.content.decode()
    g.refresh_from_db()
    assert not g.is_single_exit and g.location == "" and not g.staff.exists()


# --- the gate's page ------------------------------------------------------------------------

def test_the_gate_page_shows_exits_who_is_on_duty_and_the_handover(world, client_for, at_ten):
    g = gate(world, is_single_exit=True)
    gate(world, name="北门")
    shift = planned(world, g)
    night = g.shifts.get(starts_at=timezone.make_aware(dt.datetime(2024, 3, 4, 0, 0)))
    services.handover_record(actor=world.checkpoint_staff_a, shift=night, note="三号楼有发热访客，已转诊", via=COMMAND)
    html = client_for(world.street_officer_a).get(f"/checkpoints/{g.uid}/").content.decode()
    assert "张三" in html and "13900001111" in html  # a street officer may reveal phones
    assert "三号楼有发热访客，已转诊" in html
    assert "北门" in html and "Single exit" in html
    assert f"/checkpoints/{g.uid}/roster/" in html
    assert shift.assignments.count() == 1


def test_a_gate_with_nobody_planned_shows_the_gap(world, client_for, at_ten):
    g = gate(world)
    html = client_for(world.checkpoint_staff_a).get(f"/checkpoints/{g.uid}/").content.decode()
    assert "No shift planned" in html


def test_street_b_does_not_find_street_a_gates(world, client_for, token_client):
    g = gate(world)
    services.shifts_plan(actor=world.street_officer_a, checkpoint=g, start=MONDAY, days=1, via=COMMAND)
    shift = g.shifts.first()
    client = client_for(world.street_officer_b)
    for url in (f"/checkpoints/{g.uid}/", f"/checkpoints/{g.uid}/edit/", f"/checkpoints/{g.uid}/roster/",
                f"/checkpoints/{g.uid}/roster/?format=xlsx"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/checkpoints/shifts/{shift.uid}/assign/", {"name": "王五", "kind": "volunteer"}).status_code == 404
    assert client.post(f"/checkpoints/shifts/{shift.uid}/handover/", {"note": "x"}).status_code == 404
    assert not DutyAssignment.objects.exists() and not DutyShift.objects.exclude(handover_note="").exists()


def test_checkpoint_staff_not_posted_do_not_find_the_gate(world, client_for):
    g = gate(world, staff=[])
    assert client_for(world.checkpoint_staff_a).get(f"/checkpoints/{g.uid}/").status_code == 404


# --- rosters --------------------------------------------------------------------------------

def test_planning_the_week_lays_out_the_shifts(world, client_for, at_ten):
    g = gate(world)
    client = client_for(world.street_officer_a)
    response = client.post(f"/checkpoints/{g.uid}/roster/plan/", {"since": "2024-03-04"})
    assert response.status_code == 302 and response.url.endswith("?since=2024-03-04")
    assert g.shifts.count() == 21
    client.post(f"/checkpoints/{g.uid}/roster/plan/", {"since": "2024-03-04"})
    assert g.shifts.count() == 21  # planned days keep theirs
    html = client.get(f"/checkpoints/{g.uid}/roster/").content.decode()  # today by default
    assert html.count('data-figure="gap"') == 21
    assert html.count('data-figure="now"') == 1


def test_people_are_added_and_removed_and_gaps_close(world, client_for, at_ten):
    g = gate(world)
    client = client_for(world.grid_worker_a)
    client.post(f"/checkpoints/{g.uid}/roster/plan/", {"since": "2024-03-04"})
    shift = g.shifts.get(starts_at=timezone.make_aware(dt.datetime(2024, 3, 4, 8, 0)))
    response = client.post(f"/checkpoints/shifts/{shift.uid}/assign/",
                           {"name": "", "phone": "", "kind": "warden", "user": str(world.checkpoint_staff_a.pk), "since": "2024-03-04"})
    assert response.status_code == 302
    assignment = shift.assignments.get()
    assert (assignment.name, assignment.kind, assignment.user) == ("gate_a", "warden", world.checkpoint_staff_a)
    client.post(f"/checkpoints/shifts/{shift.uid}/assign/", {"name": "李四", "phone": "13900002222", "kind": "volunteer"})
    html = client.get("/checkpoints/%s/roster/?since=2024-03-04" % g.uid).content.decode()
    assert html.count('data-figure="gap"') == 20
    assert "139****2222" in html and "13900002222" not in html  # a grid worker sees phones masked
    client.post(f"/checkpoints/shifts/{shift.uid}/unassign/", {"name": "gate_a", "since": "2024-03-04"})
    assert list(shift.assignments.values_list("name", flat=True)) == ["李四"]


def test_a_name_twice_on_a_shift_is_refused_with_the_form_kept(world, client_for, at_ten):
    g = gate(world)
    shift = planned(world, g)
    response = client_for(world.street_officer_a).post(f"/checkpoints/shifts/{shift.uid}/assign/",
                                                        {"name": "张三", "phone": "13900003333", "kind": "volunteer", "since": "2024-03-04"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "张三 is already on this shift." in html and 'value="13900003333"' in html
    assert shift.assignments.count() == 1


def test_the_handover_note_is_shown_to_the_next_shift(world, client_for, at_ten):
    g = gate(world)
    shift = planned(world, g)
    response = client_for(world.checkpoint_staff_a).post(f"/checkpoints/shifts/{shift.uid}/handover/",
                                                          {"note": "北侧栏杆松动", "since": "2024-03-04"})
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.handover_note == "北侧栏杆松动" and shift.handover_by == world.checkpoint_staff_a
    html = client_for(world.street_officer_a).get(f"/checkpoints/{g.uid}/roster/?since=2024-03-04").content.decode()
    assert "From the previous shift:" in html and "北侧栏杆松动" in html


def test_an_empty_handover_note_is_refused(world, client_for, at_ten):
    shift = planned(world, gate(world))
    response = client_for(world.street_officer_a).post(f"/checkpoints/shifts/{shift.uid}/handover/", {"note": " "}, follow=True)
    assert "Write the handover note." in response.content.decode()
    shift.refresh_from_db()
    assert shift.handover_note == ""


@pytest.mark.parametrize("who, phone", [("street_officer_a", "13900001111"), ("grid_worker_a", "139****1111")])
def test_the_roster_exports_with_phones_as_the_role_may_see_them(world, client_for, at_ten, who, phone):
    shift = planned(world, gate(world))
    services.handover_record(actor=world.street_officer_a, shift=shift, note="正常", via=COMMAND)
    rows = xlsx_rows(client_for(getattr(world, who)).get(f"/checkpoints/{shift.checkpoint.uid}/roster/?since=2024-03-04&format=xlsx"))
    assert rows[0] == ("Day", "From", "Until", "Names", "As", "Phones", "Handover note")
    day = next(r for r in rows[1:] if r[3] == "张三")
    assert day[0] == dt.datetime(2024, 3, 4) and day[1] == dt.datetime(2024, 3, 4, 8) and day[5] == phone and day[6] == "正常"
    assert [r[3] for r in rows[1:]].count("nobody") == 2
    assert AuditEntry.objects.filter(action="export", object_type="duty_shift").count() == 1


# --- who is on duty now ---------------------------------------------------------------------

def test_the_duty_board_shows_every_gate_in_service_and_its_gaps(world, client_for, at_ten):
    planned(world, gate(world))
    gate(world, name="北门")
    west = gate(world, name="西门")
    Checkpoint.objects.filter(pk=west.pk).update(is_active=False)
    client = client_for(world.street_officer_a)
    html = client.get("/checkpoints/duty/").content.decode()
    assert "张三" in html and "北门" in html and "西门" not in html
    assert '<b data-figure="gaps">1</b>' in html
    rows = xlsx_rows(client.get("/checkpoints/duty/?format=xlsx"))
    assert sorted((r[0], r[4], r[6]) for r in rows[1:]) == [("东门", "张三 (Volunteer)", "no"), ("北门", "nobody", "yes")]
    assert "东门" not in client_for(world.street_officer_b).get("/checkpoints/duty/").content.decode()



def test_the_list_and_the_board_take_a_fixed_number_of_queries(world, client_for, at_ten, django_assert_max_num_queries):
    for i in range(6):
        planned(world, gate(world, name=f"门{i}"), people=("张三", "李四"))
    client = client_for(world.street_officer_a)
    client.get("/checkpoints/list/")  # warm the session and the caches
    with django_assert_max_num_queries(14):
        assert client.get("/checkpoints/list/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/checkpoints/duty/").status_code == 200
    g = Checkpoint.objects.first()
    with django_assert_max_num_queries(14):
        assert client.get(f"/checkpoints/{g.uid}/roster/?since=2024-03-04").status_code == 200
