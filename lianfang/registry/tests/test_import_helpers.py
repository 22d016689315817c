"""Ledgers and uploads for the import tests (no tests here: fixtures and writers only)."""

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from lianfang.core.audit import COMMAND
from lianfang.registry import importing
from lianfang.registry.import_models import ImportJob

HEADERS = ["序号", "网格", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "性别", "联系电话", "与户主关系", "人员类型"]


@pytest.fixture(autouse=True)
def import_settings(settings, tmp_path):
    """Uploads under the test's folder; tasks run at once, when the upload's transaction
    commits; messages in English (the msgids), whatever the default language."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with translation.override("en"):
        yield settings


def write_ledger(path: Path, rows: list[list], *, sheet_name: str = "花名册", merges=(), extra_sheets=()) -> Path:
    """An .xlsx as Excel saves it: strings as text, numbers as numbers, dates as dates.
    `merges` are (first_row, first_col, last_row, last_col, value), 0-based;
    `extra_sheets` are (name, rows) written before the main sheet."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, sheet_rows in (*extra_sheets, (sheet_name, rows)):
        sheet = book.add_worksheet(name)
        for r, row in enumerate(sheet_rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, value)
        if name == sheet_name:
            for first_row, first_col, last_row, last_col, value in merges:
                sheet.merge_range(first_row, first_col, last_row, last_col, value)
    book.close()
    return path


def person(world, n: int, *, name: str = "", id_number: str = "", grid: str = "", building: str = "1号楼", room: str = "101",
           relation: str = "户主", phone: str = "13812345678") -> list:
    """One row under HEADERS."""
    from lianfang.core.tests.factories import make_id_number

    return [n, grid or world.grid1_a.name, "幸福小区", building, "1单元", room, name or f"居民{n}",
            id_number or make_id_number(born="19900101"), "", phone, relation, "常住"]


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """upload(user, path or bytes, name=..., grid=...) -> the job, after its task ran."""

    def run(user, content, *, name: str = "ledger.xlsx", grid: str = "") -> ImportJob:
        data = content.read_bytes() if isinstance(content, Path) else content
        with django_capture_on_commit_callbacks(execute=True):
            job = importing.import_job_create(actor=user, upload=SimpleUploadedFile(name, data), grid_code=grid, via=COMMAND)
        job.refresh_from_db()
        return job

    return run


@pytest.fixture
def choose_good_rows(django_capture_on_commit_callbacks):
    def run(user, job: ImportJob) -> ImportJob:
        with django_capture_on_commit_callbacks(execute=True):
            importing.import_job_commit_good_rows(actor=user, job=job, via=COMMAND)
        job.refresh_from_db()
        return job

    return run


def issues(job: ImportJob, severity: str = "error") -> list[tuple[int, str, str]]:
    return list(job.issues.filter(severity=severity).values_list("row", "column", "reason"))
