"""The importer facing ledgers as community offices keep them: every bad file or row gets a
clear message, and nothing is written to the register."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianfang.core import idnumbers
from lianfang.core.errors import DomainError
from lianfang.core.pii import mask_id_number
from lianfang.core.tests.factories import make_id_number
from lianfang.registry import importing
from lianfang.registry.import_models import ImportJob
from lianfang.registry.models import Household, Resident

from .test_import_helpers import (  # noqa: F401
    HEADERS, choose_good_rows, import_settings, issues, person, upload, write_ledger,
)

Status = ImportJob.Status


@pytest.fixture
def unchanged(world):
    """Asserts, at the end of the test, that the register did not change."""
    before = (Resident.objects.count(), Household.objects.count())
    yield
    assert (Resident.objects.count(), Household.objects.count()) == before


def with_wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


# --- whole files ---------------------------------------------------------------------------


def test_it_refuses_a_0_byte_file(world, upload, unchanged):
    with pytest.raises(DomainError, match=r"empty \(0 bytes\)"):
        upload(world.grid_worker_a, b"", name="花名册.xlsx")
    assert not ImportJob.objects.exists()


def test_it_says_a_csv_renamed_xlsx_is_csv(world, upload, unchanged):
    csv = "姓名,身份证号,联系电话\n张三,110105199001010011,13812345678\n".encode()
    with pytest.raises(DomainError, match=r"not an Excel workbook: it is comma-separated text \(CSV\).*Save As"):
        upload(world.grid_worker_a, csv, name="花名册.xlsx")


def test_it_says_a_gbk_csv_renamed_xlsx_is_csv(world, upload, unchanged):
    csv = "姓名,身份证号\n张三,110105199001010011\n".encode("gbk")
    with pytest.raises(DomainError, match=r"comma-separated text \(CSV\)"):
        upload(world.grid_worker_a, csv, name="花名册.xlsx")


def test_it_says_a_txt_renamed_xlsx_is_plain_text(world, upload, unchanged):
    with pytest.raises(DomainError, match="it is plain text"):
        upload(world.grid_worker_a, "东风社区居民名单 张三 李四\n".encode(), name="名单.xlsx")


# An Excel 97-2003 workbook (sheet 花名册: 姓名, 身份证号, 房号, 联系电话 / 老张, 110105195001010012,
# 101, 13812345678), written with xlwt 1.3 and stored zlib-compressed, base64-encoded.
OLD_XLS = (
    "eNrtWE1oE0EUfrO7+bVJk5gKrVBCwaq1h93GaDy0WwXtydDagj8INbE5SEsqQQ+KYGzNqSqCJ8VLoRcRqr34gx7szYNQsQdBKCR69CQoFWyyvn"
    "mZDakWbECLynzLvHk/M2/e7ryZ2d3XC8HC9FxLEX5AD6hQtjzgrNExLB5bCADaLYuzdu3GYkn8U/C4cSKdDnjme+Xic8jnuwgKPNTmkQK8x3IS"
    "zkJiPJOObCAOUAxJxmPoRsrgLmr80ExRhYieJrqZ6ANq+ZxoL2muE+3GtgV2AhbMREdcZPExpY1sfuB+H1Ofd6QxoAle8iy+fJNV2jpgf/ZMcu"
    "zvNLRqDTADOG996Uw6mxwrQBgncAa+WBGAz/ZKfRGR+o3VM0D919V61xr6W4oGkAPrFCV4HhOSadyisrkJ39C1gRVcem6xsWKLxeO+IQ3Y/Rul"
    "xPzU8iBqzNTyIGqGct8uxc4vTaGG5SLDIUxkQzf0mLEvpuuc040uFZW6sQlpNG50RXfH9uyNe/mGThtAYNUG4KOF0YB0BBqJD9LyCGAkK/c+vT"
    "mc6jeHSZOj2CpHwzZ+N2DBFd4DO/vJohDllg7idxGdIK9biW8hGsakxrq9v0kwhyapzVWytuM4UcKiub2G34F8/uPAk9b8B3Mn8rN9xYvh2bfm"
    "NLThUTWC/fk1CZ2sk925zfHUtGsmtpElos0/bSluJSBit8T51wgl8BIbJFqR+NNhVUkRz6oiqSipwhdbwxcjX5poz8iXoypxX86qxH3xKepRQv"
    "CIHmtvzeHsBQkJCQkJCQkJCYlfgolXdFW8pDvEJ4BL/NcpYSnL3yT/LY7AOF7n8MP0IGSwzsKFuvJnCziY7Yuts4/9v5DjKI6ehVFIURyjdecv"
    "fsKx2vtZd8fA71tC9Y5frifOPzz+dyzQ1M0="
)


def test_it_reads_an_old_xls_renamed_xlsx_and_says_so(world, upload):
    import base64
    import zlib

    job = upload(world.grid_worker_a, zlib.decompress(base64.b64decode(OLD_XLS)), name="花名册.xlsx")
    assert job.status == Status.DONE, (job.message, issues(job))
    assert job.file_format == "xls"
    assert issues(job, "warning") == [(1, "", "the file was read as an old Excel 97-2003 workbook (.xls)")]
    assert Resident.objects.get(id_number="110105195001010012").household.room == "101"


def test_it_says_a_web_page_saved_as_xls_is_a_web_page(world, upload, unchanged):
    html = b"<html xmlns:x='urn:schemas-microsoft-com:office:excel'><body><table><tr><td>\xe5\xa7\x93\xe5\x90\x8d</td></tr></table></body></html>"
    with pytest.raises(DomainError, match=r"web page \(HTML\)"):
        upload(world.grid_worker_a, html, name="导出.xls")


def test_it_says_a_word_document_is_a_word_document(world, upload, tmp_path, unchanged):
    import zipfile

    path = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(DomainError, match="a Word document"):
        upload(world.grid_worker_a, path)


def test_it_says_a_truncated_workbook_is_damaged(world, upload, tmp_path, unchanged):
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1)])
    with pytest.raises(DomainError, match="damaged"):
        upload(world.grid_worker_a, path.read_bytes()[:400])


def test_it_says_a_workbook_with_broken_insides_is_damaged(world, upload, tmp_path, unchanged):
    import zipfile

    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook><sheets><sheet name=")
    job = upload(world.grid_worker_a, path)
    assert job.status == Status.FAILED and "damaged and cannot be read" in job.message


def test_it_explains_a_password_protected_workbook(world, upload, unchanged):
    # Excel and WPS wrap an encrypted .xlsx in an OLE2 container with an EncryptedPackage stream.
    fake = importing.OLE2_MAGIC + b"\x00" * 1000 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 1000
    job = upload(world.grid_worker_a, fake)
    assert job.status == Status.FAILED
    assert "protected by a password" in job.message


def test_it_refuses_a_file_over_the_limit(world, upload, settings, tmp_path, unchanged):
    settings.IMPORT_MAX_BYTES = 1000
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1)])
    with pytest.raises(DomainError, match="the limit is"):
        upload(world.grid_worker_a, path)


def test_it_explains_wrong_headers(world, upload, tmp_path, unchanged):
    path = write_ledger(tmp_path / "l.xlsx", [["人名", "号码", "位置"], ["张三", make_id_number(), "幸福小区1号楼101"]])
    job = upload(world.grid_worker_a, path)
    assert job.status == Status.FAILED
    assert "No header row found" in job.message and "row 1 reads: 人名、号码、位置" in job.message


def test_it_names_a_missing_id_number_column(world, upload, tmp_path, unchanged):
    path = write_ledger(tmp_path / "l.xlsx", [["姓名", "房号"], ["张三", "101"]])
    job = upload(world.grid_worker_a, path)
    assert job.status == Status.FAILED
    assert "missing the column 身份证号" in job.message


def test_it_says_when_a_sheet_has_headers_but_no_people(world, upload, tmp_path, unchanged):
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, [], []]))
    assert job.status == Status.FAILED and "no rows of people" in job.message


def test_it_deletes_the_stored_file_when_the_job_ends(world, upload, tmp_path, settings):
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1)]))
    assert job.status == Status.DONE
    assert not job.file and not list((settings.MEDIA_ROOT / "imports").iterdir())


# --- rows ----------------------------------------------------------------------------------


def test_it_reports_a_bad_check_digit(world, upload, tmp_path, unchanged):
    number = make_id_number()
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1), person(world, 2, id_number=with_wrong_check_digit(number))])
    job = upload(world.grid_worker_a, path)
    assert job.status == Status.INVALID and (job.good_rows, job.bad_rows) == (1, 1)
    [(row, column, reason)] = issues(job)
    assert (row, column) == (3, "身份证号") and "check digit is wrong" in reason
    assert job.issues.get(row=3).value == number[:6] + "********" + with_wrong_check_digit(number)[-4:]


def test_it_explains_an_id_number_stored_as_a_number(world, upload, tmp_path, unchanged):
    number = make_id_number()
    while not number[-1].isdigit():  # a number ending in X cannot be a number in Excel
        number = make_id_number()
    row = person(world, 1, id_number=number)
    row[7] = float(row[7])  # what Excel does to an 18-digit number typed into a General cell
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, row]))
    [(number, column, reason)] = issues(job)
    assert (number, column) == (2, "身份证号") and "stored as a number in Excel" in reason
    assert job.issues.get().value.endswith("E+17")


def test_it_names_both_rows_of_one_id_number_under_two_names(world, upload, tmp_path, unchanged):
    number = make_id_number()
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1, id_number=number), person(world, 2),
                                                person(world, 3, id_number=number)])
    job = upload(world.grid_worker_a, path)
    assert job.status == Status.INVALID and (job.good_rows, job.bad_rows) == (1, 2)
    assert sorted(issues(job)) == [
        (2, "身份证号", "the same ID number as row 4 (居民3), under another name: correct the wrong one"),
        (4, "身份证号", "the same ID number as row 2 (居民1), under another name: correct the wrong one")]
    assert dict(job.issues.values_list("row", "name")) == {2: "居民1", 4: "居民3"}  # each row's own name


def test_a_person_listed_twice_is_kept_from_the_first_row(world, upload, choose_good_rows, tmp_path):
    number = make_id_number()
    twice = person(world, 1, name="王芳", id_number=number)
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, twice, person(world, 2, room="102"), list(twice), list(twice)])
    job = upload(world.grid_worker_a, path)
    assert job.status == Status.INVALID and (job.good_rows, job.bad_rows) == (2, 2)
    assert issues(job) == [
        (4, "身份证号", "repeats row 2 (the same ID number and name): only row 2 is imported"),
        (5, "身份证号", "repeats row 2 (the same ID number and name): only row 2 is imported")]
    job = choose_good_rows(world.grid_worker_a, job)
    assert job.status == Status.DONE and job.residents_created == 2, job.message
    assert Resident.objects.get(id_number=number).name == "王芳"


def test_a_repeated_person_and_a_third_name_make_the_first_row_bad_too(world, upload, tmp_path, unchanged):
    number = make_id_number()
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1, name="王芳", id_number=number),
                                                person(world, 2, name="王芳", id_number=number),
                                                person(world, 3, name="王方", id_number=number)])
    job = upload(world.grid_worker_a, path)
    assert (job.good_rows, job.bad_rows) == (0, 3)
    assert sorted(issues(job)) == [
        (2, "身份证号", "the same ID number as row 4 (王方), under another name: correct the wrong one"),
        (3, "身份证号", "repeats row 2 (the same ID number and name): only row 2 is imported"),
        (4, "身份证号", "the same ID number as row 2 (王芳), under another name: correct the wrong one")]


def test_it_names_who_already_has_the_id_number(world, upload, tmp_path, unchanged):
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1, id_number=world.resident_a.id_number)])
    job = upload(world.grid_worker_a, path)
    [(row, _column, reason)] = issues(job)
    assert row == 2 and reason == f"already registered: 居民A in {world.grid1_a.name}"
    assert job.issues.get().name == "居民1"  # the row's name, found in the district check


# --- masked numbers ------------------------------------------------------------------------


def test_it_says_a_masked_id_number_comes_from_an_export(world, upload, choose_good_rows, tmp_path):
    masked = mask_id_number(world.resident_a.id_number)  # 110105********1234, as the register exports it
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1, name="居民A", id_number=masked),
                                                person(world, 2, room="102")])
    before = Resident.objects.count()
    job = upload(world.grid_worker_a, path)
    assert job.status == Status.INVALID and (job.good_rows, job.bad_rows) == (1, 1)
    [issue] = job.issues.all()
    assert (issue.row, issue.name, issue.column, issue.value) == (2, "居民A", "身份证号", masked)
    assert issue.reason.startswith("the ID number is masked (hidden with *): it comes from a file exported from the register")
    assert "Enter the person's full ID number" in issue.reason
    assert "masked ID numbers or phones" in job.message
    # The masked row is never a good row: the good rows are the other one only.
    job = choose_good_rows(world.grid_worker_a, job)
    assert job.status == Status.DONE and job.residents_created == 1
    assert Resident.objects.count() == before + 1 and Resident.objects.filter(name="居民A").count() == 1


@pytest.mark.parametrize("masked", ["138****5678", "138＊＊＊＊5678", "***45"])
def test_it_says_a_masked_phone_comes_from_an_export(world, upload, tmp_path, unchanged, masked):
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1, phone=masked)]))
    [(row, column, reason)] = issues(job)
    assert (row, column) == (2, "联系电话")
    assert reason.startswith("the phone number is masked (hidden with *)") and "Enter the full phone number" in reason
    assert "only digits" not in reason


def test_a_masked_old_id_number_is_masked_too(world, upload, tmp_path, unchanged):
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1, id_number="110105*****0012")]))
    [(_row, _column, reason)] = issues(job)
    assert reason.startswith("the ID number is masked") and "18 characters" not in reason


def test_it_does_not_say_who_has_the_id_number_in_another_street(world, upload, tmp_path, unchanged):
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1, id_number=world.resident_b.id_number)])
    job = upload(world.grid_worker_a, path)
    [(_row, _column, reason)] = issues(job)
    assert "already registered elsewhere in the district" in reason and "居民B" not in reason


def test_it_refuses_a_grid_of_another_street(world, upload, tmp_path, unchanged):
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1), person(world, 2, grid=world.grid1_b.name)])
    job = upload(world.street_officer_a, path)
    [(row, column, reason)] = issues(job)
    assert (row, column) == (3, "网格") and reason == f"grid “{world.grid1_b.name}” not found in your jurisdiction"


def test_it_skips_empty_rows_and_serial_only_rows(world, upload, tmp_path):
    rows = [HEADERS, person(world, 1), [], [None] * 12, [3], person(world, 4, room="102"), ["", "  "]]
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", rows))
    assert job.status == Status.DONE, job.message
    assert (job.good_rows, job.skipped_rows, job.residents_created) == (2, 4, 2)


def test_it_finds_the_header_below_a_merged_title_and_blank_rows(world, upload, tmp_path):
    rows = [[], [], [], HEADERS, person(world, 1)]
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", rows, merges=[(1, 0, 1, 11, "东风社区居民花名册")]))
    assert job.status == Status.DONE, job.message
    assert job.header_row == 4 and job.residents_created == 1


def test_it_accepts_header_synonyms_full_width_and_line_breaks(world, upload, tmp_path):
    headers = ["序 号", "所属网格", "小区名称", "楼号", "单元号", "门牌号", "姓\n名", "公民身份号码（18位）", "*性别", "手机号码",
               "与户主的关系", "居住类型", "籍贯"]
    row = person(world, 1) + ["甘肃兰州"]
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [headers, row]))
    assert job.status == Status.DONE, job.message
    assert issues(job, "warning") == [(1, "籍贯", "column ignored: it is not a field of the register")]


def test_it_reads_the_first_sheet_with_headers_and_says_which(world, upload, tmp_path):
    path = write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1)], sheet_name="花名册",
                        extra_sheets=[("说明", [["填表说明：一人一行"]])])
    job = upload(world.grid_worker_a, path)
    assert job.status == Status.DONE and job.sheet_name == "花名册"
    [(_row, _column, reason)] = issues(job, "warning")
    assert "sheet “花名册” was read" in reason and "说明" in reason


def test_it_copes_with_numbers_dates_and_merged_addresses(world, upload, tmp_path):
    headers = ["姓名", "身份证号", "联系电话", "出生日期", "性别", "地址", "房号"]
    rows = [headers,
            ["张三", "", 13812345678.0, dt.date(1980, 1, 2), "男", "幸福小区3号楼", 301],  # merged over two rows
            ["李四", "", "138 1234 5679", "1981/2/3", "女", None, 301],
            ["王五", 110105800101001.0, "", "", "", "幸福小区4号楼", "402.0"]]  # an old 15-digit number survives as a number
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", rows, merges=[(1, 5, 2, 5, "幸福小区3号楼")]))
    assert job.status == Status.DONE, (job.message, issues(job))
    zhang, li, wang = Resident.objects.filter(name__in=["张三", "李四", "王五"]).order_by("name").select_related("household")
    assert zhang.household == li.household and zhang.household.address == "幸福小区3号楼"
    assert (zhang.phone, zhang.birth_date, zhang.sex) == ("13812345678", dt.date(1980, 1, 2), "M")
    assert (li.phone, li.birth_date, li.sex) == ("13812345679", dt.date(1981, 2, 3), "F")
    assert wang.id_number == idnumbers.parse("110105800101001").number and wang.household.room == "402"


def test_it_reports_every_bad_cell_of_a_row(world, upload, tmp_path, unchanged):
    row = person(world, 1, phone="1381234")
    row[6], row[10], row[11] = "", "邻居", "出差"
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, row]))
    assert {column for _row, column, _reason in issues(job)} == {"姓名", "联系电话", "与户主关系", "人员类型"}
    assert job.bad_rows == 1


def test_it_accepts_the_words_of_the_forms_and_exports_in_any_language(world, upload, tmp_path):
    # The job runs in English (the uploader's language): the Chinese labels are still the words.
    rows = [HEADERS]
    labels = importing.choice_labels()
    for n, (label, value) in enumerate(labels["relation_to_head"].items(), start=1):
        row = person(world, n, room=f"{n}01", relation=label)
        row[11] = list(labels["residence_type"])[n % 3]
        rows.append(row)
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", rows))
    assert job.status == Status.DONE, (job.message, issues(job))
    imported = dict(Resident.objects.filter(name__startswith="居民").exclude(name__in=["居民A", "居民B"])
                    .values_list("name", "relation_to_head"))
    assert imported == {f"居民{n}": value for n, value in enumerate(labels["relation_to_head"].values(), start=1)}
    assert set(labels["relation_to_head"]) >= {"子女", "父母", "孙子女", "儿媳/女婿"}
    assert list(labels["residence_type"]) == ["常住", "暂住", "流动"]


def test_an_unknown_relation_lists_the_words_to_use(world, upload, tmp_path, unchanged):
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1, relation="邻居")]))
    [(_row, column, reason)] = issues(job)
    assert column == "与户主关系" and reason.startswith("unknown relation to the head: 邻居; use one of: 户主、配偶、子女、")


def test_it_warns_when_the_sex_contradicts_the_id_number(world, upload, tmp_path):
    row = person(world, 1)
    row[7], row[8] = make_id_number(sex="M"), "女"
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, row]))
    assert job.status == Status.DONE
    assert issues(job, "warning") == [(2, "性别", "does not match the ID number, which is used instead")]
    assert Resident.objects.get(name="居民1").sex == "M"


# --- headers, as a property ----------------------------------------------------------------


@given(st.sampled_from([w for c in importing.COLUMNS for w in (c.header, *c.synonyms)]),
       st.lists(st.sampled_from([" ", "\n", "\u3000", "*", "\t"]), max_size=3), st.booleans())
def test_header_noise_does_not_change_the_column(word, noise, full_width):
    expected = importing.HEADER_LOOKUP[importing.normalize_header(word)]
    text = "".join(chr(ord(ch) + 0xFEE0) if full_width and "!" <= ch <= "~" else ch for ch in word)
    noisy = noise[0] + text + "".join(noise[1:]) + "（必填）" if noise else text
    assert importing.HEADER_LOOKUP[importing.normalize_header(noisy)] == expected
    assert importing.normalize_header(importing.normalize_header(noisy)) == importing.normalize_header(noisy)


def test_it_reads_two_row_headers(world, upload, tmp_path):
    rows = [["姓名", "身份证号", "居住地址", None, None, "联系电话"],
            [None, None, "小区", "楼栋", "房号", None],
            ["张三", make_id_number(), "幸福小区", 3, 301, "13812345678"]]
    merges = [(0, 0, 1, 0, "姓名"), (0, 1, 1, 1, "身份证号"), (0, 2, 0, 4, "居住地址"), (0, 5, 1, 5, "联系电话")]
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", rows, merges=merges))
    assert job.status == Status.DONE, (job.message, issues(job))
    assert job.header_row == 2
    household = Resident.objects.get(name="张三").household
    assert (household.org.name, household.org.parent.name, household.room) == ("3号楼", "幸福小区", "301")
