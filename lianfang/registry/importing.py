"""Excel import of the population base (底数清): read a ledger as community offices keep it,
check every row, and write all of it, or by explicit choice only its good rows, in one
transaction.

Pass 1, validation (`import_job_run`, status validating): python-calamine reads the sheet; the
header row is found among the first rows; every row is checked with the rules of the forms
(`validation.check_resident`), against the other rows of the file and against the district
(one IN query per batch). Every problem becomes an `ImportIssue`; the clean rows are staged in
a JSON-lines file next to the upload, so the rows are read and checked only once.

Pass 2, commit (status importing): the staged rows are checked against the district again
(someone may have registered a person meanwhile), missing compounds/buildings/units are
created, households and residents are inserted in bulk, with one audit entry, all in one
transaction. Nothing reaches the register before pass 2, and pass 2 is all or nothing.
"""

import datetime as dt
import functools
import itertools
import json
import logging
import mmap
import re
import time
import unicodedata
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

from lianfang.core import phones
from lianfang.core.audit import Via, audit_record
from lianfang.core.bulk import PlainRows
from lianfang.core.errors import DomainError
from lianfang.core.idnumbers import check_digit
from lianfang.core.models import AuditAction, Level, OrgUnit, child_path
from lianfang.core.pii import mask_id_number, mask_phone, mask_search_term
from lianfang.core.roles import Capability, Role
from lianfang.core.scoping import access, scoped, subtree_q
from lianfang.core.services import require

from .import_models import ImportIssue, ImportJob
from .models import Household, RelationToHead, Resident, ResidenceType, Sex
from .validation import check_resident

logger = logging.getLogger(__name__)

BATCH_ROWS = 1000  # rows per progress update, per district check and per staged line
HEADER_SCAN_ROWS = 10  # titles and blank rows above the header row
MAX_CELL_SHOWN = 200


class ImportFileError(DomainError):
    """The file as a whole cannot be read as a ledger; the message says why and what to do."""

    def __init__(self, message):
        super().__init__(message, field="file", code="bad_file")


# --- columns -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the template's header: ledgers are kept in Chinese, whatever the UI language
    synonyms: tuple[str, ...]
    help: str


COLUMNS = (
    Column("grid", "网格", ("所属网格", "网格名称", "网格名", "网格编号", "网格编码", "grid"),
           gettext_lazy("Grid name or code, inside your jurisdiction. Leave the column out if you choose a grid when uploading.")),
    Column("compound", "小区", ("小区名称", "小区名", "楼院", "小区楼院", "小区/楼院", "院落", "自然村", "村民小组", "compound"),
           gettext_lazy("Compound, courtyard or village group; created if it does not exist yet.")),
    Column("building", "楼栋", ("楼栋号", "楼号", "栋号", "楼栋名称", "栋", "幢", "楼", "building"),
           gettext_lazy("Building, e.g. 3号楼 (a bare number 3 becomes 3号楼); created if it does not exist yet.")),
    Column("unit", "单元", ("单元号", "unit"),
           gettext_lazy("Unit (entrance), e.g. 2单元 (a bare number 2 becomes 2单元); created if it does not exist yet.")),
    Column("room", "房号", ("门牌号", "房间号", "户室号", "室号", "门牌", "房屋号", "room"),
           gettext_lazy("Room or house number; people with the same place are one household.")),
    Column("address", "地址", ("家庭住址", "现住址", "住址", "居住地址", "详细地址", "现居住地址", "现住地址", "家庭地址", "address"),
           gettext_lazy("Full address; when empty it is built from compound, building, unit and room.")),
    Column("household_no", "户号", ("户编号", "家庭编号", "household number"),
           gettext_lazy("Optional: splits the people of one place into several households (e.g. tenants sharing a flat).")),
    Column("head_name", "户主姓名", ("户主", "户主名", "head of household"),
           gettext_lazy("Optional, like 户号: the name of the head of the person's household.")),
    Column("name", "姓名", ("名字", "居民姓名", "人员姓名", "name"), gettext_lazy("Required.")),
    Column("id_number", "身份证号", ("身份证号码", "公民身份号码", "证件号码", "证件号", "身份证", "身份证件号码", "id number"),
           gettext_lazy("18 characters (or an old 15-digit number). Format the column as Text: as a number Excel keeps only 15 digits.")),
    Column("sex", "性别", ("sex", "gender"), gettext_lazy("男 or 女; taken from the ID number when there is one.")),
    Column("birth_date", "出生日期", ("出生年月", "出生年月日", "生日", "birth date", "date of birth"),
           gettext_lazy("YYYY-MM-DD; taken from the ID number when there is one.")),
    Column("phone", "联系电话", ("手机号", "手机号码", "电话", "电话号码", "手机", "联系方式", "phone", "mobile"),
           gettext_lazy("Mobile (11 digits) or landline with its area code.")),
    Column("relation_to_head", "与户主关系", ("与户主的关系", "家庭关系", "关系", "relation"),
           gettext_lazy("Relation to the head of household; empty means the head.")),
    Column("residence_type", "人员类型", ("居住类型", "人口类型", "居住状态", "人员类别", "居住情况", "residence type"),
           gettext_lazy("常住, 暂住 or 流动; empty means 常住.")),
    Column("notes", "备注", ("说明", "notes", "remarks"), gettext_lazy("Free text.")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
SERIAL_HEADERS = ("序号", "编号", "序", "no", "no.", "#")  # serial-number columns: ignored silently
PLACE_KEYS = ("compound", "building", "unit", "room", "address")

# The template's example person, shown on its instructions sheet. Templates downloaded
# before that had it as the first row of the ledger sheet: a row with this name and ID
# number is recognised as the example and never imported.
EXAMPLE = {
    "grid": "第一网格", "compound": "幸福小区", "building": "3号楼", "unit": "2单元", "room": "301", "address": "",
    "household_no": "", "head_name": "", "name": "张三", "id_number": "11010519800101001" + check_digit("11010519800101001"),
    "sex": "男", "birth_date": "1980-01-01", "phone": "13812345678", "relation_to_head": "户主", "residence_type": "常住",
    "notes": "",
}
EXAMPLE_NAME, EXAMPLE_ID = EXAMPLE["name"], EXAMPLE["id_number"]


def _is_masked(text: str) -> bool:
    """A * in an ID number or phone: masked as the register's exports mask them (core.pii),
    e.g. 110105********1234 and 138****5678. No real number has one."""
    return "*" in text or "＊" in text or "﹡" in text  # ASCII, full-width, small; faster than a regex


@functools.cache
def choice_labels() -> dict[str, dict[str, str]]:
    """The Chinese words the forms, lists and exports show for each choice (the labels in
    zh-hans), mapped to their values: what the template offers in its dropdowns, and what
    the importer accepts whatever the uploader's language. Ledgers are kept in Chinese."""
    with translation.override("zh-hans"):
        return {key: {str(choice.label): choice.value for choice in choices}
                for key, choices in (("sex", Sex), ("relation_to_head", RelationToHead), ("residence_type", ResidenceType))}

# Stars mark required columns, brackets hold hints ("身份证号码（18位）"), and people align
# headers with spaces and line breaks ("姓  名", "联系\n电话").
_HEADER_NOISE = re.compile(r"\(.*?\)|\[.*?\]|【.*?】|[\s*:]+")


def normalize_header(raw: object) -> str:
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else ""))
    return _HEADER_NOISE.sub("", text).lower()


HEADER_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _word in (_column.header, *_column.synonyms):
        HEADER_LOOKUP[normalize_header(_word)] = _column.key
for _word in SERIAL_HEADERS:
    HEADER_LOOKUP[normalize_header(_word)] = "serial"


# --- the file ------------------------------------------------------------------------------

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC = {
    b"%PDF": gettext_lazy("a PDF document"),
    b"\x89PNG": gettext_lazy("a PNG picture"),
    b"\xff\xd8\xff": gettext_lazy("a JPEG picture"),
    b"GIF8": gettext_lazy("a GIF picture"),
    b"Rar!": gettext_lazy("a RAR archive"),
    b"7z\xbc\xaf": gettext_lazy("a 7-Zip archive"),
    b"\x1f\x8b": gettext_lazy("a gzip archive"),
    b"PK\x05\x06": gettext_lazy("an empty ZIP archive"),
}


def _save_as_hint() -> str:
    return _("Open it in Excel or WPS, choose File › Save As › “Excel Workbook (*.xlsx)”, and upload the saved file.")


def _not_a_workbook(name: str, what: str) -> ImportFileError:
    return ImportFileError(
        _("“%(name)s” is not an Excel workbook: it is %(what)s.") % {"name": name, "what": what} + " " + _save_as_hint()
    )


def _describe_text(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _("Unicode text (tab-separated, as Excel saves “Unicode Text”)")
    if b"\x00" in head:
        return _("a file of an unknown binary format")
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = head.decode(encoding)
            break
        except UnicodeDecodeError as e:
            if e.start >= len(head) - 4:  # a character cut in two at the end of the sample
                text = head[: e.start].decode(encoding, errors="ignore")
                break
    if text is None:
        return _("a file of an unknown binary format")
    lower = text.lstrip().lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in lower:
        return _("an “XML Spreadsheet 2003” file")
    if lower.startswith(("<!doctype html", "<html", "<table", "<meta")) or "<table" in lower[:2000]:
        return _("a web page (HTML), as some systems export tables")
    first_line = lower.splitlines()[0] if lower else ""
    if first_line.count(",") or first_line.count("，"):
        return _("comma-separated text (CSV)")
    if first_line.count("\t"):
        return _("tab-separated text")
    return _("plain text")


def file_format_sniff(upload, *, name: str) -> str:
    """'xlsx', 'xls' or 'ods' from the first bytes of the file (the name's extension lies
    often: CSV files, web pages and old workbooks are renamed .xlsx); else a clear error."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if not head:
        raise ImportFileError(
            _("“%(name)s” is empty (0 bytes): it was not saved or not copied completely. Save the ledger again in Excel or WPS as .xlsx and upload it.")
            % {"name": name}
        )
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
                mimetype = archive.read("mimetype")[:100].decode("ascii", "ignore") if "mimetype" in names else ""
        except (zipfile.BadZipFile, EOFError, OSError):
            raise ImportFileError(
                _("“%(name)s” is damaged: the workbook is incomplete (was the download or copy interrupted?). Open it in Excel or WPS; if it opens, save it again as .xlsx and upload that file.")
                % {"name": name}
            )
        finally:
            upload.seek(0)
        if "xl/workbook.xml" in names or any(n.endswith("workbook.xml") for n in names):
            return "xlsx"
        if "opendocument.spreadsheet" in mimetype:
            return "ods"
        if "word/document.xml" in names:
            raise _not_a_workbook(name, _("a Word document"))
        if any(n.startswith("ppt/") for n in names):
            raise _not_a_workbook(name, _("a PowerPoint presentation"))
        raise _not_a_workbook(name, _("a ZIP archive"))
    if head.startswith(OLE2_MAGIC):
        return "xls"  # or a password-protected .xlsx, or a .doc: the reader tells them apart
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise _not_a_workbook(name, str(what))
    raise _not_a_workbook(name, _describe_text(head))


def _ole_contents(path: Path) -> str:
    """What an OLE2 file that calamine could not read holds, from its stream names."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for marker, kind in (("EncryptedPackage", "encrypted"), ("WordDocument", "word"), ("PowerPoint Document", "powerpoint")):
            if data.find(marker.encode("utf-16-le")) >= 0:
                return kind
    return ""


def _password_error() -> ImportFileError:
    return ImportFileError(
        _("The workbook is protected by a password. Open it in Excel or WPS, remove the password (File › Info › Protect Workbook, or File › Document Encryption in WPS), save it as .xlsx and upload it again.")
    )


def _unreadable(error: BaseException, job: ImportJob) -> ImportFileError:
    return workbook_unreadable(error, file_format=job.file_format, path=Path(job.file.path), name=job.filename)


def workbook_unreadable(error: BaseException, *, file_format: str, path: Path, name: str) -> ImportFileError:
    """What to tell the user when calamine cannot read the file at `path`."""
    if isinstance(error, PasswordError):
        return _password_error()
    if file_format == "xls":
        kind = _ole_contents(path)
        if kind == "encrypted":
            return _password_error()
        if kind == "word":
            return _not_a_workbook(name, _("a Word document"))
        if kind == "powerpoint":
            return _not_a_workbook(name, _("a PowerPoint presentation"))
    return ImportFileError(
        _("The workbook is damaged and cannot be read (%(detail)s). Open it in Excel or WPS; if it opens, save it again as .xlsx and upload that file.")
        % {"detail": str(error)[:200] or type(error).__name__}
    )


def is_calamine_failure(error: BaseException) -> bool:
    # calamine raises CalamineError, and panics (pyo3's PanicException, a BaseException) on
    # some damaged files.
    return isinstance(error, CalamineError) or type(error).__name__ == "PanicException"


# --- the sheet -----------------------------------------------------------------------------


@dataclass
class SheetLayout:
    name: str
    header_row: int  # 1-based, as Excel shows it
    columns: dict[str, int]  # column key → position in the row lists
    headers: dict[str, str]  # column key → the header as written in the file
    first_col: int  # absolute index of the first column calamine returns
    last_row: int  # 1-based number of the last row with data
    warnings: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, reason)
    ignored: list[str] = field(default_factory=list)  # headers of the columns left unread


def _display(cell: object) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(cell)).split())


def header_map(cells: list, lookup: dict[str, str] | None = None,
               ) -> tuple[dict[str, int], dict[str, str], list[tuple[int, str]], list[tuple[int, str]]]:
    """(columns, headers, unknown, duplicates) of one row read as a header row. `lookup` maps
    normalised header words to column keys: the register's by default; "serial" is skipped."""
    lookup = HEADER_LOOKUP if lookup is None else lookup
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    unknown: list[tuple[int, str]] = []
    duplicates: list[tuple[int, str]] = []
    for j, cell in enumerate(cells):
        if cell is None or cell == "":
            continue
        shown = _display(cell)
        key = lookup.get(normalize_header(cell)) if isinstance(cell, str) else None
        if key == "serial":
            continue
        if key is None:
            unknown.append((j, shown))
        elif key in columns:
            duplicates.append((j, shown))
        else:
            columns[key] = j
            headers[key] = shown
    return columns, headers, unknown, duplicates


def _is_header(columns: dict[str, int]) -> bool:
    return "name" in columns and len(columns) >= 2


@dataclass
class OpenSheet:
    layout: SheetLayout
    rows: Iterator[tuple[int, list]]  # (Excel row number, cells) below the header row


def sheet_open(workbook: CalamineWorkbook, *, has_target_grid: bool = False, lookup: dict[str, str] | None = None,
               check_columns=None, expected_columns: str = "") -> OpenSheet:
    """The first visible worksheet with a header row among its first rows; else a clear error
    describing what the first sheet holds instead.

    Other ledgers than the register's (the screening ledger) pass their own header `lookup`,
    `check_columns(layout)` raising ImportFileError, and `expected_columns` for the message."""
    if check_columns is None:
        def check_columns(layout: SheetLayout) -> None:
            _check_columns(layout, has_target_grid=has_target_grid)
    first_seen: tuple[str, int, list] | None = None
    skipped: list[str] = []
    for meta in workbook.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
            continue
        sheet = workbook.get_sheet_by_name(meta.name)
        if sheet.end is None:
            continue
        rows = enumerate(sheet.iter_rows(), start=1)  # calamine yields from row 1 of the sheet
        for number, cells in rows:
            columns, headers, unknown, duplicates = header_map(cells, lookup)
            if _is_header(columns):
                number, rows = _sub_headers(number, rows, columns, headers, unknown, lookup)
                layout = SheetLayout(name=meta.name, header_row=number, columns=columns, headers=headers,
                                     first_col=sheet.start[1], last_row=sheet.end[0] + 1)
                check_columns(layout)
                _header_warnings(layout, unknown, duplicates, skipped)
                return OpenSheet(layout=layout, rows=_fill_merged_down(rows, sheet, layout))
            if first_seen is None and any(c != "" for c in cells):
                first_seen = (meta.name, number, cells)
            if number >= HEADER_SCAN_ROWS:
                break
        skipped.append(meta.name)
    if first_seen is None:
        raise ImportFileError(_("The workbook has no data: every sheet is empty."))
    sheet_name, number, cells = first_seen
    found = "、".join(mask_search_term(_display(c)) for c in cells if c != "")[:300]  # no full numbers in messages
    if expected_columns:
        raise ImportFileError(
            _("No header row found. Within its first %(n)d rows a sheet needs a row of column headers with %(columns)s. Sheet “%(sheet)s” row %(row)d reads: %(found)s. Download the template to see the expected columns.")
            % {"n": HEADER_SCAN_ROWS, "columns": expected_columns, "sheet": sheet_name, "row": number, "found": found}
        )
    raise ImportFileError(
        _("No header row found. Within its first %(n)d rows a sheet needs a row of column headers with 姓名 and the other columns of the template (身份证号, 网格, 楼栋, 房号…). Sheet “%(sheet)s” row %(row)d reads: %(found)s. Download the template to see the expected columns.")
        % {"n": HEADER_SCAN_ROWS, "sheet": sheet_name, "row": number, "found": found}
    )


def _sub_headers(number: int, rows, columns: dict, headers: dict, unknown: list,
                 lookup: dict[str, str] | None = None) -> tuple[int, Iterator]:
    """Two-row headers, as WPS ledgers have them: "居住地址" merged over three columns, and
    below it 小区, 楼栋, 房号. A second row that names columns (and no person) refines the
    first; otherwise it is the first row of data and goes back in front of the others."""
    following = next(rows, None)
    if following is None:
        return number, rows
    sub_columns, sub_headers, _unknown, _duplicates = header_map(following[1], lookup)
    name_at = columns["name"]
    if not sub_columns or "name" in sub_columns or (name_at < len(following[1]) and following[1][name_at] != ""):
        return number, itertools.chain([following], rows)
    for key, j in sub_columns.items():
        for other in [k for k, at in columns.items() if at == j]:
            del columns[other], headers[other]
        columns[key], headers[key] = j, sub_headers[key]
    unknown[:] = [(j, shown) for j, shown in unknown if j not in sub_columns.values()]
    return following[0], rows


def _check_columns(layout: SheetLayout, *, has_target_grid: bool) -> None:
    missing = []
    if "id_number" not in layout.columns:
        missing.append(_("the column 身份证号 (ID number; also accepted: 身份证号码, 公民身份号码, 证件号码)"))
    if "grid" not in layout.columns and not has_target_grid:
        missing.append(_("the column 网格 (grid), or choose the grid on the upload form"))
    if not any(k in layout.columns for k in PLACE_KEYS):
        missing.append(_("a column for the place: 地址 (address), or 小区/楼栋/单元/房号"))
    if missing:
        raise ImportFileError(
            _("Sheet “%(sheet)s”, header row %(row)d: missing %(missing)s. Download the template to see the expected columns.")
            % {"sheet": layout.name, "row": layout.header_row, "missing": "; ".join(missing)}
        )


def _header_warnings(layout: SheetLayout, unknown, duplicates, skipped: list[str]) -> None:
    row = layout.header_row
    layout.ignored = [shown for _j, shown in (*unknown, *duplicates)]
    for j, shown in unknown:
        layout.warnings.append((row, shown, _("column ignored: it is not a field of the register")))
    for j, shown in duplicates:
        layout.warnings.append((row, shown, _("column ignored: a column for the same field comes earlier")))
    if skipped:
        layout.warnings.append((row, "", _("sheet “%(sheet)s” was read; sheets without a header row were skipped: %(skipped)s")
                                % {"sheet": layout.name, "skipped": "、".join(skipped)}))


def _fill_merged_down(rows, sheet, layout: SheetLayout) -> Iterator[tuple[int, list]]:
    """Rows below the header, with vertically merged cells (an address merged over the rows
    of one family, as WPS ledgers do) repeated in every row they cover."""
    starts: dict[int, list[tuple[int, int]]] = {}
    for (r0, c0), (r1, _c1) in sheet.merged_cell_ranges or ():
        if r1 > r0 and r1 + 1 > layout.header_row:
            starts.setdefault(r0 + 1, []).append((c0 - layout.first_col, r1 + 1))
    if not starts:
        yield from rows
        return
    active: list[tuple[int, object, int]] = []  # (column, value, last row)
    for number, cells in rows:
        for col, last in starts.get(number, ()):
            if 0 <= col < len(cells):
                active.append((col, cells[col], last))
        if active:
            active = [a for a in active if a[2] >= number]
            for col, value, _last in active:
                if cells[col] == "":
                    cells[col] = value
        yield number, cells


# --- cells ---------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as text: full-width forms folded, whitespace collapsed, 301.0 → "301"."""
    if isinstance(value, str):
        if not value.isascii():
            value = unicodedata.normalize("NFKC", value)
        return " ".join(value.split())
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if value is None:
        return ""
    return str(value)


def id_cell(value: object) -> object:
    if isinstance(value, float):
        # Excel keeps 15 significant digits: an old 15-digit number survives as a number,
        # an 18-digit one does not (idnumbers.parse explains that to the user).
        return str(int(value)) if value.is_integer() and value < 1e15 else value
    return value if isinstance(value, str) else cell_text(value)


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def date_cell(value: object) -> object:
    """Excel dates, and the ways people type them: 1980-1-2, 1980/01/02, 1980.1.2, 1980年1月2日, 19800102."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    match = _DATE.match(text)
    parts = match.groups() if match else (text[:4], text[4:6], text[6:]) if len(text) == 8 and text.isdigit() else None
    if parts:
        try:
            return dt.date(*map(int, parts))
        except ValueError:
            pass
    return text  # check_resident says why it is not a date


def number_text(value: object) -> str:
    """Room and building numbers: 301, 301.0 and "301.0" (a number turned into text) are 301."""
    text = cell_text(value)
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def _place_name(text: str, suffix: str) -> str:
    # "3" in a 楼栋 column means 3号楼: name it as the tree names it, so re-imports match.
    return f"{text}{suffix}" if text.isdigit() else text


def _shown(key: str, raw: object) -> str:
    if key == "id_number" and isinstance(raw, float):
        return f"{raw:.5E}"  # as Excel shows it (1.10105E+17): only the region code is left
    text = raw if isinstance(raw, str) else repr(raw) if isinstance(raw, float) and not raw.is_integer() else cell_text(raw)
    if key == "id_number":
        text = mask_id_number(text.strip())
    elif key == "phone":
        text = mask_phone(text.strip())
    return text[:MAX_CELL_SHOWN]


# --- pass 1: validation --------------------------------------------------------------------


def _staging_path(job: ImportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / f"{job.uid}.rows.jsonl"


# A staged row: everything pass 2 needs, already clean.
ROW, HOUSEHOLD, GRID, COMPOUND, BUILDING, UNIT, ROOM, ADDRESS = range(8)
NAME, ID_NUMBER, SEX, BIRTH_DATE, PHONE, RELATION, RESIDENCE, NOTES = range(8, 16)


# The fields of a row, in the order `_Validator.row` unpacks them.
ROW_FIELDS = ("grid", "compound", "building", "unit", "room", "address", "household_no", "head_name", "name", "id_number",
              "sex", "birth_date", "phone", "relation_to_head", "residence_type", "notes")


class _Validator:
    """Pass 1 over the rows of one sheet. Keeps what the rows share (the ID numbers seen, the
    households formed, the places and words already judged), and the issues not yet saved."""

    def __init__(self, job: ImportJob, layout: SheetLayout):
        self.job = job
        self.layout = layout
        self.positions = [layout.columns.get(key, -1) for key in ROW_FIELDS]  # -1: the "" appended to each row
        self.groups_by_household_no = "household_no" in layout.columns
        self.groups_by_head = "head_name" in layout.columns
        self.issues: list[ImportIssue] = []
        self.bad_rows: set[int] = set()
        self.data_rows = 0
        self.skipped = 0
        self.first_row_of_id: dict[str, tuple[int, str]] = {}  # ID number → (row, name) of its first row
        self.named_twice: set[int] = set()
        self.households: dict[tuple, int] = {}
        self.places: dict[tuple, tuple] = {}
        self.phone_blocks: set[str] = set()
        self.choices: dict[tuple[str, object], tuple[object, str | None]] = {}
        self.previous_place: tuple | None = None
        self.previous_label = ""
        self.grids = _grids_by_name(job.org_path)
        self.name_raw: object = ""  # the 姓名 cell of the row being checked
        self.example_rows: list[int] = []
        self.masked_rows: set[int] = set()
        for row, column, reason in layout.warnings:
            self._issue(row, column, "", reason, ImportIssue.Severity.WARNING)

    def header(self, key: str) -> str:
        return self.layout.headers.get(key) or COLUMN_BY_KEY[key].header

    def _issue(self, row: int, column: str, value: str, reason: str, severity=ImportIssue.Severity.ERROR, *,
               name: str | None = None) -> None:
        """An issue of `row`, named by `name`, by default the name of the row being checked."""
        if name is None:
            name = cell_text(self.name_raw) if self.name_raw != "" else ""
        self.issues.append(ImportIssue(job=self.job, row=row, column=column[:100], name=name[:100],
                                       value=value[:MAX_CELL_SHOWN], reason=reason[:500], severity=severity))
        if severity == ImportIssue.Severity.ERROR:
            self.bad_rows.add(row)

    def error(self, row: int, key: str, raw: object, reason: str, *, name: str | None = None) -> None:
        self._issue(row, self.header(key), _shown(key, raw) if raw not in (None, "") else "", reason, name=name)

    def choice(self, key: str, raw: object) -> tuple[object, str | None]:
        """One field judged by check_resident, once per distinct value: ledgers repeat
        户主/配偶/常住 and birth dates a hundred thousand times."""
        memo = self.choices.get((key, raw))
        if memo is None:
            value = raw if isinstance(raw, dt.date) or raw is None else cell_text(raw)
            labels = choice_labels().get(key)
            if labels:
                value = labels.get(value, value)  # the words of the forms and exports, in any UI language
            checked = check_resident(name="-", **{key: value})
            reason = next((reason for f, reason in checked.errors if f == key), None)
            if reason and key == "relation_to_head":
                reason += "; " + _("use one of: %(words)s") % {"words": "、".join(labels)}
            memo = (checked.values[key], reason)
            self.choices[(key, raw)] = memo
        return memo

    def phone(self, raw: object) -> tuple[str, str | None]:
        """phones.parse, the forms' rule, skipped for a clean mobile number of a block already
        found valid: a mobile number's validity is decided by its 7-digit block (1xx-xxxx,
        the unit in which numbers are allotted), and phonenumbers costs 50 µs a call."""
        if isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))
        elif isinstance(raw, str):
            text = raw.strip()
        else:
            text = cell_text(raw)
        if len(text) == 11 and text[:7] in self.phone_blocks and text.isdigit() and text.isascii():
            return text, None
        try:
            clean = phones.parse(raw)
        except phones.PhoneError as e:
            return "", str(e)
        if clean == text and len(text) == 11 and text[0] == "1" and text[1] in "3456789":
            self.phone_blocks.add(text[:7])
        return clean, None

    def place(self, grid_raw, compound_raw, building_raw, unit_raw) -> tuple:
        """(grid or None, reason the grid is wrong or None, compound, building, unit), once per
        distinct place: the rows of a building repeat it."""
        key = (grid_raw, compound_raw, building_raw, unit_raw)
        found = self.places.get(key)
        if found is None:
            grid, reason = self._grid(cell_text(grid_raw))
            found = self.places[key] = (grid, reason, cell_text(compound_raw)[:100],
                                        _place_name(number_text(building_raw), "号楼")[:100],
                                        _place_name(number_text(unit_raw), "单元")[:100])
        return found

    def _grid(self, text: str) -> tuple[OrgUnit | None, str | None]:
        if not text:
            if self.job.grid is None:
                return None, _("no grid: fill in 网格, or choose the grid on the upload form")
            return self.job.grid, None
        found = self.grids.get(_name_key(text))
        if found is None:
            return None, _("grid “%(name)s” not found in your jurisdiction") % {"name": text}
        if found is _AMBIGUOUS:
            return None, _("several grids in your jurisdiction are named “%(name)s”: use the grid's code") % {"name": text}
        return found, None

    def row(self, number: int, cells: list) -> list | None:
        """One sheet row: a staged row, or None (empty, or bad: its issues are recorded)."""
        cells.append("")
        values = [cells[j] for j in self.positions]
        if all(v == "" or isinstance(v, str) and v.isspace() for v in values):
            self.skipped += 1
            return None
        (grid_raw, compound_raw, building_raw, unit_raw, room_raw, address_raw, household_no, head_name, name_raw,
         id_raw, sex_raw, birth_raw, phone_raw, relation_raw, residence_raw, notes_raw) = values
        self.name_raw = name_raw
        if isinstance(id_raw, str) and EXAMPLE_ID in id_raw and id_raw.strip() == EXAMPLE_ID \
                and cell_text(name_raw) == EXAMPLE_NAME:
            self.example_rows.append(number)
            self._issue(number, self.header("name"), "", _("the template's example row: it is never imported"),
                        ImportIssue.Severity.WARNING)
            return None
        self.data_rows += 1

        grid, reason, compound, building, unit = self.place(grid_raw, compound_raw, building_raw, unit_raw)
        if reason:
            self.error(number, "grid", grid_raw, reason)
        room = number_text(room_raw)
        if len(room) > 30:
            self.error(number, "room", room, _("the room number is longer than 30 characters"))
        address = cell_text(address_raw)
        if not address:
            address = compound + building + unit + _place_name(room, "室")
            if not address:
                self.error(number, "address", "", _("no address: fill in 地址, or 小区/楼栋/单元/房号"))
        elif len(address) > 200:
            self.error(number, "address", address, _("the address is longer than 200 characters"))

        id_value = id_cell(id_raw)
        if isinstance(id_value, str) and _is_masked(id_value):
            self.masked_rows.add(number)
            self.error(number, "id_number", id_raw, _(
                "the ID number is masked (hidden with *): it comes from a file exported from the register, and exports never contain full numbers. Enter the person's full ID number."))
            id_value = ""
        checked = check_resident(name=cell_text(name_raw), id_number=id_value,
                                 notes=cell_text(notes_raw) if notes_raw != "" else "")
        values = checked.values
        for key, reason in checked.errors:
            self.error(number, key, name_raw if key == "name" else id_raw, reason)
        sex_text = cell_text(sex_raw) if sex_raw != "" else ""
        id_number = values["id_number"]
        if id_number is None:
            # Without an ID number, sex and birth date are what the sheet says.
            values["sex"], reason = self.choice("sex", sex_text)
            if reason:
                self.error(number, "sex", sex_raw, reason)
            values["birth_date"], reason = self.choice("birth_date", date_cell(birth_raw) if birth_raw != "" else None)
            if reason:
                self.error(number, "birth_date", birth_raw, reason)
        elif sex_text:
            stated, _reason = self.choice("sex", sex_text)
            if stated and stated != values["sex"]:
                self._issue(number, self.header("sex"), sex_text,
                            _("does not match the ID number, which is used instead"), ImportIssue.Severity.WARNING)
        if isinstance(phone_raw, str) and _is_masked(phone_raw):
            self.masked_rows.add(number)
            phone, reason = "", _(
                "the phone number is masked (hidden with *): it comes from a file exported from the register, and exports never contain full numbers. Enter the full phone number, or leave the cell empty.")
        else:
            phone, reason = self.phone(phone_raw) if phone_raw != "" else ("", None)
        if reason:
            self.error(number, "phone", phone_raw, reason)
        relation, reason = self.choice("relation_to_head", relation_raw)
        if reason:
            self.error(number, "relation_to_head", relation_raw, reason)
        residence, reason = self.choice("residence_type", residence_raw)
        if reason:
            self.error(number, "residence_type", residence_raw, reason)

        if id_number:
            name = values["name"]
            first, first_name = self.first_row_of_id.setdefault(id_number, (number, name))
            if first != number:
                if name == first_name:
                    # The same person twice (a family listed twice, a sheet pasted twice): the
                    # first row stands for the person, the others are left out.
                    self.error(number, "id_number", id_number, _(
                        "repeats row %(row)d (the same ID number and name): only row %(row)d is imported") % {"row": first})
                else:
                    # Two people under one ID number: only the user can tell which is right.
                    self.error(number, "id_number", id_number, _(
                        "the same ID number as row %(row)d (%(name)s), under another name: correct the wrong one")
                        % {"row": first, "name": first_name})
                    if first not in self.named_twice:
                        self.named_twice.add(first)
                        self.error(first, "id_number", id_number, _(
                            "the same ID number as row %(row)d (%(name)s), under another name: correct the wrong one")
                            % {"row": number, "name": name}, name=first_name)

        if number in self.bad_rows:
            return None
        household = self._household(grid, compound, building, unit, room, address, household_no, head_name,
                                    values["name"], relation)
        birth = values["birth_date"]
        return [number, household, grid.pk, compound, building, unit, room, address, values["name"], id_number,
                values["sex"], birth.isoformat() if birth else None, phone, relation, residence, values["notes"]]

    def _household(self, grid, compound, building, unit, room, address, household_no, head_name, name, relation) -> int:
        """The household's number within the file: people at the same place, split by 户号 or
        户主姓名 when the sheet has them."""
        place = (grid.pk, compound, building, unit, room, "" if room else address)
        label = ""
        if self.groups_by_household_no:
            label = number_text(household_no)
        elif self.groups_by_head:
            label = cell_text(head_name) or (name if relation == "head" else "")
            # The head's name is often written on the head's row only: the family's other
            # rows follow it.
            if not label and place == self.previous_place:
                label = self.previous_label
            self.previous_place, self.previous_label = place, label
        return self.households.setdefault((*place, label), len(self.households))

    def district_check(self, staged: list[list]) -> list[list]:
        """Drop (and report) the rows whose person is already registered in the district."""
        registered = _registered(self.job.district_id, [r[ID_NUMBER] for r in staged if r[ID_NUMBER]])
        if not registered:
            return staged
        kept = []
        for r in staged:
            hit = registered.get(r[ID_NUMBER])
            if hit is None:
                kept.append(r)
            else:
                self.error(r[ROW], "id_number", r[ID_NUMBER], _registered_reason(self.job, hit), name=r[NAME])
        return kept


_AMBIGUOUS = object()


def _name_key(text: str) -> str:
    """A grid's name as typed: full-width forms, spaces and case do not matter."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _grids_by_name(org_path: str) -> dict[str, object]:
    grids: dict[str, object] = {}
    for grid in OrgUnit.objects.filter(subtree_q("path", org_path), level=Level.GRID):
        key = _name_key(grid.name)
        grids[key] = _AMBIGUOUS if key in grids else grid
        grids[_name_key(grid.code)] = grid
    return grids


def _registered(district_id: int, id_numbers: list[str]) -> dict[str, tuple[str, str, str]]:
    if not id_numbers:
        return {}
    found = Resident.objects.filter(district_id=district_id, id_number__in=id_numbers).order_by().values_list(
        "id_number", "name", "org_path", "household__grid__name")
    return {number: (name, path, grid) for number, name, path, grid in found}


def _registered_since(job: ImportJob) -> dict[str, tuple[str, str, str]]:
    """The people registered (or given an ID number) in the district since pass 1 began: the
    only ones who can collide with rows pass 1 found new. The margin covers clocks of other
    servers and transactions that were open when pass 1 began; the unique constraint covers
    the rest."""
    since = job.started_at - dt.timedelta(minutes=10)
    found = Resident.objects.filter(district_id=job.district_id, updated_at__gte=since, id_number__isnull=False).order_by()
    return {number: (name, path, grid) for number, name, path, grid
            in found.values_list("id_number", "name", "org_path", "household__grid__name")}


def _registered_reason(job: ImportJob, hit: tuple[str, str, str]) -> str:
    name, path, grid = hit
    if path.startswith(job.org_path):
        return _("already registered: %(name)s in %(grid)s") % {"name": name, "grid": grid}
    # Outside the uploader's jurisdiction: say that the person exists, nothing more.
    return _("already registered elsewhere in the district; ask the district office to move the person")


def _validate(job: ImportJob) -> None:
    job.transition_to(ImportJob.Status.VALIDATING, started_at=timezone.now())
    started = time.perf_counter()
    try:
        workbook = CalamineWorkbook.from_path(job.file.path)
        opened = sheet_open(workbook, has_target_grid=job.grid_id is not None)
    except BaseException as e:
        if is_calamine_failure(e):
            raise _unreadable(e, job) from e
        raise
    try:
        layout = opened.layout
        if job.file_format == "xls":
            layout.warnings.append((layout.header_row, "", _("the file was read as an old Excel 97-2003 workbook (.xls)")))
        total = max(0, layout.last_row - layout.header_row)
        ImportJob.objects.filter(pk=job.pk).update(sheet_name=layout.name[:100], header_row=layout.header_row, total_rows=total)
        job.sheet_name, job.header_row, job.total_rows = layout.name[:100], layout.header_row, total
        validator = _Validator(job, layout)
        staging = _staging_path(job)
        staging.parent.mkdir(parents=True, exist_ok=True)
        with open(staging, "w", encoding="utf-8") as out:
            pending: list[list] = []
            seen = 0
            for number, cells in opened.rows:
                staged = validator.row(number, cells)
                if staged is not None:
                    pending.append(staged)
                seen += 1
                if seen % BATCH_ROWS == 0:
                    _flush(validator, pending, out, processed=seen)
                    pending = []
            _flush(validator, pending, out, processed=total)
    finally:
        workbook.close()

    bad = len(validator.bad_rows)
    good = validator.data_rows - bad
    logger.info("import %s: %d rows checked in %.1f s, %d bad", job.uid, validator.data_rows,
                time.perf_counter() - started, bad)
    counts = {"good_rows": good, "bad_rows": bad, "skipped_rows": validator.skipped, "processed_rows": total}
    if validator.data_rows == 0:
        if validator.example_rows:
            message = _("The file has no rows of people: sheet “%(sheet)s” holds only the template's example (%(name)s, row %(row)d), which is never imported. Fill in one row per person below the header row and upload the file again.") % {
                "sheet": layout.name, "name": EXAMPLE_NAME, "row": validator.example_rows[0]}
        else:
            message = _("The file has no rows of people: sheet “%(sheet)s” has its header in row %(row)d and nothing below it. Fill in one row per person below the header row and upload the file again.") % {
                "sheet": layout.name, "row": layout.header_row}
        job.transition_to(ImportJob.Status.FAILED, message=message, **counts)
    elif bad:
        if good:
            message = _("%(bad)d of %(rows)d rows have problems, listed below; nothing was imported. Correct them in your file and upload it again, or import only the %(good)d good rows.") % {
                "bad": bad, "rows": validator.data_rows, "good": good}
        else:
            message = _("Every row (%(rows)d) has problems, listed below; nothing was imported. Correct them in your file and upload it again.") % {
                "rows": validator.data_rows}
        if validator.masked_rows:
            message += " " + _("%(n)d rows have masked ID numbers or phones (hidden with *), as files exported from the register have them: exports never contain full numbers, so they cannot be imported back. Enter the full numbers.") % {
                "n": len(validator.masked_rows)}
        job.transition_to(ImportJob.Status.INVALID, message=message, **counts)
    else:
        job.transition_to(ImportJob.Status.IMPORTING, **counts)


def _flush(validator: _Validator, pending: list[list], out, *, processed: int) -> None:
    if pending:
        pending = validator.district_check(pending)
        out.write(json.dumps(pending, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
    if validator.issues:
        ImportIssue.objects.bulk_create(validator.issues, batch_size=500)
        validator.issues = []
    job = validator.job
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=min(processed, job.total_rows))


# --- pass 2: commit ------------------------------------------------------------------------


class _Conflicts(Exception):
    """Raised inside the commit transaction to roll it back."""


class _Places:
    """Compounds, buildings and units under the grids of one import: found by name under
    their parent, created (level by level, in bulk) when missing."""

    LEVELS = ((COMPOUND, Level.COMPOUND), (BUILDING, Level.BUILDING), (UNIT, Level.UNIT))

    def __init__(self):
        self.grids: dict[int, OrgUnit] = {}
        self.children: dict[tuple[int, str], OrgUnit] = {}
        self.child_count: dict[int, int] = {}
        self.existing: set[int] = set()
        self.households: dict[int, dict[str, tuple[int, str]]] = {}
        self.created = 0

    def _grid(self, pk: int) -> OrgUnit:
        grid = self.grids.get(pk)
        if grid is None:
            grid = self.grids[pk] = OrgUnit.objects.get(pk=pk)
            for unit in OrgUnit.objects.filter(subtree_q("path", grid.path)).exclude(pk=grid.pk):
                self.children[(unit.parent_id, unit.name)] = unit
                self.child_count[unit.parent_id] = self.child_count.get(unit.parent_id, 0) + 1
                self.existing.add(unit.pk)
        return grid

    def _walk(self, staged: list, depth: int) -> OrgUnit:
        node = self._grid(staged[GRID])
        for index, _level in self.LEVELS[:depth]:
            if staged[index]:
                node = self.children[(node.pk, staged[index])]
        return node

    def prepare(self, rows: list[list]) -> None:
        """Create every place the rows name that does not exist yet."""
        places = list({(r[GRID], r[COMPOUND], r[BUILDING], r[UNIT]): r for r in rows}.values())
        for depth, (index, level) in enumerate(self.LEVELS):
            missing: dict[tuple[int, str], OrgUnit] = {}
            for r in places:
                name = r[index]
                if name:
                    parent = self._walk(r, depth)
                    if (parent.pk, name) not in self.children:
                        missing[(parent.pk, name)] = parent
            if missing:
                self._create(missing, level)

    def _create(self, missing: dict[tuple[int, str], OrgUnit], level: str) -> None:
        units = []
        for (parent_pk, name), parent in missing.items():
            # Numbered as core.services.org_unit_create numbers children. The importer adds
            # places without EDIT_ORG, as a grid worker registering a new building does.
            n = self.child_count.get(parent_pk, 0) + 1
            self.child_count[parent_pk] = n
            units.append(OrgUnit(parent=parent, name=name, level=level, code=f"{parent.code}-{n:03d}"))
        taken = set(OrgUnit.objects.filter(code__in=[u.code for u in units]).values_list("code", flat=True))
        for unit in units:
            if unit.code in taken or len(unit.code) > 32:
                unit.code = f"U{uuid.uuid4().hex[:15].upper()}"
        # bulk_create skips OrgUnit.save, which writes the path after the id is known: the
        # same two steps here, one statement each for the whole level.
        OrgUnit.objects.bulk_create(units, batch_size=500)
        for unit in units:
            unit.path = child_path(unit.parent.path, unit.pk)
            unit.depth = unit.parent.depth + 1
            self.children[(unit.parent_id, unit.name)] = unit
        table, quote = OrgUnit._meta.db_table, connection.ops.quote_name
        with connection.cursor() as cursor:  # bulk_update's CASE over 500 ids is quadratic on SQLite
            cursor.executemany(f"UPDATE {quote(table)} SET {quote('path')} = %s, {quote('depth')} = %s WHERE {quote('id')} = %s",
                               [(unit.path, unit.depth, unit.pk) for unit in units])
        self.created += len(units)

    def node(self, staged: list) -> OrgUnit:
        return self._walk(staged, len(self.LEVELS))

    def existing_household(self, node: OrgUnit, room: str, address: str) -> int | None:
        """The household already registered at this room (or address) of a place that
        existed before the import."""
        if node.pk not in self.existing and node.level != Level.GRID:
            return None
        by_place = self.households.get(node.pk)
        if by_place is None:
            by_place = self.households[node.pk] = {}
            for pk, h_room, h_address in Household.objects.filter(org=node).values_list("pk", "room", "address"):
                by_place.setdefault(h_room or h_address, pk)
        return by_place.get(room or address)


class _Committer:
    """Pass 2: the staged rows into the register, batch by batch, inside the caller's transaction."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.places = _Places()
        self.household_ids: dict[int, tuple[int, str]] = {}  # the file's household number → (pk, org_path)
        self.claimed: dict[int, int] = {}  # registered household pk → the file's household number
        self.households_new = 0
        self.households_existing = 0
        self.residents_new = 0
        self.household_rows = PlainRows(Household, ("uid", "district", "grid", "org", "org_path", "address", "room"))
        self.resident_rows = PlainRows(Resident, (
            "uid", "district", "household", "org_path", "name", "id_number", "id_tail", "sex", "birth_date", "phone",
            "relation_to_head", "residence_type", "notes", "created_by"))

    def write(self, rows: list[list]) -> None:
        job, district_id = self.job, self.job.district_id
        # What UUIDField.get_db_prep_value does, without its checks: a native uuid, or 32 hex digits.
        native_uuid = connection.features.has_native_uuid_field

        def _uid() -> object:
            value = uuid.uuid4()
            return value if native_uuid else value.hex

        new = [r for r in rows if r[HOUSEHOLD] not in self.household_ids]
        self.places.prepare(new)
        uids: dict[object, int] = {}
        plain = []
        for r in new:
            key = r[HOUSEHOLD]
            if key in self.household_ids:
                continue
            node = self.places.node(r)
            existing = self.places.existing_household(node, r[ROOM], r[ADDRESS])
            # One registered household takes one household of the file: two families the file
            # keeps apart (户号/户主) at the same room stay two households.
            if existing is not None and self.claimed.setdefault(existing, key) != key:
                existing = None
            if existing is not None:
                self.household_ids[key] = (existing, node.path)
                self.households_existing += 1
                continue
            uid = _uid()
            uids[uid] = key
            self.household_ids[key] = (None, node.path)
            plain.append((uid, district_id, r[GRID], node.pk, node.path, r[ADDRESS], r[ROOM]))
        if plain:
            self.household_rows.insert(plain)
            for uid, pk in Household.objects.filter(uid__in=[p[0] for p in plain]).values_list("uid", "pk"):
                key = uids[uid if native_uuid else uid.hex]
                self.household_ids[key] = (pk, self.household_ids[key][1])
            self.households_new += len(plain)
        adapt_date = connection.ops.adapt_datefield_value
        user_id = job.user_id
        self.resident_rows.insert([
            (_uid(), district_id, *self.household_ids[r[HOUSEHOLD]], r[NAME], r[ID_NUMBER], (r[ID_NUMBER] or "")[-4:],
             r[SEX], adapt_date(dt.date.fromisoformat(r[BIRTH_DATE])) if r[BIRTH_DATE] else None, r[PHONE], r[RELATION],
             r[RESIDENCE], r[NOTES], user_id)
            for r in rows
        ])
        self.residents_new += len(rows)


def _staged_batches(job: ImportJob) -> Iterator[list[list]]:
    with open(_staging_path(job), encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def _commit(job: ImportJob) -> None:
    started = time.perf_counter()
    good_only = job.mode == ImportJob.Mode.GOOD_ROWS_ONLY
    bad = set(job.issues.filter(severity=ImportIssue.Severity.ERROR).values_list("row", flat=True))
    conflicts: list[ImportIssue] = []
    try:
        with transaction.atomic():
            committer = _Committer(job)
            registered = _registered_since(job)
            for batch in _staged_batches(job):
                rows = [r for r in batch if r[ROW] not in bad]
                for r in rows:
                    hit = registered.get(r[ID_NUMBER]) if registered else None
                    if hit is not None:
                        conflicts.append(ImportIssue(
                            job=job, row=r[ROW], column=COLUMN_BY_KEY["id_number"].header, name=r[NAME][:100],
                            value=mask_id_number(r[ID_NUMBER]),
                            reason=_("registered while the file waited: %(reason)s") % {"reason": _registered_reason(job, hit)}))
                        bad.add(r[ROW])
                if conflicts and not good_only:
                    continue  # keep checking, to report every conflict, but write nothing more
                committer.write([r for r in rows if r[ROW] not in bad] if registered else rows)
            if conflicts and not good_only:
                raise _Conflicts
            ImportIssue.objects.bulk_create(conflicts, batch_size=500)
            audit_record(
                actor=job.user, action=AuditAction.IMPORT, via=Via(**job.via), object_type="import", object_ref=job.uid,
                object_label=job.filename, org_path=job.org_path,
                detail={"residents": committer.residents_new, "households": committer.households_new,
                        "existing_households": committer.households_existing, "places": committer.places.created,
                        "bad_rows_left_out": job.bad_rows + len(conflicts) if good_only else 0, "mode": job.mode,
                        "sheet": job.sheet_name},
            )
            message = _("Imported %(residents)d residents into %(new)d new and %(existing)d existing households.") % {
                "residents": committer.residents_new, "new": committer.households_new,
                "existing": committer.households_existing}
            left_out = job.bad_rows + len(conflicts)
            if good_only and left_out:
                message += " " + _("%(n)d bad rows were left out, as you chose.") % {"n": left_out}
            job.transition_to(
                ImportJob.Status.DONE, message=message, households_created=committer.households_new,
                residents_created=committer.residents_new, good_rows=committer.residents_new, bad_rows=left_out,
            )
    except _Conflicts:
        ImportIssue.objects.bulk_create(conflicts, batch_size=500)
        bad_rows = job.issues.filter(severity=ImportIssue.Severity.ERROR).values("row").distinct().count()
        good = job.good_rows + job.bad_rows - bad_rows
        job.transition_to(
            ImportJob.Status.INVALID, bad_rows=bad_rows, good_rows=good,
            message=_("While the file waited, %(n)d of its people were registered by someone else (listed below); nothing was imported. Import only the %(good)d good rows, or upload the file again.")
            % {"n": len(conflicts), "good": good},
        )
        return
    except IntegrityError:
        # A person (or place) registered by someone else between our check and our insert:
        # the unique constraints stopped it and everything was rolled back.
        job.refresh_from_db()
        job.transition_to(ImportJob.Status.FAILED, message=_(
            "Someone registered one of these people at the very moment of the import; nothing was imported. Upload the file again."))
        return
    logger.info("import %s: %d residents written in %.1f s", job.uid, committer.residents_new, time.perf_counter() - started)


# --- services ------------------------------------------------------------------------------


def _jurisdiction_grids(actor) -> QuerySet[OrgUnit]:
    return scoped(OrgUnit.objects.filter(level=Level.GRID), actor).order_by("path")


def import_grid_choices(*, actor) -> QuerySet[OrgUnit]:
    """The grids an actor may import into (the target grid select)."""
    return _jurisdiction_grids(actor)


@transaction.atomic
def import_job_create(*, actor, upload, grid_code: str = "", via: Via) -> ImportJob:
    """Store an uploaded ledger and queue its check. Files that are not workbooks are refused
    here, at once, with a message saying what they are."""
    require(actor, Capability.IMPORT_REGISTRY)
    jurisdiction = actor.jurisdiction
    if jurisdiction is None:
        raise DomainError(_("Your account has no jurisdiction yet; ask the district office to assign one."))
    name = Path(upload.name or "upload").name[:255]
    limit = settings.IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ImportFileError(
            _("“%(name)s” is %(size)s MB; the limit is %(limit)s MB. Split the ledger into several files, e.g. one per community.")
            % {"name": name, "size": f"{upload.size / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"}
        )
    file_format = file_format_sniff(upload, name=name)
    grids = _jurisdiction_grids(actor)
    grid = None
    if grid_code:
        grid = grids.filter(code=grid_code).first()
        if grid is None:
            raise DomainError(_("That grid is not in your jurisdiction."), field="grid")
    else:
        only = list(grids[:2])
        if len(only) == 1:  # a grid worker's own grid
            grid = only[0]
        elif not only:
            raise DomainError(_("There is no grid in your jurisdiction to import into."), field="grid")
    district_id = (jurisdiction.ancestor_ids or [jurisdiction.pk])[0]
    job = ImportJob(
        user=actor, org_path=jurisdiction.path, district_id=district_id, grid=grid, filename=name,
        file_size=upload.size, file_format=file_format, language=translation.get_language() or settings.LANGUAGE_CODE,
        via={"channel": via.channel, "path": via.path, "ip": via.ip},
    )
    job.file.save(name, upload, save=False)
    job.save()
    _enqueue_after_commit(job)
    return job


def _enqueue_after_commit(job: ImportJob) -> None:
    from .tasks import import_job_run_task

    job_id = job.pk
    transaction.on_commit(lambda: import_job_run_task.enqueue(job_id=job_id))


def import_job_run(*, job_id: int) -> None:
    """The background work of one job: check every row, then import if the file is clean (or
    if the user chose to import only the good rows)."""
    job = ImportJob.objects.select_related("district", "grid", "user").get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            if job.status == ImportJob.Status.QUEUED:
                _validate(job)
            if job.status == ImportJob.Status.IMPORTING:
                _commit(job)
        except ImportFileError as e:
            job.refresh_from_db()
            job.transition_to(ImportJob.Status.FAILED, message=str(e.message))
        except Exception:
            logger.exception("import job %s failed", job.uid)
            ImportJob.objects.filter(pk=job.pk, status__in=ImportJob.ACTIVE).update(
                status=ImportJob.Status.FAILED, finished_at=timezone.now(),
                message=_("The import stopped on an internal error; nothing was imported. The error was logged; upload the file again or ask for help."))
            raise
        finally:
            job.refresh_from_db()
            if job.status in ImportJob.FINAL:
                _files_delete(job)


def _files_delete(job: ImportJob) -> None:
    """The upload and the staged rows hold ID numbers: they live only as long as the job."""
    _staging_path(job).unlink(missing_ok=True)
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def import_jobs_sweep(*, now: dt.datetime | None = None, stale: dt.timedelta = dt.timedelta(hours=2),
                      keep_waiting: dt.timedelta = dt.timedelta(days=7)) -> dict[str, int]:
    """Run by a command (cron): imports whose worker died are failed, imports that waited a
    week for the user's choice are cancelled; both lose their files (they hold ID numbers)."""
    now = now or timezone.now()
    counts = {"failed": 0, "expired": 0}
    sweeps = [
        ("failed", ImportJob.Status.FAILED, ImportJob.objects.filter(
            status__in=[ImportJob.Status.VALIDATING, ImportJob.Status.IMPORTING], started_at__lt=now - stale),
         _("The background worker stopped before this import finished; nothing was imported. Upload the file again.")),
        ("expired", ImportJob.Status.CANCELLED, ImportJob.objects.filter(
            status=ImportJob.Status.INVALID, created_at__lt=now - keep_waiting),
         _("Cancelled after a week without a choice; nothing was imported.")),
    ]
    for key, status, jobs, message in sweeps:
        for job in jobs:
            try:
                job.transition_to(status, message=str(message))
            except DomainError:  # moved on meanwhile
                continue
            _files_delete(job)
            counts[key] += 1
    return counts


@transaction.atomic
def import_job_commit_good_rows(*, actor, job: ImportJob, via: Via) -> ImportJob:
    """The user's explicit choice: import the good rows of a file that has bad ones."""
    require(actor, Capability.IMPORT_REGISTRY)
    if job.status != ImportJob.Status.INVALID:
        raise DomainError(_("Only an import with bad rows waiting for your choice can import its good rows."), code="conflict")
    if job.good_rows == 0:
        raise DomainError(_("No row of this file is good; correct the file and upload it again."), code="nothing_to_import")
    job.transition_to(ImportJob.Status.IMPORTING, mode=ImportJob.Mode.GOOD_ROWS_ONLY,
                      via={"channel": via.channel, "path": via.path, "ip": via.ip},
                      language=translation.get_language() or job.language)
    _enqueue_after_commit(job)
    return job


@transaction.atomic
def import_job_cancel(*, actor, job: ImportJob) -> ImportJob:
    require(actor, Capability.IMPORT_REGISTRY)
    job.transition_to(ImportJob.Status.CANCELLED, message=_("Cancelled; nothing was imported."))
    transaction.on_commit(lambda: _files_delete(job))
    return job


def import_data_delete(*, district: OrgUnit) -> int:
    """When the emergency ends: the imports of a district, their problems (which quote cells)
    and any file still stored. Returns the number of imports deleted."""
    jobs = ImportJob.objects.filter(district=district)
    for job in jobs.exclude(file=""):
        _files_delete(job)
    count = jobs.count()
    jobs.delete()
    return count


# --- selectors -----------------------------------------------------------------------------


def import_job_list(*, actor) -> QuerySet[ImportJob]:
    """An actor's own imports; the district office sees every import in its jurisdiction."""
    jobs = scoped(ImportJob.objects.select_related("grid", "user"), actor)
    if actor.role != Role.DISTRICT_OFFICE:
        jobs = jobs.filter(user=actor)
    return jobs


def access_import_job(*, actor, uid) -> ImportJob:
    require(actor, Capability.IMPORT_REGISTRY)
    return access(import_job_list(actor=actor).select_related("district"), actor, uid=uid)


def import_issue_list(*, job: ImportJob, severity: str = "") -> QuerySet[ImportIssue]:
    issues = job.issues.all()
    return issues.filter(severity=severity) if severity else issues


# --- the template --------------------------------------------------------------------------


def import_template_write(target, *, grid_name: str = "") -> None:
    """The template: a ledger sheet with the headers only (every row below them is imported,
    so it holds no example), and an instructions sheet explaining every column with an
    example. ID number and phone columns are formatted as Text, so Excel keeps every digit;
    the choice columns offer the words the forms and exports show."""
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {"strings_to_numbers": False, "strings_to_formulas": False})
    head = book.add_format({"bold": True, "bg_color": "#EEF1F5", "border": 1, "text_wrap": True, "valign": "top"})
    text = book.add_format({"num_format": "@"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    wrap_text = book.add_format({"text_wrap": True, "valign": "top", "num_format": "@"})
    bold = book.add_format({"bold": True})
    example = dict(EXAMPLE, grid=grid_name or EXAMPLE["grid"])
    labels = choice_labels()
    allowed = {key: list(words) for key, words in labels.items()}
    instructions = _("Instructions")[:31]

    sheet = book.add_worksheet("居民花名册")
    template_columns = [c for c in COLUMNS if c.key != "head_name"]
    for j, column in enumerate(template_columns):
        is_text = column.key in ("id_number", "phone", "room", "household_no")
        sheet.set_column(j, j, 20 if column.key in ("id_number", "address") else 12, text if is_text else None)
        sheet.write_string(0, j, column.header, head)
        hint = str(column.help)
        if example[column.key]:
            hint += "\n" + _("Example: %(value)s") % {"value": example[column.key]}
        sheet.write_comment(0, j, hint, {"x_scale": 2, "y_scale": 1.5})
        if column.key in allowed:
            sheet.data_validation(1, j, 100000, j, {"validate": "list", "source": allowed[column.key], "error_type": "warning"})
    sheet.freeze_panes(1, 0)

    notes = book.add_worksheet(instructions)
    notes.set_column(0, 0, 14)
    notes.set_column(1, 1, 34)
    notes.set_column(2, 2, 60)
    notes.set_column(3, 3, 30)
    notes.set_column(4, 4, 22)
    general = [
        _("Fill in sheet “%(sheet)s”: one row per person, from row 2. Every row of it is imported; this sheet is not.") % {
            "sheet": "居民花名册"},
        _("One row is one person. People at the same place (grid, compound, building, unit, room) are one household."),
        _("The header row may have a title and blank rows above it; columns may be in any order; other columns are ignored."),
        _("Every row is checked before anything is imported; bad rows are listed with their row number, the person's name, the column and the reason."),
        _("Files exported from the register cannot be imported back: their ID numbers and phones are masked (110105********1234)."),
    ]
    for k, line in enumerate(general):
        notes.write_string(k, 0, line, bold if k == 0 else None)
    top = len(general) + 1
    notes.write_row(top, 0, [_("Column"), _("Also accepted"), _("What to fill in"), _("Allowed values"),
                             _("Example (not imported)")], head)
    for i, column in enumerate(COLUMNS, start=top + 1):
        notes.write_row(i, 0, [column.header, "、".join(column.synonyms), str(column.help),
                               "、".join(allowed.get(column.key, ()))], wrap)
        notes.write_string(i, 4, example[column.key], wrap_text)
    book.close()
