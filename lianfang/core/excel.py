"""Writing .xlsx files: every list a user keeps is exportable (ledgers live in Excel)."""

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    width: int = 14


def write_xlsx(*, target, sheet_name: str, columns: list[Column], rows: Iterable, title: str = "") -> int:
    """Write rows to `target` (path or file object); returns the number of rows.
    constant_memory keeps a million-row export flat in memory."""
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet(sheet_name[:31])
    head = book.add_format({"bold": True, "bg_color": "#EEF1F5", "border": 1})
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    first = 0
    if title:
        sheet.write(0, 0, title, book.add_format({"bold": True, "font_size": 14}))
        first = 1
    for c, col in enumerate(columns):
        sheet.set_column(c, c, col.width)
        sheet.write(first, c, str(col.header), head)
    sheet.freeze_panes(first + 1, 0)
    n = 0
    for n, obj in enumerate(rows, start=1):
        r = first + n
        for c, col in enumerate(columns):
            value = col.value(obj)
            if value is None or value == "":
                continue
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value, stamp)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(r, c, value)
            else:
                # Text format: ID numbers and phones must never become numbers in Excel.
                sheet.write_string(r, c, str(value), text)
    if n:
        sheet.autofilter(first, 0, first + n, len(columns) - 1)
    book.close()
    return n


def xlsx_response(*, filename: str, sheet_name: str, columns: list[Column], rows: Iterable, title: str = "") -> tuple[FileResponse, int]:
    tmp = tempfile.TemporaryFile()
    n = write_xlsx(target=tmp, sheet_name=sheet_name, columns=columns, rows=rows, title=title)
    tmp.seek(0)
    response = FileResponse(
        tmp, as_attachment=True, filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return response, n
