"""Central quarantine sites: rooms and beds, capacity that cannot be exceeded (also by two
check-ins at once), moves and check-outs, the ledger, and street a never seeing street b."""

import datetime as dt
import io
import threading
import time

import pytest
from django.db import connection, connections, transaction
from python_calamine import CalamineWorkbook

from lianfang.core import clock
from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.models import AuditEntry
from lianfang.core.tests.factories import make_household, make_resident
from lianfang.quarantine import site_selectors, site_services
from lianfang.quarantine.models import OrderKind, QuarantineOrder, Room, Site
from lianfang.quarantine.services import (
    key_person_register,
    quarantine_order_release,
    quarantine_order_start,
)

pytestmark = pytest.mark.django_db


def make_site(world, *, actor=None, org_unit=None, name="如家酒店", rooms="101-103", beds=1) -> Site:
    actor = actor or world.street_officer_a
    site = site_services.site_create(actor=actor, org_unit=org_unit or actor.jurisdiction, name=name, address="东风路1号",
                                     contact_name="王经理", contact_phone="13800001111", via=COMMAND)
    if rooms:
        site_services.rooms_add(actor=actor, site=site, numbers=rooms, capacity=beds, via=COMMAND)
    return site


def room(site: Site, number: str) -> Room:
    return Room.objects.select_related("site").get(site=site, number=number)


def person(world, street: str = "a", name: str = "") -> object:
    """A new resident of the street, registered as a key person."""
    building = getattr(world, f"building_{street}")
    resident = make_resident(household=make_household(org=building, room=str(200 + Room.objects.count() + QuarantineOrder.objects.count())),
                             name=name or f"隔离{street}{QuarantineOrder.objects.count()}")
    key_person, _created = key_person_register(actor=world.district_office, resident=resident, category="close_contact",
                                               source="tracing", via=COMMAND)
    return key_person


def check_in(world, r: Room, *, street: str = "a", actor=None, name: str = "") -> QuarantineOrder:
    return quarantine_order_start(actor=actor or getattr(world, f"street_officer_{street}"), key_person=person(world, street, name),
                                  kind=OrderKind.CENTRAL, start_date=clock.today(), room=r, via=COMMAND)


def free_beds(site: Site, actor) -> int:
    return site_selectors.access_site(actor=actor, uid=site.uid).free


# --- rooms ---------------------------------------------------------------------------------------

def test_it_adds_a_range_of_rooms_with_beds_each(world):
    site = make_site(world, rooms="101-120", beds=2)
    site = site_selectors.access_site(actor=world.street_officer_a, uid=site.uid)
    assert (site.room_count, site.beds, site.occupied, site.free) == (20, 40, 0, 40)
    assert room(site, "120").capacity == 2
    assert AuditEntry.objects.filter(object_type="quarantine_site", object_ref=site.uid, action="create").count() == 2


@pytest.mark.parametrize("spec, numbers", [
    ("305", ["305"]),
    ("101 - 103, 201", ["101", "102", "103", "201"]),
    ("A01-A03", ["A01", "A02", "A03"]),
    ("A101-103", ["A101", "A102", "A103"]),
    ("1201~1202、8号楼", ["1201", "1202", "8号楼"]),
])
def test_it_reads_room_numbers(spec, numbers):
    assert site_services.room_numbers_parse(spec) == numbers


@pytest.mark.parametrize("spec, message", [
    ("120-101", "The range 120-101 runs backwards; write it from the lower number: 101-120."),
    ("101, 102, 101", "Rooms listed twice: 101."),
    ("101-103, 102", "Rooms listed twice: 102."),
    ("A1-B3", "The two ends of A1-B3 differ; write it like A101-A120."),
    ("101-1200", "At most 500 rooms at once; split the list by floor."),
    ("甲-乙", "甲-乙 is not a range of room numbers; write it like 101-120."),
    (" , ", "Give the room numbers, e.g. 101-120 or 101, 102, 105."),
])
def test_it_explains_bad_room_numbers(spec, message):
    with pytest.raises(DomainError) as e:
        site_services.room_numbers_parse(spec)
    assert str(e.value.message) == message and e.value.field == "numbers"


def test_a_backwards_range_adds_nothing(world):
    site = make_site(world, rooms="")
    with pytest.raises(DomainError, match="101-120"):
        site_services.rooms_add(actor=world.street_officer_a, site=site, numbers="120-101", capacity=1, via=COMMAND)
    assert not Room.objects.filter(site=site).exists()


def test_a_room_the_site_already_has_refuses_the_whole_list(world):
    site = make_site(world, rooms="105")
    with pytest.raises(DomainError, match="already has rooms 105; nothing was added"):
        site_services.rooms_add(actor=world.street_officer_a, site=site, numbers="101-110", capacity=1, via=COMMAND)
    assert list(Room.objects.filter(site=site).values_list("number", flat=True)) == ["105"]


@pytest.mark.parametrize("beds", [0, 21, "x"])
def test_it_refuses_beds_out_of_range(world, beds):
    site = make_site(world, rooms="")
    with pytest.raises(DomainError, match="between 1 and 20 beds"):
        site_services.rooms_add(actor=world.street_officer_a, site=site, numbers="101", capacity=beds, via=COMMAND)


# --- capacity ------------------------------------------------------------------------------------

def test_a_full_room_takes_nobody_else(world):
    site = make_site(world, rooms="101", beds=2)
    r = room(site, "101")
    check_in(world, r)
    check_in(world, r)
    assert free_beds(site, world.street_officer_a) == 0
    third = person(world)
    with pytest.raises(DomainError, match=r"Room 101 is full \(2 of 2 beds\)") as e:
        quarantine_order_start(actor=world.street_officer_a, key_person=third, kind=OrderKind.CENTRAL, start_date=clock.today(),
                               room=r, via=COMMAND)
    assert e.value.code == "room_full"
    assert not QuarantineOrder.objects.filter(key_person=third).exists()
    assert site_services.room_occupancy(r) == 2


def test_an_unusable_room_and_a_closed_site_take_nobody(world):
    site = make_site(world, rooms="101-102")
    site_services.room_update(actor=world.street_officer_a, room=room(site, "101"), is_usable=False, via=COMMAND)
    with pytest.raises(DomainError, match="Room 101 is not usable"):
        check_in(world, room(site, "101"))
    assert free_beds(site, world.street_officer_a) == 1  # the unusable room's bed is not counted
    site_services.site_close(actor=world.street_officer_a, site=site, via=COMMAND)
    with pytest.raises(DomainError, match="The site 如家酒店 is not in use"):
        check_in(world, room(site, "102"))
    assert not QuarantineOrder.objects.exists()
    assert not site_selectors.free_rooms(actor=world.street_officer_a).exists()


def test_a_room_in_use_keeps_its_beds_and_stays_usable(world):
    site = make_site(world, rooms="101", beds=3)
    check_in(world, room(site, "101"))
    check_in(world, room(site, "101"))
    with pytest.raises(DomainError, match="move them before marking it unusable"):
        site_services.room_update(actor=world.street_officer_a, room=room(site, "101"), is_usable=False, via=COMMAND)
    with pytest.raises(DomainError, match="2 people are in room 101; it cannot have fewer beds"):
        site_services.room_update(actor=world.street_officer_a, room=room(site, "101"), capacity=1, via=COMMAND)
    site_services.room_update(actor=world.street_officer_a, room=room(site, "101"), capacity=2, via=COMMAND)
    assert room(site, "101").capacity == 2 and room(site, "101").is_usable


def test_a_site_with_people_in_it_cannot_close(world):
    site = make_site(world)
    order = check_in(world, room(site, "101"))
    with pytest.raises(DomainError, match="1 people are still checked in") as e:
        site_services.site_close(actor=world.street_officer_a, site=site, via=COMMAND)
    assert e.value.code == "site_occupied"
    site_services.occupant_check_out(actor=world.street_officer_a, order=order, reason="送定点医院", via=COMMAND)
    site_services.site_close(actor=world.street_officer_a, site=site, via=COMMAND)
    site.refresh_from_db()
    assert not site.is_open


# --- moves and check-out -------------------------------------------------------------------------

def test_it_moves_a_person_to_a_free_bed_and_audits_it(world):
    site = make_site(world, rooms="101-102")
    order = check_in(world, room(site, "101"))
    moved = site_services.room_move(actor=world.street_officer_a, order=order, room=room(site, "102"), reason="空调坏了", via=COMMAND)
    assert moved.room.number == "102"
    assert site_services.room_occupancy(room(site, "101")) == 0 and site_services.room_occupancy(room(site, "102")) == 1
    entry = AuditEntry.objects.get(object_ref=order.uid, action="update")
    assert entry.detail == {"room": ["如家酒店 101", "如家酒店 102"], "reason": "空调坏了"}


def test_a_move_into_a_full_room_or_the_same_room_is_refused(world):
    site = make_site(world, rooms="101-102")
    order = check_in(world, room(site, "101"))
    check_in(world, room(site, "102"))
    with pytest.raises(DomainError, match="Room 102 is full"):
        site_services.room_move(actor=world.street_officer_a, order=order, room=room(site, "102"), via=COMMAND)
    with pytest.raises(DomainError, match="already in room 101"):
        site_services.room_move(actor=world.street_officer_a, order=order, room=room(site, "101"), via=COMMAND)
    order.refresh_from_db()
    assert order.room.number == "101"


def test_check_out_frees_the_bed_and_release_does_too(world):
    site = make_site(world, rooms="101")
    order = check_in(world, room(site, "101"))
    with pytest.raises(DomainError, match="Say why"):
        site_services.occupant_check_out(actor=world.street_officer_a, order=order, reason=" ", via=COMMAND)
    site_services.occupant_check_out(actor=world.street_officer_a, order=order, reason="送定点医院", via=COMMAND)
    order.refresh_from_db()
    assert order.checked_out_at is not None and order.is_active
    with pytest.raises(DomainError, match="is not checked in at a site"):
        site_services.room_move(actor=world.street_officer_a, order=order, room=room(site, "101"), via=COMMAND)
    second = check_in(world, room(site, "101"))  # the bed is free again
    quarantine_order_release(actor=world.street_officer_a, order=second, early=True, reason="核酸阴性，解除", via=COMMAND)
    assert site_services.room_occupancy(room(site, "101")) == 0


def test_only_quarantine_managers_change_sites(world):
    site = make_site(world)
    with pytest.raises(PermissionDenied):
        site_services.rooms_add(actor=world.grid_worker_a, site=site, numbers="201", via=COMMAND)
    with pytest.raises(PermissionDenied):
        site_services.site_create(actor=world.doctor_a, org_unit=world.street_a, name="x", address="y", via=COMMAND)


def test_site_names_are_unique_in_the_district_and_phones_checked(world):
    make_site(world)
    with pytest.raises(DomainError, match="already has a site named 如家酒店"):
        make_site(world, actor=world.street_officer_b)
    with pytest.raises(DomainError) as e:
        site_services.site_create(actor=world.street_officer_a, org_unit=world.street_a, name="汉庭", address="y",
                                  contact_phone="12345", via=COMMAND)
    assert e.value.field == "contact_phone"
    assert Site.objects.count() == 1


# --- scoping -------------------------------------------------------------------------------------

def test_a_street_sees_its_sites_and_the_districts_but_not_the_other_streets(world):
    a = make_site(world, name="东风宾馆")
    b = make_site(world, actor=world.street_officer_b, name="西湖宾馆")
    district = make_site(world, actor=world.district_office, name="区隔离酒店")
    names = lambda actor: sorted(s.name for s in site_selectors.site_list(actor=actor))
    assert names(world.street_officer_a) == sorted([a.name, district.name])
    assert names(world.street_officer_b) == sorted([b.name, district.name])
    assert names(world.district_office) == sorted([a.name, b.name, district.name])
    with pytest.raises(PermissionDenied):  # a district site is used by the streets, changed by the district
        site_services.rooms_add(actor=world.street_officer_a, site=district, numbers="999", via=COMMAND)
    with pytest.raises(PermissionDenied):
        site_services.site_create(actor=world.street_officer_a, org_unit=world.street_b, name="x", address="y", via=COMMAND)


def test_in_a_district_site_a_street_sees_only_its_own_people(world):
    district = make_site(world, actor=world.district_office, name="区隔离酒店", rooms="101", beds=2)
    mine = check_in(world, room(district, "101"), street="a", name="甲某")
    check_in(world, room(district, "101"), street="b", name="乙某")
    (row,) = site_selectors.site_rooms(actor=world.street_officer_a, site=site_selectors.access_site(actor=world.street_officer_a, uid=district.uid))
    assert [o.pk for o in row.occupants] == [mine.pk] and row.others == 1 and row.occupied == 2 and row.free == 0


def test_the_pages_hide_the_other_streets_sites_and_people(world, client_for):
    b = make_site(world, actor=world.street_officer_b, name="西湖宾馆")
    order_b = check_in(world, room(b, "101"), street="b", name="乙某")
    client = client_for(world.street_officer_a)
    assert "西湖宾馆" not in client.get("/quarantine/sites/?status=").content.decode()
    for url in (f"/quarantine/sites/{b.uid}/", f"/quarantine/sites/{b.uid}/edit/", f"/quarantine/sites/{b.uid}/ledger.xlsx",
                f"/quarantine/sites/{b.uid}/rooms/{room(b, '102').pk}/", f"/quarantine/sites/occupants/{order_b.uid}/move/",
                f"/quarantine/sites/occupants/{order_b.uid}/check-out/"):
        assert client.get(url).status_code == 404, url
    for url, data in ((f"/quarantine/sites/{b.uid}/rooms/", {"numbers": "201", "capacity": 1}),
                      (f"/quarantine/sites/{b.uid}/status/", {"status": "closed"}),
                      (f"/quarantine/sites/occupants/{order_b.uid}/check-out/", {"reason": "x"})):
        assert client.post(url, data).status_code == 404, url
    assert Room.objects.filter(site=b).count() == 3 and Site.objects.get(pk=b.pk).is_open
    assert QuarantineOrder.objects.get(pk=order_b.pk).checked_out_at is None


def test_the_api_hides_the_other_streets_sites_and_people(world, token_client):
    b = make_site(world, actor=world.street_officer_b, name="西湖宾馆")
    a = make_site(world, name="东风宾馆")
    order_b = check_in(world, room(b, "101"), street="b")
    order_a = check_in(world, room(a, "101"))
    api = token_client(world.street_officer_a)
    assert [s["name"] for s in api("get", "/api/quarantine/sites").json()["items"]] == ["东风宾馆"]
    assert api("get", f"/api/quarantine/sites/{b.uid}").status_code == 404
    assert api("patch", f"/api/quarantine/sites/{b.uid}", {"is_open": False}).status_code == 404
    assert api("post", f"/api/quarantine/sites/{b.uid}/rooms", {"numbers": "301"}).status_code == 404
    assert api("patch", f"/api/quarantine/sites/{b.uid}/rooms/{room(b, '102').pk}", {"is_usable": False}).status_code == 404
    assert api("get", f"/api/quarantine/sites/{b.uid}/ledger.xlsx").status_code == 404
    assert api("post", f"/api/quarantine/sites/occupants/{order_b.uid}/check-out", {"reason": "x"}).status_code == 404
    # Neither street a's person into street b's room, nor street b's person anywhere.
    assert api("post", f"/api/quarantine/sites/occupants/{order_a.uid}/move", {"room_id": room(b, "102").pk}).status_code == 404
    assert api("post", f"/api/quarantine/sites/occupants/{order_b.uid}/move", {"room_id": room(a, "102").pk}).status_code == 404
    assert all(r.site_id != b.pk for r in site_selectors.free_rooms(actor=world.street_officer_a))
    assert Room.objects.filter(site=b, is_usable=True).count() == 3
    order_b.refresh_from_db()
    assert order_b.room.site_id == b.pk and order_b.checked_out_at is None


# --- pages ---------------------------------------------------------------------------------------

def test_the_list_page_shows_beds_occupied_and_free(world, client_for, django_assert_max_num_queries):
    site = make_site(world, rooms="101-104", beds=2)
    make_site(world, name="汉庭", rooms="201")
    check_in(world, room(site, "101"))
    client = client_for(world.street_officer_a)
    with django_assert_max_num_queries(9):
        response = client.get("/quarantine/sites/")
    row = next(s for s in response.context["page_obj"] if s.pk == site.pk)
    assert (row.room_count, row.beds, row.occupied, row.free) == (4, 8, 1, 7)
    workbook = client.get("/quarantine/sites/?format=xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(workbook.streaming_content))).get_sheet_by_index(0).to_python()
    assert [r[0] for r in rows[1:]] == ["如家酒店", "汉庭"] and rows[1][6:] == [4, 8, 1, 7]


def test_the_site_page_shows_every_room_with_its_people_masked(world, client_for, django_assert_max_num_queries):
    site = make_site(world, rooms="101-120")
    order = check_in(world, room(site, "105"), name="张三")
    client = client_for(world.street_officer_a)
    with django_assert_max_num_queries(12):
        response = client.get(f"/quarantine/sites/{site.uid}/")
    body = response.content.decode()
    assert len(response.context["rows"]) == 20
    assert "张三" in body and order.resident.id_number not in body and order.resident.id_number[-4:] in body
    assert AuditEntry.objects.filter(object_type="quarantine_site", action="view").exists()
    free = client.get(f"/quarantine/sites/{site.uid}/?free=1", HTTP_HX_REQUEST="true")
    fragment = free.content.decode()
    assert fragment.count('data-label="Room"') == 19 and "<html" not in fragment and ">105<" not in fragment


def test_rooms_from_the_page_and_their_errors(world, client_for):
    site = make_site(world, rooms="")
    client = client_for(world.street_officer_a)
    response = client.post(f"/quarantine/sites/{site.uid}/rooms/", {"numbers": "120-101", "capacity": 2})
    assert response.status_code == 400
    body = response.content.decode()
    assert "runs backwards" in body and 'value="120-101"' in body
    assert not Room.objects.filter(site=site).exists()
    response = client.post(f"/quarantine/sites/{site.uid}/rooms/", {"numbers": "101-120", "capacity": 2}, follow=True)
    assert "20 rooms added." in response.content.decode() and Room.objects.filter(site=site, capacity=2).count() == 20
    response = client.post(f"/quarantine/sites/{site.uid}/rooms/", {"numbers": "118-125", "capacity": 2})
    assert "already has rooms 118, 119, 120" in response.content.decode() and Room.objects.filter(site=site).count() == 20


def test_register_edit_and_close_a_site_from_the_pages(world, client_for):
    client = client_for(world.street_officer_a)
    response = client.post("/quarantine/sites/new/", {"name": "锦江之星", "address": "东风路8号", "org_unit": world.community_a.code,
                                                      "contact_name": "李", "contact_phone": "13800002222"})
    site = Site.objects.get(name="锦江之星")
    assert response.status_code == 302 and site.org_unit == world.community_a and site.org_path == world.community_a.path
    response = client.post(f"/quarantine/sites/{site.uid}/edit/", {"name": "锦江之星东风店", "address": "东风路8号",
                                                                    "org_unit": world.community_a.code, "contact_phone": "abc"})
    assert response.status_code == 200 and "contact_phone" in response.context["form"].errors
    client.post(f"/quarantine/sites/{site.uid}/edit/", {"name": "锦江之星东风店", "address": "东风路8号", "org_unit": world.community_a.code})
    client.post(f"/quarantine/sites/{site.uid}/status/", {"status": "closed"})
    site.refresh_from_db()
    assert site.name == "锦江之星东风店" and not site.is_open
    # The other street's officer cannot even pick street a's units.
    other = client_for(world.street_officer_b).post("/quarantine/sites/new/", {"name": "x", "address": "y", "org_unit": world.street_a.code})
    assert other.status_code == 200 and not Site.objects.filter(name="x").exists()


def test_a_street_cannot_edit_a_district_site_from_the_page(world, client_for):
    district = make_site(world, actor=world.district_office, name="区隔离酒店")
    client = client_for(world.street_officer_a)
    assert client.get(f"/quarantine/sites/{district.uid}/").status_code == 200
    assert client.get(f"/quarantine/sites/{district.uid}/edit/").status_code == 403
    client.post(f"/quarantine/sites/{district.uid}/status/", {"status": "closed"})
    assert Site.objects.get(pk=district.pk).is_open


def test_move_and_check_out_from_the_pages(world, client_for):
    site = make_site(world, rooms="101-102")
    order = check_in(world, room(site, "101"))
    client = client_for(world.street_officer_a)
    form = client.get(f"/quarantine/sites/occupants/{order.uid}/move/")
    assert [c[0] for c in form.context["form"].fields["room"].choices] == [room(site, "102").pk]
    client.post(f"/quarantine/sites/occupants/{order.uid}/move/", {"room": room(site, "102").pk, "reason": "换房"})
    order.refresh_from_db()
    assert order.room.number == "102"
    response = client.post(f"/quarantine/sites/occupants/{order.uid}/check-out/", {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    client.post(f"/quarantine/sites/occupants/{order.uid}/check-out/", {"reason": "送医"})
    order.refresh_from_db()
    assert order.checked_out_at is not None


def test_the_ledger_lists_stays_masked_and_needs_the_export_right(world, client_for):
    site = make_site(world, rooms="101-102")
    gone = check_in(world, room(site, "101"), name="走了")
    site_services.occupant_check_out(actor=world.street_officer_a, order=gone, reason="送医", via=COMMAND)
    here = check_in(world, room(site, "102"), name="在住")
    response = client_for(world.street_officer_a).get(f"/quarantine/sites/{site.uid}/ledger.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))).get_sheet_by_index(0).to_python()
    assert [(r[0], r[1], r[10]) for r in rows[1:]] == [("102", "在住", "In the site"), ("101", "走了", "Checked out")]
    assert here.resident.id_number not in str(rows) and "*" in rows[1][2]
    assert AuditEntry.objects.filter(action="export", object_type="quarantine_site_ledger").count() == 1
    assert client_for(world.doctor_a).get(f"/quarantine/sites/{site.uid}/ledger.xlsx").status_code == 403


# --- API -----------------------------------------------------------------------------------------

def test_the_api_runs_a_site(world, token_client):
    api = token_client(world.street_officer_a)
    created = api("post", "/api/quarantine/sites", {"org_unit_code": world.street_a.code, "name": "汉庭", "address": "东风路2号"})
    assert created.status_code == 201
    uid = created.json()["uid"]
    bad = api("post", f"/api/quarantine/sites/{uid}/rooms", {"numbers": "120-101", "capacity": 2})
    assert bad.status_code == 400 and bad.json()["field"] == "numbers" and bad.json()["code"] == "backwards"
    rooms = api("post", f"/api/quarantine/sites/{uid}/rooms", {"numbers": "101-120", "capacity": 2})
    assert rooms.status_code == 201 and len(rooms.json()) == 20
    dup = api("post", f"/api/quarantine/sites/{uid}/rooms", {"numbers": "120"})
    assert dup.status_code == 400 and dup.json()["code"] == "duplicate"
    site = Site.objects.get(uid=uid)
    order = check_in(world, room(site, "101"), name="张三")
    detail = api("get", f"/api/quarantine/sites/{uid}").json()
    assert (detail["beds"], detail["occupied"], detail["free"]) == (40, 1, 39)
    (occupant,) = detail["room_list"][0]["occupants"]
    assert occupant["name"] == "张三" and occupant["id_number"] != order.resident.id_number and "*" in occupant["id_number"]
    moved = api("post", f"/api/quarantine/sites/occupants/{order.uid}/move", {"room_id": room(site, "102").pk, "reason": "换房"})
    assert moved.status_code == 200 and moved.json()["room"]["number"] == "102"
    unusable = api("patch", f"/api/quarantine/sites/{uid}/rooms/{room(site, '102').pk}", {"is_usable": False})
    assert unusable.status_code == 400 and unusable.json()["code"] == "room_occupied"
    closing = api("patch", f"/api/quarantine/sites/{uid}", {"is_open": False})
    assert closing.status_code == 400 and closing.json()["code"] == "site_occupied"
    out = api("post", f"/api/quarantine/sites/occupants/{order.uid}/check-out", {"reason": "送医"})
    assert out.status_code == 200 and out.json()["checked_out_at"]
    closed = api("patch", f"/api/quarantine/sites/{uid}", {"is_open": False, "contact_name": "王"})
    assert closed.status_code == 200 and closed.json()["is_open"] is False and closed.json()["contact_name"] == "王"
    assert api("get", "/api/quarantine/sites").json()["count"] == 0
    assert api("get", "/api/quarantine/sites?status=").json()["count"] == 1
    ledger = api("get", f"/api/quarantine/sites/{uid}/ledger.xlsx")
    assert ledger.status_code == 200 and ledger["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_api_lists_free_rooms(world, token_client):
    site = make_site(world, rooms="101-102")
    check_in(world, room(site, "101"))
    rooms = token_client(world.street_officer_a)("get", f"/api/quarantine/sites/free-rooms?site={site.uid}").json()
    assert [(r["number"], r["free"]) for r in rooms] == [("102", 1)]


# --- two check-ins at once -----------------------------------------------------------------------

def _in_thread(fn):
    """Run fn in a thread with its own database connection; returns (thread, outcome dict)."""
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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite has one writer at a time)")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", ["check_in", "move"])
def test_two_at_once_for_the_last_bed_one_gets_it(world, second):
    """The first check-in holds the room's lock until it commits; the second, started meanwhile,
    waits for it and then finds the room full. Without the lock the second would not see the
    uncommitted first order (READ COMMITTED) and overfill the room."""
    site = make_site(world, rooms="101-102", beds=2)
    last = room(site, "101")
    check_in(world, last)  # one of the two beds taken
    first_person, second_person = person(world), person(world)
    mover = check_in(world, room(site, "102")) if second == "move" else None
    holding, release = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            order = quarantine_order_start(actor=world.street_officer_a, key_person=first_person, kind=OrderKind.CENTRAL,
                                           start_date=clock.today(), room=last, via=COMMAND)
            holding.set()
            release.wait(5)  # keep the lock while the other one tries
        return order

    def other():
        if second == "move":
            return site_services.room_move(actor=world.street_officer_a, order=mover, room=last, via=COMMAND)
        return quarantine_order_start(actor=world.street_officer_a, key_person=second_person, kind=OrderKind.CENTRAL,
                                      start_date=clock.today(), room=last, via=COMMAND)

    t1, out1 = _in_thread(first)
    assert holding.wait(5)
    t2, out2 = _in_thread(other)
    time.sleep(0.5)
    waited = t2.is_alive()
    release.set()
    t1.join(10)
    t2.join(10)
    assert waited, "the second must wait for the room's lock"
    assert "value" in out1, out1
    assert isinstance(out2.get("error"), DomainError) and out2["error"].code == "room_full"
    assert site_services.room_occupancy(last) == 2


def test_the_clock_moves_nothing_here(world):
    """Check-in time comes from the clock the tests control."""
    moment = dt.datetime(2020, 2, 3, 9, 30, tzinfo=dt.UTC)
    clock.set_now(moment)
    try:
        site = make_site(world, rooms="101")
        order = check_in(world, room(site, "101"))
        site_services.occupant_check_out(actor=world.street_officer_a, order=order, reason="送医", via=COMMAND)
        order.refresh_from_db()
        assert order.checked_in_at == moment and order.checked_out_at == moment
    finally:
        clock.set_now(None)
