import datetime as dt
import uuid

from django.utils import timezone

from lianfang.core import clock
from lianfang.core.audit import COMMAND
from lianfang.quarantine import services
from lianfang.quarantine.models import Category, Duty, OrderKind, Scheme, Source


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An aware local datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def watch(world, key: str = "a", *, resident=None, category: str = Category.CLOSE_CONTACT, kind: str = OrderKind.HOME_QUARANTINE,
          start: dt.date | None = None, days: int | None = None, doctor=None, cadre_name: str = "王干部", room=None):
    """A key person with an active order, named for a cadre and the street's doctor (2包1)."""
    officer = getattr(world, f"street_officer_{key}")
    resident = resident or getattr(world, f"resident_{key}")
    person, _ = services.key_person_register(actor=officer, resident=resident, category=category, source=Source.SCREENING, via=COMMAND)
    doctor = doctor if doctor is not None else getattr(world, f"doctor_{key}")
    cadres = [{"duty": Duty.VILLAGE, "name": cadre_name, "phone": "13900001111"},
              {"duty": Duty.DOCTOR, "name": "", "user": doctor}]
    return services.quarantine_order_start(actor=officer, key_person=person, kind=kind, start_date=start or clock.today(), days=days,
                                           scheme=Scheme.TWO_FOR_ONE, cadres=cadres, room=room, via=COMMAND)


def check(order, actor, temperature="36.5", *, symptoms=(), checked_at=None, **kw):
    return services.health_check_record(actor=actor, order=order, uid=uuid.uuid4(), temperature=temperature, symptoms=list(symptoms),
                                        checked_at=checked_at, via=COMMAND, **kw)


# --- added by the tester --------------------------------------------------------------------

# A Monday in the past with nothing special about it; every test freezes the clock around it.
DAY = dt.date(2024, 3, 4)


def person(world, key: str = "a", name: str = "张三", household=None):
    """One more resident in street `key`'s household (the world has one per street)."""
    from lianfang.core.tests.factories import make_resident

    return make_resident(household=household or getattr(world, f"household_{key}"), name=name)


def central_room(world, *, capacity: int = 1, number: str = "101", site_name: str = "如家酒店"):
    """A district-run site with one room of `capacity` beds."""
    from lianfang.quarantine import site_services

    site = site_services.site_create(actor=world.district_office, org_unit=world.district, name=site_name, address="测试路1号",
                                     via=COMMAND)
    (room,) = site_services.rooms_add(actor=world.district_office, site=site, numbers=number, capacity=capacity, via=COMMAND)
    return room


def register(world, key: str = "a", *, resident=None, category: str = Category.CLOSE_CONTACT, flagged_at=None):
    officer = getattr(world, f"street_officer_{key}")
    kp, _ = services.key_person_register(actor=officer, resident=resident or getattr(world, f"resident_{key}"), category=category,
                                         source=Source.SCREENING, flagged_at=flagged_at, via=COMMAND)
    return kp


def start(world, key_person, key: str = "a", *, kind: str = OrderKind.HOME_QUARANTINE, start_date=None, days=None, room=None,
          cadres=None, actor=None):
    """quarantine_order_start with defaults; `cadres=None` names nobody."""
    return services.quarantine_order_start(actor=actor or getattr(world, f"street_officer_{key}"), key_person=key_person, kind=kind,
                                           start_date=start_date or clock.today(), days=days, scheme=Scheme.TWO_FOR_ONE,
                                           cadres=cadres or (), room=room, via=COMMAND)
