"""Writes of central quarantine sites: rooms and who occupies them. The capacity of a room is
checked under a lock on the room row, so two check-ins at once cannot overfill it."""

from django.utils.translation import gettext as _

from lianfang.core import clock
from lianfang.core.errors import DomainError

from .models import QuarantineOrder, Room


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
    if order.room_id and order.checked_out_at is None:
        order.checked_out_at = clock.now()
        order.save(update_fields=["checked_out_at"])
    return order
