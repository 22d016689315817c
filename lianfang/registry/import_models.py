"""Excel imports of the population base: one job per uploaded file, one issue per bad cell."""

import datetime as dt
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core.errors import DomainError
from lianfang.core.models import OrgUnit, User

__all__ = ["ImportJob", "ImportIssue"]


def _upload_to(job: "ImportJob", filename: str) -> str:
    # The user's file name is kept in `filename`; on disk only the job's uid, so a name
    # never collides, never escapes the folder and never reveals whose ledger it is.
    return f"imports/{job.uid}.{job.file_format or 'bin'}"


class ImportJob(models.Model):
    """One uploaded ledger on its way into the register.

    queued → validating → importing → done, or → invalid when a row is bad: the user then
    chooses to import only the good rows (→ importing) or to cancel. Nothing is written
    to the register before `importing`, and `importing` writes in one transaction."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        VALIDATING = "validating", _("Checking every row")
        INVALID = "invalid", _("Bad rows found: nothing imported yet")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Could not be imported")
        CANCELLED = "cancelled", _("Cancelled")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", _("All rows or nothing")
        GOOD_ROWS_ONLY = "good_only", _("Only the good rows")

    TRANSITIONS = {
        Status.QUEUED: {Status.VALIDATING, Status.FAILED},
        Status.VALIDATING: {Status.INVALID, Status.IMPORTING, Status.FAILED},
        Status.INVALID: {Status.IMPORTING, Status.CANCELLED},
        # Back to invalid when someone registered one of the people while we were importing.
        Status.IMPORTING: {Status.DONE, Status.INVALID, Status.FAILED},
        Status.DONE: set(),
        Status.FAILED: set(),
        Status.CANCELLED: set(),
    }
    ACTIVE = (Status.QUEUED, Status.VALIDATING, Status.IMPORTING)
    FINAL = (Status.DONE, Status.FAILED, Status.CANCELLED)

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+")
    # The uploader's jurisdiction at upload time: rows may only land inside it.
    org_path = models.CharField(max_length=255, db_index=True, editable=False)
    district = models.ForeignKey(OrgUnit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(
        OrgUnit, verbose_name=_("target grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Rows without a grid column go here."),
    )
    filename = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to=_upload_to, max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    file_format = models.CharField(_("file format"), max_length=8, blank=True)
    sheet_name = models.CharField(_("sheet"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(_("header row"), null=True, blank=True)
    # The uploader's language and channel: the background task writes its messages and
    # its audit entry as if it were the request.
    language = models.CharField(max_length=16, blank=True)
    via = models.JSONField(default=dict, blank=True)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    total_rows = models.PositiveIntegerField(_("rows in the sheet"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    good_rows = models.PositiveIntegerField(_("good rows"), default=0)
    bad_rows = models.PositiveIntegerField(_("bad rows"), default=0)
    skipped_rows = models.PositiveIntegerField(_("empty rows skipped"), default=0)
    households_created = models.PositiveIntegerField(_("households created"), default=0)
    residents_created = models.PositiveIntegerField(_("residents imported"), default=0)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="importjob_user_recent")]
        constraints = [
            models.CheckConstraint(condition=models.Q(processed_rows__lte=models.F("total_rows")), name="importjob_progress_le_total"),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_waiting_long(self) -> bool:
        """Queued for over a minute: no task worker is running (`lianfang db_worker`)."""
        return self.status == self.Status.QUEUED and timezone.now() - self.created_at > dt.timedelta(minutes=1)

    @property
    def progress_percent(self) -> int:
        if self.status in (self.Status.IMPORTING, self.Status.DONE):
            return 100
        return min(100, self.processed_rows * 100 // self.total_rows) if self.total_rows else 0

    def transition_to(self, new: str, **fields) -> None:
        """Move to `new` and save `fields` with it, only from the status this object holds:
        a second worker or a second click finds the row changed and gets an error."""
        if new not in self.TRANSITIONS[self.status]:
            raise DomainError(
                _("This import is %(status)s; it cannot become %(new)s.")
                % {"status": self.get_status_display(), "new": self.Status(new).label},
                code="conflict",
            )
        if new in self.FINAL:
            fields.setdefault("finished_at", timezone.now())
        updated = ImportJob.objects.filter(pk=self.pk, status=self.status).update(status=new, **fields)
        if not updated:
            raise DomainError(_("This import changed meanwhile; reload the page."), code="conflict")
        self.status = new
        for key, value in fields.items():
            setattr(self, key, value)


class ImportIssue(models.Model):
    """Why one cell (or row) of an uploaded file cannot be imported, or a warning about it."""

    class Severity(models.TextChoices):
        ERROR = "error", _("Error")
        WARNING = "warning", _("Warning")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    # The row number Excel and WPS show at the left of the sheet (1-based).
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    # The 姓名 of the row, so a worker finds the row in a ledger sorted differently.
    name = models.CharField(_("name"), max_length=100, blank=True)
    # ID numbers and phones are stored masked: the issue list is shown and downloaded.
    value = models.CharField(_("value"), max_length=200, blank=True)
    reason = models.CharField(_("problem"), max_length=500)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.ERROR)

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["job", "severity", "row"], name="importissue_job_sev_row")]

    def __str__(self) -> str:
        return f"{self.row} {self.column}: {self.reason}"
