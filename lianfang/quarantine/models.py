import datetime as dt
import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from lianfang.core import clock
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
    TRACING = "tracing", _("Contact tracing")


class KeyPerson(models.Model):
    """A key person (重点人员), one file per person (建档立卡): a resident who must be watched.
    Screening and tracing hand people over through `key_person_register`."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Under watch")
        RELEASED = "released", _("Released")
        TRANSFERRED = "transferred", _("Transferred out")

    # A released or transferred file is closed; someone flagged again gets a new file.
    TRANSITIONS = {Status.ACTIVE: {Status.RELEASED, Status.TRANSFERRED}}

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
    # When the person was first found (the visit, the report): the start of "早发现 → 早隔离".
    flagged_at = models.DateTimeField(_("flagged"), null=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

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


class KeyPersonEvent(models.Model):
    """The history of a key-person file: status and category changes, with who and why."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Status")
        CATEGORY = "category", _("Category")

    key_person = models.ForeignKey(KeyPerson, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("change"), max_length=16, choices=Kind.choices)
    from_value = models.CharField(_("from"), max_length=32, blank=True)
    to_value = models.CharField(_("to"), max_length=32)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    at = models.DateTimeField(_("time"), default=clock.now, editable=False)

    class Meta:
        ordering = ["at", "id"]

    def _label(self, value: str) -> str:
        choices = KeyPerson.Status if self.kind == self.Kind.STATUS else Category
        return dict(choices.choices).get(value, value)

    def from_label(self) -> str:
        return self._label(self.from_value) if self.from_value else ""

    def to_label(self) -> str:
        return self._label(self.to_value)


class QuarantinePolicy(models.Model):
    """What the district office configures for quarantine: check windows, periods per
    category and release conditions. One row per district; defaults until someone edits it."""

    district = models.OneToOneField(OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("district"))
    morning_start = models.TimeField(_("morning check from"), default=dt.time(7, 0))
    morning_end = models.TimeField(_("morning check until"), default=dt.time(11, 0))
    afternoon_start = models.TimeField(_("afternoon check from"), default=dt.time(14, 0))
    afternoon_end = models.TimeField(_("afternoon check until"), default=dt.time(18, 0))
    # {category: days}; a category not listed takes `default_days`.
    periods = models.JSONField(_("period per category (days)"), default=dict, blank=True)
    default_days = models.PositiveSmallIntegerField(_("default period (days)"), default=14)
    release_normal_checks = models.PositiveSmallIntegerField(
        _("normal checks needed for release"), default=4,
        help_text=_("The last N health checks must have no fever and no symptom."))
    release_requires_all_checks = models.BooleanField(
        _("no missed check in the last day"), default=True,
        help_text=_("Both checks of the last day of the period must be recorded."))
    updated_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("quarantine policy")
        verbose_name_plural = _("quarantine policies")
        constraints = [
            models.CheckConstraint(condition=Q(morning_end__gt=F("morning_start")) & Q(afternoon_start__gte=F("morning_end"))
                                   & Q(afternoon_end__gt=F("afternoon_start")), name="policy_windows_ordered"),
            models.CheckConstraint(condition=Q(default_days__gte=1) & Q(default_days__lte=90), name="policy_default_days"),
        ]

    def days_for(self, category: str) -> int:
        return int(self.periods.get(category) or self.default_days)


class OrderKind(models.TextChoices):
    HOME_QUARANTINE = "home_quarantine", _("Home quarantine")
    HOME_OBSERVATION = "home_observation", _("Home medical observation")
    CENTRAL = "central", _("Central quarantine")


class Scheme(models.TextChoices):
    """How responsibility is shared (seed 000: "2包1"; seed 002: five levels)."""

    TWO_FOR_ONE = "two_for_one", _("Two for one (2包1)")
    FIVE_LEVELS = "five_levels", _("Five levels (五级)")


class Duty(models.TextChoices):
    TOWN = "town", _("Town/street cadre")
    VILLAGE = "village", _("Village/community cadre")
    GROUP = "group", _("Group/building head")
    DOCTOR = "doctor", _("Health centre doctor")
    POLICE = "police", _("Police station officer")


FIVE_LEVELS = [Duty.TOWN, Duty.VILLAGE, Duty.GROUP, Duty.DOCTOR, Duty.POLICE]


class QuarantineOrder(models.Model):
    """A quarantine order: who, how, from when and for how many days. `end_date` is the last day
    of observation (start + days - 1); extensions add days and keep their own rows.
    `morning_checked_on`/`afternoon_checked_on` are the latest days each check was recorded, so
    today's follow-up list is a plain column comparison over the active orders."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("In quarantine")
        RELEASED = "released", _("Released")
        TRANSFERRED = "transferred", _("Transferred")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {Status.ACTIVE: {Status.RELEASED, Status.TRANSFERRED, Status.CANCELLED}}

    class ReleaseKind(models.TextChoices):
        COMPLETED = "completed", _("Period completed")
        EARLY = "early", _("Early release")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"), db_index=False)
    key_person = models.ForeignKey(KeyPerson, on_delete=models.PROTECT, related_name="orders", verbose_name=_("key person"))
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+", verbose_name=_("resident"), db_index=False)
    org_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField(_("type"), max_length=32, choices=OrderKind.choices)
    scheme = models.CharField(_("responsibility"), max_length=16, choices=Scheme.choices, default=Scheme.TWO_FOR_ONE)
    start_date = models.DateField(_("start"))
    days = models.PositiveSmallIntegerField(_("period (days)"))
    end_date = models.DateField(_("end"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    reason = models.TextField(_("reason"), blank=True)
    # Checks are owed for every window ending after this: the later of the order's entry and
    # the start date (a back-dated order owes nothing for the days before it was entered).
    checks_from = models.DateTimeField(editable=False)
    # Central quarantine: the room, and when the person checked in and out.
    room = models.ForeignKey("Room", null=True, blank=True, on_delete=models.PROTECT, related_name="orders", verbose_name=_("room"))
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    morning_checked_on = models.DateField(null=True, blank=True, editable=False)
    afternoon_checked_on = models.DateField(null=True, blank=True, editable=False)
    last_temperature = models.DecimalField(_("last temperature"), max_digits=3, decimal_places=1, null=True, blank=True, editable=False)
    last_checked_at = models.DateTimeField(_("last check"), null=True, blank=True, editable=False)
    notice_signed_at = models.DateTimeField(_("notice signed"), null=True, blank=True)
    notice_signed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    release_kind = models.CharField(_("release"), max_length=16, choices=ReleaseKind.choices, blank=True)
    release_reason = models.TextField(_("release reason"), blank=True)
    # The conditions as they stood at release, e.g. {"normal_checks": [4, 4], "missed_last_day": 0}.
    release_conditions = models.JSONField(default=dict, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("quarantine order")
        verbose_name_plural = _("quarantine orders")
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["org_path"], name="order_org_path"),
            # Today's follow-up counts read this index alone.
            models.Index(fields=["org_path", "end_date", "checks_from", "morning_checked_on", "afternoon_checked_on"],
                         condition=Q(status="active"), name="order_active_followup"),
            models.Index(fields=["status", "ended_at"], name="order_status_ended"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="order_end_after_start"),
            models.CheckConstraint(condition=Q(days__gte=1) & Q(days__lte=180), name="order_days_range"),
            models.CheckConstraint(condition=~Q(kind="central") | Q(room__isnull=False), name="order_central_has_room"),
            models.UniqueConstraint(fields=["key_person"], condition=Q(status="active"), name="order_one_active_per_key_person"),
        ]

    def __str__(self) -> str:
        return f"{self.resident.name} · {self.get_kind_display()}"

    @staticmethod
    def end_for(start: dt.date, days: int) -> dt.date:
        return start + dt.timedelta(days=days - 1)

    def day_number(self, day: dt.date) -> int:
        """1 on the start date."""
        return (day - self.start_date).days + 1

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class OrderExtension(models.Model):
    order = models.ForeignKey(QuarantineOrder, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("extra days"))
    previous_end = models.DateField(_("previous end"))
    new_end = models.DateField(_("new end"))
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    at = models.DateTimeField(_("time"), default=clock.now, editable=False)

    class Meta:
        ordering = ["at", "id"]


class Cadre(models.Model):
    """A named person answerable for one order, with their duty. Linked to a user account when
    they have one, which is what "mine" filters by."""

    order = models.ForeignKey(QuarantineOrder, on_delete=models.CASCADE, related_name="cadres")
    duty = models.CharField(_("duty"), max_length=16, choices=Duty.choices)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="cadre_duties")

    class Meta:
        verbose_name = _("responsible cadre")
        verbose_name_plural = _("responsible cadres")
        ordering = ["order_id", "id"]
        indexes = [models.Index(fields=["user", "order"], name="cadre_user_order")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_duty_display()})"


class Site(models.Model):
    """A central quarantine site (集中隔离点), e.g. a requisitioned hotel (seed 003)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"), db_index=False)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="quarantine_sites", verbose_name=_("org unit"))
    org_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    is_open = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("central quarantine site")
        verbose_name_plural = _("central quarantine sites")
        ordering = ["org_path", "name"]
        indexes = [models.Index(fields=["org_path"], name="site_org_path")]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="site_unique_name")]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="rooms")
    number = models.CharField(_("room"), max_length=20)
    capacity = models.PositiveSmallIntegerField(_("beds"), default=1)
    is_usable = models.BooleanField(_("usable"), default=True)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["site_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="room_unique_number"),
            models.CheckConstraint(condition=Q(capacity__gte=1) & Q(capacity__lte=20), name="room_capacity_range"),
        ]

    def __str__(self) -> str:
        return f"{self.site.name} {self.number}"


class Slot(models.TextChoices):
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")


class Symptom(models.TextChoices):
    FEVER = "fever", _("Fever")
    COUGH = "cough", _("Cough")
    FATIGUE = "fatigue", _("Fatigue")
    SORE_THROAT = "sore_throat", _("Sore throat")
    DIARRHOEA = "diarrhoea", _("Diarrhoea")
    TASTE_SMELL = "taste_smell", _("Loss of taste or smell")
    OTHER = "other", _("Other")


class CheckMethod(models.TextChoices):
    DOOR = "door", _("Measured at the door")
    PHONE = "phone", _("Self-report by phone")


class HealthCheck(models.Model):
    """One temperature and symptom check of a person in quarantine. High volume: carries the
    district and the time so it can be partitioned; `uid` comes from the client (idempotent)."""

    uid = models.UUIDField(unique=True)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False)
    order = models.ForeignKey(QuarantineOrder, on_delete=models.PROTECT, related_name="checks", db_index=False)
    org_path = models.CharField(max_length=255, editable=False)
    day = models.DateField(_("day"))
    slot = models.CharField(_("check"), max_length=16, choices=Slot.choices)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    symptom_note = models.CharField(_("other symptom"), max_length=200, blank=True)
    method = models.CharField(_("how"), max_length=16, choices=CheckMethod.choices, default=CheckMethod.DOOR)
    measured_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    measured_by_name = models.CharField(_("measured by"), max_length=50)
    checked_at = models.DateTimeField(_("checked at"))
    is_abnormal = models.BooleanField(_("abnormal"), default=False)
    recorded_at = models.DateTimeField(_("recorded"), default=clock.now, editable=False)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("health check")
        verbose_name_plural = _("health checks")
        ordering = ["-checked_at", "-id"]
        indexes = [
            models.Index(fields=["order", "day", "slot"], name="check_order_day_slot"),
            models.Index(fields=["district", "checked_at"], name="check_district_time"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.get_slot_display()} {self.temperature}"

    def symptom_labels(self) -> list[str]:
        labels = dict(Symptom.choices)
        return [str(labels.get(s, s)) for s in self.symptoms]


class Alert(models.Model):
    """Something about a person under watch that needs a human now: fever or a symptom at a
    check, a missed check, absent at a police spot check, trying to go out through a checkpoint
    (a breach). Seen at once by the order's cadres,
    the community and the district office (by scope); acknowledged, then closed with a
    disposition. `key` makes raising the same alert twice a no-op."""

    class Kind(models.TextChoices):
        FEVER = "fever", _("Fever")
        SYMPTOM = "symptom", _("Symptom")
        OVERDUE = "overdue", _("Missed check")
        ABSENT = "absent", _("Absent at spot check")
        BREACH = "breach", _("Tried to leave (checkpoint)")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLOSED = "closed", _("Closed")

    TRANSITIONS = {Status.OPEN: {Status.ACKNOWLEDGED, Status.CLOSED}, Status.ACKNOWLEDGED: {Status.CLOSED}}

    class Disposition(models.TextChoices):
        FEVER_CLINIC = "fever_clinic", _("Sent to fever clinic")
        TESTED = "tested", _("Tested")
        RULED_OUT = "ruled_out", _("Ruled out")
        HOSPITALISED = "hospitalised", _("Hospitalised / isolated")
        FOUND = "found", _("Checked and found in place")
        OTHER = "other", _("Other")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(max_length=120, unique=True, editable=False)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False)
    org_path = models.CharField(max_length=255, editable=False)
    key_person = models.ForeignKey(KeyPerson, on_delete=models.PROTECT, related_name="alerts")
    order = models.ForeignKey(QuarantineOrder, null=True, on_delete=models.PROTECT, related_name="alerts", db_index=False)
    health_check = models.ForeignKey(HealthCheck, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(_("alert"), max_length=16, choices=Kind.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    raised_at = models.DateTimeField(_("raised"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    disposition = models.CharField(_("disposition"), max_length=16, choices=Disposition.choices, blank=True)
    outcome = models.TextField(_("result"), blank=True)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["org_path", "raised_at"], name="alert_open_path", condition=~Q(status="closed")),
            models.Index(fields=["org_path", "raised_at"], name="alert_path_raised"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.key_person.resident.name}"


class SpotCheck(models.Model):
    """A police spot check of a person in home quarantine (seed 002)."""

    class Result(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")

    uid = models.UUIDField(unique=True)
    order = models.ForeignKey(QuarantineOrder, on_delete=models.PROTECT, related_name="spot_checks")
    org_path = models.CharField(max_length=255, editable=False)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    checked_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    checked_at = models.DateTimeField(_("checked at"))

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        ordering = ["-checked_at", "-id"]


class SupportRequest(models.Model):
    """A living-support request from a person in quarantine (seed 002: cadres buy necessities)."""

    class Kind(models.TextChoices):
        GROCERIES = "groceries", _("Groceries")
        MEDICINE = "medicine", _("Medicine")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FULFILLED = "fulfilled", _("Fulfilled")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {Status.OPEN: {Status.FULFILLED, Status.CANCELLED}}

    uid = models.UUIDField(unique=True)
    order = models.ForeignKey(QuarantineOrder, on_delete=models.PROTECT, related_name="support_requests")
    org_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField(_("need"), max_length=16, choices=Kind.choices)
    detail = models.CharField(_("detail"), max_length=300)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    requested_at = models.DateTimeField(_("requested"))
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    fulfilled_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    fulfilled_by_name = models.CharField(_("fulfilled by"), max_length=50, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("living-support request")
        verbose_name_plural = _("living-support requests")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["org_path", "status"], name="support_path_status")]
