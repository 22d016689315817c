import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianfang.core.models import OrgUnit, User
from lianfang.registry.models import Resident


class Category(models.TextChoices):
    """Why a person is watched (seed 001, 004)."""

    RISK_AREA_RETURNEE = "risk_area_returnee", _("Returnee from a risk area")
    RISK_AREA_TRANSIT = "risk_area_transit", _("Transited a risk area")
    CLOSE_CONTACT = "close_contact", _("Close contact")
    SECONDARY_CONTACT = "secondary_contact", _("Secondary contact")
    SUSPECTED_CASE = "suspected_case", _("Suspected case")
    CONFIRMED_CASE = "confirmed_case", _("Confirmed case")
    ASYMPTOMATIC = "asymptomatic", _("Asymptomatic infection")
    FEVER_PATIENT = "fever_patient", _("Fever patient")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    """Where the person came to our attention."""

    SCREENING = "screening", _("Screening visit")
    UNIT_REPORT = "unit_report", _("Report by a unit")
    TRANSFER = "transfer", _("Transfer from another district")
    HOTLINE = "hotline", _("Hotline")
    CHECKPOINT = "checkpoint", _("Checkpoint")


class KeyPerson(models.Model):
    """A key person (重点人员): a resident who must be watched. The quarantine issue adds orders,
    cadres and health checks to this record; screening creates it from a confirmed candidate."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Under watch")
        RELEASED = "released", _("Released")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"), db_index=False)
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="key_person_records", verbose_name=_("resident"))
    org_path = models.CharField(max_length=255, editable=False)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    source = models.CharField(_("source"), max_length=32, choices=Source.choices)
    # What the source was, e.g. the screening round and visit (kept as text: sources live in other apps).
    source_ref = models.CharField(_("source reference"), max_length=200, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("key person")
        verbose_name_plural = _("key persons")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org_path"], name="keyperson_org_path")]
        constraints = [
            models.UniqueConstraint(fields=["resident"], condition=Q(status="active"), name="keyperson_one_active_per_resident"),
        ]

    def __str__(self) -> str:
        return self.resident.name
