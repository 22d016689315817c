"""The Excel import over the API: upload a ledger, follow its job, read its problems, choose."""

import datetime as dt
from uuid import UUID

from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from lianfang.core.audit import Via

from . import importing

router = Router(tags=["import"])


class ImportJobOut(Schema):
    uid: UUID
    filename: str
    status: str
    status_label: str
    mode: str
    sheet_name: str
    header_row: int | None
    grid_code: str | None
    total_rows: int
    processed_rows: int
    progress_percent: int
    good_rows: int
    bad_rows: int
    skipped_rows: int
    households_created: int
    residents_created: int
    message: str
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_status_label(job) -> str:
        return str(job.get_status_display())

    @staticmethod
    def resolve_grid_code(job) -> str | None:
        return job.grid.code if job.grid_id else None


class ImportIssueOut(Schema):
    row: int
    name: str  # the 姓名 of the row, to find it in the file
    column: str
    value: str  # ID numbers and phones masked
    reason: str
    severity: str


class ImportIssueFilters(Schema):
    severity: str = ""


@router.post("/registry/imports", response={201: ImportJobOut})
def import_create(request, file: File[UploadedFile], grid: Form[str] = ""):
    """Upload a ledger (.xlsx) as multipart `file`, with an optional target `grid` code; the
    job checks every row in the background: poll it until `status` is no longer active."""
    job = importing.import_job_create(actor=request.user, upload=file, grid_code=grid, via=Via.from_request(request))
    return Status(201, job)


@router.get("/registry/imports", response=list[ImportJobOut])
@paginate(PageNumberPagination)
def import_list(request):
    return importing.import_job_list(actor=request.user)


@router.get("/registry/imports/{uid}", response=ImportJobOut)
def import_get(request, uid: UUID):
    return importing.access_import_job(actor=request.user, uid=uid)


@router.get("/registry/imports/{uid}/issues", response=list[ImportIssueOut])
@paginate(PageNumberPagination)
def import_issues(request, uid: UUID, filters: Query[ImportIssueFilters]):
    job = importing.access_import_job(actor=request.user, uid=uid)
    return importing.import_issue_list(job=job, severity=filters.severity)


@router.post("/registry/imports/{uid}/commit-good-rows", response=ImportJobOut)
def import_commit_good_rows(request, uid: UUID):
    """The explicit choice to import the good rows of a job whose status is `invalid`."""
    job = importing.access_import_job(actor=request.user, uid=uid)
    return importing.import_job_commit_good_rows(actor=request.user, job=job, via=Via.from_request(request))


@router.post("/registry/imports/{uid}/cancel", response=ImportJobOut)
def import_cancel(request, uid: UUID):
    job = importing.access_import_job(actor=request.user, uid=uid)
    return importing.import_job_cancel(actor=request.user, job=job)
