"""Reads of central quarantine sites.

Sites are read like screening rounds (decisions 8): a street sees its own sites and the sites
run above it (a district hotel takes people from every street), never another street's. The
people in a site are read with `scoped`: in a district hotel a street sees its own people by
name, and only the count of the others."""

from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Length
from django.http import Http404

from lianfang.core.roles import Capability, has_capability
from lianfang.core.scoping import (
    access,
    access_overlapping,
    in_jurisdiction,
    overlapping,
    scoped,
    subtree_q,
)

from .models import QuarantineOrder, Room, Site

ACTIVE = QuarantineOrder.Status.ACTIVE


def _in_beds() -> QuerySet[QuarantineOrder]:
    """Orders occupying a bed now."""
    return QuarantineOrder.objects.filter(status=ACTIVE, room__isnull=False, checked_out_at__isnull=True)


def _sum_subquery(qs: QuerySet, group: str, value) -> Coalesce:
    return Coalesce(Subquery(qs.values(group).annotate(v=value).values("v")[:1], output_field=IntegerField()), Value(0))


def with_occupancy(sites: QuerySet[Site]) -> QuerySet[Site]:
    """Annotate rooms, usable beds, occupied and free beds per site (one query, no join fan-out)."""
    rooms = Room.objects.filter(site=OuterRef("pk"))
    return sites.annotate(
        room_count=_sum_subquery(rooms, "site", Count("pk")),
        beds=_sum_subquery(rooms.filter(is_usable=True), "site", Sum("capacity")),
        occupied=_sum_subquery(_in_beds().filter(room__site=OuterRef("pk")), "room__site", Count("pk")),
    ).annotate(free=Case(When(is_open=True, then=F("beds") - F("occupied")), default=Value(0), output_field=IntegerField()))


def site_list(*, actor, q: str = "", status: str = "open") -> QuerySet[Site]:
    """`status`: "open" (in use, the default), "closed" or "" for all."""
    qs = overlapping(Site.objects.select_related("org_unit"), actor)
    if status == "open":
        qs = qs.filter(is_open=True)
    elif status == "closed":
        qs = qs.filter(is_open=False)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    return with_occupancy(qs).order_by("-is_open", "org_path", "name")


def access_site(*, actor, uid) -> Site:
    return access_overlapping(with_occupancy(Site.objects.select_related("org_unit")), actor, uid=uid)


def site_manageable(*, actor, site: Site) -> bool:
    """Whoever runs the site (its unit is in their jurisdiction) changes it; the streets below
    a district site only put people in it."""
    return has_capability(actor, Capability.MANAGE_QUARANTINE) and in_jurisdiction(actor, site.org_path)


def access_room(*, actor, site: Site, room_id) -> Room:
    """A room of a site already fetched through `access_site`."""
    try:
        return Room.objects.select_related("site").get(site=site, pk=int(room_id))
    except (Room.DoesNotExist, ValueError, TypeError):
        raise Http404


def access_room_any(*, actor, room_id) -> Room:
    """A room by id, in a site the actor may use (the target of a move through the API)."""
    try:
        room = Room.objects.select_related("site").get(pk=int(room_id))
    except (Room.DoesNotExist, ValueError, TypeError):
        raise Http404
    access_site(actor=actor, uid=room.site.uid)
    return room


def access_occupant(*, actor, uid) -> QuarantineOrder:
    """An order with a room (central quarantine), in the actor's jurisdiction."""
    return access(QuarantineOrder.objects.select_related("resident", "key_person", "room__site").filter(room__isnull=False),
                  actor, uid=uid)


@dataclass
class RoomRow:
    room: Room
    occupants: list = field(default_factory=list)  # orders the actor may see
    others: int = 0  # people from outside the actor's jurisdiction

    @property
    def occupied(self) -> int:
        return len(self.occupants) + self.others

    @property
    def free(self) -> int:
        if not (self.room.is_usable and self.room.site.is_open):
            return 0
        return max(self.room.capacity - self.occupied, 0)


def site_rooms(*, actor, site: Site, free_only: bool = False) -> list[RoomRow]:
    """Every room of the site with who is in it, rooms in number order (201 before 1101).
    Two queries whatever the size of the site."""
    rooms = list(Room.objects.filter(site=site).order_by(Length("number"), "number"))
    rows = {r.pk: RoomRow(room=r) for r in rooms}
    for r in rooms:
        r.site = site
    jurisdiction = getattr(actor, "jurisdiction", None)
    visible = subtree_q("org_path", jurisdiction.path) if jurisdiction else Q(pk__in=[])
    orders = (_in_beds().filter(room__site=site)
              .annotate(visible=Case(When(visible, then=Value(True)), default=Value(False), output_field=BooleanField()))
              .select_related("resident", "key_person").order_by("checked_in_at", "pk"))
    for order in orders:
        row = rows[order.room_id]
        if order.visible:
            row.occupants.append(order)
        else:
            row.others += 1
    result = list(rows.values())
    return [r for r in result if r.free] if free_only else result


def free_rooms(*, actor, site: Site | None = None, exclude: Room | None = None) -> QuerySet[Room]:
    """Rooms with a free bed in the sites the actor may use, for a check-in or a move
    (annotated `occupied` and `free`)."""
    sites = overlapping(Site.objects.filter(is_open=True), actor)
    if site is not None:
        sites = sites.filter(pk=site.pk)
    occupied = _in_beds().filter(room=OuterRef("pk"))
    qs = (Room.objects.filter(site__in=sites, is_usable=True).select_related("site")
          .annotate(occupied=_sum_subquery(occupied, "room", Count("pk")))
          .annotate(free=F("capacity") - F("occupied")).filter(free__gt=0))
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("site__name", Length("number"), "number")


def occupancy_ledger(*, actor, site: Site, current_only: bool = False) -> QuerySet[QuarantineOrder]:
    """The site's ledger (隔离点台账): everyone in the actor's jurisdiction who stayed there,
    the people in it now first, by room."""
    qs = scoped(QuarantineOrder.objects.filter(room__site=site), actor).select_related(
        "resident__household__grid", "key_person", "room")
    if current_only:
        qs = qs.filter(status=ACTIVE, checked_out_at__isnull=True)
    return qs.order_by(F("checked_out_at").desc(nulls_first=True), Length("room__number"), "room__number", "checked_in_at", "pk")
