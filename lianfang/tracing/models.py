"""Cases, their movements and their contacts (流调: seed 001 "疑似病例和密切接触人员查找、留观、隔离、
检测"; seed 004 "详细掌握其行踪轨迹和接触人员")."""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from lianfang.core.models import OrgUnit, User
from lianfang.registry.models import Resident


class Classification(models.TextChoices):
    SUSPECTED = "suspected", _("Suspected")
    CONFIRMED = "confirmed", _("Confirmed")
    ASYMPTOMATIC = "asymptomatic", _("Asymptomatic")
    EXCLUDED = "excluded", _("Excluded")


# A suspected case is confirmed, found asymptomatic or excluded; an asymptomatic infection can
# turn into a confirmed case; a confirmed case is only ever revised off (订正) as excluded.
# An excluded case is closed: the same person suspected again is a new case.
CLASSIFICATION_TRANSITIONS = {
    Classification.SUSPECTED: {Classification.CONFIRMED, Classification.ASYMPTOMATIC, Classification.EXCLUDED},
    Classification.ASYMPTOMATIC: {Classification.CONFIRMED, Classification.EXCLUDED},
    Classification.CONFIRMED: {Classification.EXCLUDED},
}


class Case(models.Model):
    """A suspected or confirmed case. A case living in the district is a Resident and is scoped
    to the resident's place; anyone else is typed in (name, ID number, phone) and is scoped to
    the unit that reported it."""

    class Status(models.TextChoices):
        UNDER_TREATMENT = "under_treatment", _("Under treatment")
        DISCHARGED = "discharged", _("Discharged")
        DECEASED = "deceased", _("Deceased")

    STATUS_TRANSITIONS = {Status.UNDER_TREATMENT: {Status.DISCHARGED, Status.DECEASED}}

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"), db_index=False)
    org = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("jurisdiction unit"), db_index=False)
    org_path = models.CharField(max_length=255, editable=False)
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
                                 verbose_name=_("resident"))
    # Copied from the resident (lists and the chain graph read it without a join); typed in otherwise.
    name = models.CharField(_("name"), max_length=50)
    id_number = models.CharField(_("ID number"), max_length=18, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    classification = models.CharField(_("classification"), max_length=16, choices=Classification.choices,
                                      default=Classification.SUSPECTED)
    onset_date = models.DateField(_("onset date"), null=True, blank=True)
    reported_on = models.DateField(_("reported on"))
    confirmed_on = models.DateField(_("confirmed on"), null=True, blank=True)
    hospital = models.CharField(_("hospital / where treated"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UNDER_TREATMENT)
    # A cluster (聚集性疫情) the case belongs to, e.g. "万家喜超市": the chain graph filters by it.
    cluster = models.CharField(_("cluster"), max_length=100, blank=True)
    infected_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="infected",
                                    verbose_name=_("infected by"))
    key_person = models.ForeignKey("quarantine.KeyPerson", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("key-person file"), db_index=False)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_on", "-id"]
        indexes = [
            models.Index(fields=["org_path"], name="case_org_path"),
            models.Index(fields=["district", "classification", "status"], name="case_district_class"),
            models.Index(fields=["cluster"], condition=~Q(cluster=""), name="case_cluster"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="case_has_name"),
            models.CheckConstraint(condition=~Q(infected_by=F("pk")), name="case_not_infected_by_itself"),
            models.CheckConstraint(condition=Q(onset_date__isnull=True) | Q(onset_date__lte=F("reported_on")),
                                   name="case_onset_before_report"),
            models.CheckConstraint(condition=~Q(classification="confirmed") | Q(confirmed_on__isnull=False),
                                   name="case_confirmed_has_date"),
            # One open case per person: suspected again after being excluded is a new case.
            models.UniqueConstraint(fields=["resident"], condition=Q(resident__isnull=False) & ~Q(classification="excluded"),
                                    name="case_one_open_per_resident"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.classification != Classification.EXCLUDED


class ClassificationChange(models.Model):
    """The history of a case's classification, registration included (from "")."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="classification_changes")
    from_value = models.CharField(_("from"), max_length=16, blank=True, choices=Classification.choices)
    to_value = models.CharField(_("to"), max_length=16, choices=Classification.choices)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("classification change")
        verbose_name_plural = _("classification changes")
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(from_value=F("to_value")), name="classification_change_changes")]


class TrajectoryEntry(models.Model):
    """Where a case was, from when to when (行踪轨迹, seed 004)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="trajectory")
    place = models.CharField(_("place"), max_length=200)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("to"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("trajectory entry")
        verbose_name_plural = _("trajectory")
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__gte=F("started_at")), name="trajectory_ends_after_start"),
            models.CheckConstraint(condition=~Q(place=""), name="trajectory_has_place"),
        ]

    def __str__(self) -> str:
        return self.place


class ContactKind(models.TextChoices):
    CLOSE = "close", _("Close contact")
    SECONDARY = "secondary", _("Secondary contact")


class Setting(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    WORK = "work", _("Work")
    TRANSPORT = "transport", _("Transport")
    DINING = "dining", _("Dining")
    MEDICAL = "medical", _("Medical")
    OTHER = "other", _("Other")


class Contact(models.Model):
    """A contact of a case (密切接触者 / 次密切接触者). A contact living in the actor's area is a
    Resident and is put under quarantine at once; anyone else is recorded with name and phone and
    handed over (协查) to the district or street where they are. Contacts belong to the case's
    investigation and are scoped with the case."""

    class Status(models.TextChoices):
        TRACED = "traced", _("Traced")
        QUARANTINED = "quarantined", _("Under quarantine")
        HANDED_OVER = "handed_over", _("Handed over")
        BECAME_CASE = "became_case", _("Became a case")

    TRANSITIONS = {
        Status.TRACED: {Status.QUARANTINED, Status.HANDED_OVER, Status.BECAME_CASE},
        Status.QUARANTINED: {Status.BECAME_CASE},
        Status.HANDED_OVER: {Status.BECAME_CASE},
    }

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"), db_index=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("case"))
    org_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices, default=ContactKind.CLOSE)
    # A secondary contact met the case through this close contact.
    via_contact = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="secondary_contacts",
                                    verbose_name=_("through contact"), db_index=False)
    setting = models.CharField(_("setting"), max_length=16, choices=Setting.choices, default=Setting.OTHER)
    last_exposure_on = models.DateField(_("last exposure"), null=True, blank=True)
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="case_contacts",
                                 verbose_name=_("resident"), db_index=False)
    name = models.CharField(_("name"), max_length=50)
    id_number = models.CharField(_("ID number"), max_length=18, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.TRACED)
    handed_over_to = models.CharField(_("handed over to"), max_length=100, blank=True)
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    key_person = models.ForeignKey("quarantine.KeyPerson", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("key-person file"), db_index=False)
    order = models.ForeignKey("quarantine.QuarantineOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("quarantine order"), db_index=False)
    became_case = models.OneToOneField(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="from_contact",
                                       verbose_name=_("became case"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org_path"], name="contact_org_path")]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="contact_has_name"),
            models.CheckConstraint(condition=~Q(status="quarantined") | Q(key_person__isnull=False),
                                   name="contact_quarantined_has_key_person"),
            models.CheckConstraint(condition=~Q(status="handed_over") | ~Q(handed_over_to=""), name="contact_handed_over_to_whom"),
            models.CheckConstraint(condition=~Q(status="became_case") | Q(became_case__isnull=False), name="contact_became_case_has_case"),
            models.CheckConstraint(condition=~Q(via_contact=F("pk")), name="contact_not_via_itself"),
            # The same person is one contact of a case: adding them again finds the record.
            models.UniqueConstraint(fields=["case", "resident"], condition=Q(resident__isnull=False), name="contact_once_per_case"),
            models.UniqueConstraint(fields=["case", "id_number"], condition=Q(id_number__isnull=False),
                                    name="contact_id_number_once_per_case"),
        ]

    def __str__(self) -> str:
        return self.name
