"""The screening import over the API: upload a 摸排台账 into a round, read the result, choose."""

import datetime as dt
from uuid import UUID

from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from lianfang.core.audit import Via

from . import importing, selectors

router = Router(tags=["screening"])


class ScreeningImportIssueOut(Schema):
    row: int  # as Excel shows it
    column: str
    name: str  # the 姓名 of the row, to find it in the file
    value: str  # ID numbers and phones masked
    reason: str


class ScreeningImportOut(Schema):
    uid: UUID
    round_uid: UUID
    filename: str
    status: str  # committed, checked (bad rows: nothing imported yet), cancelled
    status_label: str
    sheet_name: str
    header_row: int | None
    total_rows: int
    good_rows: int
    bad_rows: int
    skipped_rows: int
    households: int
    visits_created: int
    visits_unchanged: int
    checks_created: int
    candidates: int
    ignored_columns: list[str]
    message: str
    issues: list[ScreeningImportIssueOut]
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_round_uid(imp) -> UUID:
        return imp.round.uid

    @staticmethod
    def resolve_status_label(imp) -> str:
        return str(imp.get_status_display())


@router.post("/screening/rounds/{uid}/imports", response={201: ScreeningImportOut})
def screening_import_upload(request, uid: UUID, file: File[UploadedFile]):
    """Upload a 摸排台账 (.xlsx) as multipart `file`. Every row is checked: a good file is imported
    at once (`status` committed); with bad rows nothing is imported (`status` checked) and
    `issues` lists each by row, column and reason, until you commit the good rows or cancel."""
    screening_round = selectors.access_round(actor=request.user, uid=uid)
    imp = importing.screening_import_check(actor=request.user, screening_round=screening_round, upload=file,
                                           via=Via.from_request(request))
    return Status(201, imp)


@router.get("/screening/imports/{import_uid}", response=ScreeningImportOut)
def screening_import_get(request, import_uid: UUID):
    return importing.access_screening_import(actor=request.user, uid=import_uid)


@router.post("/screening/imports/{import_uid}/commit", response=ScreeningImportOut)
def screening_import_commit(request, import_uid: UUID):
    """The explicit choice to import the good rows of a checked file (households with a bad
    row are left out entirely); they are checked again first."""
    imp = importing.access_screening_import(actor=request.user, uid=import_uid)
    return importing.screening_import_commit_good_rows(actor=request.user, screening_import=imp, via=Via.from_request(request))


@router.post("/screening/imports/{import_uid}/cancel", response=ScreeningImportOut)
def screening_import_cancel(request, import_uid: UUID):
    imp = importing.access_screening_import(actor=request.user, uid=import_uid)
    return importing.screening_import_cancel(actor=request.user, screening_import=imp)
