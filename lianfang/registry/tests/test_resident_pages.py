import pytest

from lianfang.core.models import AuditEntry
from lianfang.core.tests.factories import make_id_number, make_resident
from lianfang.registry.models import Resident


def test_it_shows_id_numbers_and_phones_masked(world, client_for):
    body = client_for(world.street_officer_a).get(f"/registry/residents/{world.resident_a.uid}/").content.decode()
    number = world.resident_a.id_number
    assert f"{number[:6]}********{number[-4:]}" in body
    assert number not in body
    assert world.resident_a.phone not in body and "139****5670" in body


def test_viewing_a_resident_is_audited(world, client_for):
    client_for(world.grid_worker_a).get(f"/registry/residents/{world.resident_a.uid}/")
    entry = AuditEntry.objects.get(action="view", object_ref=str(world.resident_a.uid))
    assert entry.actor == world.grid_worker_a and entry.channel == "page"


def test_reveal_shows_the_full_number_and_is_audited(world, client_for):
    response = client_for(world.street_officer_a).post(f"/registry/residents/{world.resident_a.uid}/reveal/id_number/")
    assert response.status_code == 200
    assert world.resident_a.id_number in response.content.decode()
    entry = AuditEntry.objects.get(action="reveal")
    assert (entry.actor, entry.object_ref, entry.detail) == (world.street_officer_a, str(world.resident_a.uid), {"field": "id_number"})
    assert entry.request_path == f"/registry/residents/{world.resident_a.uid}/reveal/id_number/"


def test_a_grid_worker_may_not_reveal(world, client_for):
    client = client_for(world.grid_worker_a)
    page = client.get(f"/registry/residents/{world.resident_a.uid}/").content.decode()
    assert "data-reveal" not in page
    response = client.post(f"/registry/residents/{world.resident_a.uid}/reveal/id_number/")
    assert response.status_code == 403
    assert world.resident_a.id_number not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_it_reveals_only_identifiers(world, client_for):
    response = client_for(world.street_officer_a).post(f"/registry/residents/{world.resident_a.uid}/reveal/notes/")
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["name", "id", "last4", "phone", "address"])
def test_search_finds_a_resident_by_each_key(world, client_for, query):
    r = world.resident_a
    other = make_resident(household=world.household_a, name="张三", phone="13700001111")
    q = {"name": "居民", "id": r.id_number, "last4": r.id_number[-4:], "phone": r.phone, "address": world.household_a.address}[query]
    body = client_for(world.street_officer_a).get("/registry/residents/", {"q": q}).content.decode()
    assert "居民A" in body
    if query != "address":
        assert other.name not in body


def test_search_results_come_as_a_partial_for_htmx(world, client_for):
    response = client_for(world.street_officer_a).get("/registry/residents/", {"q": "居民"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">') and "居民A" in body and "<html" not in body


def test_registering_a_known_id_number_opens_the_existing_person(world, client_for):
    client = client_for(world.grid_worker_a)
    data = {"name": "居民A另名", "id_number": world.resident_a.id_number, "relation_to_head": "spouse", "residence_type": "permanent"}
    response = client.post(f"/registry/households/{world.household_a.uid}/residents/new/", data)
    assert response.status_code == 302 and response["Location"] == f"/registry/residents/{world.resident_a.uid}/"
    assert Resident.objects.filter(id_number=world.resident_a.id_number).count() == 1


def test_registering_a_person_of_another_street_is_refused_without_details(world, client_for):
    client = client_for(world.grid_worker_a)
    data = {"name": "某人", "id_number": world.resident_b.id_number, "relation_to_head": "spouse", "residence_type": "permanent"}
    body = client.post(f"/registry/households/{world.household_a.uid}/residents/new/", data).content.decode()
    assert "another part of the district" in body or "辖区" in body
    assert "居民B" not in body and Resident.objects.count() == 2


def test_registering_a_new_person_derives_sex_and_birth_date(world, client_for):
    number = make_id_number(born="19900215", sex="F")
    data = {"name": "李四", "id_number": number[:6] + " " + number[6:], "phone": "138-0013-8000",
            "relation_to_head": "spouse", "residence_type": "temporary"}
    response = client_for(world.grid_worker_a).post(f"/registry/households/{world.household_a.uid}/residents/new/", data)
    assert response.status_code == 302
    person = Resident.objects.get(name="李四")
    assert (person.id_number, person.sex, str(person.birth_date), person.phone, person.org_path) == (
        number, "F", "1990-02-15", "13800138000", world.household_a.org_path)
    assert AuditEntry.objects.filter(action="create", object_ref=str(person.uid)).exists()


def test_a_bad_id_number_is_explained_and_nothing_is_written(world, client_for):
    data = {"name": "王五", "id_number": "110105194912310021", "relation_to_head": "child", "residence_type": "permanent"}
    response = client_for(world.grid_worker_a).post(f"/registry/households/{world.household_a.uid}/residents/new/", data)
    assert response.status_code == 200
    assert "check digit" in response.content.decode() or "校验" in response.content.decode()
    assert not Resident.objects.filter(name="王五").exists()


def test_editing_keeps_the_id_number_when_left_empty_and_audits_changes_masked(world, client_for):
    r = world.resident_a
    data = {"name": "居民A", "id_number": "", "phone": "13700001111", "relation_to_head": "head", "residence_type": "floating"}
    response = client_for(world.grid_worker_a).post(f"/registry/residents/{r.uid}/edit/", data)
    assert response.status_code == 302
    r.refresh_from_db()
    assert (r.phone, r.residence_type) == ("13700001111", "floating") and r.id_number == world.resident_a.id_number
    entry = AuditEntry.objects.get(action="update", object_ref=str(r.uid))
    assert entry.detail["phone"] == ["139****5670", "137****1111"]
    assert entry.detail["residence_type"] == ["permanent", "floating"]


def test_removing_needs_a_reason(world, client_for):
    client = client_for(world.grid_worker_a)
    client.post(f"/registry/residents/{world.resident_a.uid}/remove/", {"reason": ""})
    assert Resident.objects.filter(pk=world.resident_a.pk).exists()
    client.post(f"/registry/residents/{world.resident_a.uid}/remove/", {"reason": "迁出"})
    assert not Resident.objects.filter(pk=world.resident_a.pk).exists()
    assert AuditEntry.objects.get(action="delete").detail == {"reason": "迁出"}


def test_exporting_residents_is_masked_and_audited(world, client_for):
    import io

    from python_calamine import CalamineWorkbook

    response = client_for(world.street_officer_a).get("/registry/residents/?format=xlsx&q=居民")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))).get_sheet_by_index(0).to_python()
    number = world.resident_a.id_number
    assert [number[:6] + "********" + number[-4:], "139****5670"] == [rows[1][3], rows[1][6]]
    entry = AuditEntry.objects.get(action="export")
    assert entry.detail == {"rows": 1, "filters": {"q": "居民"}}


def test_checkpoint_staff_cannot_export_people(world, client_for):
    response = client_for(world.checkpoint_staff_a).get("/registry/residents/?format=xlsx")
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()


def test_resident_list_query_count_does_not_grow_with_rows(world, client_for, django_assert_max_num_queries):
    for i in range(30):
        make_resident(household=world.household_a, name=f"居民{i}")
    client = client_for(world.street_officer_a)
    # 9: the page's queries plus the menu's counts (open alerts, open fever referrals).
    with django_assert_max_num_queries(10):
        client.get("/registry/residents/")
    with django_assert_max_num_queries(10):
        client.get("/registry/households/")


@pytest.mark.parametrize("kind", ["phone_last4", "masked_id", "masked_phone"])
def test_search_understands_partial_and_masked_values(world, client_for, kind):
    r = world.resident_a
    q = {"phone_last4": r.phone[-4:], "masked_id": f"{r.id_number[:6]}********{r.id_number[-4:]}",
         "masked_phone": f"{r.phone[:3]}****{r.phone[-4:]}"}[kind]
    body = client_for(world.street_officer_a).get("/registry/residents/", {"q": q}).content.decode()
    assert "居民A" in body


def test_the_birth_date_survives_an_edit_in_chinese(world, client_for, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    person = make_resident(household=world.household_a, name="无证人", id_number="", birth_date="2019-05-01")
    body = client_for(world.grid_worker_a).get(f"/registry/residents/{person.uid}/edit/").content.decode()
    assert 'value="2019-05-01"' in body


def test_revealing_replaces_the_button_with_the_value(world, client_for):
    body = client_for(world.street_officer_a).get(f"/registry/residents/{world.resident_a.uid}/").content.decode()
    assert 'hx-target="closest dd"' in body and 'hx-swap="innerHTML"' in body


def test_searching_a_full_id_number_leaves_it_out_of_the_audit_log(world, client_for):
    client_for(world.street_officer_a).get("/registry/residents/", {"q": world.resident_a.id_number, "format": "xlsx"})
    entry = AuditEntry.objects.get(action="export")
    number = world.resident_a.id_number
    assert number not in entry.request_path and number not in str(entry.detail)
    assert entry.detail["filters"]["q"] == number[:6] + "********" + number[-4:]
