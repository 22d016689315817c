import hashlib
import secrets
import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .roles import Role


class Level(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street/town")
    COMMUNITY = "community", _("Community/village")
    GRID = "grid", _("Grid")
    COMPOUND = "compound", _("Compound")
    BUILDING = "building", _("Building")
    UNIT = "unit", _("Unit")


LEVEL_ORDER = list(Level.values)

# A path is the ancestor ids, each zero-padded to 8 digits, root first: "00000001" "00000007"...
# Digits only and fixed width, so that every collation (C, en_US, zh_CN, SQLite's BINARY) orders
# paths alike and a subtree is one range of an ordinary b-tree index.
PATH_SEGMENT = 8


def child_path(parent_path: str, pk: int) -> str:
    return f"{parent_path}{pk:0{PATH_SEGMENT}d}"


def path_ids(path: str) -> list[int]:
    return [int(path[i:i + PATH_SEGMENT]) for i in range(0, len(path), PATH_SEGMENT)]


class OrgUnit(models.Model):
    """A node of the jurisdiction tree (seed 000, 001).

    `path` is a materialised path of ancestor ids (see `child_path`): a subtree is one indexed
    range on SQLite and PostgreSQL, so scoping never walks the tree in Python.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False, default=0)
    # GeoJSON geometry (Polygon) for the command view's map.
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    scope_path_field = "path"

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        # Plain b-tree indexes (Meta.indexes, not db_index): paths are read as ranges, so
        # PostgreSQL's extra LIKE-pattern copy of each index would only slow the writes.
        indexes = [models.Index(fields=["path"], name="orgunit_path")]
        constraints = [
            models.CheckConstraint(condition=Q(parent__isnull=False) | Q(level="district"), name="orgunit_root_is_district"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The path embeds the node's own id, so a new node is written twice. A node keeps its
        # parent for life (moving a subtree would rewrite every record under it).
        creating = self.pk is None
        super().save(*args, **kwargs)
        if creating:
            self.path = child_path(self.parent.path if self.parent_id else "", self.pk)
            self.depth = self.parent.depth + 1 if self.parent_id else 0
            OrgUnit.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)

    @property
    def ancestor_ids(self) -> list[int]:
        return path_ids(self.path)[:-1]


class User(AbstractUser):
    """A person using Lianfang: one role, one jurisdiction (a subtree of the tree)."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.GRID_WORKER)
    jurisdiction = models.ForeignKey(
        OrgUnit, verbose_name=_("jurisdiction"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class Duty(models.TextChoices):
    LEADER = "leader", _("Contracting leader (包抓领导)")
    CADRE = "cadre", _("Village/community cadre (包村/包社区干部)")
    GRID_WORKER = "grid_worker", _("Grid worker (网格员)")
    BUILDING_HEAD = "building_head", _("Building head (楼长)")
    UNIT_HEAD = "unit_head", _("Unit head (单元长)")
    TEN_HOUSEHOLD_HEAD = "ten_household_head", _("Ten-household head (十户长)")
    OTHER = "other", _("Other")


class ResponsiblePerson(models.Model):
    """A named person answerable for one node (seed 001, 002: 包抓, 包村, 楼长, 十户长)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("org unit"), on_delete=models.CASCADE, related_name="responsible_people")
    org_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("name"), max_length=50)
    duty = models.CharField(_("duty"), max_length=32, choices=Duty.choices)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    title = models.CharField(_("title/post"), max_length=100, blank=True)
    user = models.ForeignKey(User, verbose_name=_("user account"), null=True, blank=True, on_delete=models.SET_NULL)

    scope_path_field = "org_path"

    class Meta:
        verbose_name = _("responsible person")
        verbose_name_plural = _("responsible people")
        ordering = ["org_path", "duty", "name"]
        indexes = [models.Index(fields=["org_path"], name="responsible_org_path")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_duty_display()})"


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    REVEAL = "reveal", _("Revealed")
    EXPORT = "export", _("Exported")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    IMPORT = "import", _("Imported")


class Channel(models.TextChoices):
    PAGE = "page", _("Page")
    API = "api", _("API")
    COMMAND = "command", _("Command")


# Record types as people call them; apps add theirs (unknown types show as stored).
AUDIT_OBJECT_TYPES = {
    "resident": _("Resident"), "resident_list": _("Resident list"), "household": _("Household"), "responsible_person": _("Responsible person"),
    "org_unit": _("Jurisdiction unit"), "audit_entry": _("Audit log"), "import": _("Import"), "registry": _("Population registry"),
    "screening_round": _("Screening round"), "screening_visit": _("Screening visit"), "screening_ledger": _("Screening ledger"),
    "key_person_candidate": _("Key-person candidate"), "key_person": _("Key person"),
}


class AuditEntry(models.Model):
    """Who saw, exported or changed which personal record, when and from where (PIPL 2021)."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(User, verbose_name=_("user"), null=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("user"), max_length=150)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(_("record type"), max_length=50)
    object_ref = models.CharField(_("record"), max_length=64, blank=True)
    object_label = models.CharField(_("record name"), max_length=200, blank=True)
    org_path = models.CharField(max_length=255, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    request_path = models.CharField(_("page/endpoint"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    scope_path_field = "org_path"

    def get_object_type_display(self) -> str:
        return str(AUDIT_OBJECT_TYPES.get(self.object_type, self.object_type))

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["org_path"], name="audit_org_path"), models.Index(fields=["object_ref"], name="audit_object_ref")]


class ApiToken(models.Model):
    """A personal API token; only its hash is stored, the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: User, name: str) -> tuple["ApiToken", str]:
        key = "lf_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, key_hash=cls.hash_key(key), prefix=key[:8]), key
