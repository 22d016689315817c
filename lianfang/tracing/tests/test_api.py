import datetime as dt
import uuid

import pytest

from lianfang.tracing.models import Case, Contact

from .factories import add_contact, register_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(world):
    world.case_a = register_case(actor=world.street_officer_a, name="病例A")
    world.case_b = register_case(actor=world.street_officer_b, name="病例B")
    world.contact_b, _ = add_contact(actor=world.street_officer_b, case=world.case_b, name="外地人乙", phone="13900009999")
    return world


def test_a_case_is_registered_with_its_trajectory_and_contacts(world, token_client):
    api = token_client(world.street_officer_a)
    response = api("post", "/api/tracing/cases", {"resident_uid": str(world.resident_a.uid), "classification": "confirmed",
                                                  "onset_date": str(dt.date.today())})
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["resident_uid"] == str(world.resident_a.uid) and case["id_number"].count("*") == 8
    now = dt.datetime.now(dt.UTC)
    entry = api("post", f"/api/tracing/cases/{case['uid']}/trajectory",
                {"place": "万家喜超市", "started_at": (now - dt.timedelta(hours=3)).isoformat(), "ended_at": (now - dt.timedelta(hours=2)).isoformat()})
    assert entry.status_code == 201
    bad = api("post", f"/api/tracing/cases/{case['uid']}/trajectory",
              {"place": "超市", "started_at": (now - dt.timedelta(hours=2)).isoformat(), "ended_at": (now - dt.timedelta(hours=3)).isoformat()})
    assert bad.status_code == 400 and bad.json()["field"] == "ended_at"
    assert [t["place"] for t in api("get", f"/api/tracing/cases/{case['uid']}/trajectory").json()] == ["万家喜超市"]
    assert api("delete", f"/api/tracing/cases/{case['uid']}/trajectory/{entry.json()['id']}").status_code == 204


def test_a_contact_is_added_once_with_a_client_uid(world, token_client):
    api = token_client(world.street_officer_a)
    case = register_case(actor=world.street_officer_a, name="甲")
    body = {"uid": str(uuid.uuid4()), "resident_uid": str(world.resident_a.uid), "kind": "close", "setting": "dining"}
    first = api("post", f"/api/tracing/cases/{case.uid}/contacts", body)
    again = api("post", f"/api/tracing/cases/{case.uid}/contacts", body)
    assert first.status_code == 201 and again.status_code == 200 and again.json()["created"] is False
    out = first.json()
    assert out["status"] == "quarantined" and out["order_uid"] and out["key_person_uid"] and out["order_end_date"]
    assert Contact.objects.count() == 1


def test_a_contact_becomes_a_case_through_the_api(world, token_client):
    api = token_client(world.street_officer_a)
    case = register_case(actor=world.street_officer_a, name="甲")
    contact, _ = add_contact(actor=world.street_officer_a, case=case, name="外地人", phone="13900001111")
    response = api("post", f"/api/tracing/contacts/{contact.uid}/case", {"classification": "suspected"})
    assert response.status_code == 201 and response.json()["infected_by_uid"] == str(case.uid)
    chains = api("get", "/api/tracing/chains").json()
    assert chains[0]["cases"] == 2 and chains[0]["links"] == [[response.json()["uid"], str(case.uid)]]


def test_street_a_cannot_read_or_change_street_b_through_the_api(cases, token_client):
    api = token_client(cases.street_officer_a)
    assert [c["name"] for c in api("get", "/api/tracing/cases").json()["items"]] == ["病例A"]
    assert api("get", f"/api/tracing/cases/{cases.case_b.uid}").status_code == 404
    assert api("patch", f"/api/tracing/cases/{cases.case_b.uid}", {"hospital": "x"}).status_code == 404
    assert api("post", f"/api/tracing/cases/{cases.case_b.uid}/classification", {"classification": "confirmed"}).status_code == 404
    assert api("post", f"/api/tracing/cases/{cases.case_b.uid}/contacts", {"name": "x"}).status_code == 404
    assert api("post", f"/api/tracing/contacts/{cases.contact_b.uid}/hand-over", {"to": "x"}).status_code == 404
    assert api("get", f"/api/tracing/contacts?case={cases.case_b.uid}").status_code == 404
    assert api("get", "/api/tracing/contacts").json()["items"] == []
    # A resident of street b cannot be made a case or a source from street a.
    assert api("post", "/api/tracing/cases", {"resident_uid": str(cases.resident_b.uid)}).status_code == 404
    assert api("post", "/api/tracing/cases", {"name": "x", "infected_by_uid": str(cases.case_b.uid)}).status_code == 404
    assert api("post", "/api/tracing/cases", {"name": "x", "org_code": cases.street_b.code}).status_code == 404
    chains = api("get", "/api/tracing/chains").json()
    assert [c["root_name"] for c in chains] == ["病例A"]
    figure = api("get", "/api/tracing/chains/figure").json()
    assert "病例B" not in str(figure)
    assert Case.objects.get(pk=cases.case_b.pk).hospital == ""


def test_the_contact_list_is_masked(cases, token_client):
    items = token_client(cases.street_officer_b)("get", "/api/tracing/contacts").json()["items"]
    assert items[0]["phone"] == "139****9999"


def test_a_bad_classification_change_is_a_clear_error(cases, token_client):
    response = token_client(cases.street_officer_a)("post", f"/api/tracing/cases/{cases.case_a.uid}/classification",
                                                    {"classification": "excluded"})
    assert response.status_code == 400 and response.json()["field"] == "reason"
