"""The quarantine API: the same rules, scoping and masking as the pages."""

import datetime as dt
import uuid

import pytest

from lianfang.quarantine.models import Alert, HealthCheck, Room, Site, SpotCheck

from .factories import at, watch

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 2, 3)


@pytest.fixture
def order(world, frozen):
    frozen(at(DAY, 8))
    return watch(world)


def test_a_retried_check_is_stored_once(world, order, token_client):
    api = token_client(world.doctor_a)
    body = {"uid": str(uuid.uuid4()), "temperature": "37.5", "symptoms": ["cough"]}
    first = api("post", f"/api/quarantine/orders/{order.uid}/checks", body)
    again = api("post", f"/api/quarantine/orders/{order.uid}/checks", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert (first.json()["created"], again.json()["created"]) == (True, False)
    assert first.json()["alert_uid"] == again.json()["alert_uid"] == str(Alert.objects.get().uid)
    assert HealthCheck.objects.count() == 1


@pytest.mark.parametrize("temperature,message", [("365", "Did you mean 36.5?"), ("3.65", "Did you mean 36.5?"),
                                                 ("hot", "as a number"), ("", "Enter the temperature.")])
def test_a_bad_temperature_is_a_400_naming_the_field(world, order, token_client, temperature, message):
    r = token_client(world.doctor_a)("post", f"/api/quarantine/orders/{order.uid}/checks", {"uid": str(uuid.uuid4()), "temperature": temperature})
    assert r.status_code == 400 and r.json()["field"] == "temperature" and message in r.json()["detail"]
    assert not HealthCheck.objects.exists()


def test_follow_ups_count_and_list_todays_checks(world, order, token_client, frozen):
    api = token_client(world.doctor_a)
    assert api("get", "/api/quarantine/follow-ups?mine=true").json()["counts"]["due"] == 1
    frozen(at(DAY, 11, 30))
    body = api("get", "/api/quarantine/follow-ups?mine=true").json()
    assert body["counts"]["overdue"] == 1 and body["items"][0]["state"] == "overdue" and body["items"][0]["morning"] == "overdue"
    assert body["items"][0]["id_number"].count("*") >= 8


def test_another_street_gets_404_everywhere(world, order, token_client):
    api = token_client(world.street_officer_b)
    assert api("get", f"/api/quarantine/orders/{order.uid}").status_code == 404
    assert api("post", f"/api/quarantine/orders/{order.uid}/checks", {"uid": str(uuid.uuid4()), "temperature": "36.5"}).status_code == 404
    assert api("post", f"/api/quarantine/orders/{order.uid}/extend", {"days": 2, "reason": "x"}).status_code == 404
    assert api("get", f"/api/key-persons/{order.key_person.uid}").status_code == 404
    assert api("get", "/api/quarantine/orders").json()["count"] == 0
    assert api("get", "/api/quarantine/follow-ups").json()["count"] == 0
    token_client(world.doctor_a)("post", f"/api/quarantine/orders/{order.uid}/checks", {"uid": str(uuid.uuid4()), "temperature": "38.2"})
    alert = Alert.objects.get()
    assert api("get", "/api/quarantine/alerts").json()["count"] == 0
    assert api("post", f"/api/quarantine/alerts/{alert.uid}/close", {"disposition": "ruled_out"}).status_code == 404
    assert token_client(world.police_b)("post", f"/api/quarantine/orders/{order.uid}/spot-checks",
                                        {"uid": str(uuid.uuid4()), "result": "absent", "note": "x"}).status_code == 404
    assert Alert.objects.get().status == "open" and not SpotCheck.objects.exists()


def test_a_police_spot_check_finding_nobody_raises_an_alert(world, order, token_client):
    api = token_client(world.police_a)
    present = api("post", f"/api/quarantine/orders/{order.uid}/spot-checks", {"uid": str(uuid.uuid4()), "result": "present"})
    assert present.status_code == 201 and not Alert.objects.exists()
    absent = api("post", f"/api/quarantine/orders/{order.uid}/spot-checks", {"uid": str(uuid.uuid4()), "result": "absent", "note": "敲门无人应答"})
    assert absent.status_code == 201
    assert list(Alert.objects.values_list("kind", "detail")) == [("absent", "敲门无人应答")]
    assert token_client(world.police_a)("post", f"/api/quarantine/orders/{order.uid}/checks",
                                        {"uid": str(uuid.uuid4()), "temperature": "36.5"}).status_code == 403


def test_an_order_starts_with_cadres_and_the_room_capacity_holds(world, frozen, token_client):
    from lianfang.core.audit import COMMAND
    from lianfang.quarantine import services

    frozen(at(DAY, 8))
    site = Site.objects.create(district=world.district, org_unit=world.district, org_path=world.district.path, name="如家酒店",
                               address="解放路1号")
    Room.objects.create(site=site, number="301", capacity=1)
    api = token_client(world.street_officer_a)
    people = []
    for name in ("甲", "乙"):
        from lianfang.core.tests.factories import make_resident

        resident = make_resident(household=world.household_a, name=name)
        people.append(services.key_person_register(actor=world.street_officer_a, resident=resident, category="close_contact",
                                                   source="tracing", via=COMMAND)[0])
    body = {"kind": "central", "start_date": "2026-02-03", "site_uid": str(site.uid), "room_number": "301",
            "cadres": [{"duty": "village", "name": "王干部", "phone": "13900001111"}, {"duty": "doctor", "username": "doctor_a"}]}
    first = api("post", "/api/quarantine/orders", {**body, "key_person_uid": str(people[0].uid)})
    assert first.status_code == 201, first.content
    assert (first.json()["site"], first.json()["room"], first.json()["end_date"]) == ("如家酒店", "301", "2026-02-16")
    assert [c["username"] for c in first.json()["cadres"]] == [None, "doctor_a"]
    full = api("post", "/api/quarantine/orders", {**body, "key_person_uid": str(people[1].uid)})
    assert full.status_code == 400 and full.json()["code"] == "room_full"
    assert people[1].orders.count() == 0


def test_an_order_is_extended_and_released_through_the_api(world, frozen, token_client):
    frozen(at(DAY, 8))
    order = watch(world, days=1)
    api = token_client(world.street_officer_a)
    assert api("post", f"/api/quarantine/orders/{order.uid}/extend", {"days": 2, "reason": ""}).json()["field"] == "reason"
    assert api("post", f"/api/quarantine/orders/{order.uid}/extend", {"days": 2, "reason": "家属确诊"}).json()["end_date"] == "2026-02-05"
    early = api("post", f"/api/quarantine/orders/{order.uid}/release", {})
    assert early.status_code == 400 and early.json()["code"] == "not_due"
    released = api("post", f"/api/quarantine/orders/{order.uid}/release", {"early": True, "reason": "核酸阴性，解除"})
    assert released.json()["status"] == "released" and released.json()["release_kind"] == "early"
    assert api("get", "/api/quarantine/releases").json()["count"] == 1
    assert api("get", f"/api/key-persons/{order.key_person.uid}").json()["status"] == "released"


def test_the_notice_is_a_pdf_for_the_person_and_marked_signed_by_the_doctor(world, order, token_client):
    pdf = token_client(world.doctor_a)("get", f"/api/quarantine/orders/{order.uid}/notice.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert token_client(world.doctor_b)("get", f"/api/quarantine/orders/{order.uid}/notice.pdf").status_code == 404
    signed = token_client(world.doctor_a)("post", f"/api/quarantine/orders/{order.uid}/notice-signed")
    assert signed.status_code == 200 and signed.json()["notice_signed_at"]
    again = token_client(world.doctor_a)("post", f"/api/quarantine/orders/{order.uid}/notice-signed")
    assert again.status_code == 400 and again.json()["code"] == "signed"
