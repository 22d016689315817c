"""The import from upload to register: all or nothing, the explicit good-rows choice, the
pages, the API, and who may see which import."""

import io

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string
from django.core.files.uploadedfile import SimpleUploadedFile

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError
from lianfang.core.models import AuditEntry, Level, OrgUnit
from lianfang.core.tests.factories import make_id_number
from lianfang.registry import importing
from lianfang.registry.import_models import ImportJob
from lianfang.registry.models import Household, Resident

from .test_import_helpers import (  # noqa: F401
    HEADERS, choose_good_rows, import_settings, issues, person, upload, write_ledger,
)

Status = ImportJob.Status


@pytest.fixture
def family_ledger(world, tmp_path):
    """Three people in room 101 and one in room 102 of a new compound's building 1, unit 1."""
    rows = [["东风社区居民花名册"], HEADERS,
            person(world, 1), person(world, 2, relation="配偶"), person(world, 3, relation="子"),
            person(world, 4, room="102")]
    return write_ledger(tmp_path / "花名册.xlsx", rows)


def test_a_good_file_imports_households_and_residents(world, upload, family_ledger):
    residents_before = Resident.objects.count()
    job = upload(world.grid_worker_a, family_ledger)
    assert job.status == Status.DONE, job.message
    assert (job.good_rows, job.bad_rows, job.residents_created, job.households_created) == (4, 0, 4, 2)
    assert Resident.objects.count() == residents_before + 4

    compound = OrgUnit.objects.get(parent=world.grid1_a, name="幸福小区", level=Level.COMPOUND)
    building = OrgUnit.objects.get(parent=compound, name="1号楼", level=Level.BUILDING)
    unit = OrgUnit.objects.get(parent=building, name="1单元", level=Level.UNIT)
    assert unit.path.startswith(building.path) and building.path.startswith(world.grid1_a.path)
    room_101 = Household.objects.get(org=unit, room="101")
    assert room_101.address == "幸福小区1号楼1单元101室" and room_101.grid == world.grid1_a
    assert sorted(room_101.residents.values_list("name", "relation_to_head")) == [
        ("居民1", "head"), ("居民2", "spouse"), ("居民3", "child")]
    imported = Resident.objects.get(name="居民1")
    assert imported.org_path == unit.path and imported.id_tail == imported.id_number[-4:]
    assert imported.created_by == world.grid_worker_a and imported.district == world.district

    entry = AuditEntry.objects.get(action="import")
    assert entry.object_type == "import" and entry.object_ref == str(job.uid) and entry.actor == world.grid_worker_a
    assert entry.detail["residents"] == 4 and entry.detail["households"] == 2


def test_it_adds_people_to_an_existing_household_at_the_same_room(world, upload, tmp_path):
    headers = ["楼栋", "房号", "姓名", "身份证号"]
    rows = [headers, [world.building_a.name, "101", "新成员", make_id_number()]]
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", rows))
    assert job.status == Status.DONE, job.message
    assert Resident.objects.get(name="新成员").household == world.household_a
    assert job.households_created == 0


def test_household_numbers_split_the_people_of_one_flat(world, upload, tmp_path):
    headers = ["户号", "楼栋", "房号", "姓名", "身份证号"]
    rows = [headers, ["A", "5号楼", "301", "甲", make_id_number()], ["B", "5号楼", "301", "乙", make_id_number()],
            ["A", "5号楼", "301", "丙", make_id_number()]]
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", rows))
    assert job.households_created == 2
    assert Resident.objects.get(name="甲").household == Resident.objects.get(name="丙").household


def test_a_bad_row_imports_nothing_until_the_user_chooses_the_good_rows(world, upload, choose_good_rows, tmp_path):
    bad = person(world, 3)
    bad[7] = bad[7][:17] + ("0" if bad[7][17] != "0" else "1")
    rows = [HEADERS, person(world, 1), person(world, 2, room="102"), bad, person(world, 4, room="103")]
    before = Resident.objects.count()
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", rows))
    assert job.status == Status.INVALID and (job.good_rows, job.bad_rows) == (3, 1)
    assert "nothing was imported" in job.message
    assert Resident.objects.count() == before and not AuditEntry.objects.filter(action="import").exists()

    job = choose_good_rows(world.grid_worker_a, job)
    assert job.status == Status.DONE, job.message
    assert job.mode == ImportJob.Mode.GOOD_ROWS_ONLY and job.residents_created == 3
    assert set(Resident.objects.filter(name__startswith="居民").exclude(pk__in=[world.resident_a.pk, world.resident_b.pk])
               .values_list("name", flat=True)) == {"居民1", "居民2", "居民4"}
    assert "1 bad rows were left out" in job.message


def test_it_refuses_the_good_rows_choice_when_no_row_is_good(world, upload, choose_good_rows, tmp_path):
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1, id_number="123")]))
    assert job.status == Status.INVALID and job.good_rows == 0
    with pytest.raises(DomainError, match="No row of this file is good"):
        choose_good_rows(world.grid_worker_a, job)


def test_someone_registering_a_person_meanwhile_rolls_the_import_back(world, upload, family_ledger, monkeypatch):
    from lianfang.core.audit import COMMAND
    from lianfang.registry.services import resident_register

    commit = importing._commit

    def register_then_commit(job):
        number = openpyxl.load_workbook(family_ledger).active["H4"].value  # row 4: 居民2
        resident_register(actor=world.grid_worker_a, household=world.household_a, name="抢先登记", id_number=number, via=COMMAND)
        commit(job)

    monkeypatch.setattr(importing, "_commit", register_then_commit)
    before = Resident.objects.count()
    job = upload(world.grid_worker_a, family_ledger)
    assert job.status == Status.INVALID and Resident.objects.count() == before + 1  # only the one registered by hand
    [(row, _column, reason)] = issues(job)
    assert row == 4 and "registered while the file waited: already registered: 抢先登记" in reason
    assert (job.good_rows, job.bad_rows) == (3, 1)


def test_cancel_ends_an_invalid_import(world, upload, tmp_path):
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1, id_number="123")]))
    importing.import_job_cancel(actor=world.grid_worker_a, job=job)
    job.refresh_from_db()
    assert job.status == Status.CANCELLED and job.finished_at is not None


# --- pages ---------------------------------------------------------------------------------


def test_the_page_flow_from_upload_to_good_rows(world, client_for, tmp_path, django_capture_on_commit_callbacks):
    bad = person(world, 2, phone="12345")
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1), bad])
    client = client_for(world.grid_worker_a)
    page = client.get("/registry/import/")
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/registry/import/", {"file": SimpleUploadedFile("花名册.xlsx", path.read_bytes())})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/registry/import/{job.uid}/"

    page = client.get(response["Location"])
    assert page.status_code == 200 and page.context["job"].status == Status.INVALID
    assert "hx-trigger" not in page.content.decode()  # finished checking: no polling
    [issue] = page.context["page_obj"]
    assert (issue.row, issue.name, issue.column, issue.value) == (3, "居民2", "联系电话", "***45")  # phones are shown masked
    assert f'action="/registry/import/{job.uid}/good-rows/"' in page.content.decode()
    assert '<td data-label="Name">居民2</td>' in page.content.decode()  # the person, to find the row

    download = client.get(f"/registry/import/{job.uid}/problems.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][:4] == ["Row", "Name", "Column", "Value"]
    assert cells[1][:4] == [3, "居民2", "联系电话", "***45"] and len(cells) == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/registry/import/{job.uid}/good-rows/")
    job.refresh_from_db()
    assert response.status_code == 302 and job.status == Status.DONE and job.residents_created == 1


def test_the_job_part_polls_while_the_job_runs(world, client_for, family_ledger):
    client = client_for(world.grid_worker_a)
    client.post("/registry/import/", {"file": SimpleUploadedFile("l.xlsx", family_ledger.read_bytes())})  # task not run
    job = ImportJob.objects.get()
    assert job.status == Status.QUEUED
    part = client.get(f"/registry/import/{job.uid}/", HTTP_HX_REQUEST="true").content.decode()
    assert part.strip().startswith('<div id="job"') and 'hx-trigger="every 1s"' in part and "<html" not in part


def test_the_upload_page_shows_what_a_file_really_is(world, client_for):
    client = client_for(world.grid_worker_a)
    response = client.post("/registry/import/", {"file": SimpleUploadedFile("花名册.xlsx", b"a,b,c\n1,2,3\n")})
    assert response.status_code == 200 and not ImportJob.objects.exists()
    assert "CSV" in response.content.decode()


def _template(client) -> bytes:
    response = client.get("/registry/import/template.xlsx")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_an_unchanged_template_imports_nothing_and_says_it_has_no_rows(world, client_for, upload):
    content = _template(client_for(world.grid_worker_a))
    book = openpyxl.load_workbook(io.BytesIO(content))
    ledger, instructions = book.worksheets
    assert ledger["A1"].value == "网格" and ledger.column_dimensions["I"].number_format == "@"  # 身份证号 as Text
    assert ledger.max_row == 1  # the headers only: every row below them is imported
    # The example lives on the instructions sheet, which is never read.
    example = {row[0]: row[4] for row in instructions.iter_rows(values_only=True) if row[0] in ("姓名", "身份证号", "小区")}
    assert example == {"姓名": "张三", "身份证号": importing.EXAMPLE_ID, "小区": "幸福小区"}

    households, places = Household.objects.count(), OrgUnit.objects.count()
    job = upload(world.grid_worker_a, content)
    assert job.status == Status.FAILED and job.residents_created == 0
    assert job.message.startswith("The file has no rows of people: sheet “居民花名册” has its header in row 1 and nothing below it.")
    assert "Fill in one row per person" in job.message
    assert not Resident.objects.filter(name="张三").exists() and not Resident.objects.filter(id_number=importing.EXAMPLE_ID).exists()
    assert (Household.objects.count(), OrgUnit.objects.count()) == (households, places)
    assert not OrgUnit.objects.filter(name="幸福小区").exists()


def test_the_template_offers_the_words_users_see_elsewhere(world, client_for, upload, tmp_path):
    from django.utils import translation

    from lianfang.registry.models import RelationToHead, ResidenceType

    book = openpyxl.load_workbook(io.BytesIO(_template(client_for(world.grid_worker_a))))
    ledger = book.worksheets[0]
    headers = [c.value for c in ledger[1]]
    dropdowns = {headers[column_index_from_string(str(dv.sqref).split(":")[0].rstrip("0123456789")) - 1]:
                 dv.formula1.strip('"').split(",") for dv in ledger.data_validations.dataValidation}
    with translation.override("zh-hans"):
        shown = {"与户主关系": [str(c.label) for c in RelationToHead], "人员类型": [str(c.label) for c in ResidenceType]}
    assert dropdowns["与户主关系"] == shown["与户主关系"]
    assert dropdowns["人员类型"] == shown["人员类型"] == ["常住", "暂住", "流动"]
    assert "子女" in dropdowns["与户主关系"] and "子" not in dropdowns["与户主关系"]

    # Filled in with every word of the dropdowns, the template imports (in English here).
    column = {header: j + 1 for j, header in enumerate(headers)}
    for n, relation in enumerate(dropdowns["与户主关系"], start=2):
        values = {"网格": world.grid1_a.name, "楼栋": "7", "房号": "701", "姓名": f"家人{n}", "身份证号": make_id_number(),
                  "与户主关系": relation, "人员类型": dropdowns["人员类型"][n % 3]}
        for header, value in values.items():
            ledger.cell(row=n, column=column[header], value=value)
    path = tmp_path / "filled.xlsx"
    book.save(path)
    job = upload(world.grid_worker_a, path)
    assert job.status == Status.DONE, (job.message, issues(job))
    family = Resident.objects.filter(name__startswith="家人").order_by("name")
    assert job.residents_created == len(RelationToHead) and family[0].household.address == "7号楼701室"
    assert set(family.values_list("relation_to_head", flat=True)) == set(RelationToHead.values)
    assert set(family.values_list("residence_type", flat=True)) == set(ResidenceType.values)


def test_an_old_template_s_example_row_is_never_imported(world, upload, tmp_path):
    # Templates downloaded before the example moved to the instructions sheet had it as row 2.
    example = [1, world.grid1_a.name, "幸福小区", "3号楼", "2单元", "301", "张三", importing.EXAMPLE_ID, "男", "13812345678", "户主", "常住"]
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "old.xlsx", [HEADERS, example, person(world, 2, room="102")]))
    assert job.status == Status.DONE, (job.message, issues(job))
    assert job.residents_created == 1 and not Resident.objects.filter(id_number=importing.EXAMPLE_ID).exists()
    [warning] = job.issues.filter(severity="warning")
    assert (warning.row, warning.name, warning.reason) == (2, "张三", "the template's example row: it is never imported")

    job = upload(world.grid_worker_a, write_ledger(tmp_path / "only.xlsx", [HEADERS, example]))
    assert job.status == Status.FAILED and job.residents_created == 0
    assert "The file has no rows of people" in job.message and "only the template's example (张三, row 2)" in job.message
    assert not Resident.objects.filter(name="张三").exists()


def test_a_file_exported_from_the_register_is_refused_with_the_reason(world, client_for, upload):
    """The register's own export, as a Chinese-speaking user downloads it, uploaded back."""
    from django.conf import settings
    from django.utils import translation

    from lianfang.core.tests.factories import make_resident

    make_resident(household=world.household_a, name="居民A之子", relation_to_head="child", phone="13912345679")
    client = client_for(world.grid_worker_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get("/registry/residents/?format=xlsx")
    assert response.status_code == 200
    exported = b"".join(response.streaming_content)
    rows = list(openpyxl.load_workbook(io.BytesIO(exported)).active.iter_rows(values_only=True))
    assert "子女" in rows[2] or "子女" in rows[1]  # the form's word, as the export writes it
    assert all("*" in row[3] and "*" in row[6] for row in rows[1:])  # ID numbers and phones masked

    before = Resident.objects.count()
    with translation.override("en"):  # the request left Chinese active; the uploader here reads English
        job = upload(world.grid_worker_a, exported)
        assert job.status == Status.INVALID and (job.good_rows, job.bad_rows) == (0, 2)
        assert job.message.startswith("Every row (2) has problems") and "masked ID numbers or phones" in job.message
        assert "good rows" not in job.message  # there is none to import
        found = sorted(job.issues.filter(severity="error").values_list("row", "name", "column"))
        assert found == [(2, "居民A", "电话"), (2, "居民A", "身份证号"), (3, "居民A之子", "电话"), (3, "居民A之子", "身份证号")]
        for issue in job.issues.filter(severity="error"):
            assert "masked (hidden with *)" in issue.reason and "*" in issue.value
        assert Resident.objects.count() == before
        with pytest.raises(DomainError, match="No row of this file is good"):
            importing.import_job_commit_good_rows(actor=world.grid_worker_a, job=job, via=COMMAND)


def test_checkpoint_staff_may_not_import(world, client_for):
    assert client_for(world.checkpoint_staff_a).get("/registry/import/").status_code == 403


# --- API -----------------------------------------------------------------------------------


def test_the_api_flow(world, client_for, tmp_path, django_capture_on_commit_callbacks):
    bad = person(world, 2, grid="不存在的网格")
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1), bad])
    client = client_for(world.street_officer_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/registry/imports", {"file": SimpleUploadedFile("l.xlsx", path.read_bytes())})
    assert response.status_code == 201, response.content
    uid = response.json()["uid"]

    job = client.get(f"/api/registry/imports/{uid}").json()
    assert (job["status"], job["good_rows"], job["bad_rows"], job["total_rows"]) == ("invalid", 1, 1, 2)
    page = client.get(f"/api/registry/imports/{uid}/issues").json()
    assert page["count"] == 1 and page["items"][0]["row"] == 3 and page["items"][0]["column"] == "网格"
    assert page["items"][0]["name"] == "居民2"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/registry/imports/{uid}/commit-good-rows")
    assert response.status_code == 200 and response.json()["status"] == "importing"
    assert client.get(f"/api/registry/imports/{uid}").json()["status"] == "done"
    response = client.post(f"/api/registry/imports/{uid}/commit-good-rows")
    assert response.status_code == 400 and response.json()["code"] == "conflict"


def test_the_api_says_what_a_file_really_is(world, client_for):
    response = client_for(world.grid_worker_a).post("/api/registry/imports", {"file": SimpleUploadedFile("x.xlsx", b"")},
                                                    HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "0 bytes" in response.json()["detail"]


# --- who sees which import -----------------------------------------------------------------


def test_street_b_cannot_open_street_a_imports(world, upload, family_ledger, client_for):
    job = upload(world.grid_worker_a, family_ledger)
    client = client_for(world.street_officer_b)
    assert client.get(f"/registry/import/{job.uid}/").status_code == 404
    assert client.get(f"/registry/import/{job.uid}/problems.xlsx").status_code == 404
    assert client.post(f"/registry/import/{job.uid}/good-rows/").status_code == 404
    assert client.get(f"/api/registry/imports/{job.uid}").status_code == 404
    assert client.get(f"/api/registry/imports/{job.uid}/issues").status_code == 404
    assert client.get("/api/registry/imports").json()["count"] == 0


def test_an_import_is_its_uploaders_and_the_district_offices(world, upload, family_ledger, client_for):
    job = upload(world.grid_worker_a, family_ledger)
    assert client_for(world.street_officer_a).get(f"/registry/import/{job.uid}/").status_code == 404
    assert client_for(world.district_office).get(f"/registry/import/{job.uid}/").status_code == 200


def test_a_grid_outside_the_jurisdiction_cannot_be_chosen(world, upload, family_ledger):
    with pytest.raises(DomainError, match="not in your jurisdiction"):
        upload(world.street_officer_a, family_ledger, grid=world.grid1_b.code)


def test_an_internal_error_fails_the_job_and_imports_nothing(world, upload, family_ledger, monkeypatch, settings):
    def broken(job):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "_commit", broken)
    before = Resident.objects.count()
    job = upload(world.grid_worker_a, family_ledger)
    assert job.status == Status.FAILED and "internal error" in job.message
    assert Resident.objects.count() == before
    assert not list((settings.MEDIA_ROOT / "imports").iterdir())  # the file does not outlive the job


def test_import_data_can_be_deleted_with_the_district(world, upload, tmp_path, settings):
    upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1, id_number="123")]))
    assert importing.import_data_delete(district=world.district) == 1
    assert not ImportJob.objects.exists() and not list((settings.MEDIA_ROOT / "imports").iterdir())


def test_the_lists_of_imports_and_problems_take_a_fixed_number_of_queries(
        world, upload, tmp_path, client_for, django_assert_max_num_queries):
    for n in range(3):
        job = upload(world.district_office, write_ledger(tmp_path / f"{n}.xlsx", [HEADERS] + [
            person(world, k, id_number=str(k)) for k in range(1, 30)]))
    client = client_for(world.district_office)
    # 9: the page's queries plus the menu's counts (open alerts, open fever referrals).
    with django_assert_max_num_queries(10):
        assert client.get("/registry/import/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"/registry/import/{job.uid}/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/api/registry/imports").json()["count"] == 3
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/registry/imports/{job.uid}/issues").json()["count"] == 29


def test_two_families_the_file_keeps_apart_are_not_merged_into_one_registered_household(world, tmp_path, upload):
    rows = [HEADERS + ["户号"]]
    for n, household_no in ((11, "A"), (12, "B")):
        row = person(world, n, building=world.building_a.name, room="101")
        row[2], row[4] = "", ""  # no compound, no unit: the building itself
        rows.append(row + [household_no])
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", rows))
    assert job.status == ImportJob.Status.DONE, job.message
    first, second = Resident.objects.get(name="居民11"), Resident.objects.get(name="居民12")
    assert first.household == world.household_a
    assert second.household != world.household_a and second.household.org == world.building_a
