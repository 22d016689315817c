"""A user of street A can never list, read, change or export street B's records,
through the pages or the API. Outside the jurisdiction a record does not exist (404)."""

import io
import json

import pytest
from python_calamine import CalamineWorkbook

from lianfang.core.models import AuditEntry, OrgUnit, ResponsiblePerson
from lianfang.registry.models import Household, Resident


@pytest.fixture
def b_person(world):
    return ResponsiblePerson.objects.create(org_unit=world.grid1_b, org_path=world.grid1_b.path, name="王网格", duty="grid_worker",
                                            phone="13900001111")


def urls_of_b(w, person):
    r, h = w.resident_b, w.household_b
    return [
        ("get", f"/registry/residents/{r.uid}/", None),
        ("get", f"/registry/residents/{r.uid}/edit/", None),
        ("post", f"/registry/residents/{r.uid}/edit/", {"name": "改名", "relation_to_head": "head", "residence_type": "permanent"}),
        ("post", f"/registry/residents/{r.uid}/reveal/id_number/", {}),
        ("post", f"/registry/residents/{r.uid}/reveal/phone/", {}),
        ("post", f"/registry/residents/{r.uid}/remove/", {"reason": "moved"}),
        ("get", f"/registry/households/{h.uid}/", None),
        ("get", f"/registry/households/{h.uid}/edit/", None),
        ("post", f"/registry/households/{h.uid}/edit/", {"grid": w.grid1_a.code, "address": "x"}),
        ("get", f"/registry/places/?grid={w.grid1_b.code}", None),
        ("get", f"/registry/households/{h.uid}/residents/new/", None),
        ("post", f"/registry/households/{h.uid}/residents/new/", {"name": "新人", "relation_to_head": "head", "residence_type": "permanent"}),
        ("get", f"/registry/residents/?org={w.street_b.code}", None),
        ("get", f"/registry/households/?org={w.street_b.code}", None),
        ("get", f"/org/{w.street_b.code}/", None),
        ("post", f"/org/{w.street_b.code}/children/", {"name": "新社区", "level": "community"}),
        ("get", f"/org/{w.grid1_b.code}/people/new/", None),
        ("post", f"/org/{w.grid1_b.code}/people/new/", {"name": "李", "duty": "cadre"}),
        ("get", f"/people/{person.uid}/", None),
        ("post", f"/people/{person.uid}/", {"name": "李", "duty": "cadre"}),
        ("get", f"/api/residents/{r.uid}", None),
        ("patch", f"/api/residents/{r.uid}", {"name": "改名"}),
        ("post", f"/api/residents/{r.uid}/reveal/id_number", {}),
        ("post", "/api/residents", {"household_uid": str(h.uid), "name": "新人"}),
        ("get", f"/api/households/{h.uid}", None),
        ("patch", f"/api/households/{h.uid}", {"address": "x"}),
        ("post", "/api/households", {"org_code": w.grid1_b.code, "address": "x"}),
        ("get", f"/api/residents?org={w.street_b.code}", None),
        ("get", f"/api/org-units/{w.street_b.code}", None),
        ("patch", f"/api/org-units/{w.street_b.code}", {"name": "x"}),
        ("post", "/api/org-units", {"parent_code": w.street_b.code, "name": "x", "level": "community"}),
        ("get", f"/api/org-units/{w.grid1_b.code}/responsible-people", None),
        ("post", f"/api/org-units/{w.grid1_b.code}/responsible-people", {"name": "李", "duty": "cadre"}),
    ]


def _call(client, method, url, data):
    if url.startswith("/api/") and data is not None:
        return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")
    return getattr(client, method)(url, data) if data is not None else client.get(url)


def _state():
    return (
        list(Resident.objects.order_by("pk").values_list("name", "household_id", "phone")),
        list(Household.objects.order_by("pk").values_list("address", "org_id")),
        OrgUnit.objects.count(),
        list(ResponsiblePerson.objects.order_by("pk").values_list("name", "duty")),
    )


@pytest.mark.parametrize("persona", ["street_officer_a", "grid_worker_a"])
def test_it_hides_and_protects_other_streets_records(world, b_person, client_for, persona):
    client = client_for(getattr(world, persona))
    before = _state()
    for method, url, data in urls_of_b(world, b_person):
        response = _call(client, method, url, data)
        assert response.status_code == 404, (method, url, response.status_code)
    assert _state() == before
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_lists_searches_and_exports_leave_out_other_streets(world, client_for):
    client = client_for(world.street_officer_a)
    for url in ["/registry/residents/?q=居民", "/registry/households/?q=居民"]:
        body = client.get(url).content.decode()
        assert "居民A" in body or world.household_a.address in body
        assert "居民B" not in body and world.household_b.address not in body
    last4 = world.resident_b.id_number[-4:]
    assert "居民B" not in client.get(f"/registry/residents/?q={last4}").content.decode()
    assert "居民B" not in client.get(f"/registry/residents/?q={world.resident_b.phone}").content.decode()
    api = client.get("/api/residents?q=居民").json()
    assert [r["name"] for r in api["items"]] == ["居民A"]
    assert [h["address"] for h in client.get("/api/households").json()["items"]] == [world.household_a.address]
    codes = {u["code"] for u in client.get("/api/org-units").json()["items"]}
    assert world.street_a.code in codes and world.street_b.code not in codes and world.district.code not in codes

    for url in ["/registry/residents/?format=xlsx", "/registry/households/?format=xlsx", "/people/?format=xlsx"]:
        response = client.get(url)
        assert response.status_code == 200
        book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
        text = json.dumps(book.get_sheet_by_index(0).to_python(), ensure_ascii=False)
        assert "居民B" not in text and world.household_b.address not in text and world.street_b.name[:2] + "第一" not in text


def test_the_district_office_sees_every_street(world, client_for):
    client = client_for(world.district_office)
    names = {r["name"] for r in client.get("/api/residents").json()["items"]}
    assert names == {"居民A", "居民B"}
    assert client.get(f"/registry/residents/{world.resident_b.uid}/").status_code == 200
