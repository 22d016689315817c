"""The quarantine pages, as a doctor, an officer and the district office use them."""

import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from lianfang.core.models import AuditEntry
from lianfang.core.tests.factories import make_resident
from lianfang.quarantine.models import (
    Alert,
    HealthCheck,
    QuarantineOrder,
    QuarantinePolicy,
)

from .factories import at, check, watch

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 2, 3)


@pytest.fixture
def order(world, frozen):
    frozen(at(DAY, 8))
    return watch(world)


def test_a_doctor_records_a_check_from_todays_list(world, order, client_for):
    c = client_for(world.doctor_a)
    page = c.get("/quarantine/follow-ups/?mine=1").content.decode()
    assert world.resident_a.name in page and "Due now" in page
    r = c.post(f"/quarantine/orders/{order.uid}/check/", {"uid": str(uuid.uuid4()), "temperature": "36.6"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r["HX-Trigger"] == "check-recorded"
    assert "Morning: Done" in r.content.decode()
    order.refresh_from_db()
    assert (order.morning_checked_on, order.last_temperature) == (DAY, Decimal("36.6"))
    assert HealthCheck.objects.get().measured_by == world.doctor_a


def test_a_slipped_decimal_point_is_refused_with_a_suggestion_and_nothing_is_stored(world, order, client_for):
    r = client_for(world.doctor_a).post(f"/quarantine/orders/{order.uid}/check/",
                                        {"uid": str(uuid.uuid4()), "temperature": "365", "symptoms": ["cough"]})
    assert r.status_code == 400
    page = r.content.decode()
    assert "Did you mean 36.5?" in page
    assert 'value="cough" checked' in page  # nothing typed is lost
    assert not HealthCheck.objects.exists()


def test_a_fever_reaches_the_district_office_at_once(world, order, client_for):
    client_for(world.doctor_a).post(f"/quarantine/orders/{order.uid}/check/", {"uid": str(uuid.uuid4()), "temperature": "37.3"})
    page = client_for(world.district_office).get("/quarantine/alerts/").content.decode()
    assert 'id="alert-count">1<' in page and "37.3 °C" in page and world.resident_a.name in page


def test_an_alert_is_acknowledged_and_closed_on_the_page(world, order, client_for):
    client_for(world.doctor_a).post(f"/quarantine/orders/{order.uid}/check/", {"uid": str(uuid.uuid4()), "temperature": "38.0"})
    alert = Alert.objects.get()
    c = client_for(world.street_officer_a)
    c.post(f"/quarantine/alerts/{alert.uid}/acknowledge/")
    r = c.post(f"/quarantine/alerts/{alert.uid}/close/", {"disposition": ""}, follow=True)
    assert "Choose what was done." in r.content.decode()
    c.post(f"/quarantine/alerts/{alert.uid}/close/", {"disposition": "fever_clinic", "outcome": "区医院发热门诊"})
    alert.refresh_from_db()
    assert (alert.status, alert.disposition, alert.acknowledged_by, alert.closed_by) == (
        "closed", "fever_clinic", world.street_officer_a, world.street_officer_a)


def test_another_streets_officer_cannot_see_or_touch_the_person(world, order, client_for):
    c = client_for(world.street_officer_b)
    for url in [f"/quarantine/orders/{order.uid}/", f"/key-persons/{order.key_person.uid}/", f"/quarantine/orders/{order.uid}/check/"]:
        assert c.get(url).status_code == 404, url
    assert c.post(f"/quarantine/orders/{order.uid}/extend/", {"days": 3, "reason": "x"}).status_code == 404
    assert c.post(f"/quarantine/orders/{order.uid}/check/", {"uid": str(uuid.uuid4()), "temperature": "36.5"}).status_code == 404
    for url in ["/quarantine/follow-ups/", "/quarantine/orders/?status=", "/key-persons/"]:
        assert world.resident_a.name not in c.get(url).content.decode(), url
    assert not HealthCheck.objects.exists() and QuarantineOrder.objects.get().days == 14


def test_a_doctor_named_for_a_person_elsewhere_sees_that_person_only(world, frozen, client_for):
    frozen(at(DAY, 8))
    theirs = watch(world, "b", doctor=world.doctor_a)  # doctor of street a named for a person in street b
    c = client_for(world.doctor_a)
    assert c.get(f"/quarantine/orders/{theirs.uid}/").status_code == 200
    assert world.resident_b.name in c.get("/quarantine/follow-ups/?mine=1").content.decode()
    assert c.get(f"/key-persons/{theirs.key_person.uid}/").status_code == 200
    neighbour = make_resident(household=world.household_b, name="邻居B")
    not_theirs = watch(world, "b", resident=neighbour)
    assert c.get(f"/quarantine/orders/{not_theirs.uid}/").status_code == 404
    assert "邻居B" not in c.get("/quarantine/follow-ups/").content.decode()


def test_an_officer_starts_an_order_with_named_cadres(world, frozen, client_for):
    from lianfang.core.audit import COMMAND
    from lianfang.quarantine import services

    frozen(at(DAY, 8))
    person, _ = services.key_person_register(actor=world.street_officer_a, resident=world.resident_a, category="close_contact",
                                             source="hotline", via=COMMAND)
    QuarantinePolicy.objects.create(district=world.district, periods={"close_contact": 21})
    c = client_for(world.street_officer_a)
    form = {"kind": "home_observation", "start_date": "2026-02-03", "days": "", "scheme": "two_for_one",
            "cadre-0-duty": "village", "cadre-0-name": "王干部", "cadre-0-phone": "13900001111",
            "cadre-1-duty": "doctor", "cadre-1-username": "doctor_a"}
    r = c.post(f"/key-persons/{person.uid}/order/", {**form, "cadre-1-username": "doctor_b_nobody"})
    assert "No user doctor_b_nobody in this district." in r.content.decode() and 'value="王干部"' in r.content.decode()
    r = c.post(f"/key-persons/{person.uid}/order/", form)
    order = QuarantineOrder.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/quarantine/orders/{order.uid}/"
    assert (order.days, order.end_date) == (21, dt.date(2026, 2, 23))
    assert [(c.duty, c.name, c.user) for c in order.cadres.all()] == [("village", "王干部", None), ("doctor", "doctor_a", world.doctor_a)]


def test_the_follow_up_ledger_exports_masked_and_is_audited(world, order, client_for):
    r = client_for(world.street_officer_a).get("/quarantine/follow-ups/?format=xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.values)
    assert rows[1][2] == world.resident_a.name and "*" in rows[1][3] and rows[1][5] == "Due now"
    assert AuditEntry.objects.filter(action="export", object_type="quarantine_order").count() == 1


def test_only_the_district_office_edits_the_policy(world, client_for):
    form = {"morning_start": "06:30", "morning_end": "10:00", "afternoon_start": "15:00", "afternoon_end": "19:00",
            "default_days": "14", "period_close_contact": "21", "release_normal_checks": "2"}
    client_for(world.street_officer_a).post("/quarantine/policy/", form)
    assert not QuarantinePolicy.objects.exists()
    r = client_for(world.district_office).post("/quarantine/policy/", {**form, "afternoon_start": "09:00"}, follow=True)
    assert "The windows must follow each other" in r.content.decode() and not QuarantinePolicy.objects.exists()
    client_for(world.district_office).post("/quarantine/policy/", form)
    policy = QuarantinePolicy.objects.get()
    assert (policy.morning_start, policy.periods, policy.release_normal_checks, policy.release_requires_all_checks) == (
        dt.time(6, 30), {"close_contact": 21}, 2, False)


def test_the_order_form_offers_free_beds_of_the_district_site(world, frozen, client_for):
    from lianfang.core.audit import COMMAND
    from lianfang.quarantine import services
    from lianfang.quarantine.models import Room, Site

    frozen(at(DAY, 8))
    site = Site.objects.create(district=world.district, org_unit=world.district, org_path=world.district.path, name="如家酒店", address="解放路1号")
    room = Room.objects.create(site=site, number="301", capacity=1)
    person, _ = services.key_person_register(actor=world.street_officer_a, resident=world.resident_a, category="close_contact",
                                             source="hotline", via=COMMAND)
    c = client_for(world.street_officer_a)
    assert "如家酒店 301 (1 bed free)" in c.get(f"/key-persons/{person.uid}/order/").content.decode()
    c.post(f"/key-persons/{person.uid}/order/", {"kind": "central", "start_date": "2026-02-03", "room": room.pk, "scheme": "two_for_one"})
    order = QuarantineOrder.objects.get()
    assert (order.room, order.checked_in_at) == (room, at(DAY, 8))
    assert "如家酒店 301" not in c.get(f"/key-persons/{person.uid}/order/").content.decode()  # full now


def test_pages_of_todays_checks_run_across_the_states_in_order(world, frozen, client_for):
    from lianfang.core.tests.factories import make_resident
    from lianfang.quarantine import selectors

    frozen(at(DAY, 6))
    orders = [watch(world, resident=make_resident(household=world.household_a, name=f"人{i}")) for i in range(5)]
    frozen(at(DAY, 8))
    for order in orders[:2]:
        check(order, world.doctor_a)  # morning done: upcoming (afternoon to come); the other three: due
    rows, counts, day = selectors.followup_list(actor=world.street_officer_a)
    assert (counts["due"], counts["upcoming"]) == (3, 2)
    pages = [selectors.followup_page(rows, counts, day, number=n, per_page=2) for n in (1, 2, 3)]
    names = [[o.resident.name for o in p.object_list] for p in pages]
    states = [[o.state_rank for o in p.object_list] for p in pages]
    assert names == [["人2", "人3"], ["人4", "人0"], ["人1"]] and states == [[1, 1], [1, 2], [2]]
    assert pages[0].paginator.num_pages == 3 and not pages[2].has_next()
    assert selectors.followup_page(rows, counts, day, number=99, per_page=2).number == 3


def test_a_quick_check_and_the_counts_refresh_stay_small(world, order, client_for, django_assert_max_num_queries):
    c = client_for(world.doctor_a)
    with django_assert_max_num_queries(30):
        r = c.post(f"/quarantine/orders/{order.uid}/check/", {"uid": str(uuid.uuid4()), "temperature": "36.6"}, HTTP_HX_REQUEST="true")
    assert "Morning: Done" in r.content.decode()
    with django_assert_max_num_queries(8):
        counts = c.get("/quarantine/follow-ups/?mine=1&part=counts", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="counts"' in counts and "worklist" not in counts and "Upcoming" in counts
