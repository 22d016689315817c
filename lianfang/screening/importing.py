"""Import of screening results from the customary 摸排台账 (.xlsx): one row per person, the same
columns as our own ledger export (`exports.LEDGER_COLUMNS`), so an exported ledger, filled in,
comes back.

One request, no background job: a community's ledger has some thousands of rows (at most
MAX_ROWS). Every row is read and its person found in the register, inside the round's scope
and the uploader's jurisdiction; the rows of one household become one visit, recorded by
`screening_visit_record` exactly as a visit typed on a phone. All households are recorded
inside one transaction, each in its own savepoint (the service is atomic) so that the service's
own rules judge every household: if any row is bad, the transaction is rolled back and the user sees every bad
row (row, column, reason) and may choose to import only the good households
(`screening_import_commit_good_rows`), which checks them again. The file is never stored.
"""

import datetime as dt
import functools
import hashlib
import re
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from python_calamine import CalamineWorkbook

from lianfang.core import idnumbers
from lianfang.core.audit import Via, audit_record
from lianfang.core.errors import DomainError
from lianfang.core.models import AuditAction, Level, OrgUnit
from lianfang.core.pii import mask_id_number, mask_phone
from lianfang.core.roles import Capability, Role
from lianfang.core.scoping import access, narrowest, scoped, subtree_q
from lianfang.core.services import require
from lianfang.core.temperature import temperature_parse
from lianfang.registry.importing import (
    COLUMN_BY_KEY as REGISTER_COLUMNS, EXAMPLE_ID, EXAMPLE_NAME, SERIAL_HEADERS, Column, ImportFileError, SheetLayout,
    cell_text, date_cell, file_format_sniff, id_cell, is_calamine_failure, normalize_header, sheet_open, workbook_unreadable,
)
from lianfang.registry.models import Household, Resident

from .criteria import symptoms_clean, travel_clean
from .exports import LEDGER_COLUMNS
from .import_models import ScreeningImport
from .models import (
    NOBODY_RESULTS, CaseContact, Method, PersonCheck, Presence, Result, ScreeningRound, ScreeningVisit, Symptom,
)
from .services import CheckIn, screening_visit_record

MAX_ROWS = 5_000  # one web request: ~2,100 rows take 6-20 s (benchmarks/README.md)
# A 20,000-row ledger is about 2 MB; the rest is room for formatting and pictures.
MAX_BYTES = 20 * 1024 * 1024
MAX_SHOWN = 200
# Visit ids are uuid5(round uid : file sha256 : household uid): the same file again records nothing new.
VISIT_UID_NAMESPACE = uuid.UUID("6f1c2a52-3b0e-4b53-9a55-6e0c2b1f7d10")


# --- columns -------------------------------------------------------------------------------

TRAVEL_FORMAT = gettext_lazy(
    "Place, then dates: 湖北武汉 2020-01-18至2020-01-23. Short dates (武汉 1.18-1.23) take the year of the visit; "
    "one date is one day; 至今 ends on the visit day; add （途经） for passing through. Separate trips with ；. "
    "Empty or 无: no travel.")

COLUMNS = (
    Column("grid", "网格", REGISTER_COLUMNS["grid"].synonyms, gettext_lazy("For your reference; the household's grid comes from the register.")),
    Column("address", "地址", REGISTER_COLUMNS["address"].synonyms,
           gettext_lazy("The household's address as the register has it. Needed when the ID number is missing or masked.")),
    Column("name", "姓名", ("名字", "居民姓名", "人员姓名", "被摸排人", "name"), gettext_lazy("Required.")),
    Column("id_number", "身份证号", REGISTER_COLUMNS["id_number"].synonyms, gettext_lazy(
        "Finds the person in the register. Masked numbers from our own ledger export (110105********1234) are matched "
        "within the household at the address. Without it the person is found by name and address.")),
    Column("phone", "联系电话", REGISTER_COLUMNS["phone"].synonyms, gettext_lazy("For your reference; not imported.")),
    Column("whereabouts", "现在何处", ("目前所在地", "现在所在地", "所在地", "当前位置", "人员去向", "去向", "where now", "whereabouts"),
           gettext_lazy("在家, 本市 or 外地, then the place if away (外地 湖北武汉). Empty: at home.")),
    Column("travel", "旅居史", ("旅行史", "旅居情况", "行程", "行程轨迹", "外出史", "近14天旅居史", "14天旅居史", "travel history",
                              "travel"), TRAVEL_FORMAT),
    Column("case_contact", "接触史", ("病例接触史", "接触情况", "是否接触病例", "与确诊疑似病例接触史", "contact with cases", "contact"),
           gettext_lazy("无, 疑似 (with a suspected case) or 确诊 (with a confirmed case). Empty: none.")),
    Column("temperature", "体温", ("体温℃", "体温°c", "测温", "体温测量", "temperature"),
           gettext_lazy("°C, e.g. 36.5. Empty: not measured.")),
    Column("symptoms", "症状", ("有无症状", "症状情况", "健康状况", "身体状况", "symptoms"),
           gettext_lazy("Separated by 、 or ，: 发热、咳嗽、乏力、咽痛、气促、腹泻、嗅味觉减退; other words count as other symptoms. "
                        "Empty or 无: none.")),
    Column("method", "摸排方式", ("走访方式", "排查方式", "方式", "visit method", "method"),
           gettext_lazy("入户 (door to door), 电话, 短信 or 微信. Empty: 入户.")),
    Column("result", "摸排结果", ("走访结果", "排查结果", "结果", "result"), gettext_lazy(
        "Required for a visit: 全部在家, 部分外出, 无人在家, 拒绝, 已搬走 or 空置. Rows of one household give the same result; "
        "a household without a result is skipped (not visited yet).")),
    Column("visitor", "摸排人", ("摸排人员", "走访人", "排查人", "调查人", "登记人", "visitor"),
           gettext_lazy("Who visited; kept in the visit's notes. The visit is recorded as imported by you.")),
    Column("visit_date", "摸排日期", ("摸排时间", "走访日期", "走访时间", "排查日期", "排查时间", "日期", "时间", "visit date", "date"),
           gettext_lazy("2020-01-25, or 2020-01-25 14:30. A date alone is taken as noon.")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
# The headers of our ledger export (their msgids) → the columns read back; the export's other
# columns (candidate, decision) are recognised and left unread.
LEDGER_HEADERS = {"Grid": "grid", "Address": "address", "Name": "name", "ID number": "id_number", "Phone": "phone",
                  "Where now": "whereabouts", "Travel history": "travel", "Contact with cases": "case_contact",
                  "Temperature (°C)": "temperature", "Symptoms": "symptoms", "Visit method": "method", "Result": "result",
                  "Visitor": "visitor", "Visit date": "visit_date"}
FINDING_KEYS = ("travel", "case_contact", "temperature", "symptoms")


@functools.cache
def header_lookup() -> dict[str, str]:
    """Header words → column keys: the template's, their synonyms, and the export's headers in
    both languages (an export downloaded in English re-imports too)."""
    lookup: dict[str, str] = {}
    for column in COLUMNS:
        for word in (column.header, *column.synonyms):
            lookup.setdefault(normalize_header(word), column.key)
    for word in SERIAL_HEADERS:
        lookup[normalize_header(word)] = "serial"
    for column in LEDGER_COLUMNS:
        with translation.override("en"):
            msgid = str(column.header)
        for language in ("zh-hans", "en"):
            with translation.override(language):
                lookup.setdefault(normalize_header(str(column.header)), LEDGER_HEADERS.get(msgid, f"export:{msgid}"))
    return lookup


def _check_columns(layout: SheetLayout) -> None:
    missing = []
    if "id_number" not in layout.columns and "address" not in layout.columns:
        missing.append(_("the column 身份证号 (ID number) or 地址 (address) to find each person"))
    if "result" not in layout.columns:
        missing.append(_("the column 摸排结果 (result of the visit)"))
    if missing:
        raise ImportFileError(
            _("Sheet “%(sheet)s”, header row %(row)d: missing %(missing)s. Download the template to see the expected columns.")
            % {"sheet": layout.name, "row": layout.header_row, "missing": "; ".join(missing)})


# --- words ---------------------------------------------------------------------------------

def _word(text: object) -> str:
    """A cell compared with a list of words: full-width forms, spaces and case do not matter."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).lower()


_METHOD_WORDS = {
    Method.DOOR: ("入户", "上门", "走访", "入户走访", "上门走访", "入户摸排", "当面", "面访", "现场"),
    Method.PHONE: ("电话", "电话询问", "电话摸排", "电访", "打电话"),
    Method.SMS: ("短信",),
    Method.WECHAT: ("微信", "微信询问", "微信摸排", "视频"),
}
_RESULT_WORDS = {
    Result.ALL_PRESENT: ("全部在家", "都在家", "全在家", "全员在家", "在家"),
    Result.SOME_AWAY: ("部分外出", "部分在家", "有人外出"),
    Result.NOBODY_HOME: ("无人", "家中无人", "无人在家", "敲门无人", "无人应答"),
    Result.REFUSED: ("拒绝", "拒绝配合", "拒访", "不配合"),
    Result.MOVED_OUT: ("搬离", "已搬离", "搬走", "已搬走", "迁出", "已迁出"),
    Result.VACANT: ("空置", "空房", "空户", "空置房", "无人居住"),
}
# What our ledger export writes for a household not visited yet: no visit, the row is skipped.
_NOT_VISITED_WORDS = ("未摸排", "未走访", "待摸排", "未排查", "未访")
_PRESENCE_WORDS = {
    Presence.PRESENT: ("在家", "在家中", "在本户", "在户", "at home", "home"),
    Presence.AWAY_IN_CITY: ("本市", "在本市", "市内", "本地", "本区", "本县", "外出(本市)", "外出本市"),
    Presence.AWAY_OUTSIDE: ("外地", "在外地", "外省", "省外", "市外", "外市", "不在本市", "境外", "国外", "外出(外地)", "外出外地"),
}
_NONE_WORDS = ("", "无", "没有", "否", "无旅居史", "无接触", "无接触史", "无症状", "正常", "-", "/", "—", "none", "no")
_SYMPTOM_WORDS = {
    Symptom.FEVER: ("发热", "发烧", "fever"),
    Symptom.COUGH: ("咳", "cough"),
    Symptom.FATIGUE: ("乏力", "疲劳", "疲倦", "fatigue"),
    Symptom.SORE_THROAT: ("咽痛", "咽喉", "嗓子", "喉咙", "sore throat"),
    Symptom.SHORT_BREATH: ("气促", "气短", "气急", "呼吸困难", "胸闷", "shortness of breath"),
    Symptom.DIARRHOEA: ("腹泻", "拉肚子", "diarrh"),
    Symptom.TASTE_SMELL: ("嗅觉", "味觉", "嗅味觉", "taste", "smell"),
    Symptom.OTHER: ("其他", "其它", "other"),
}


@functools.cache
def _choice_words() -> dict[str, dict[str, str]]:
    """Words → values for each choice column: ours, and the labels the forms and exports show
    in both languages."""
    words: dict[str, dict[str, str]] = {"method": {}, "result": {}}
    for kind, table in (("method", _METHOD_WORDS), ("result", _RESULT_WORDS)):
        for value, synonyms in table.items():
            for word in synonyms:
                words[kind][_word(word)] = value
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for kind, choices in (("method", Method), ("result", Result)):
                for value, label in choices.choices:
                    words[kind].setdefault(_word(label), value)
            for word in _NOT_VISITED_WORDS + (str(_("Not yet visited")),):
                words["result"].setdefault(_word(word), "")
    return words


@functools.cache
def _prefix_words() -> list[tuple[str, str]]:
    """(word, presence), longest first: the "where now" cell starts with one of them."""
    found: dict[str, str] = {}
    for value, synonyms in _PRESENCE_WORDS.items():
        for word in synonyms:
            found[_spaced(word).lower()] = value
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value, label in Presence.choices:
                found.setdefault(_spaced(str(label)).lower(), value)
    return sorted(found.items(), key=lambda item: -len(item[0]))


@functools.cache
def _symptom_labels() -> dict[str, str]:
    labels = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            labels.update({_word(label): value for value, label in Symptom.choices})
    return labels


@functools.cache
def _contact_labels() -> dict[str, str]:
    labels = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            labels.update({_word(label): value for value, label in CaseContact.choices})
    return labels


def _spaced(text: object) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(text or "")).split())


def _words_of(kind: str) -> str:
    return {"method": "入户、电话、短信、微信", "result": "全部在家、部分外出、无人在家、拒绝、已搬走、空置"}[kind]


# --- cells ---------------------------------------------------------------------------------

class CellError(Exception):
    """A cell that cannot be read; the reason is for the problem list."""


def method_parse(raw: object) -> str | None:
    text = _word(cell_text(raw))
    if not text:
        return None
    value = _choice_words()["method"].get(text)
    if value is None:
        raise CellError(_("unknown visit method “%(value)s”: use %(words)s") % {"value": cell_text(raw), "words": _words_of("method")})
    return value


def result_parse(raw: object) -> str | None:
    """The result's value; None for an empty cell or "not yet visited"."""
    text = _word(cell_text(raw))
    if not text:
        return None
    value = _choice_words()["result"].get(text)
    if value is None:
        raise CellError(_("unknown result “%(value)s”: use %(words)s") % {"value": cell_text(raw), "words": _words_of("result")})
    return value or None


def presence_parse(raw: object) -> tuple[str, str]:
    """(presence, whereabouts) from "在家", "本市 区医院陪护", "外地 湖北武汉"…"""
    text = _spaced(cell_text(raw))
    if not text:
        return Presence.PRESENT, ""
    lower = text.lower()
    for word, presence in _prefix_words():
        if lower.startswith(word):
            return presence, text[len(word):].strip(" ,，:：;；-—()（）")
    raise CellError(_("write 在家, 本市 or 外地 first, then the place if away (e.g. 外地 湖北武汉)"))


def contact_parse(raw: object) -> str:
    text = _word(cell_text(raw))
    if text in _NONE_WORDS:
        return CaseContact.NONE
    if text in _contact_labels():
        return _contact_labels()[text]
    if "确诊" in text or "密接" in text or "密切接触" in text or "confirmed" in text:
        return CaseContact.CONFIRMED
    if "疑似" in text or "suspected" in text:
        return CaseContact.SUSPECTED
    raise CellError(_("unknown contact “%(value)s”: use 无, 疑似 or 确诊") % {"value": cell_text(raw)})


_SYMPTOM_SPLIT = re.compile(r"[、,，;；/\n]+")
_NEGATION = ("无", "没有", "未", "否", "不")


def symptoms_parse(raw: object) -> tuple[list[str], str]:
    """(symptoms, words not understood) — those count as "other" and are kept in the notes."""
    found: list[str] = []
    others: list[str] = []
    for part in _SYMPTOM_SPLIT.split(cell_text(raw)):
        word = _word(part)
        if word in _NONE_WORDS:
            continue
        if word in _symptom_labels():
            found.append(_symptom_labels()[word])
            continue
        if word.startswith(_NEGATION):  # 无发热, 不咳嗽: said to be absent
            continue
        matched = [value for value, keys in _SYMPTOM_WORDS.items() if any(key.replace(" ", "") in word for key in keys)]
        found += matched
        if not matched:
            found.append(Symptom.OTHER)
            others.append(_spaced(part))
    return symptoms_clean(found), "、".join(others)


_FULL_DATE = r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
_COMPACT_DATE = r"(?<!\d)(?P<cy>\d{4})(?P<cm>\d{2})(?P<cd>\d{2})(?!\d)"
_SHORT_DATE = r"(?<![\d.])(?P<sm>\d{1,2})\s*[./月]\s*(?P<sd>\d{1,2})\s*日?(?![\d.])"
_DATE_TOKEN = re.compile(f"{_FULL_DATE}|{_COMPACT_DATE}|{_SHORT_DATE}")
_TRANSIT = re.compile(r"[（(]?\s*(途经|路过|经停|中转|过境|transit)\s*[)）]?", re.IGNORECASE)
_UNTIL_NOW = re.compile(r"^(至今|到今|至现在|到现在|起|以来|until now|-now)$", re.IGNORECASE)
_RANGE = {"至", "到", "-", "–", "—", "~", "～", "〜", "－"}
_TRIP_SPLIT = re.compile(r"[;；。\n]+")
_SEPARATORS = " ,，:：、()（）[]【】"


def _trip_date(match: re.Match, *, year: int | None, visit_date: dt.date) -> dt.date:
    g = match.groupdict()
    try:
        if g.get("y"):
            return dt.date(int(g["y"]), int(g["m"]), int(g["d"]))
        if g.get("cy"):
            return dt.date(int(g["cy"]), int(g["cm"]), int(g["cd"]))
        month, day = int(g["sm"]), int(g["sd"])
        if year is not None:
            return dt.date(year, month, day)
        # A short date is the last such day on or before the visit.
        date = dt.date(visit_date.year, month, day)
        return date if date <= visit_date else dt.date(visit_date.year - 1, month, day)
    except ValueError:
        raise CellError(_("%(value)s is not a date") % {"value": match.group(0).strip()})


def trip_parse(text: str, *, visit_date: dt.date) -> dict:
    """One trip, "湖北武汉 2020-01-18至2020-01-23" or "武汉 1.18-1.23（途经）", as criteria.travel_clean takes it."""
    transit = bool(_TRANSIT.search(text))
    rest = _TRANSIT.sub(" ", text)
    dates = list(_DATE_TOKEN.finditer(rest))
    if not dates:
        raise CellError(_("the trip “%(trip)s” has no dates") % {"trip": text})
    if len(dates) > 2:
        raise CellError(_("the trip “%(trip)s” has more than two dates: one trip is a place and its dates; separate trips with ；")
                        % {"trip": text})
    place = rest[: dates[0].start()].strip(_SEPARATORS)
    if not place:
        raise CellError(_("the trip “%(trip)s” has no place before its dates") % {"trip": text})
    first = _trip_date(dates[0], year=None, visit_date=visit_date)
    last = first
    if len(dates) == 2:
        between = rest[dates[0].end(): dates[1].start()].strip()
        if between not in _RANGE:
            raise CellError(_("write 至 or - between the two dates of “%(trip)s”") % {"trip": text})
        full_year = dates[0].group("y") or dates[0].group("cy")  # 2020年1月18日至1月23日: the year carries over
        last = _trip_date(dates[1], year=first.year if full_year and dates[1].group("sm") else None, visit_date=visit_date)
    after = rest[dates[-1].end():].strip(_SEPARATORS)
    if after and len(dates) == 1 and _UNTIL_NOW.match(after):
        last, after = visit_date, ""
    if after:
        raise CellError(_("cannot read “%(text)s” after the dates of “%(trip)s”") % {"text": after, "trip": text})
    return {"place": place, "from": first, "to": last, "transit": transit}


def travel_parse(raw: object, *, visit_date: dt.date) -> list[dict]:
    text = cell_text(raw) if not isinstance(raw, str) else unicodedata.normalize("NFKC", raw)
    if _word(text) in _NONE_WORDS:
        return []
    trips = [trip_parse(part.strip(), visit_date=visit_date) for part in _TRIP_SPLIT.split(text) if part.strip(_SEPARATORS)]
    try:
        return travel_clean(trips, visit_date=visit_date)
    except DomainError as e:
        raise CellError(str(e.message))


_CLOCK = re.compile(r"^(?P<date>.+?)\s*(?P<h>\d{1,2})[:：](?P<mi>\d{2})(?:[:：]\d{2}(?:\.\d+)?)?$")


def visit_time_parse(raw: object, *, now: dt.datetime) -> dt.datetime | None:
    """The visit's time, aware: 2020-01-25 14:30, or a date alone taken as noon (or now, for a
    morning import of today's visits)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.datetime) and raw.time() != dt.time():
        # Excel keeps times as fractions of a day: round away the float noise.
        return timezone.make_aware((raw + dt.timedelta(microseconds=500_000)).replace(microsecond=0))
    clock = None
    if isinstance(raw, dt.date):
        day = raw.date() if isinstance(raw, dt.datetime) else raw
    else:
        text = cell_text(raw)
        match = _CLOCK.match(text)
        if match:
            text, clock = match["date"].rstrip("T "), (int(match["h"]), int(match["mi"]))
        day = date_cell(text)
        if not isinstance(day, dt.date):
            short = _DATE_TOKEN.fullmatch(text)
            try:
                day = _trip_date(short, year=None, visit_date=timezone.localdate(now)) if short else None
            except CellError:
                day = None
        if day is None or not isinstance(day, dt.date):
            raise CellError(_("“%(value)s” is not a date: write 2020-01-25, or 2020-01-25 14:30") % {"value": cell_text(raw)})
    if clock is not None:
        try:
            return timezone.make_aware(dt.datetime.combine(day, dt.time(*clock)))
        except ValueError:
            raise CellError(_("“%(value)s” is not a time of day") % {"value": cell_text(raw)})
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    return min(noon, now) if day == timezone.localdate(now) else noon


_MASKED_ID = re.compile(r"^(\d{6})[*＊﹡]+(\d{3}[\dX])$")


def _name_key(text: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


# --- reading the file ----------------------------------------------------------------------

@dataclass
class _Row:
    number: int  # as Excel shows it
    cells: dict[str, object]
    resident: Resident | None = None
    household_id: int | None = None  # the person's household, or the one at the row's address
    method: str | None = None
    result: str | None = None
    visited_at: dt.datetime | None = None
    visitor: str = ""
    check: dict | None = None

    @property
    def name(self) -> str:
        return cell_text(self.cells.get("name", ""))

    @property
    def has_findings(self) -> bool:
        return any(_word(cell_text(self.cells.get(key, ""))) not in _NONE_WORDS for key in FINDING_KEYS)

    @property
    def says_visited(self) -> bool:
        """Something about a visit is filled in (what an unvisited row of an exported ledger lacks)."""
        return self.has_findings or bool(self.method or self.visited_at or self.visitor)


@dataclass
class _Sheet:
    filename: str
    sha256: str
    layout: SheetLayout
    rows: list[_Row]
    examples: int = 0


def _file_read(upload) -> _Sheet:
    name = Path(upload.name or "upload.xlsx").name[:255]
    if upload.size > MAX_BYTES:
        raise ImportFileError(_("“%(name)s” is %(size)s MB; the limit is %(limit)s MB. Split the ledger, e.g. one file per grid.")
                              % {"name": name, "size": f"{upload.size / 1048576:.1f}", "limit": f"{MAX_BYTES / 1048576:.0f}"})
    file_format = file_format_sniff(upload, name=name)
    digest = hashlib.sha256()
    # calamine reads from a path; the copy lives as long as this request.
    with tempfile.NamedTemporaryFile(suffix=f".{file_format}") as tmp:
        upload.seek(0)
        for chunk in upload.chunks():
            digest.update(chunk)
            tmp.write(chunk)
        tmp.flush()
        workbook = None
        try:
            workbook = CalamineWorkbook.from_path(tmp.name)
            opened = sheet_open(workbook, lookup=header_lookup(), check_columns=_check_columns,
                                expected_columns=_("姓名, 身份证号 or 地址, and 摸排结果"))
            sheet = _Sheet(filename=name, sha256=digest.hexdigest(), layout=opened.layout, rows=[])
            keys = [(key, j) for key, j in opened.layout.columns.items() if key in COLUMN_BY_KEY]
            for number, cells in opened.rows:
                values = {key: cells[j] if j < len(cells) else "" for key, j in keys}
                if all(v is None or v == "" or isinstance(v, str) and not v.strip() for v in values.values()):
                    continue
                if len(sheet.rows) >= MAX_ROWS:
                    raise ImportFileError(_("The sheet has more than %(n)s rows; split the ledger, e.g. one file per grid or community, and upload each.")
                                          % {"n": f"{MAX_ROWS:,}"})
                row = _Row(number=number, cells=values)
                if row.name == EXAMPLE_NAME and idnumbers.normalize(values.get("id_number", "")) == EXAMPLE_ID:
                    sheet.examples += 1  # the template's example row, never imported
                    continue
                sheet.rows.append(row)
        except BaseException as e:
            if is_calamine_failure(e):
                raise workbook_unreadable(e, file_format=file_format, path=Path(tmp.name), name=name) from e
            raise
        finally:
            if workbook is not None:
                workbook.close()
    return sheet


# --- problems ------------------------------------------------------------------------------

class _Issues:
    """Every problem of the file, by row; a row with any problem is bad."""

    def __init__(self, layout: SheetLayout | None = None):
        self.headers = layout.headers if layout else {}
        self.items: list[dict] = []
        self.bad: set[int] = set()

    def column(self, key: str | None) -> str:
        if not key:
            return ""
        return self.headers.get(key) or COLUMN_BY_KEY[key].header

    def add(self, row: _Row, key: str | None, reason: str) -> None:
        value = _shown(key, row.cells.get(key, "")) if key else ""
        self.items.append({"row": row.number, "column": self.column(key), "name": row.name[:100], "value": value, "reason": reason[:500]})
        self.bad.add(row.number)

    def sorted(self) -> list[dict]:
        return sorted(self.items, key=lambda i: i["row"])


def _shown(key: str | None, value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float) and key == "id_number":
        return f"{value:.5E}"  # as Excel shows it: only the region code is left
    text = cell_text(value)
    if key == "id_number":
        text = mask_id_number(idnumbers.normalize(text)) if "*" not in text else text
    elif key == "phone":
        text = mask_phone(text)
    return text[:MAX_SHOWN]


# --- finding the people --------------------------------------------------------------------

def _candidates(actor, screening_round: ScreeningRound, model) -> QuerySet:
    """Records inside both the round's scope and the actor's jurisdiction."""
    return scoped(model.objects.all(), actor).filter(subtree_q("org_path", screening_round.scope_path))


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _people_find(actor, screening_round: ScreeningRound, rows: list[_Row], issues: _Issues) -> None:
    """Set each row's resident (and household), or report why it has none. Outside the actor's
    jurisdiction nobody exists: "not found in your jurisdiction", whoever is registered there."""
    full: dict[int, str] = {}  # row number → ID number
    masked: dict[int, tuple[str, str]] = {}
    unreadable: set[int] = set()
    for row in rows:
        raw = row.cells.get("id_number", "")
        if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
            continue
        value = id_cell(raw)
        text = idnumbers.normalize(value) if isinstance(value, str) else ""
        match = _MASKED_ID.match(text)
        if match:
            masked[row.number] = match.groups()
            continue
        try:
            full[row.number] = idnumbers.parse(value).number
        except idnumbers.IdNumberError as e:
            issues.add(row, "id_number", str(e))
            unreadable.add(row.number)

    in_jurisdiction = scoped(Resident.objects.all(), actor)
    by_id: dict[str, Resident] = {}
    for chunk in _chunks(sorted(set(full.values()))):
        for resident in in_jurisdiction.filter(id_number__in=chunk):
            by_id[resident.id_number] = resident

    addresses = {_name_key(row.cells.get("address")) for row in rows} - {""}
    households_at: dict[str, list[int]] = {}
    variants = sorted({v for row in rows for v in (cell_text(row.cells.get("address", "")),
                                                   _name_key(row.cells.get("address"))) if v})
    for chunk in _chunks(variants):
        for pk, address in _candidates(actor, screening_round, Household).filter(address__in=chunk).values_list("pk", "address"):
            key = _name_key(address)
            if key in addresses and pk not in households_at.setdefault(key, []):
                households_at[key].append(pk)
    members: dict[int, list[Resident]] = {}
    household_ids = sorted({pk for pks in households_at.values() for pk in pks})
    for chunk in _chunks(household_ids):
        for resident in Resident.objects.filter(household_id__in=chunk).order_by("pk"):
            members.setdefault(resident.household_id, []).append(resident)

    for row in rows:
        name = _name_key(row.name)
        address = _name_key(row.cells.get("address"))
        at_address = [r for pk in households_at.get(address, ()) for r in members.get(pk, ())]
        if len(households_at.get(address, ())) == 1:
            row.household_id = households_at[address][0]
        if row.number in unreadable:
            continue
        if row.number in full:
            resident = by_id.get(full[row.number])
            if resident is None:
                issues.add(row, "id_number", _("not found in your jurisdiction: check the ID number, or register the person first"))
            elif not resident.org_path.startswith(screening_round.scope_path):
                issues.add(row, "id_number", _("registered outside this round's area"))
            elif name and _name_key(resident.name) != name:
                issues.add(row, "name", _("the register has this ID number under the name %(name)s: correct the name or the ID number")
                           % {"name": resident.name})
            else:
                row.resident = resident
        elif not address:
            if row.number in masked:
                issues.add(row, "address", _("the ID number is masked (from an export): give the household's address to find the person"))
            else:
                issues.add(row, "id_number", _("give the ID number, or the name and the address"))
        elif address not in households_at:
            issues.add(row, "address", _("no household at this address in your jurisdiction and this round's area: write it as the register has it, or give the full ID number"))
        elif row.number in masked:
            head, tail = masked[row.number]
            found = [r for r in at_address if r.id_number and r.id_number.startswith(head) and r.id_tail == tail]
            if len(found) != 1:
                issues.add(row, "id_number", _("not found in your jurisdiction at this address") if not found else
                           _("several people at this address match the masked ID number: enter the full ID number"))
            elif name and _name_key(found[0].name) != name:
                issues.add(row, "name", _("the register has this ID number under the name %(name)s: correct the name or the ID number")
                           % {"name": found[0].name})
            else:
                row.resident = found[0]
        else:
            found = [r for r in at_address if _name_key(r.name) == name]
            if not name:
                issues.add(row, "name", _("give the name, or the ID number"))
            elif not found:
                issues.add(row, "name", _("no one named %(name)s at this address in your jurisdiction") % {"name": row.name})
            elif len(found) > 1:
                issues.add(row, "name", _("several people named %(name)s at this address: give the ID number") % {"name": row.name})
            else:
                row.resident = found[0]
        if row.resident is not None:
            row.household_id = row.resident.household_id


# --- households ----------------------------------------------------------------------------

@dataclass
class _Group:
    """The rows of one household: one visit."""

    household: Household
    rows: list[_Row] = field(default_factory=list)
    method: str = Method.DOOR
    result: str = ""
    visited_at: dt.datetime | None = None
    visitor: str = ""

    def checks(self) -> list[CheckIn]:
        if self.result in NOBODY_RESULTS:
            return []
        return [CheckIn(resident=row.resident, **row.check) for row in self.rows]

    def notes(self) -> str:
        return f"摸排人：{self.visitor}" if self.visitor else ""


def _visit_fields(row: _Row, issues: _Issues, *, now: dt.datetime) -> None:
    for key, parse in (("method", method_parse), ("result", result_parse)):
        try:
            setattr(row, key, parse(row.cells.get(key, "")))
        except CellError as e:
            issues.add(row, key, str(e))
    try:
        row.visited_at = visit_time_parse(row.cells.get("visit_date", ""), now=now)
    except CellError as e:
        issues.add(row, "visit_date", str(e))
    row.visitor = cell_text(row.cells.get("visitor", ""))[:50]


def _person_fields(row: _Row, issues: _Issues, *, visit_date: dt.date, result: str) -> None:
    if result in NOBODY_RESULTS:
        if row.has_findings:
            for key in FINDING_KEYS:
                if _word(cell_text(row.cells.get(key, ""))) not in _NONE_WORDS:
                    issues.add(row, key, _("the result says nobody was checked (%(result)s): correct the result, or clear this cell")
                               % {"result": Result(result).label})
        return
    check: dict = {}
    readers = (
        ("whereabouts", lambda raw: dict(zip(("presence", "whereabouts"), presence_parse(raw)))),
        ("travel", lambda raw: {"travel": travel_parse(raw, visit_date=visit_date)}),
        ("case_contact", lambda raw: {"case_contact": contact_parse(raw)}),
        ("symptoms", lambda raw: dict(zip(("symptoms", "notes"), symptoms_parse(raw)))),
    )
    for key, read in readers:
        try:
            check.update(read(row.cells.get(key, "")))
        except CellError as e:
            issues.add(row, key, str(e))
    try:
        check["temperature"] = temperature_parse(cell_text(row.cells.get("temperature", "")))
    except DomainError as e:
        issues.add(row, "temperature", str(e.message))
    if check.get("notes"):
        check["notes"] = f"症状：{check['notes']}"[:200]
    row.check = check


def _groups_form(actor, screening_round: ScreeningRound, rows: list[_Row], issues: _Issues) -> tuple[list[_Group], int]:
    """(one group per household of the rows whose person was found, rows skipped as not
    visited). Rows of one household must agree on the visit; a cell left empty takes the
    household's value (ledgers often fill it on the family's first row only)."""
    by_household: dict[int, list[_Row]] = {}
    for row in rows:
        if row.resident is not None:
            by_household.setdefault(row.household_id, []).append(row)
    households = {h.pk: h for chunk in _chunks(sorted(by_household))
                  for h in _candidates(actor, screening_round, Household).filter(pk__in=chunk)}
    groups: list[_Group] = []
    skipped = 0
    for household_id, members in by_household.items():
        group = _Group(household=households[household_id], rows=members)
        for attr, key in (("method", "method"), ("result", "result"), ("visited_at", "visit_date"), ("visitor", "visitor")):
            first = next((row for row in members if getattr(row, attr)), None)
            if first is None:
                continue
            setattr(group, attr, getattr(first, attr))
            for row in members:
                if getattr(row, attr) and getattr(row, attr) != getattr(first, attr):
                    issues.add(row, key, _("row %(row)d of the same household says “%(value)s”: the rows of one household are one visit")
                               % {"row": first.number, "value": cell_text(first.cells.get(key, ""))})
        if not group.result:
            said = [row for row in members if row.says_visited and row.number not in issues.bad]
            for row in said:
                issues.add(row, "result", _("no result: fill in 摸排结果 for this household (%(words)s)") % {"words": _words_of("result")})
            if not said and not any(row.number in issues.bad for row in members):
                skipped += len(members)  # not visited yet, as an exported ledger lists such households
                continue
        elif group.visited_at is None:
            for row in members:
                if row.number not in issues.bad:
                    issues.add(row, "visit_date", _("no visit date: fill in 摸排日期 for this household"))
        else:
            seen: dict[int, int] = {}
            for row in members:
                first = seen.setdefault(row.resident.pk, row.number)
                if first != row.number:
                    issues.add(row, "name", _("the same person as row %(row)d") % {"row": first})
                _person_fields(row, issues, visit_date=timezone.localdate(group.visited_at), result=group.result)
        groups.append(group)
    return groups, skipped


# --- recording -----------------------------------------------------------------------------

_SERVICE_COLUMNS = {"presence": "whereabouts", "whereabouts": "whereabouts", "travel": "travel", "case_contact": "case_contact",
                    "temperature": "temperature", "symptoms": "symptoms", "result": "result", "method": "method",
                    "visited_at": "visit_date", "revisit_due": "visit_date", "household": "address", "checks": "name"}


def _service_issue(group: _Group, error: DomainError, issues: _Issues) -> None:
    """The service's verdict on a household, on the row it names (its messages about a person
    start with the person's name), else on every row of the household."""
    message = str(error.message)
    key = _SERVICE_COLUMNS.get(error.field or "")
    rows = [row for row in group.rows if message.startswith(f"{row.resident.name}: ")] or group.rows
    for row in rows:
        reason = message[len(row.resident.name) + 2:] if message.startswith(f"{row.resident.name}: ") else message
        issues.add(row, key, reason)


def _latest(screening_round: ScreeningRound, groups: list[_Group]) -> dict[int, tuple[ScreeningVisit, dict[int, PersonCheck]]]:
    visits = {}
    for chunk in _chunks([g.household.pk for g in groups]):
        visits.update({v.pk: v for v in ScreeningVisit.objects.filter(round=screening_round, is_latest=True, household_id__in=chunk)})
    checks: dict[int, dict[int, PersonCheck]] = {}
    for chunk in _chunks(sorted(visits)):
        for check in PersonCheck.objects.filter(visit_id__in=chunk):
            checks.setdefault(check.visit_id, {})[check.resident_id] = check
    return {v.household_id: (v, checks.get(v.pk, {})) for v in visits.values()}


def _same_as_latest(group: _Group, latest) -> bool:
    """The household's latest visit already says what the file says (an exported ledger coming
    back, or the same rows in a corrected file): nothing to record."""
    if latest is None:
        return False
    visit, checks = latest
    if (visit.result, visit.method) != (group.result, group.method) or abs(visit.visited_at - group.visited_at) >= dt.timedelta(minutes=1):
        return False
    for check in group.checks():
        stored = checks.get(check.resident.pk)
        if stored is None or (stored.presence, stored.whereabouts, stored.travel, stored.case_contact, stored.temperature,
                              stored.symptoms) != (check.presence, " ".join(check.whereabouts.split())[:100], check.travel,
                                                   check.case_contact, check.temperature, check.symptoms):
            return False
    return True


@dataclass
class _Tally:
    recorded: list[_Group] = field(default_factory=list)
    visit_ids: list[int] = field(default_factory=list)
    unchanged: int = 0

    def people(self) -> tuple[int, int]:
        checks = candidates = 0
        for chunk in _chunks(self.visit_ids):
            counts = PersonCheck.objects.filter(visit_id__in=chunk).aggregate(n=Count("pk"), c=Count("pk", filter=Q(is_candidate=True)))
            checks, candidates = checks + counts["n"], candidates + (counts["c"] or 0)
        return checks, candidates


def _record(*, actor, screening_round: ScreeningRound, groups: list[_Group], sha256: str, via: Via, issues: _Issues) -> _Tally:
    """Record each household's visit in its own savepoint: a household the service refuses
    leaves nothing behind and its reason lands on its rows. Runs inside the caller's transaction."""
    tally = _Tally()
    latest = _latest(screening_round, groups)
    for group in groups:
        if _same_as_latest(group, latest.get(group.household.pk)):
            tally.unchanged += 1
            tally.recorded.append(group)
            continue
        uid = uuid.uuid5(VISIT_UID_NAMESPACE, f"{screening_round.uid}:{sha256}:{group.household.uid}")
        try:
            # The service is atomic: nested in our transaction, a savepoint that a refusal rolls back.
            visit, created = screening_visit_record(
                actor=actor, screening_round=screening_round, household=group.household, uid=uid, method=group.method,
                result=group.result, visited_at=group.visited_at, notes=group.notes(), checks=group.checks(), via=via)
        except DomainError as e:
            _service_issue(group, e, issues)
            continue
        tally.recorded.append(group)
        if created:
            tally.visit_ids.append(visit.pk)
        else:
            tally.unchanged += 1
    return tally


def _left_out(groups: list[_Group], rows: list[_Row], issues: _Issues) -> None:
    """Households are imported whole: the other rows of a household with a bad row (or with a
    row whose person was not found at the household's address) are left out with it, and say so."""
    at_address = {row.household_id for row in rows if row.resident is None and row.household_id}
    for group in groups:
        bad = [row.number for row in group.rows if row.number in issues.bad]
        if not bad and group.household.pk not in at_address:
            continue
        reason = (_("left out with its household: row %(rows)s of the same household has a problem") % {"rows": ", ".join(map(str, bad))}
                  if bad else _("left out with its household: a row with the household's address has a problem"))
        for row in group.rows:
            if row.number not in issues.bad:
                issues.add(row, None, reason)


def _good(groups: list[_Group], issues: _Issues) -> list[_Group]:
    return [g for g in groups if not any(row.number in issues.bad for row in g.rows)]


# --- the stored good rows ------------------------------------------------------------------

def _group_dump(group: _Group) -> dict:
    return {
        "household": str(group.household.uid), "method": group.method, "result": group.result,
        "visited_at": group.visited_at.isoformat(), "visitor": group.visitor,
        "rows": [{"row": row.number, "name": row.name, "resident": str(row.resident.uid),
                  "check": {**row.check, "temperature": str(row.check["temperature"]) if row.check.get("temperature") is not None else None}
                  if row.check is not None else None} for row in group.rows],
    }


def _groups_load(actor, screening_round: ScreeningRound, data: list[dict], issues: _Issues) -> list[_Group]:
    """The stored good rows, their households and people found again in the register, in scope."""
    household_uids = [g["household"] for g in data]
    resident_uids = [r["resident"] for g in data for r in g["rows"]]
    households = {str(h.uid): h for chunk in _chunks(household_uids)
                  for h in _candidates(actor, screening_round, Household).filter(uid__in=chunk)}
    residents = {str(r.uid): r for chunk in _chunks(resident_uids)
                 for r in _candidates(actor, screening_round, Resident).filter(uid__in=chunk)}
    groups = []
    for g in data:
        rows = []
        for r in g["rows"]:
            check = r["check"]
            if check is not None and check.get("temperature") is not None:
                check = {**check, "temperature": Decimal(check["temperature"])}
            rows.append(_Row(number=r["row"], cells={"name": r["name"]}, resident=residents.get(r["resident"]), check=check))
        household = households.get(g["household"])
        for row in rows:
            if row.resident is None or household is None:
                issues.add(row, None, _("since the check, no longer found in your jurisdiction and this round's area"))
            elif row.resident.household_id != household.pk:
                issues.add(row, None, _("since the check, moved to another household"))
        if household is None or any(row.number in issues.bad for row in rows):
            for row in rows:
                if row.number not in issues.bad:
                    issues.add(row, None, _("left out with its household: another row of the same household has a problem"))
            continue
        groups.append(_Group(household=household, rows=rows, method=g["method"], result=g["result"],
                             visited_at=dt.datetime.fromisoformat(g["visited_at"]), visitor=g["visitor"]))
    return groups


# --- services ------------------------------------------------------------------------------

class _RollBack(Exception):
    """Raised inside the import's transaction to undo the dry run."""


def _require_open(screening_round: ScreeningRound) -> None:
    if not screening_round.is_open:
        raise DomainError(_("This round is closed; ask its owner to reopen it."), code="round_closed")


def _message(imp: ScreeningImport, *, good_only: bool, status: str = "") -> str:
    if (status or imp.status) == ScreeningImport.Status.CHECKED:
        if not imp.good_rows:
            return _("None of the %(rows)d rows can be imported (listed below); nothing was imported. Correct the file and upload it again.") % {
                "rows": imp.bad_rows}
        return _("%(bad)d of %(rows)d rows cannot be imported (listed below); nothing was imported. Correct them in your file and upload it again, or import only the %(good)d good rows: a household with a bad row is left out entirely.") % {
            "bad": imp.bad_rows, "rows": imp.good_rows + imp.bad_rows, "good": imp.good_rows}
    parts = [_("Imported %(visits)d visits: %(people)d people checked, %(candidates)d key-person candidates.") % {
        "visits": imp.visits_created, "people": imp.checks_created, "candidates": imp.candidates}]
    if imp.visits_unchanged:
        parts.append(_("%(n)d households were already recorded with these results and were left as they are.") % {"n": imp.visits_unchanged})
    if imp.skipped_rows:
        parts.append(_("%(n)d rows without a visit result were skipped.") % {"n": imp.skipped_rows})
    if good_only and imp.bad_rows:
        parts.append(_("%(n)d rows were left out, as you chose.") % {"n": imp.bad_rows})
    return " ".join(parts)


def _audit(imp: ScreeningImport, *, actor, via: Via, good_only: bool) -> None:
    audit_record(actor=actor, action=AuditAction.IMPORT, via=via, object_type="screening_visit", object_ref=imp.uid,
                 object_label=imp.filename, org_path=imp.org_path,
                 detail={"round": str(imp.round.uid), "rows": imp.good_rows, "households": imp.households,
                         "visits": imp.visits_created, "unchanged": imp.visits_unchanged, "people": imp.checks_created,
                         "candidates": imp.candidates, "bad_rows_left_out": imp.bad_rows if good_only else 0,
                         "mode": "good_rows_only" if good_only else "all", "sha256": imp.sha256})


def _tally_into(imp: ScreeningImport, tally: _Tally, issues: _Issues, good: list[_Group]) -> None:
    imp.good_rows, imp.bad_rows = sum(len(g.rows) for g in good), len(issues.bad)
    imp.households, imp.issues = len(good), issues.sorted()
    imp.visits_created, imp.visits_unchanged = len(tally.visit_ids), tally.unchanged
    imp.checks_created, imp.candidates = tally.people()


def screening_import_check(*, actor, screening_round: ScreeningRound, upload, via: Via) -> ScreeningImport:
    """Read an uploaded ledger and check every row. A good file is imported at once, in one
    transaction (status committed); a file with bad rows changes nothing and waits for the
    user's choice (status checked). A file that is not a readable ledger raises DomainError."""
    require(actor, Capability.RECORD_SCREENING)
    _require_open(screening_round)
    org_path = narrowest(screening_round.scope_path, actor.jurisdiction.path) if actor.jurisdiction else None
    if org_path is None:
        raise DomainError(_("This round's area is outside your jurisdiction."), code="out_of_scope")
    sheet = _file_read(upload)
    issues = _Issues(sheet.layout)
    now = timezone.now()
    for row in sheet.rows:
        _visit_fields(row, issues, now=now)
    _people_find(actor, screening_round, sheet.rows, issues)
    groups, skipped = _groups_form(actor, screening_round, sheet.rows, issues)
    if not groups and not issues.bad:
        raise ImportFileError(
            _("Sheet “%(sheet)s” has no visit results: no row below the header (row %(row)d) has a 摸排结果. Fill in the result of each visited household and upload the file again.")
            % {"sheet": sheet.layout.name, "row": sheet.layout.header_row})
    imp = ScreeningImport(round=screening_round, actor=actor, org_path=org_path, filename=sheet.filename, sha256=sheet.sha256,
                          sheet_name=sheet.layout.name[:100], header_row=sheet.layout.header_row,
                          ignored_columns=sheet.layout.ignored[:50], skipped_rows=skipped + sheet.examples,
                          total_rows=len(sheet.rows) + sheet.examples)
    _left_out(groups, sheet.rows, issues)
    try:
        # The dry run is the real run: kept if every row is good, rolled back otherwise.
        with transaction.atomic():
            tally = _record(actor=actor, screening_round=screening_round, groups=_good(groups, issues), sha256=sheet.sha256,
                            via=via, issues=issues)
            _left_out(groups, sheet.rows, issues)
            good = _good(tally.recorded, issues)
            _tally_into(imp, tally, issues, good)
            if issues.bad:
                raise _RollBack
            imp.status, imp.finished_at = ScreeningImport.Status.COMMITTED, timezone.now()
            imp.message = _message(imp, good_only=False)
            imp.save()
            _audit(imp, actor=actor, via=via, good_only=False)
            return imp
    except _RollBack:
        pass
    imp.visits_created = imp.visits_unchanged = imp.checks_created = imp.candidates = 0
    imp.status, imp.good = ScreeningImport.Status.CHECKED, [_group_dump(g) for g in good]
    imp.message = _message(imp, good_only=False)
    imp.save()
    return imp


@transaction.atomic
def screening_import_commit_good_rows(*, actor, screening_import: ScreeningImport, via: Via) -> ScreeningImport:
    """The user's explicit choice: import the good households of a checked file. They are
    checked again (the register may have changed meanwhile); any that became bad are left out
    too, and listed."""
    require(actor, Capability.RECORD_SCREENING)
    imp = ScreeningImport.objects.select_for_update().select_related("round").get(pk=screening_import.pk)
    if imp.status != ScreeningImport.Status.CHECKED:
        raise DomainError(_("This import is %(status)s; there is nothing left to choose.") % {"status": imp.get_status_display()},
                          code="conflict")
    if not imp.good_rows:
        raise DomainError(_("No row of this file is good; correct the file and upload it again."), code="nothing_to_import")
    _require_open(imp.round)
    issues = _Issues()
    issues.items, issues.bad = list(imp.issues), {i["row"] for i in imp.issues}
    groups = _groups_load(actor, imp.round, imp.good, issues)
    tally = _record(actor=actor, screening_round=imp.round, groups=groups, sha256=imp.sha256, via=via, issues=issues)
    _left_out(groups, [], issues)
    good = _good(tally.recorded, issues)
    _tally_into(imp, tally, issues, good)
    counts = ("good_rows", "bad_rows", "households", "issues", "visits_created", "visits_unchanged", "checks_created", "candidates")
    if not good:
        # Every good row went bad meanwhile: nothing was written; the import waits, and says so.
        imp.good, imp.message = [], _message(imp, good_only=True)
        imp.save(update_fields=[*counts, "good", "message"])
        return imp
    message = _message(imp, good_only=True, status=ScreeningImport.Status.COMMITTED)
    imp.transition_to(ScreeningImport.Status.COMMITTED, good=[], message=message, **{name: getattr(imp, name) for name in counts})
    _audit(imp, actor=actor, via=via, good_only=True)
    return imp


@transaction.atomic
def screening_import_cancel(*, actor, screening_import: ScreeningImport) -> ScreeningImport:
    require(actor, Capability.RECORD_SCREENING)
    screening_import.transition_to(ScreeningImport.Status.CANCELLED, good=[], message=_("Cancelled; nothing was imported."))
    return screening_import


def screening_imports_sweep(*, now: dt.datetime | None = None, waiting: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Cancel checks left a week without a choice: their good rows hold people's findings."""
    expired = ScreeningImport.objects.filter(status=ScreeningImport.Status.CHECKED, created_at__lt=(now or timezone.now()) - waiting)
    for screening_import in expired:
        screening_import.transition_to(ScreeningImport.Status.CANCELLED, good=[], message=_("Cancelled after a week without a choice; nothing was imported."))
    return len(expired)


# --- selectors -----------------------------------------------------------------------------

def screening_import_list(*, actor, screening_round: ScreeningRound | None = None) -> QuerySet[ScreeningImport]:
    """An actor's own imports; the district office sees every import in its jurisdiction."""
    imports = scoped(ScreeningImport.objects.select_related("round", "actor"), actor)
    if actor.role != Role.DISTRICT_OFFICE:
        imports = imports.filter(actor=actor)
    return imports.filter(round=screening_round) if screening_round is not None else imports


def access_screening_import(*, actor, uid, screening_round: ScreeningRound | None = None) -> ScreeningImport:
    require(actor, Capability.RECORD_SCREENING)
    return access(screening_import_list(actor=actor, screening_round=screening_round), actor, uid=uid)


# --- the template --------------------------------------------------------------------------

def example_grid_name(*, actor, screening_round: ScreeningRound) -> str:
    """The first grid of the round's area in the actor's jurisdiction, for the template's example."""
    grids = scoped(OrgUnit.objects.filter(level=Level.GRID), actor).filter(subtree_q("path", screening_round.scope_path))
    grid = grids.order_by("path").first()
    return grid.name if grid else ""


def import_template_write(target, *, grid_name: str = "", today: dt.date | None = None) -> None:
    """The 摸排台账 template: the headers, one example row (recognised and never imported) and an
    instructions sheet. ID and phone columns are Text, so Excel keeps every digit."""
    import xlsxwriter

    today = today or timezone.localdate()
    start, end = today - dt.timedelta(days=9), today - dt.timedelta(days=5)
    transit = today - dt.timedelta(days=4)
    example = {
        "grid": grid_name or "第一网格", "address": "幸福小区3号楼2单元301室", "name": EXAMPLE_NAME, "id_number": EXAMPLE_ID,
        "phone": "13812345678", "whereabouts": "在家",
        "travel": f"湖北武汉 {start.isoformat()}至{end.isoformat()}；孝感 {transit.month}.{transit.day}（途经）",
        "case_contact": "无", "temperature": "36.5", "symptoms": "咳嗽、乏力", "method": "入户", "result": "全部在家",
        "visitor": "李四", "visit_date": today.isoformat(),
    }
    book = xlsxwriter.Workbook(target, {"strings_to_numbers": False, "strings_to_formulas": False})
    head = book.add_format({"bold": True, "bg_color": "#EEF1F5", "border": 1, "text_wrap": True, "valign": "top"})
    text = book.add_format({"num_format": "@"})
    grey = book.add_format({"num_format": "@", "font_color": "#777777", "italic": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("摸排台账")
    dropdowns = {"method": [w[0] for w in _METHOD_WORDS.values()],
                 "result": ["全部在家", "部分外出", "无人在家", "拒绝", "已搬走", "空置"],
                 "case_contact": ["无", "疑似", "确诊"]}
    for j, column in enumerate(COLUMNS):
        sheet.set_column(j, j, {"address": 28, "id_number": 20, "travel": 40, "symptoms": 14}.get(column.key, 11), text)
        sheet.write_string(0, j, column.header, head)
        sheet.write_comment(0, j, str(column.help), {"x_scale": 2.5, "y_scale": 1.5})
        sheet.write_string(1, j, example[column.key], grey)
        if column.key in dropdowns:
            sheet.data_validation(2, j, MAX_ROWS + 10, j, {"validate": "list", "source": dropdowns[column.key], "error_type": "warning"})
    sheet.freeze_panes(1, 0)

    notes = book.add_worksheet(_("Instructions")[:31])
    for j, width in enumerate((12, 36, 70, 40)):
        notes.set_column(j, j, width)
    general = [
        _("One row per person, as in the 摸排台账; the rows of one household are one visit and give the same result, method, date and visitor (fill them in once, on the household's first row, if you like)."),
        _("Row 2 is an example (张三 with the example ID number): it is never imported; you may leave it or delete it."),
        _("People are found in the register by ID number, or by name and address when the ID number is missing; a ledger exported from this round (ID numbers masked) can be filled in and imported back."),
        _("Every row is checked first. If any row is bad, nothing is imported: you see each bad row with its column and the reason, and choose to correct the file or to import only the good households."),
        _("A title above the header row, a 序号 column and columns of your own are fine. At most %(n)s rows per file.") % {"n": f"{MAX_ROWS:,}"},
    ]
    for k, line in enumerate(general):
        notes.write_string(k, 0, line, bold if k == 0 else None)
    top = len(general) + 1
    notes.write_row(top, 0, [_("Column"), _("Also accepted"), _("What to fill in"), _("Example")], head)
    for i, column in enumerate(COLUMNS, start=top + 1):
        notes.write_row(i, 0, [column.header, "、".join(column.synonyms), str(column.help), example[column.key]], wrap)
    book.close()


def screening_import_data_delete(*, district: OrgUnit) -> int:
    """When the emergency ends: import checks quote cells (names, ID numbers) and hold findings."""
    count, _ = ScreeningImport.objects.filter(round__district=district).delete()
    return count
