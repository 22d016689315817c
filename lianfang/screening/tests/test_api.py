import datetime as dt
import uuid

import pytest
from django.utils import timezone

from lianfang.core.models import AuditEntry
from lianfang.core.tests.factories import make_id_number
from lianfang.quarantine.models import KeyPerson
from lianfang.screening.models import PersonCheck, ScreeningRound, ScreeningVisit

from .factories import open_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def district_round(world):
    return open_round(actor=world.district_office, scope=world.district)


def visit_payload(world, **kw):
    return {"uid": str(uuid.uuid4()), "household_uid": str(world.household_a.uid), "method": "door", "result": "all_present", **kw}


def test_a_street_officer_opens_a_round_over_their_street(world, token_client):
    api = token_client(world.street_officer_a)
    response = api("post", "/api/screening/rounds", {"scope_code": world.street_a.code, "name": "返乡人员排查", "number": 2,
                                                     "starts_on": "2026-11-20", "ends_on": "2026-11-30", "risk_areas": ["湖北", "湖北"]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["risk_areas"] == ["湖北"] and body["number"] == 2 and body["status"] == "open"
    assert api("get", "/api/screening/rounds").json()["count"] == 1


@pytest.mark.parametrize("payload, field", [
    ({"ends_on": "2026-11-01"}, "ends_on"),
    ({"risk_areas": []}, "risk_areas"),
    ({"lookback_days": 0}, "lookback_days"),
    ({"name": "  "}, "name"),
])
def test_bad_rounds_are_a_clear_400_and_write_nothing(world, token_client, payload, field):
    api = token_client(world.street_officer_a)
    data = {"scope_code": world.street_a.code, "name": "x", "starts_on": "2026-11-20", "ends_on": "2026-11-30", "risk_areas": ["湖北"], **payload}
    response = api("post", "/api/screening/rounds", data)
    assert response.status_code == 400 and response.json()["field"] == field
    assert not ScreeningRound.objects.exists()


def test_a_street_officer_cannot_open_a_round_over_the_other_street(world, token_client):
    response = token_client(world.street_officer_a)("post", "/api/screening/rounds", {
        "scope_code": world.street_b.code, "name": "x", "starts_on": "2026-11-20", "ends_on": "2026-11-30", "risk_areas": ["湖北"]})
    assert response.status_code == 404
    assert token_client(world.grid_worker_a)("post", "/api/screening/rounds", {
        "scope_code": world.grid1_a.code, "name": "x", "starts_on": "2026-11-20", "ends_on": "2026-11-30", "risk_areas": ["湖北"]}).status_code == 403


def test_a_retried_visit_returns_the_recorded_one(world, token_client, district_round):
    api = token_client(world.grid_worker_a)
    payload = visit_payload(world, checks=[{"resident_uid": str(world.resident_a.uid), "temperature": "37.5", "symptoms": ["cough"]}])
    first = api("post", f"/api/screening/rounds/{district_round.uid}/visits", payload)
    assert first.status_code == 201, first.content
    again = api("post", f"/api/screening/rounds/{district_round.uid}/visits", payload)
    assert again.status_code == 200 and again.json()["created"] is False and again.json()["uid"] == first.json()["uid"]
    assert ScreeningVisit.objects.count() == 1 and PersonCheck.objects.count() == 1
    check = first.json()["checks"][0]
    assert check["is_candidate"] and check["id_number"].count("*") == 8 and "37.5" in check["candidate_reasons"][0]


def test_a_visit_adds_a_person_found_at_home(world, token_client, district_round):
    number = make_id_number()
    start, end = (str(timezone.localdate() - dt.timedelta(days=d)) for d in (8, 5))
    payload = visit_payload(world, checks=[{"new_person": {"name": "租客王", "id_number": number, "relation_to_head": "tenant"},
                                            "travel": [{"place": "湖北武汉", "from": start, "to": end}]}])
    response = token_client(world.grid_worker_a)("post", f"/api/screening/rounds/{district_round.uid}/visits", payload)
    assert response.status_code == 201, response.content
    names = {c["name"]: c for c in response.json()["checks"]}
    assert set(names) == {"租客王", world.resident_a.name}
    assert names["租客王"]["travel"] == [{"place": "湖北武汉", "from": start, "to": end, "transit": False}]
    assert names["租客王"]["is_candidate"]


@pytest.mark.parametrize("change, field", [
    ({"result": "teleported"}, "result"),
    ({"method": "pigeon"}, "method"),
    ({"visited_at": "2099-01-01T10:00:00+08:00"}, "visited_at"),
    ({"result": "nobody_home", "checks": [{"resident_uid": "RESIDENT"}]}, "result"),
    ({"checks": [{"resident_uid": "RESIDENT", "temperature": "365"}]}, "temperature"),
    ({"checks": [{"resident_uid": "RESIDENT", "travel": [{"place": "湖北", "from": "2026-11-10", "to": "2026-11-01"}]}]}, "travel"),
    ({"checks": [{"resident_uid": "RESIDENT", "symptoms": ["sneezing"]}]}, "symptoms"),
    ({"checks": [{"resident_uid": str(uuid.uuid4())}]}, "checks"),
])
def test_bad_visits_are_a_clear_400_and_write_nothing(world, token_client, district_round, change, field):
    for check in change.get("checks", []):
        if check.get("resident_uid") == "RESIDENT":
            check["resident_uid"] = str(world.resident_a.uid)
    response = token_client(world.grid_worker_a)("post", f"/api/screening/rounds/{district_round.uid}/visits", visit_payload(world, **change))
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field and response.json()["detail"]
    assert not ScreeningVisit.objects.exists()


def test_the_api_keeps_each_street_to_itself(world, token_client, district_round):
    api = token_client(world.grid_worker_b)
    assert api("post", f"/api/screening/rounds/{district_round.uid}/visits", visit_payload(world)).status_code == 404
    assert api("get", f"/api/screening/rounds/{district_round.uid}/coverage?org={world.street_a.code}").status_code == 404
    assert api("get", f"/api/screening/rounds/{district_round.uid}/work-list?org={world.grid1_a.code}").status_code == 404
    items = api("get", f"/api/screening/rounds/{district_round.uid}/work-list").json()["items"]
    assert [i["uid"] for i in items] == [str(world.household_b.uid)]
    street_round = open_round(actor=world.street_officer_a, scope=world.street_a)
    assert api("get", f"/api/screening/rounds/{street_round.uid}").status_code == 404
    assert api("get", f"/api/screening/rounds/{street_round.uid}/candidates").status_code == 404


def test_coverage_and_work_log_through_the_api(world, token_client, district_round):
    token_client(world.grid_worker_a)("post", f"/api/screening/rounds/{district_round.uid}/visits", visit_payload(world))
    api = token_client(world.district_office)
    body = api("get", f"/api/screening/rounds/{district_round.uid}/coverage").json()
    assert body["total"]["households"] == 2 and body["total"]["visited"] == 1 and body["total"]["percent"] == 50.0
    assert {c["org_code"]: c["visited"] for c in body["children"]} == {world.street_a.code: 1, world.street_b.code: 0}
    log = api("get", f"/api/screening/rounds/{district_round.uid}/work-log?level=street").json()
    assert [(e["org_code"], e["visits"], e["residents_checked"]) for e in log] == [(world.street_a.code, 1, 1)]
    assert api("get", f"/api/screening/rounds/{district_round.uid}/work-log?level=planet").status_code == 400


def test_candidates_are_confirmed_as_key_persons_or_dismissed(world, token_client, district_round):
    grid = token_client(world.grid_worker_a)
    grid("post", f"/api/screening/rounds/{district_round.uid}/visits",
         visit_payload(world, checks=[{"resident_uid": str(world.resident_a.uid), "case_contact": "confirmed"}]))
    candidates = grid("get", f"/api/screening/rounds/{district_round.uid}/candidates").json()["items"]
    assert len(candidates) == 1 and candidates[0]["suggested_category"] == "close_contact"
    uid = candidates[0]["uid"]
    # Grid workers flag; street officers and the district office decide.
    assert grid("post", f"/api/screening/candidates/{uid}/confirm", {}).status_code == 403
    assert token_client(world.street_officer_b)("post", f"/api/screening/candidates/{uid}/confirm", {}).status_code == 404
    officer = token_client(world.street_officer_a)
    response = officer("post", f"/api/screening/candidates/{uid}/confirm", {})
    assert response.status_code == 200 and response.json()["candidate_status"] == "confirmed"
    person = KeyPerson.objects.get()
    assert (person.resident, person.category, person.source) == (world.resident_a, "close_contact", "screening")
    assert str(person.uid) == response.json()["key_person_uid"]
    assert officer("post", f"/api/screening/candidates/{uid}/dismiss", {"reason": "x"}).json()["code"] == "decided"
    assert AuditEntry.objects.filter(object_type="key_person").count() == 1
    assert AuditEntry.objects.filter(object_type="key_person_candidate", detail__decision="confirmed").count() == 1


def test_a_dismissal_needs_a_reason(world, token_client, district_round):
    token_client(world.grid_worker_a)("post", f"/api/screening/rounds/{district_round.uid}/visits",
                                      visit_payload(world, checks=[{"resident_uid": str(world.resident_a.uid), "temperature": "38.2"}]))
    uid = PersonCheck.objects.get().uid
    officer = token_client(world.street_officer_a)
    assert officer("post", f"/api/screening/candidates/{uid}/dismiss", {"reason": " "}).json()["field"] == "reason"
    response = officer("post", f"/api/screening/candidates/{uid}/dismiss", {"reason": "测温枪误差，复测36.6"})
    assert response.json()["candidate_status"] == "dismissed" and not KeyPerson.objects.exists()


def test_closing_a_round_through_the_api(world, token_client, district_round):
    assert token_client(world.street_officer_a)("patch", f"/api/screening/rounds/{district_round.uid}", {"status": "closed"}).status_code == 403
    api = token_client(world.district_office)
    assert api("patch", f"/api/screening/rounds/{district_round.uid}", {"status": "closed", "lookback_days": 30}).json()["status"] == "closed"
    response = token_client(world.grid_worker_a)("post", f"/api/screening/rounds/{district_round.uid}/visits", visit_payload(world))
    assert response.status_code == 400 and response.json()["code"] == "round_closed"


def test_the_ledger_exports_through_the_api_masked_and_audited(world, token_client, district_round):
    import io

    from python_calamine import CalamineWorkbook

    response = token_client(world.grid_worker_a)("get", f"/api/screening/rounds/{district_round.uid}/ledger.xlsx")
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))).get_sheet_by_index(0).to_python()
    assert [r[2] for r in rows[1:]] == [world.resident_a.name] and "*" in rows[1][3]
    assert AuditEntry.objects.filter(action="export", object_type="screening_ledger", channel="api").exists()
    other = token_client(world.grid_worker_b)("get", f"/api/screening/rounds/{district_round.uid}/ledger.xlsx?org={world.grid1_a.code}")
    assert other.status_code == 404
