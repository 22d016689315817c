import io

import pytest
from python_calamine import CalamineWorkbook

from lianfang.core.audit import COMMAND
from lianfang.core.models import AuditEntry
from lianfang.quarantine.models import KeyPerson
from lianfang.quarantine.services import key_person_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def watched(world):
    for resident in (world.resident_a, world.resident_b):
        key_person_register(actor=world.district_office, resident=resident, category="close_contact", source="hotline", via=COMMAND)
    return world


def test_one_active_file_per_person(world):
    first, created = key_person_register(actor=world.street_officer_a, resident=world.resident_a, category="fever_patient",
                                         source="screening", reason="38.5 °C", via=COMMAND)
    again, created_again = key_person_register(actor=world.street_officer_a, resident=world.resident_a, category="close_contact",
                                               source="hotline", via=COMMAND)
    assert created and not created_again and again.pk == first.pk and KeyPerson.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="key_person", action="create").count() == 1


def test_the_list_page_shows_only_the_own_street_masked(watched, client_for):
    response = client_for(watched.street_officer_a).get("/key-persons/")
    body = response.content.decode()
    assert [k.resident for k in response.context["page_obj"]] == [watched.resident_a]
    assert watched.resident_b.name not in body and watched.resident_a.id_number not in body
    assert AuditEntry.objects.filter(action="view", object_type="key_person").exists()
    assert client_for(watched.street_officer_a).get(f"/key-persons/?org={watched.street_b.code}").status_code == 404


def test_the_list_exports_masked(watched, client_for):
    response = client_for(watched.street_officer_a).get("/key-persons/?format=xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))).get_sheet_by_index(0).to_python()
    assert [r[2] for r in rows[1:]] == [watched.resident_a.name]
    assert "*" in rows[1][3]


def test_the_api_lists_only_the_own_street(watched, token_client):
    items = token_client(watched.street_officer_b)("get", "/api/key-persons").json()["items"]
    assert [i["name"] for i in items] == [watched.resident_b.name] and "*" in items[0]["id_number"]
