import pytest

from lianfang.core.figures import SOURCES
from lianfang.core.models import ApiToken, AuditEntry
from lianfang.core.tests.factories import make_id_number
from lianfang.registry.models import Household, Resident


def test_it_requires_authentication(client, world):
    assert client.get("/api/residents").status_code == 401
    assert client.get("/api/residents", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401


def test_token_auth_lists_residents_masked(world, token_client):
    api = token_client(world.street_officer_a)
    data = api("get", "/api/residents").json()
    assert data["count"] == 1
    item = data["items"][0]
    number = world.resident_a.id_number
    assert item["id_number"] == number[:6] + "********" + number[-4:] and item["phone"] == "139****5670"


def test_it_registers_a_household_and_a_resident(world, token_client):
    api = token_client(world.grid_worker_a)
    response = api("post", "/api/households", {"org_code": world.building_a.code, "address": "东风路1号1号楼202", "room": "202"})
    assert response.status_code == 201, response.content
    household_uid = response.json()["uid"]
    number = make_id_number(born="20010910", sex="M")
    response = api("post", "/api/residents", {"household_uid": household_uid, "name": "赵六", "id_number": number,
                                              "phone": "13512345678", "relation_to_head": "户主", "residence_type": "暂住"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True and body["sex"] == "M" and body["birth_date"] == "2001-**-**"
    assert str(Resident.objects.get(uid=body["uid"]).birth_date) == "2001-09-10"
    assert body["relation_to_head"] == "head" and body["residence_type"] == "temporary"
    # A retried submission finds the same person.
    again = api("post", "/api/residents", {"household_uid": household_uid, "name": "赵六", "id_number": number})
    assert again.status_code == 200 and again.json()["created"] is False and again.json()["uid"] == body["uid"]
    assert Resident.objects.filter(id_number=number).count() == 1
    assert AuditEntry.objects.filter(action="create", channel="api").count() == 2


@pytest.mark.parametrize(
    "payload, field",
    [({"name": ""}, "name"), ({"name": "x", "id_number": "11010519491231002"}, "id_number"),
     ({"name": "x", "phone": "12345"}, "phone"), ({"name": "x", "residence_type": "外星"}, "residence_type")],
)
def test_bad_resident_input_is_a_clear_400(world, token_client, payload, field):
    api = token_client(world.grid_worker_a)
    response = api("post", "/api/residents", {"household_uid": str(world.household_a.uid), **payload})
    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["detail"]
    assert Resident.objects.count() == 2


def test_it_updates_a_resident_partially(world, token_client):
    api = token_client(world.grid_worker_a)
    response = api("patch", f"/api/residents/{world.resident_a.uid}", {"notes": "行动不便", "phone": "13600001111"})
    assert response.status_code == 200, response.content
    world.resident_a.refresh_from_db()
    assert (world.resident_a.notes, world.resident_a.phone) == ("行动不便", "13600001111")
    assert world.resident_a.id_number  # untouched


def test_it_moves_a_household_and_its_residents_follow(world, token_client):
    api = token_client(world.street_officer_a)
    response = api("patch", f"/api/households/{world.household_a.uid}", {"org_code": world.grid2_a.code})
    assert response.status_code == 200, response.content
    assert Resident.objects.get(pk=world.resident_a.pk).org_path == world.grid2_a.path
    assert Household.objects.get(pk=world.household_a.pk).grid == world.grid2_a


def test_reveal_through_the_api_is_audited(world, token_client):
    response = token_client(world.street_officer_a)("post", f"/api/residents/{world.resident_a.uid}/reveal/phone")
    assert response.json() == {"field": "phone", "value": world.resident_a.phone}
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.channel == "api" and entry.request_path.startswith("/api/residents/")


def test_grid_workers_cannot_reveal_through_the_api(world, token_client):
    response = token_client(world.grid_worker_a)("post", f"/api/residents/{world.resident_a.uid}/reveal/id_number")
    assert response.status_code == 403
    assert world.resident_a.id_number not in response.content.decode()


def test_session_auth_needs_csrf_for_writes(world, client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(world.grid_worker_a)
    response = csrf_client.patch(f"/api/residents/{world.resident_a.uid}", data='{"notes": "x"}', content_type="application/json")
    assert response.status_code in (401, 403)


def test_org_unit_api_gives_figures_and_creates_children(world, token_client):
    api = token_client(world.street_officer_a)
    detail = api("get", f"/api/org-units/{world.street_a.code}").json()
    assert detail["figures"] == {"households": 1, "residents": 1} | {name: 0 for name in SOURCES if name not in ("households", "residents")}
    created = api("post", "/api/org-units", {"parent_code": world.community_a.code, "name": "第三网格", "level": "grid"})
    assert created.status_code == 201 and created.json()["parent_code"] == world.community_a.code
    wrong = api("post", "/api/org-units", {"parent_code": world.grid1_a.code, "name": "社区", "level": "community"})
    assert wrong.status_code == 400


def test_openapi_docs_are_served(client, world):
    client.force_login(world.district_office)
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.content.decode() and "/static/ninja/swagger-ui-bundle.js" in docs.content.decode()
    schema = client.get("/api/openapi.json").json()
    assert "/api/residents" in schema["paths"]


def test_an_empty_household_can_be_deleted_through_the_api(world, token_client):
    api = token_client(world.grid_worker_a)
    assert api("delete", f"/api/households/{world.household_a.uid}").status_code == 400
    created = api("post", "/api/households", {"org_code": world.grid1_a.code, "address": "错登地址"}).json()
    assert api("delete", f"/api/households/{created['uid']}").status_code == 204
    assert not Household.objects.filter(uid=created["uid"]).exists()


def test_the_api_asks_before_a_second_household_in_the_same_room(world, token_client):
    api = token_client(world.grid_worker_a)
    payload = {"org_code": world.building_a.code, "address": "x", "room": "101"}
    refused = api("post", "/api/households", payload)
    assert refused.status_code == 400 and refused.json()["code"] == "same_room"
    assert api("post", "/api/households", {**payload, "allow_same_room": True}).status_code == 201


@pytest.mark.parametrize("word, value", [("子女", "child"), ("孙子女", "grandchild"), ("祖父母", "grandparent"),
                                         ("兄弟姐妹", "sibling"), ("儿媳/女婿", "child_in_law"), ("流动", "floating")])
def test_the_chinese_labels_are_accepted_in_any_language(world, token_client, word, value):
    api = token_client(world.grid_worker_a)
    field = "residence_type" if value == "floating" else "relation_to_head"
    response = api("post", "/api/residents", {"household_uid": str(world.household_a.uid), "name": "某", field: word})
    assert response.status_code == 201 and response.json()[field] == value


def test_a_token_writes_even_where_csrf_is_enforced(world):
    from django.test import Client

    _token, key = ApiToken.issue(user=world.grid_worker_a, name="phone app")
    client = Client(enforce_csrf_checks=True)
    response = client.patch(f"/api/residents/{world.resident_a.uid}", data='{"notes": "x"}', content_type="application/json",
                            HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200


def test_birth_dates_are_masked_because_they_are_the_hidden_digits(world, token_client):
    world.resident_a.birth_date = "1980-01-01"
    world.resident_a.save()
    api = token_client(world.street_officer_a)
    assert api("get", f"/api/residents/{world.resident_a.uid}").json()["birth_date"] == "1980-**-**"
    assert api("post", f"/api/residents/{world.resident_a.uid}/reveal/birth_date").json()["value"] == "1980-01-01"


def test_reading_the_resident_list_is_audited_with_masked_filters(world, token_client):
    token_client(world.checkpoint_staff_a)("get", f"/api/residents?q={world.resident_a.phone}&page=1")
    entry = AuditEntry.objects.get(object_type="resident_list")
    assert entry.channel == "api" and entry.detail == {"page": 1, "filters": {"q": "139****5670"}}
