"""Importing screening results from a 摸排台账 (.xlsx): every row checked against the register,
every bad row reported, nothing half-imported, the good rows only on the user's choice."""

import datetime as dt
import io
import uuid
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError
from lianfang.core.excel import write_xlsx
from lianfang.core.models import AuditEntry
from lianfang.core.pii import mask_id_number
from lianfang.core.roles import Role
from lianfang.core.tests.factories import make_household, make_id_number, make_resident, make_user
from lianfang.registry.tests.test_import_helpers import write_ledger
from lianfang.screening import importing
from lianfang.screening.exports import LEDGER_COLUMNS
from lianfang.screening.import_models import ScreeningImport
from lianfang.screening.models import CandidateStatus, PersonCheck, Presence, Result, ScreeningVisit
from lianfang.screening.selectors import ledger_rows
from lianfang.screening.services import CheckIn, screening_round_transition, screening_visit_record

from .factories import open_round


pytestmark = pytest.mark.django_db

HEADERS = ["序号", "网格", "地址", "姓名", "身份证号", "联系电话", "现在何处", "旅居史", "接触史", "体温", "症状", "摸排方式",
           "摸排结果", "摸排人", "摸排日期"]
TODAY = timezone.localdate()


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def person(resident, n: int = 1, **cells) -> list:
    """One row under HEADERS: the resident at home, nothing found, visited today by 张三."""
    values = {"网格": resident.household.grid.name, "地址": resident.household.address, "姓名": resident.name,
              "身份证号": resident.id_number or "", "联系电话": "", "现在何处": "在家", "旅居史": "", "接触史": "无", "体温": 36.5,
              "症状": "", "摸排方式": "入户", "摸排结果": "全部在家", "摸排人": "张三", "摸排日期": TODAY}
    assert set(cells) <= set(values), set(cells) - set(values)
    values.update(cells)
    return [n] + [values[h] for h in HEADERS[1:]]


def family(world, room: str, *names: str):
    household = make_household(org=world.building_a, room=room)
    return household, [make_resident(household=household, name=name) for name in names]


def ledger(tmp_path, rows: list[list], *, title: str = "", name: str = "摸排台账.xlsx") -> Path:
    return write_ledger(tmp_path / name, ([[title]] if title else []) + [HEADERS] + rows, sheet_name="摸排台账")


def check(user, screening_round, content, *, name: str = "摸排台账.xlsx") -> ScreeningImport:
    data = content.read_bytes() if isinstance(content, Path) else content
    return importing.screening_import_check(actor=user, screening_round=screening_round, upload=SimpleUploadedFile(name, data),
                                            via=COMMAND)


def problems(imp: ScreeningImport) -> list[tuple[int, str, str]]:
    return [(i["row"], i["column"], i["reason"]) for i in imp.issues]


@pytest.fixture
def district_round(world):
    return open_round(actor=world.district_office, scope=world.district)


# --- a good file ---------------------------------------------------------------------------


def test_a_good_file_records_one_visit_per_household_and_flags_a_hubei_returnee(world, district_round, tmp_path):
    household, (wang, zhao) = family(world, "102", "王五", "赵六")
    rows = [
        person(world.resident_a, 1, 旅居史=f"湖北武汉 {day(-5)}至{day(-2)}"),
        person(wang, 2, 摸排结果="部分外出", 摸排方式="电话"),
        person(zhao, 3, 现在何处="外地 北京", 摸排结果="部分外出", 摸排方式="电话", 体温=None),
    ]
    imp = check(world.grid_worker_a, district_round, ledger(tmp_path, rows, title="东风社区第一轮摸排台账"))
    assert imp.status == ScreeningImport.Status.COMMITTED, imp.issues
    assert (imp.total_rows, imp.good_rows, imp.bad_rows, imp.households, imp.visits_created) == (3, 3, 0, 2, 2)
    assert (imp.checks_created, imp.candidates) == (3, 1)
    assert imp.header_row == 2 and not imp.good

    visit = ScreeningVisit.objects.get(household=world.household_a)
    assert (visit.method, visit.result, visit.visitor, visit.notes) == ("door", "all_present", world.grid_worker_a, "摸排人：张三")
    assert timezone.localdate(visit.visited_at) == TODAY
    returnee = visit.person_checks.get()
    assert returnee.is_candidate and returnee.candidate_status == CandidateStatus.PENDING
    assert returnee.travel == [{"place": "湖北武汉", "from": day(-5).isoformat(), "to": day(-2).isoformat(), "transit": False}]
    assert returnee.suggested_category == "risk_area_returnee" and returnee.temperature == Decimal("36.5")

    other = ScreeningVisit.objects.get(household=household)
    assert (other.method, other.result) == ("phone", "some_away")
    away = other.person_checks.get(resident=zhao)
    assert (away.presence, away.whereabouts, away.temperature) == (Presence.AWAY_OUTSIDE, "北京", None)

    entry = AuditEntry.objects.get(action="import")
    assert (entry.object_type, entry.object_ref, entry.actor) == ("screening_visit", str(imp.uid), world.grid_worker_a)
    assert entry.detail["visits"] == 2 and entry.detail["candidates"] == 1 and entry.detail["mode"] == "all"


def test_importing_the_same_file_twice_records_nothing_new(world, district_round, tmp_path):
    file = ledger(tmp_path, [person(world.resident_a, 体温=37.8)])
    first = check(world.grid_worker_a, district_round, file)
    second = check(world.grid_worker_a, district_round, file)
    assert first.visits_created == 1
    assert second.status == ScreeningImport.Status.COMMITTED
    assert (second.visits_created, second.visits_unchanged) == (0, 1)
    assert "already recorded" in second.message
    assert ScreeningVisit.objects.count() == 1 and PersonCheck.objects.count() == 1


def test_the_same_file_after_a_revisit_does_not_undo_the_revisit(world, district_round, tmp_path):
    file = ledger(tmp_path, [person(world.resident_a)])
    check(world.grid_worker_a, district_round, file)
    revisit, _ = screening_visit_record(actor=world.grid_worker_a, screening_round=district_round, household=world.household_a,
                                        uid=uuid.uuid4(), method="door", result=Result.ALL_PRESENT, via=COMMAND)
    again = check(world.grid_worker_a, district_round, file)
    # The file's visit already exists (same file, same household: same visit id): nothing is written.
    assert (again.visits_created, again.visits_unchanged) == (0, 1)
    assert ScreeningVisit.objects.get(is_latest=True, household=world.household_a) == revisit


def test_household_cells_given_once_hold_for_the_whole_household(world, district_round, tmp_path):
    household, (wang, zhao) = family(world, "102", "王五", "赵六")
    rows = [person(wang, 1, 摸排结果="部分外出"),
            person(zhao, 2, 现在何处="本市 医院陪护", 摸排方式="", 摸排结果="", 摸排人="", 摸排日期=None)]
    imp = check(world.grid_worker_a, district_round, ledger(tmp_path, rows))
    assert imp.status == ScreeningImport.Status.COMMITTED, imp.issues
    visit = ScreeningVisit.objects.get(household=household)
    assert visit.result == "some_away" and visit.person_checks.count() == 2
    assert visit.person_checks.get(resident=zhao).whereabouts == "医院陪护"


def test_cells_merged_over_a_family_hold_for_every_row(world, district_round, tmp_path):
    household, (wang, zhao) = family(world, "102", "王五", "赵六")
    result_col, date_col = HEADERS.index("摸排结果"), HEADERS.index("摸排日期")
    rows = [person(wang, 1, 摸排结果=None, 摸排日期=None), person(zhao, 2, 摸排结果=None, 摸排日期=None)]
    file = write_ledger(tmp_path / "merged.xlsx", [HEADERS] + rows, merges=[
        (1, result_col, 2, result_col, "全部在家"), (1, date_col, 2, date_col, TODAY.isoformat())])
    imp = check(world.grid_worker_a, district_round, file)
    assert imp.status == ScreeningImport.Status.COMMITTED, imp.issues
    assert ScreeningVisit.objects.get(household=household).person_checks.count() == 2


def test_people_without_an_id_number_are_found_by_name_and_address(world, district_round, tmp_path):
    household, (wang,) = family(world, "102", "王五")
    imp = check(world.grid_worker_a, district_round, ledger(tmp_path, [person(wang, 身份证号="", 症状="发热、头痛", 体温="37.9℃")]))
    assert imp.status == ScreeningImport.Status.COMMITTED, imp.issues
    found = PersonCheck.objects.get(resident=wang)
    assert found.symptoms == ["fever", "other"] and found.notes == "症状：头痛" and found.is_candidate


def test_nobody_home_records_the_visit_without_people_and_rows_not_visited_are_skipped(world, district_round, tmp_path):
    household, (wang,) = family(world, "102", "王五")
    rows = [person(world.resident_a, 1, 摸排结果="无人在家", 现在何处="", 体温=None, 接触史=""),
            person(wang, 2, 摸排结果="", 摸排方式="", 摸排人="", 摸排日期=None, 现在何处="", 体温=None, 接触史="")]
    imp = check(world.grid_worker_a, district_round, ledger(tmp_path, rows))
    assert imp.status == ScreeningImport.Status.COMMITTED, imp.issues
    assert (imp.good_rows, imp.skipped_rows, imp.visits_created) == (1, 1, 1)
    visit = ScreeningVisit.objects.get()
    assert visit.result == Result.NOBODY_HOME and visit.revisit_due is not None and not visit.person_checks.exists()


# --- bad rows ------------------------------------------------------------------------------


@pytest.fixture
def bad_file(world, tmp_path):
    """Row 2 good; rows 3–7 each bad in one way; rows 8–9 one household, row 9 bad."""
    people = {name: family(world, room, name)[1][0] for room, name in
              (("102", "体温错"), ("103", "日期错"), ("104", "结果错"), ("105", "好人"))}
    household, (wang, zhao) = family(world, "106", "王五", "赵六")
    rows = [
        person(people["好人"], 1),
        person(world.resident_a, 2, 身份证号=make_id_number(), 姓名="查无此人"),
        person(people["体温错"], 3, 体温=365),
        person(people["日期错"], 4, 摸排日期="昨天下午"),
        person(people["结果错"], 5, 摸排结果="出差"),
        person(world.resident_b, 6),
        person(wang, 7),
        person(zhao, 8, 旅居史="武汉"),
    ]
    return ledger(tmp_path, rows)


def test_a_file_with_bad_rows_changes_nothing_and_lists_every_bad_row(world, district_round, bad_file):
    imp = check(world.grid_worker_a, district_round, bad_file)
    assert imp.status == ScreeningImport.Status.CHECKED
    assert not ScreeningVisit.objects.exists() and not PersonCheck.objects.exists()
    assert not AuditEntry.objects.filter(action="import").exists()
    assert (imp.good_rows, imp.bad_rows, imp.households) == (1, 7, 1)
    assert "nothing was imported" in imp.message and "import only the 1 good rows" in imp.message

    found = problems(imp)
    assert (3, "身份证号", "not found in your jurisdiction: check the ID number, or register the person first") in found
    assert any(r == 4 and c == "体温" and "Did you mean 36.5?" in reason for r, c, reason in found)
    assert any(r == 5 and c == "摸排日期" and "is not a date" in reason for r, c, reason in found)
    assert any(r == 6 and c == "摸排结果" and "unknown result “出差”" in reason for r, c, reason in found)
    # The other street's person: the same words as for someone who does not exist.
    assert (7, "身份证号", "not found in your jurisdiction: check the ID number, or register the person first") in found
    assert any(r == 9 and c == "旅居史" and "has no dates" in reason for r, c, reason in found)
    assert (8, "", "left out with its household: row 9 of the same household has a problem") in found
    assert {r for r, _c, _reason in found} == {3, 4, 5, 6, 7, 8, 9}
    # Values are shown as typed, ID numbers masked.
    row_7 = next(i for i in imp.issues if i["row"] == 7)
    assert row_7["value"] == mask_id_number(world.resident_b.id_number) and row_7["name"] == world.resident_b.name


def test_the_good_rows_choice_imports_the_good_households_only(world, district_round, bad_file):
    imp = check(world.grid_worker_a, district_round, bad_file)
    done = importing.screening_import_commit_good_rows(actor=world.grid_worker_a, screening_import=imp, via=COMMAND)
    assert done.status == ScreeningImport.Status.COMMITTED and done.good == []
    assert (done.visits_created, done.good_rows, done.bad_rows) == (1, 1, 7)
    assert "7 rows were left out, as you chose" in done.message
    assert list(ScreeningVisit.objects.values_list("household__residents__name", flat=True)) == ["好人"]
    entry = AuditEntry.objects.get(action="import")
    assert entry.detail["mode"] == "good_rows_only" and entry.detail["bad_rows_left_out"] == 7
    with pytest.raises(DomainError, match="nothing left to choose"):
        importing.screening_import_commit_good_rows(actor=world.grid_worker_a, screening_import=done, via=COMMAND)


def test_the_good_rows_are_checked_again_when_imported(world, district_round, tmp_path):
    household, (wang,) = family(world, "102", "王五")
    imp = check(world.grid_worker_a, district_round, ledger(tmp_path, [person(wang, 1), person(world.resident_a, 2, 体温=365)]))
    assert imp.good_rows == 1
    # Meanwhile 王五 moved to another flat.
    wang.household = make_household(org=world.building_a, room="201")
    wang.save()
    again = importing.screening_import_commit_good_rows(actor=world.grid_worker_a, screening_import=imp, via=COMMAND)
    # Nothing good is left: the import still waits, and says so.
    assert again.status == ScreeningImport.Status.CHECKED and (again.good_rows, again.bad_rows) == (0, 2)
    assert (2, "", "since the check, moved to another household") in problems(again)
    assert "None of the 2 rows can be imported" in again.message
    assert not ScreeningVisit.objects.exists() and not AuditEntry.objects.filter(action="import").exists()


def test_cancelling_imports_nothing_and_forgets_the_rows(world, district_round, bad_file):
    imp = check(world.grid_worker_a, district_round, bad_file)
    importing.screening_import_cancel(actor=world.grid_worker_a, screening_import=imp)
    imp.refresh_from_db()
    assert imp.status == ScreeningImport.Status.CANCELLED and imp.good == []
    with pytest.raises(DomainError):
        importing.screening_import_commit_good_rows(actor=world.grid_worker_a, screening_import=imp, via=COMMAND)
    assert not ScreeningVisit.objects.exists()


def test_the_services_rules_land_on_the_rows_and_columns(world, district_round, tmp_path):
    household, (wang, zhao) = family(world, "102", "王五", "赵六")
    rows = [person(world.resident_a, 1, 摸排日期=district_round.starts_on - dt.timedelta(days=1)),
            person(wang, 2), person(zhao, 3, 现在何处="外地 武汉")]
    imp = check(world.grid_worker_a, district_round, ledger(tmp_path, rows))
    found = problems(imp)
    assert any(r == 2 and c == "摸排日期" and "before the round started" in reason for r, c, reason in found)
    assert any(r == 3 and c == "摸排结果" and "choose “some away”" in reason for r, c, reason in found)
    assert {r for r, _c, _reason in found} == {2, 3, 4} and imp.good_rows == 0
    assert "None of the 3 rows can be imported" in imp.message


def test_rows_of_one_household_must_agree_on_the_visit(world, district_round, tmp_path):
    household, (wang, zhao) = family(world, "102", "王五", "赵六")
    imp = check(world.grid_worker_a, district_round, ledger(tmp_path, [person(wang, 1), person(zhao, 2, 摸排日期=day(-1))]))
    assert (3, "摸排日期", f"row 2 of the same household says “{TODAY.isoformat()}”: the rows of one household are one visit") \
        in problems(imp)


def test_a_name_that_does_not_match_the_id_number_is_refused(world, district_round, tmp_path):
    imp = check(world.grid_worker_a, district_round, ledger(tmp_path, [person(world.resident_a, 姓名="李四")]))
    assert problems(imp) == [(2, "姓名", "the register has this ID number under the name 居民A: correct the name or the ID number")]


# --- whole files ---------------------------------------------------------------------------


def test_a_file_that_is_not_xlsx_gets_a_clear_error(world, district_round):
    csv = "姓名,身份证号,摸排结果\n张三,110105199001010011,全部在家\n".encode()
    with pytest.raises(DomainError, match=r"not an Excel workbook: it is comma-separated text \(CSV\)"):
        check(world.grid_worker_a, district_round, csv, name="台账.xlsx")
    assert not ScreeningImport.objects.exists()


def test_a_sheet_without_a_result_column_gets_a_clear_error(world, district_round, tmp_path):
    file = write_ledger(tmp_path / "l.xlsx", [["姓名", "身份证号"], [world.resident_a.name, world.resident_a.id_number]])
    with pytest.raises(DomainError, match="missing the column 摸排结果"):
        check(world.grid_worker_a, district_round, file)


def test_it_refuses_more_rows_than_the_limit(world, district_round, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 2)
    with pytest.raises(DomainError, match="more than 2 rows"):
        check(world.grid_worker_a, district_round, ledger(tmp_path, [person(world.resident_a, n) for n in range(3)]))


def test_a_closed_round_takes_no_import(world, district_round, tmp_path):
    screening_round_transition(actor=world.district_office, screening_round=district_round, status="closed", via=COMMAND)
    with pytest.raises(DomainError) as e:
        check(world.grid_worker_a, district_round, ledger(tmp_path, [person(world.resident_a)]))
    assert e.value.code == "round_closed"


# --- jurisdiction --------------------------------------------------------------------------


def test_a_grid_worker_of_street_a_cannot_import_street_b_people(world, district_round, tmp_path):
    rows = [person(world.resident_b, 1), person(world.resident_b, 2, 身份证号="")]
    imp = check(world.grid_worker_a, district_round, ledger(tmp_path, rows))
    assert problems(imp) == [
        (2, "身份证号", "not found in your jurisdiction: check the ID number, or register the person first"),
        (3, "地址", "no household at this address in your jurisdiction and this round's area: write it as the register has it, or give the full ID number"),
    ]
    # The other street's officer imports the same rows.
    imp_b = check(world.street_officer_b, district_round, ledger(tmp_path, rows[:1], name="b.xlsx"))
    assert imp_b.status == ScreeningImport.Status.COMMITTED


def test_a_street_round_and_its_imports_do_not_exist_for_the_other_street(world, client_for, tmp_path):
    round_b = open_round(actor=world.street_officer_b, scope=world.street_b)
    imp = check(world.street_officer_b, round_b, ledger(tmp_path, [person(world.resident_b, 体温=365)]))
    client = client_for(world.grid_worker_a)
    assert client.get(reverse("screening:import", args=[round_b.uid])).status_code == 404
    assert client.get(reverse("screening:import_result", args=[round_b.uid, imp.uid])).status_code == 404
    assert client.post(f"/api/screening/rounds/{round_b.uid}/imports",
                       {"file": SimpleUploadedFile("l.xlsx", b"x")}).status_code == 404
    assert client.get(f"/api/screening/imports/{imp.uid}").status_code == 404
    assert client.post(f"/api/screening/imports/{imp.uid}/commit").status_code == 404


def test_a_grid_worker_sees_only_their_own_imports(world, district_round, tmp_path):
    imp = check(world.grid_worker_a, district_round, ledger(tmp_path, [person(world.resident_a)]))
    same_grid = make_user(username="grid_a2", role=Role.GRID_WORKER, jurisdiction=world.grid1_a)
    with pytest.raises(Http404):
        importing.access_screening_import(actor=same_grid, uid=imp.uid)
    assert importing.access_screening_import(actor=world.district_office, uid=imp.uid) == imp


# --- the exported ledger comes back --------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_exported_ledger_filled_in_imports_back(world, district_round, tmp_path, language):
    screening_visit_record(actor=world.grid_worker_a, screening_round=district_round, household=world.household_a, uid=uuid.uuid4(),
                           method="door", result=Result.ALL_PRESENT, via=COMMAND,
                           checks=[CheckIn(resident=world.resident_a, temperature="36.6", symptoms=["cough"])])
    household, (wang, zhao) = family(world, "102", "王五", "赵六")
    file = tmp_path / "export.xlsx"
    with translation.override(language):
        write_xlsx(target=str(file), sheet_name="摸排台账", title="东风社区摸排台账", columns=LEDGER_COLUMNS,
                   rows=ledger_rows(actor=world.grid_worker_a, screening_round=district_round))
    column = {importing.LEDGER_HEADERS.get(str(c.header)): i + 1 for i, c in enumerate(LEDGER_COLUMNS)}
    book = openpyxl.load_workbook(file)
    sheet = book.active
    assert "*" in sheet.cell(3, column["id_number"]).value  # masked, as every export
    for r in range(3, sheet.max_row + 1):
        if sheet.cell(r, column["name"]).value in ("王五", "赵六"):
            sheet.cell(r, column["result"]).value = "全部在家"
            sheet.cell(r, column["method"]).value = "上门"
            sheet.cell(r, column["visit_date"]).value = TODAY.isoformat()
            sheet.cell(r, column["visitor"]).value = "李四"
            if sheet.cell(r, column["name"]).value == "王五":
                sheet.cell(r, column["temperature"]).value = 37.6
    book.save(file)

    imp = check(world.grid_worker_a, district_round, file)
    assert imp.status == ScreeningImport.Status.COMMITTED, imp.issues
    assert (imp.visits_created, imp.visits_unchanged, imp.checks_created, imp.candidates) == (1, 1, 2, 1)
    assert ScreeningVisit.objects.filter(household=world.household_a).count() == 1  # unchanged: not recorded twice
    fever = PersonCheck.objects.get(resident=wang)
    assert fever.temperature == Decimal("37.6") and fever.is_candidate and fever.visit.method == "door"


# --- pages ---------------------------------------------------------------------------------


def test_the_pages_upload_show_every_problem_and_import_the_good_rows(world, district_round, client_for, bad_file):
    client = client_for(world.grid_worker_a)
    page = client.get(reverse("screening:import", args=[district_round.uid]))
    assert page.status_code == 200 and reverse("screening:import_template", args=[district_round.uid]) in page.text
    response = client.post(reverse("screening:import", args=[district_round.uid]),
                           {"file": SimpleUploadedFile("台账.xlsx", bad_file.read_bytes())})
    imp = ScreeningImport.objects.get()
    result_url = reverse("screening:import_result", args=[district_round.uid, imp.uid])
    assert response.status_code == 302 and response.url == result_url
    page = client.get(result_url)
    assert "Import only the 1 good row" in page.text and "Did you mean 36.5?" in page.text
    problems_file = client.get(reverse("screening:import_issues", args=[district_round.uid, imp.uid]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(problems_file.streaming_content))).active
    assert sheet.max_row == 1 + len(imp.issues)
    assert AuditEntry.objects.filter(action="export", object_type="screening_import_issues").count() == 1

    response = client.post(reverse("screening:import_commit", args=[district_round.uid, imp.uid]))
    assert response.status_code == 302
    imp.refresh_from_db()
    assert imp.status == ScreeningImport.Status.COMMITTED and ScreeningVisit.objects.count() == 1


def test_the_upload_page_says_what_is_wrong_with_the_file(world, district_round, client_for):
    client = client_for(world.grid_worker_a)
    response = client.post(reverse("screening:import", args=[district_round.uid]),
                           {"file": SimpleUploadedFile("台账.xlsx", b"%PDF-1.4 ...")})
    assert response.status_code == 200 and "it is a PDF document" in response.text
    assert not ScreeningImport.objects.exists()


def test_cancel_from_the_page(world, district_round, client_for, bad_file):
    imp = check(world.grid_worker_a, district_round, bad_file)
    response = client_for(world.grid_worker_a).post(reverse("screening:import_cancel", args=[district_round.uid, imp.uid]))
    assert response.status_code == 302 and response.url == reverse("screening:import", args=[district_round.uid])
    imp.refresh_from_db()
    assert imp.status == ScreeningImport.Status.CANCELLED


def test_the_upload_page_lists_imports_in_few_queries(world, district_round, client_for, tmp_path, django_assert_max_num_queries):
    for n in range(5):
        check(world.grid_worker_a, district_round, ledger(tmp_path, [person(world.resident_a, 体温=36 + n / 10)], name=f"{n}.xlsx"))
    client = client_for(world.grid_worker_a)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("screening:import", args=[district_round.uid])).status_code == 200


def test_the_template_has_the_headers_and_an_example_that_is_never_imported(world, district_round, client_for):
    response = client_for(world.grid_worker_a).get(reverse("screening:import_template", args=[district_round.uid]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS[1:]
    example = dict(zip(HEADERS[1:], [c.value for c in sheet[2]]))
    assert example["姓名"] == "张三" and "至" in example["旅居史"] and example["网格"] == world.grid1_a.name
    # The example alone is no visit: nothing to import.
    with pytest.raises(DomainError, match="no visit results"):
        check(world.grid_worker_a, district_round, data)


# --- API -----------------------------------------------------------------------------------


def test_the_api_uploads_reports_and_commits_the_good_rows(world, district_round, client_for, bad_file):
    client = client_for(world.grid_worker_a)
    response = client.post(f"/api/screening/rounds/{district_round.uid}/imports",
                           {"file": SimpleUploadedFile("台账.xlsx", bad_file.read_bytes())})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "checked" and (body["good_rows"], body["bad_rows"]) == (1, 7)
    assert {"row": 4, "column": "体温"}.items() <= next(i for i in body["issues"] if i["row"] == 4).items()
    assert client.get(f"/api/screening/imports/{body['uid']}").json()["round_uid"] == str(district_round.uid)
    response = client.post(f"/api/screening/imports/{body['uid']}/commit")
    assert response.status_code == 200 and response.json()["status"] == "committed"
    assert response.json()["visits_created"] == 1
    assert client.post(f"/api/screening/imports/{body['uid']}/commit").json()["code"] == "conflict"


def test_the_api_says_why_a_file_is_refused(world, district_round, client_for):
    response = client_for(world.grid_worker_a).post(f"/api/screening/rounds/{district_round.uid}/imports",
                                                    {"file": SimpleUploadedFile("台账.xlsx", b"a,b\n1,2\n")})
    assert response.status_code == 400
    assert response.json()["field"] == "file" and "comma-separated text" in response.json()["detail"]


# --- cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, trips", [
    ("湖北武汉 2020-01-18至2020-01-23", [("湖北武汉", "2020-01-18", "2020-01-23", False)]),
    ("武汉 1.18-1.23", [("武汉", "2020-01-18", "2020-01-23", False)]),
    ("湖北省武汉市（2020年1月18日-1月23日）；孝感 1.20（途经）", [("湖北省武汉市", "2020-01-18", "2020-01-23", False),
                                                          ("孝感", "2020-01-20", "2020-01-20", True)]),
    ("黄冈 12.30至今", [("黄冈", "2019-12-30", "2020-01-25", False)]),
    ("无", []),
])
def test_travel_history_formats(text, trips):
    parsed = importing.travel_parse(text, visit_date=dt.date(2020, 1, 25))
    assert [(t["place"], t["from"], t["to"], t["transit"]) for t in parsed] == trips


@pytest.mark.parametrize("text, reason", [
    ("武汉", "has no dates"),
    ("1.18-1.23", "has no place"),
    ("武汉 1.18-1.23 探亲", "cannot read “探亲”"),
    ("武汉 2.30", "2.30 is not a date"),
    ("武汉 1.24-1.20", "ends before it starts"),
    ("武汉 2020-01-26", "after the visit"),
])
def test_unreadable_travel_history_says_why(text, reason):
    with pytest.raises(importing.CellError, match=reason):
        importing.travel_parse(text, visit_date=dt.date(2020, 1, 25))


def test_a_check_left_a_week_without_a_choice_is_cancelled_and_emptied(world, district_round):
    import_ = ScreeningImport.objects.create(round=district_round, actor=world.grid_worker_a, org_path=world.grid1_a.path,
                                             filename="台账.xlsx", sha256="0" * 64, good=[{"household": 1}])
    assert importing.screening_imports_sweep() == 0
    assert importing.screening_imports_sweep(now=timezone.now() + dt.timedelta(days=8)) == 1
    import_.refresh_from_db()
    assert import_.status == ScreeningImport.Status.CANCELLED and import_.good == []
