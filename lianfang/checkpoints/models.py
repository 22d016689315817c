"""Checkpoints (卡点), their duty rosters, household pass cards (出入证, "卡片制") and the real-name
passage records taken at the gate (实名登记, 问检登) — seeds 000–004."""

import datetime as dt
import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core import clock
from lianfang.core.models import OrgUnit, User
from lianfang.registry.models import Household, Resident


class CheckpointKind(models.TextChoices):
    COMPOUND_GATE = "compound_gate", _("Compound gate")
    VILLAGE_ENTRANCE = "village_entrance", _("Village entrance")
    ROAD = "road", _("Road checkpoint")
    BUILDING = "building", _("Building entrance")


class Equipment(models.TextChoices):
    """What a post has (seed 001: tents and heating; thermometers, disinfection)."""

    TENT = "tent", _("Tent")
    HEATER = "heater", _("Heater")
    THERMOMETER = "thermometer", _("Thermometer")
    THERMAL_CAMERA = "thermal_camera", _("Thermal camera")
    DISINFECTANT = "disinfectant", _("Disinfection sprayer")
    SCANNER = "scanner", _("Code scanner")
    BARRIER = "barrier", _("Barrier")
    LIGHTING = "lighting", _("Lighting")


# Three shifts of eight hours, the usual pattern (seed 001: "轮流值守").
DEFAULT_SHIFT_STARTS = ["08:00", "16:00", "00:00"]


class Checkpoint(models.Model):
    """A manned gate. `org` is the compound, village, building or community it closes; a gate
    flagged `is_single_exit` is the one way out of its closed circle (seed 000: "封闭式管理，只留一个出口")."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"), db_index=False)
    org = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="checkpoints", verbose_name=_("closes (unit)"))
    org_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(pgettext_lazy("checkpoint", "name"), max_length=100)
    kind = models.CharField(_("type"), max_length=20, choices=CheckpointKind.choices, default=CheckpointKind.COMPOUND_GATE)
    location = models.CharField(_("location"), max_length=200, blank=True)
    # Both empty: open day and night. A closing time before the opening time runs past midnight.
    opens_at = models.TimeField(_("opens"), null=True, blank=True)
    closes_at = models.TimeField(_("closes"), null=True, blank=True)
    equipment = models.JSONField(_("equipment"), default=list, blank=True)
    equipment_note = models.CharField(_("other equipment"), max_length=200, blank=True)
    is_single_exit = models.BooleanField(_("single exit of a closed circle"), default=False)
    # Local start times of the shifts of a day, e.g. ["08:00", "16:00", "00:00"]; each runs to the next.
    shift_starts = models.JSONField(_("shift start times"), default=list, blank=True)
    is_active = models.BooleanField(_("in service"), default=True)
    # Checkpoint staff see and record at the gates they are posted to, and nowhere else.
    staff = models.ManyToManyField(User, blank=True, related_name="checkpoint_posts", verbose_name=_("posted staff"))
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["org_path", "name"]
        indexes = [models.Index(fields=["org_path"], name="checkpoint_org_path")]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="checkpoint_name_per_unit"),
            models.UniqueConstraint(fields=["org"], condition=Q(is_single_exit=True, is_active=True), name="checkpoint_one_single_exit"),
        ]

    def __str__(self) -> str:
        return self.name

    def hours_label(self) -> str:
        if self.opens_at is None or self.closes_at is None:
            return str(_("24 hours"))
        return f"{self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def is_open_at(self, moment_time: dt.time) -> bool:
        if self.opens_at is None or self.closes_at is None:
            return True
        if self.opens_at <= self.closes_at:
            return self.opens_at <= moment_time < self.closes_at
        return moment_time >= self.opens_at or moment_time < self.closes_at

    def equipment_labels(self) -> list[str]:
        labels = dict(Equipment.choices)
        return [str(labels.get(e, e)) for e in self.equipment]


class DutyShift(models.Model):
    """One shift at one gate, with its handover note for the next shift."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("checkpoint"))
    org_path = models.CharField(max_length=255, editable=False)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    handover_note = models.TextField(_("handover note"), blank=True)
    handover_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    handover_at = models.DateTimeField(_("handed over"), null=True, blank=True)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "starts_at"], name="shift_start_per_checkpoint"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint} {self.starts_at:%m-%d %H:%M}"


class StaffKind(models.TextChoices):
    CADRE = "cadre", _("Cadre")
    PARTY_MEMBER = "party_member", _("Party member")
    VOLUNTEER = "volunteer", _("Volunteer")
    WARDEN = "warden", _("Warden / property staff")
    POLICE = "police", _("Police")
    DOCTOR = "doctor", _("Medical staff")


class DutyAssignment(models.Model):
    """A person on one shift (seed 000: party members and wardens at the gates)."""

    shift = models.ForeignKey(DutyShift, on_delete=models.CASCADE, related_name="assignments")
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    kind = models.CharField(_("as"), max_length=16, choices=StaffKind.choices, default=StaffKind.VOLUNTEER)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("user account"))

    class Meta:
        verbose_name = _("person on duty")
        verbose_name_plural = _("people on duty")
        ordering = ["shift_id", "id"]
        constraints = [models.UniqueConstraint(fields=["shift", "name"], name="assignment_name_per_shift")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class PassCard(models.Model):
    """A household's pass card (or one resident's), printed with a QR code. The code carries
    `token` — random, signed by the server, never the ID number; revoking makes it useless."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Valid")
        REVOKED = "revoked", _("Revoked")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="pass_cards", verbose_name=_("household"))
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="pass_cards",
                                 verbose_name=_("resident"), db_index=False)
    org_path = models.CharField(max_length=255, editable=False)
    number = models.CharField(_("card number"), max_length=20, unique=True)
    token = models.CharField(max_length=32, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    issued_at = models.DateTimeField(_("issued"), default=clock.now, editable=False)
    issued_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    revoke_reason = models.CharField(_("reason"), max_length=200, blank=True)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by",
                                    verbose_name=_("replaces"))

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("pass card")
        verbose_name_plural = _("pass cards")
        ordering = ["org_path", "number"]
        indexes = [models.Index(fields=["org_path", "status"], name="passcard_org_path")]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(status="active", resident__isnull=True),
                                    name="passcard_one_active_per_household"),
            models.UniqueConstraint(fields=["resident"], condition=Q(status="active", resident__isnull=False),
                                    name="passcard_one_active_per_resident"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Direction(models.TextChoices):
    IN = "in", _("In")
    OUT = "out", _("Out")


class Subject(models.TextChoices):
    CARD = "card", _("Pass card")
    ID_NUMBER = "id_number", _("ID number")
    VISITOR = "visitor", _("Visitor (name and phone)")


class HealthCode(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class Outcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    TURNED_BACK = "turned_back", _("Turned back")
    REFERRED = "referred", _("Referred to fever clinic")


class Passage(models.Model):
    """One person (and their vehicle) through one gate: 一人一登记. High volume (about a million a
    day for a district): carries the district and the time so it can be partitioned, and `uid`
    comes from the phone, so a record queued offline and sent twice is stored once."""

    uid = models.UUIDField(unique=True)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False)
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="passages", db_index=False,
                                   verbose_name=_("checkpoint"))
    org_path = models.CharField(max_length=255, editable=False)
    at = models.DateTimeField(_("time"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    subject = models.CharField(_("identified by"), max_length=16, choices=Subject.choices)
    card = models.ForeignKey(PassCard, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="passages", db_index=False)
    name = models.CharField(_("name"), max_length=50, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Not living inside the unit the gate closes (or not in the registry at all).
    is_visitor = models.BooleanField(pgettext_lazy("passage", "visitor"), default=False)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True)
    mask = models.BooleanField(_("mask"), null=True, blank=True)
    health_code = models.CharField(_("health code"), max_length=8, choices=HealthCode.choices, blank=True)
    plate = models.CharField(_("vehicle plate"), max_length=10, blank=True)
    disinfected = models.BooleanField(_("vehicle disinfected"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.PASSED)
    turn_back_reason = models.CharField(_("reason turned back"), max_length=200, blank=True)
    is_fever = models.BooleanField(_("fever"), default=False)
    is_breach = models.BooleanField(_("quarantine breach"), default=False)
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    recorded_at = models.DateTimeField(_("recorded"), default=clock.now, editable=False)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("passage record")
        verbose_name_plural = _("passage records")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["checkpoint", "at"], name="passage_checkpoint_at"),
            models.Index(fields=["org_path", "at"], name="passage_path_at"),
            models.Index(fields=["district", "at"], name="passage_district_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(outcome="turned_back") | ~Q(turn_back_reason=""), name="passage_turn_back_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.plate} {self.get_direction_display()} {self.at:%m-%d %H:%M}"


class Referral(models.Model):
    """A fever (≥ 37.3 °C) or a yellow/red health code at a gate: the person is walked to the fever
    clinic (or told to go) and someone must close the loop. Scoped to the gate's place."""

    class Reason(models.TextChoices):
        FEVER = "fever", _("Fever")
        YELLOW_CODE = "yellow_code", _("Yellow health code")
        RED_CODE = "red_code", _("Red health code")
        BY_GATE = "by_gate", _("Referred by the gate (symptoms, other)")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLOSED = "closed", _("Closed")

    TRANSITIONS = {Status.OPEN: {Status.ACKNOWLEDGED, Status.CLOSED}, Status.ACKNOWLEDGED: {Status.CLOSED}}

    class Disposition(models.TextChoices):
        AT_CLINIC = "at_clinic", _("Arrived at the fever clinic")
        RULED_OUT = "ruled_out", _("Ruled out (normal on re-check)")
        QUARANTINED = "quarantined", _("Placed under quarantine")
        HOSPITALISED = "hospitalised", _("Hospitalised / isolated")
        NOT_FOUND = "not_found", _("Left, not found")
        OTHER = "other", _("Other")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False)
    org_path = models.CharField(max_length=255, editable=False)
    passage = models.OneToOneField(Passage, on_delete=models.PROTECT, related_name="referral")
    reasons = models.JSONField(_("reasons"), default=list)
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
        verbose_name = _("fever referral")
        verbose_name_plural = _("fever referrals")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["org_path", "raised_at"], name="referral_open_path", condition=~Q(status="closed"))]

    def __str__(self) -> str:
        return f"{self.passage.name} · {', '.join(self.reason_labels())}"

    def reason_labels(self) -> list[str]:
        labels = dict(self.Reason.choices)
        return [str(labels.get(r, r)) for r in self.reasons]
