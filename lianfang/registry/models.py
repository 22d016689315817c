import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianfang.core.models import OrgUnit, User


class Household(models.Model):
    """A household (户) at one address; its place in the tree is its deepest node
    (grid, compound, building or unit), copied into `org_path` for scoping."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The district key (for partitioning by district); lists filter by org_path instead.
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"), db_index=False)
    grid = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="grid_households", verbose_name=_("grid"))
    org = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="households", verbose_name=_("building/compound"))
    org_path = models.CharField(max_length=255, editable=False)
    address = models.CharField(_("address"), max_length=200)
    room = models.CharField(_("room"), max_length=30, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    pass_card_no = models.CharField(_("pass card number"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["org_path", "room", "id"]
        # Meta.indexes, not db_index: no unused LIKE-pattern copies on PostgreSQL (see OrgUnit).
        indexes = [models.Index(fields=["org_path"], name="household_org_path")]

    def __str__(self) -> str:
        return self.address


class RelationToHead(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    CHILD_IN_LAW = "child_in_law", _("Son/daughter-in-law")
    TENANT = "tenant", _("Tenant")
    OTHER = "other", _("Other")


class ResidenceType(models.TextChoices):
    PERMANENT = "permanent", _("Permanent (常住)")
    TEMPORARY = "temporary", _("Temporary (暂住)")
    FLOATING = "floating", _("Floating (流动)")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Resident(models.Model):
    """A person living in the district. One ID number, one person per district."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Indexed as the first column of the one-ID-number-per-district constraint.
    district = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"), db_index=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="residents", verbose_name=_("household"))
    org_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("name"), max_length=50)
    # Null for people without a mainland ID or residence permit yet (newborns, foreigners).
    id_number = models.CharField(_("ID number"), max_length=18, null=True, blank=True)
    id_tail = models.CharField(max_length=4, blank=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    relation_to_head = models.CharField(_("relation to head"), max_length=16, choices=RelationToHead.choices, default=RelationToHead.HEAD)
    residence_type = models.CharField(_("residence type"), max_length=16, choices=ResidenceType.choices, default=ResidenceType.PERMANENT)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["org_path", "household_id", "id"]
        indexes = [
            models.Index(fields=["org_path"], name="resident_org_path"),
            models.Index(fields=["name"], name="resident_name"),
            models.Index(fields=["id_tail"], name="resident_id_tail"),
            models.Index(fields=["phone"], name="resident_phone"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "id_number"], condition=Q(id_number__isnull=False), name="resident_one_id_number_per_district"
            ),
        ]

    def __str__(self) -> str:
        return self.name

from .import_models import *  # noqa: E402,F401,F403  (import jobs live in their own module)
