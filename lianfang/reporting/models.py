"""Daily reporting (日报告、零报告; seeds 000–003): the units that report, the district's report
templates (fields in sections, some pre-filled from the records, a daily deadline) and the daily
reports that come in, with every correction kept."""

import datetime as dt
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core import clock
from lianfang.core.models import OrgUnit, User


class UnitKind(models.TextChoices):
    """Who reports: a level of the tree, or a department of the district (seed 000: the finance
    bureau; 003: commerce, education; 002: justice)."""

    STREET = "street", _("Street/town")
    COMMUNITY = "community", _("Community/village")
    FINANCE = "finance", _("Finance bureau")
    COMMERCE = "commerce", _("Commerce bureau")
    EDUCATION = "education", _("Education bureau")
    JUSTICE = "justice", _("Justice bureau")
    CONSTRUCTION = "construction", _("Housing and construction bureau")
    HEALTH = "health", _("Health commission")
    OTHER = "other", _("Other department")


# Kinds that are nodes of the tree; the others are departments of the district.
TREE_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY)


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class ReportingUnit(models.Model):
    """A unit that reports every day. A street or community is its node of the tree; a department
    sits at the district's node. Its reporters submit and its head signs off."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    org = models.OneToOneField(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="reporting_unit",
                               verbose_name=_("node of the tree"))
    org_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("unit"), max_length=100)
    head_name = models.CharField(_("responsible person"), max_length=50, blank=True)
    head_phone = models.CharField(_("phone"), max_length=20, blank=True)
    head = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("head (signs off)"))
    reporters = models.ManyToManyField(User, blank=True, related_name="reporting_units", verbose_name=_("reporters"))
    is_active = models.BooleanField(_("reports"), default=True)
    duty_phone = models.CharField(_("24-hour duty phone"), max_length=20, blank=True)
    # A WeCom or DingTalk group robot (or any receiver of the same JSON) told of reminders.
    webhook_kind = models.CharField(_("reminder robot"), max_length=16, choices=WebhookKind.choices, blank=True)
    webhook_url = models.URLField(_("robot webhook address"), max_length=500, blank=True)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("reporting unit")
        verbose_name_plural = _("reporting units")
        ordering = ["org_path", "kind", "name"]
        indexes = [models.Index(fields=["org_path"], name="reportingunit_org_path")]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="reportingunit_name_per_district")]

    def __str__(self) -> str:
        return self.name


class ReportTemplate(models.Model):
    """What the district office asks for every day, from which kinds of unit, by when. The
    deadline is a local time on the day reported, or the next morning (`deadline_next_day`)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False)
    org_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("name"), max_length=100)
    unit_kinds = models.JSONField(_("who reports"), default=list)
    deadline = models.TimeField(_("deadline"), default=dt.time(10, 0))
    deadline_next_day = models.BooleanField(_("deadline the next day"), default=False)
    is_active = models.BooleanField(_("in use"), default=True)
    remind_before = models.PositiveSmallIntegerField(_("remind minutes before the deadline"), default=60)
    remind_after = models.PositiveSmallIntegerField(_("remind again minutes after the deadline"), default=30)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("report template")
        verbose_name_plural = _("report templates")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="reporttemplate_name_per_district")]

    def __str__(self) -> str:
        return self.name

    def asks(self, day: dt.date, *, today: dt.date) -> bool:
        """Whether the template asked for `day`: not for days before it was set up. (A creation
        date after `today` only happens under a test's frozen clock: then every day counts.)"""
        created = timezone.localdate(self.created_at)
        return not (day < created <= today)

    def deadline_for(self, day: dt.date) -> dt.datetime:
        """The moment the report of `day` is due (aware, local wall clock)."""
        return clock.local(day + dt.timedelta(days=1 if self.deadline_next_day else 0), self.deadline)


class FieldKind(models.TextChoices):
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Number with decimals")
    TEXT = "text", _("Text")
    CHOICE = "choice", _("Choice")
    YES_NO = "yes_no", _("Yes/no")


class ReportField(models.Model):
    """One field of a template, in a section. `source` names a registered figure
    (core.figures): the form shows it pre-filled from the records for the unit and day."""

    template = models.ForeignKey(ReportTemplate, on_delete=models.CASCADE, related_name="fields")
    section = models.CharField(_("section"), max_length=100, blank=True)
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=FieldKind.choices, default=FieldKind.INTEGER)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    source = models.CharField(_("pre-filled from"), max_length=50, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("report field")
        verbose_name_plural = _("report fields")
        ordering = ["template_id", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["template", "key"], name="reportfield_key_per_template")]

    def __str__(self) -> str:
        return self.label


class DailyReport(models.Model):
    """A unit's report for one day of one template: the values, or a zero report ("nothing new
    today"). Late when it came in after the deadline. A correction keeps the earlier values
    as a revision; the head's sign-off is cleared by a correction."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    template = models.ForeignKey(ReportTemplate, on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey(ReportingUnit, on_delete=models.PROTECT, related_name="reports")
    org_path = models.CharField(max_length=255, editable=False)
    day = models.DateField(_("day"))
    values = models.JSONField(_("values"), default=dict)
    # The sourced figures as the records gave them when it was submitted (the values may differ).
    prefilled = models.JSONField(default=dict, editable=False)
    is_zero = models.BooleanField(_("zero report"), default=False)
    submitted_at = models.DateTimeField(_("submitted"))
    submitted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    is_late = models.BooleanField(_("late"), default=False)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    signed_off_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-day", "org_path"]
        indexes = [models.Index(fields=["template", "day", "org_path"], name="dailyreport_matrix")]
        constraints = [models.UniqueConstraint(fields=["template", "unit", "day"], name="dailyreport_one_per_unit_day")]

    def __str__(self) -> str:
        return f"{self.unit} {self.day}"


class DailyReportRevision(models.Model):
    """What a report said before a correction, who changed it and why."""

    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveSmallIntegerField(_("revision"))
    values = models.JSONField(_("values"), default=dict)
    is_zero = models.BooleanField(_("zero report"), default=False)
    submitted_at = models.DateTimeField(_("submitted"))
    submitted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    replaced_at = models.DateTimeField(_("corrected"), default=clock.now, editable=False)
    replaced_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["report_id", "revision"]
        constraints = [models.UniqueConstraint(fields=["report", "revision"], name="reportrevision_once")]


class RuleOp(models.TextChoices):
    LE = "le", "≤"
    LT = "lt", "<"
    EQ = "eq", "="
    GE = "ge", "≥"
    GT = "gt", ">"


class ReportRule(models.Model):
    """A check between two number fields of a template, e.g. "visited ≤ in scope"; checked
    when both have a value."""

    template = models.ForeignKey(ReportTemplate, on_delete=models.CASCADE, related_name="rules")
    left = models.SlugField(_("field"), max_length=50)
    op = models.CharField(_("must be"), max_length=2, choices=RuleOp.choices)
    right = models.SlugField(_("than field"), max_length=50)
    message = models.CharField(_("message when broken"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("check between fields")
        verbose_name_plural = _("checks between fields")
        ordering = ["template_id", "id"]


class Reminder(models.Model):
    """A reminder to a unit that has not reported: before the deadline, or after it. Shown in
    the app; sent to the unit's robot when it has one, retried with backoff until it answers."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Before the deadline")
        AFTER = "after", _("Deadline passed")

    class Delivery(models.TextChoices):
        NONE = "none", _("In the app only")
        PENDING = "pending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Not sent: the report came in")

    template = models.ForeignKey(ReportTemplate, on_delete=models.CASCADE, related_name="reminders")
    unit = models.ForeignKey(ReportingUnit, on_delete=models.CASCADE, related_name="reminders")
    org_path = models.CharField(max_length=255, editable=False)
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(_("reminded"), default=clock.now)
    text = models.TextField(_("message"))
    delivery = models.CharField(_("robot"), max_length=10, choices=Delivery.choices, default=Delivery.NONE)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_at", "org_path"]
        indexes = [models.Index(fields=["delivery", "next_attempt_at"], name="reminder_due")]
        constraints = [models.UniqueConstraint(fields=["template", "unit", "day", "kind"], name="reminder_once")]

    def __str__(self) -> str:
        return f"{self.unit} {self.day} {self.get_kind_display()}"


class DutyRole(models.TextChoices):
    LEADER = "leader", _("Leader on duty")
    OFFICER = "officer", _("Duty officer")


class DutyEntry(models.Model):
    """Who is on 24-hour duty for a unit on a day (带班领导, 值班人员), and their phone."""

    unit = models.ForeignKey(ReportingUnit, on_delete=models.CASCADE, related_name="duty")
    org_path = models.CharField(max_length=255, editable=False)
    day = models.DateField(_("day"))
    role = models.CharField(_("role"), max_length=8, choices=DutyRole.choices, default=DutyRole.OFFICER)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("duty entry")
        verbose_name_plural = _("duty roster")
        ordering = ["day", "org_path", "role", "id"]
        indexes = [models.Index(fields=["day", "org_path"], name="dutyentry_day")]
        constraints = [models.UniqueConstraint(fields=["unit", "day", "role", "name"], name="dutyentry_once")]

    def __str__(self) -> str:
        return f"{self.unit} {self.day} {self.name}"


class BriefCounter(models.Model):
    """The last number given to a district's brief. Numbers come from this row under a lock, in
    the transaction that stores the brief, so an issue that fails gives its number back."""

    district = models.OneToOneField(OrgUnit, on_delete=models.PROTECT, related_name="+")
    last_number = models.PositiveIntegerField(default=0)


class Brief(models.Model):
    """An issue of the district's daily brief (疫情防控工作日报 第 N 期). What it says is kept as
    generated (`content`), so the archived issue reads the same later; DOCX and PDF are made
    from it."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False)
    org_path = models.CharField(max_length=255, editable=False)
    number = models.PositiveIntegerField(_("issue number"))
    day = models.DateField(_("day"))
    title = models.CharField(_("title"), max_length=100)
    office = models.CharField(_("issued by"), max_length=100)
    send_to = models.CharField(_("sent to (本期送)"), max_length=500, blank=True)
    copy_to = models.CharField(_("distributed to (发)"), max_length=500, blank=True)
    editors = models.CharField(_("editors"), max_length=200, blank=True)
    highlights = models.TextField(_("highlights"), blank=True)
    content = models.JSONField(default=dict, editable=False)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("generated"), default=clock.now, editable=False)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("daily brief")
        verbose_name_plural = _("daily briefs")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["district", "number"], name="brief_number_per_district")]

    def __str__(self) -> str:
        return f"{self.title} 第{self.number}期"
