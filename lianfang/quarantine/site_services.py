"""Writes of central quarantine sites (集中隔离点, seed 003: requisitioned hotels): the sites, their
rooms and who occupies which bed. The capacity of a room is checked under a lock on the room
row (`room_hold`), so two check-ins or moves at once cannot overfill it."""

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lianfang.core import clock
from lianfang.core.audit import Via, audit_record, changed_fields
from lianfang.core.errors import DomainError
from lianfang.core.models import AuditAction, OrgUnit
from lianfang.core.roles import Capability
from lianfang.core.services import phone_clean, require, require_in_jurisdiction

from .models import QuarantineOrder, Room, Site

SITE_FIELDS = ("name", "address", "contact_name", "contact_phone")
# One form submission adds at most this many rooms: a big hotel has a few hundred, and a typo
# like "101-1200" should be an error, not 1,100 rooms.
MAX_ROOMS_AT_ONCE = 500
MIN_BEDS, MAX_BEDS = 1, 20  # models.Room's room_capacity_range


def room_occupancy(room: Room) -> int:
    return QuarantineOrder.objects.filter(room=room, status=QuarantineOrder.Status.ACTIVE, checked_out_at__isnull=True).count()


def room_hold(*, room: Room) -> Room:
    """Lock `room` for a check-in inside the caller's transaction and make sure a bed is free.
    Raises when the room is full, out of use, or its site is closed."""
    room = Room.objects.select_for_update().select_related("site").get(pk=room.pk)
    if not room.site.is_open:
        raise DomainError(_("The site %(site)s is not in use.") % {"site": room.site.name}, field="room", code="site_closed")
    if not room.is_usable:
        raise DomainError(_("Room %(room)s is not usable.") % {"room": room.number}, field="room", code="room_unusable")
    occupied = room_occupancy(room)
    if occupied >= room.capacity:
        raise DomainError(_("Room %(room)s is full (%(n)d of %(capacity)d beds).") % {"room": room.number, "n": occupied, "capacity": room.capacity},
                          field="room", code="room_full")
    return room


def room_check_out(*, order: QuarantineOrder) -> QuarantineOrder:
    """Free the order's bed (release, transfer, or `occupant_check_out`). Not audited here: the
    caller's service is."""
    if order.room_id and order.checked_out_at is None:
        order.checked_out_at = clock.now()
        order.save(update_fields=["checked_out_at"])
    return order


# Sites ----------------------------------------------------------------------------------------

def _require_site_manager(actor, site: Site) -> None:
    """Sites run above the actor (a district hotel) are used by the streets but changed only by
    whoever runs them."""
    require(actor, Capability.MANAGE_QUARANTINE)
    require_in_jurisdiction(actor, site.org_path, _("This site is run above your jurisdiction; ask the district office to change it."))


def _site_values(*, district_id: int, name: str, address: str, contact_name: str, contact_phone: str, exclude_pk=None) -> dict:
    name = " ".join((name or "").split())
    address = " ".join((address or "").split())
    if not name:
        raise DomainError(_("Give the site a name."), field="name")
    if not address:
        raise DomainError(_("Give the site's address."), field="address")
    if len(name) > 100 or len(address) > 200:
        raise DomainError(_("The name or address is too long."), field="name" if len(name) > 100 else "address")
    if Site.objects.filter(district_id=district_id, name=name).exclude(pk=exclude_pk).exists():
        raise DomainError(_("The district already has a site named %(name)s.") % {"name": name}, field="name", code="duplicate")
    contact_name = " ".join((contact_name or "").split())[:50]
    try:
        phone = phone_clean(contact_phone)
    except DomainError as e:
        raise DomainError(e.message, field="contact_phone")
    return {"name": name, "address": address, "contact_name": contact_name, "contact_phone": phone}


def _check_org_unit(actor, org_unit: OrgUnit) -> None:
    require_in_jurisdiction(actor, org_unit.path, _("That place is outside your jurisdiction."), field="org_unit")


def _district_id(org_unit: OrgUnit) -> int:
    return org_unit.ancestor_ids[0] if org_unit.ancestor_ids else org_unit.pk


def _site_audit(*, actor, site: Site, action: str, via: Via, detail: dict | None = None) -> None:
    audit_record(actor=actor, action=action, via=via, object_type="quarantine_site", object_ref=site.uid,
                 object_label=site.name, org_path=site.org_path, detail=detail)


@transaction.atomic
def site_create(*, actor, org_unit: OrgUnit, name: str, address: str, contact_name: str = "", contact_phone: str = "",
                via: Via) -> Site:
    """Register a requisitioned hotel (or other building) as a site, run by `org_unit`."""
    require(actor, Capability.MANAGE_QUARANTINE)
    _check_org_unit(actor, org_unit)
    district_id = _district_id(org_unit)
    values = _site_values(district_id=district_id, name=name, address=address, contact_name=contact_name, contact_phone=contact_phone)
    try:
        with transaction.atomic():
            site = Site.objects.create(district_id=district_id, org_unit=org_unit, org_path=org_unit.path, **values)
    except IntegrityError:  # the same name registered a moment ago
        raise DomainError(_("The district already has a site named %(name)s.") % {"name": values["name"]}, field="name", code="duplicate")
    _site_audit(actor=actor, site=site, action=AuditAction.CREATE, via=via)
    return site


@transaction.atomic
def site_update(*, actor, site: Site, name: str, address: str, contact_name: str = "", contact_phone: str = "",
                org_unit: OrgUnit | None = None, via: Via) -> Site:
    _require_site_manager(actor, site)
    values = _site_values(district_id=site.district_id, name=name, address=address, contact_name=contact_name,
                          contact_phone=contact_phone, exclude_pk=site.pk)
    before = {k: getattr(site, k) for k in SITE_FIELDS}
    before["org_unit"] = site.org_unit.name
    after = dict(values, org_unit=site.org_unit.name)
    if org_unit is not None and org_unit.pk != site.org_unit_id:
        _check_org_unit(actor, org_unit)
        site.org_unit, site.org_path = org_unit, org_unit.path
        after["org_unit"] = org_unit.name
    for key, value in values.items():
        setattr(site, key, value)
    try:
        with transaction.atomic():
            site.save()
    except IntegrityError:
        raise DomainError(_("The district already has a site named %(name)s.") % {"name": values["name"]}, field="name", code="duplicate")
    # The contact is a site's phone, not a person's: logged as typed.
    _site_audit(actor=actor, site=site, action=AuditAction.UPDATE, via=via, detail=changed_fields(before, after))
    return site


def _site_occupants(site: Site) -> int:
    return QuarantineOrder.objects.filter(room__site=site, status=QuarantineOrder.Status.ACTIVE, checked_out_at__isnull=True).count()


@transaction.atomic
def site_close(*, actor, site: Site, via: Via) -> Site:
    """Stop using a site (returned to its owner). Nobody may still be checked in: a closed site
    takes no check-ins, so people left inside would be in beds nobody can see as taken."""
    _require_site_manager(actor, site)
    site = Site.objects.select_for_update().get(pk=site.pk)
    # Lock the rooms too: a check-in holding one of them finishes first, or waits and then fails.
    list(Room.objects.select_for_update().filter(site=site).values_list("pk", flat=True))
    if not site.is_open:
        raise DomainError(_("The site is already closed."), field="status", code="site_closed")
    n = _site_occupants(site)
    if n:
        raise DomainError(_("%(n)d people are still checked in; move or check them out before closing the site.") % {"n": n},
                          field="status", code="site_occupied")
    site.is_open = False
    site.save(update_fields=["is_open"])
    _site_audit(actor=actor, site=site, action=AuditAction.UPDATE, via=via, detail={"is_open": [True, False]})
    return site


@transaction.atomic
def site_reopen(*, actor, site: Site, via: Via) -> Site:
    _require_site_manager(actor, site)
    site = Site.objects.select_for_update().get(pk=site.pk)
    if site.is_open:
        raise DomainError(_("The site is already in use."), field="status", code="site_open")
    site.is_open = True
    site.save(update_fields=["is_open"])
    _site_audit(actor=actor, site=site, action=AuditAction.UPDATE, via=via, detail={"is_open": [False, True]})
    return site


# Rooms ----------------------------------------------------------------------------------------

_RANGE = re.compile(r"^(?P<a>\S+?)\s*(?:-|–|—|~|～|至|到)\s*(?P<b>\S+)$")
_TAIL = re.compile(r"^(?P<prefix>.*?)(?P<digits>\d+)$")
_SEPARATORS = re.compile(r"[,，、;；\s]+")


def room_numbers_parse(spec: str) -> list[str]:
    """"101-120, 201-220, A1" -> the room numbers, in the order written. A range keeps its
    prefix and zero padding ("A01-A03" -> A01, A02, A03). Raises on a backwards range, a range
    whose ends differ in prefix, repeats, or more than MAX_ROOMS_AT_ONCE rooms."""
    spec = (spec or "").strip()
    # "101 - 120" is one range, not three tokens.
    spec = re.sub(r"\s*(-|–|—|~|～|至|到)\s*", r"\1", spec)
    numbers: list[str] = []
    for token in filter(None, _SEPARATORS.split(spec)):
        match = _RANGE.match(token)
        if not match:
            if len(token) > 20:
                raise DomainError(_("Room number %(room)s is too long (at most 20 characters).") % {"room": token}, field="numbers")
            numbers.append(token)
        else:
            numbers.extend(_room_range(token, match["a"], match["b"]))
        if len(numbers) > MAX_ROOMS_AT_ONCE:
            raise DomainError(_("At most %(max)d rooms at once; split the list by floor.") % {"max": MAX_ROOMS_AT_ONCE},
                              field="numbers", code="too_many")
    if not numbers:
        raise DomainError(_("Give the room numbers, e.g. 101-120 or 101, 102, 105."), field="numbers")
    seen, repeated = set(), []
    for n in numbers:
        if n in seen and n not in repeated:
            repeated.append(n)
        seen.add(n)
    if repeated:
        raise DomainError(_("Rooms listed twice: %(rooms)s.") % {"rooms": ", ".join(repeated[:10])}, field="numbers", code="duplicate")
    return numbers


def _room_range(token: str, a: str, b: str) -> list[str]:
    first, last = _TAIL.match(a), _TAIL.match(b)
    if not first or not last:
        raise DomainError(_("%(range)s is not a range of room numbers; write it like 101-120.") % {"range": token}, field="numbers")
    prefix = first["prefix"]
    # "A101-120" means A101-A120.
    if last["prefix"] not in ("", prefix):
        raise DomainError(_("The two ends of %(range)s differ; write it like A101-A120.") % {"range": token}, field="numbers")
    start, end = int(first["digits"]), int(last["digits"])
    if end < start:
        raise DomainError(_("The range %(range)s runs backwards; write it from the lower number: %(a)s-%(b)s.")
                          % {"range": token, "a": prefix + last["digits"], "b": prefix + first["digits"]}, field="numbers", code="backwards")
    if end - start + 1 > MAX_ROOMS_AT_ONCE:
        raise DomainError(_("At most %(max)d rooms at once; split the list by floor.") % {"max": MAX_ROOMS_AT_ONCE},
                          field="numbers", code="too_many")
    width = len(first["digits"]) if first["digits"].startswith("0") else 0
    numbers = [f"{prefix}{n:0{width}d}" for n in range(start, end + 1)]
    if any(len(n) > 20 for n in numbers):
        raise DomainError(_("Room number %(room)s is too long (at most 20 characters).") % {"room": numbers[-1]}, field="numbers")
    return numbers


def _beds(capacity) -> int:
    try:
        beds = int(capacity)
    except (TypeError, ValueError):
        beds = 0
    if not MIN_BEDS <= beds <= MAX_BEDS:
        raise DomainError(_("A room has between %(min)d and %(max)d beds.") % {"min": MIN_BEDS, "max": MAX_BEDS}, field="capacity")
    return beds


@transaction.atomic
def rooms_add(*, actor, site: Site, numbers: str, capacity: int = 1, via: Via) -> list[Room]:
    """Add rooms to a site, one ("305") or many at once ("101-120, 201-220"), each with
    `capacity` beds. All or nothing: a number the site already has refuses the whole list."""
    _require_site_manager(actor, site)
    beds = _beds(capacity)
    wanted = room_numbers_parse(numbers)
    taken = list(Room.objects.filter(site=site, number__in=wanted).order_by("number").values_list("number", flat=True))
    if taken:
        raise DomainError(_("The site already has rooms %(rooms)s; nothing was added.") % {"rooms": ", ".join(taken[:10])},
                          field="numbers", code="duplicate")
    try:
        with transaction.atomic():
            rooms = Room.objects.bulk_create([Room(site=site, number=n, capacity=beds) for n in wanted])
    except IntegrityError:  # added a moment ago by someone else
        raise DomainError(_("Some of these rooms were added a moment ago; reload the page."), field="numbers", code="duplicate")
    _site_audit(actor=actor, site=site, action=AuditAction.CREATE, via=via,
                detail={"rooms": len(rooms), "numbers": _span(wanted), "beds": beds})
    return rooms


def _span(numbers: list[str]) -> str:
    return numbers[0] if len(numbers) == 1 else f"{numbers[0]} … {numbers[-1]}"


@transaction.atomic
def room_update(*, actor, room: Room, capacity: int | None = None, is_usable: bool | None = None, via: Via) -> Room:
    """Change a room's beds or mark it (un)usable. Never below the people in it: move them first."""
    room = Room.objects.select_for_update().select_related("site").get(pk=room.pk)
    _require_site_manager(actor, room.site)
    occupied = room_occupancy(room)
    before = {"capacity": room.capacity, "is_usable": room.is_usable}
    if capacity is not None:
        beds = _beds(capacity)
        if beds < occupied:
            raise DomainError(_("%(n)d people are in room %(room)s; it cannot have fewer beds.") % {"n": occupied, "room": room.number},
                              field="capacity", code="room_occupied")
        room.capacity = beds
    if is_usable is not None:
        if not is_usable and occupied:
            raise DomainError(_("%(n)d people are in room %(room)s; move them before marking it unusable.") % {"n": occupied, "room": room.number},
                              field="is_usable", code="room_occupied")
        room.is_usable = is_usable
    room.save(update_fields=["capacity", "is_usable"])
    _site_audit(actor=actor, site=room.site, action=AuditAction.UPDATE, via=via,
                detail={"room": room.number, **changed_fields(before, {"capacity": room.capacity, "is_usable": room.is_usable})})
    return room


# Occupants ------------------------------------------------------------------------------------

def _lock_checked_in(order: QuarantineOrder) -> QuarantineOrder:
    order = QuarantineOrder.objects.select_for_update().select_related("resident").get(pk=order.pk)
    if order.status != QuarantineOrder.Status.ACTIVE or order.room_id is None or order.checked_out_at is not None:
        raise DomainError(_("%(name)s is not checked in at a site.") % {"name": order.resident.name}, field="order", code="not_checked_in")
    return order


def _occupant_audit(*, actor, order: QuarantineOrder, via: Via, detail: dict) -> None:
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="quarantine_order", object_ref=order.uid,
                 object_label=order.resident.name, org_path=order.org_path, detail=detail)


@transaction.atomic
def room_move(*, actor, order: QuarantineOrder, room: Room, reason: str = "", via: Via) -> QuarantineOrder:
    """Move a checked-in person to another room (same site or another), holding a bed there
    under the room's lock. The caller has fetched `order` and `room` through the selectors."""
    require(actor, Capability.MANAGE_QUARANTINE)
    # The order first, then the room: the same order of locks as a check-in, so no deadlock.
    order = _lock_checked_in(order)
    if order.room_id == room.pk:
        raise DomainError(_("%(name)s is already in room %(room)s.") % {"name": order.resident.name, "room": room.number},
                          field="room", code="same_room")
    previous = Room.objects.select_related("site").get(pk=order.room_id)
    room = room_hold(room=room)
    order.room = room
    order.save(update_fields=["room"])
    _occupant_audit(actor=actor, order=order, via=via, detail={
        "room": [f"{previous.site.name} {previous.number}", f"{room.site.name} {room.number}"], "reason": (reason or "").strip()[:300]})
    return order


@transaction.atomic
def occupant_check_out(*, actor, order: QuarantineOrder, reason: str, via: Via) -> QuarantineOrder:
    """Free the bed of someone who left the site while their order goes on (taken to hospital,
    sent home for the rest of the period). Release and transfer of the order check out by
    themselves."""
    require(actor, Capability.MANAGE_QUARANTINE)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the person leaves the site."), field="reason")
    order = _lock_checked_in(order)
    room = Room.objects.select_related("site").get(pk=order.room_id)
    room_check_out(order=order)
    _occupant_audit(actor=actor, order=order, via=via, detail={"checked_out": f"{room.site.name} {room.number}", "reason": reason[:300]})
    return order

