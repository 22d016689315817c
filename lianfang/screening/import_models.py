"""Excel imports of screening results: one record per uploaded ledger (the file itself is
never kept)."""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core.errors import DomainError
from lianfang.core.models import User

__all__ = ["ScreeningImport"]


class ScreeningImport(models.Model):
    """A checked screening ledger. A good file is imported at once (committed); a file with
    bad rows waits (checked) for the user's choice: import only its good rows, or cancel.
    `good` holds the good rows parsed (households, residents by uid, what was found), so the
    choice needs no second upload; it is emptied once the choice is made."""

    class Status(models.TextChoices):
        CHECKED = "checked", _("Bad rows found: nothing imported yet")
        COMMITTED = "committed", _("Imported")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {Status.CHECKED: {Status.COMMITTED, Status.CANCELLED}, Status.COMMITTED: set(), Status.CANCELLED: set()}

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    round = models.ForeignKey("screening.ScreeningRound", on_delete=models.CASCADE, related_name="imports", verbose_name=_("round"))
    actor = models.ForeignKey(User, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+",
                              db_index=False)
    # Where the rows could land: the narrower of the round's scope and the uploader's jurisdiction.
    org_path = models.CharField(max_length=255, editable=False)
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    sheet_name = models.CharField(_("sheet"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(_("header row"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CHECKED)
    # total = good + bad + skipped (rows without a visit result, the template's example).
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    good_rows = models.PositiveIntegerField(_("good rows"), default=0)
    bad_rows = models.PositiveIntegerField(_("bad rows"), default=0)
    skipped_rows = models.PositiveIntegerField(_("rows without a visit"), default=0)
    households = models.PositiveIntegerField(_("households in good rows"), default=0)
    visits_created = models.PositiveIntegerField(_("visits recorded"), default=0)
    visits_unchanged = models.PositiveIntegerField(_("visits already recorded"), default=0)
    checks_created = models.PositiveIntegerField(_("people checked"), default=0)
    candidates = models.PositiveIntegerField(_("key-person candidates"), default=0)
    # [{"row", "column", "name", "value", "reason"}]: ID numbers masked, as on the page.
    issues = models.JSONField(_("problems"), default=list, blank=True)
    good = models.JSONField(default=list, blank=True, editable=False)
    ignored_columns = models.JSONField(_("columns ignored"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("screening import")
        verbose_name_plural = _("screening imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["round", "-created_at"], name="screeningimport_round_recent")]
        constraints = [
            models.CheckConstraint(condition=Q(total_rows=F("good_rows") + F("bad_rows") + F("skipped_rows")),
                                   name="screeningimport_rows_add_up"),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_waiting(self) -> bool:
        return self.status == self.Status.CHECKED

    def transition_to(self, new: str, **fields) -> None:
        """Move to `new` from the status this object holds, saving `fields` with it; a second
        click finds the row changed and gets an error."""
        if new not in self.TRANSITIONS[self.status]:
            raise DomainError(_("This import is %(status)s; it cannot become %(new)s.")
                              % {"status": self.get_status_display(), "new": self.Status(new).label}, code="conflict")
        fields.setdefault("finished_at", timezone.now())
        updated = ScreeningImport.objects.filter(pk=self.pk, status=self.status).update(status=new, **fields)
        if not updated:
            raise DomainError(_("This import changed meanwhile; reload the page."), code="conflict")
        self.status = new
        for key, value in fields.items():
            setattr(self, key, value)
