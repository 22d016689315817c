"""Key persons under quarantine in the demo district, entered through the real services with
the clock set back to when each thing happened: orders started over the last two weeks, their
twice-daily checks, a fever alert, a central quarantine site, living support and a release."""

import datetime as dt
import random
import uuid

from django.utils import timezone

from lianfang.core import clock
from lianfang.core.audit import COMMAND
from lianfang.core.models import User
from lianfang.quarantine import services
from lianfang.quarantine.models import Category, Duty, KeyPerson, OrderKind, Room, Scheme, Site, Source
from lianfang.registry.models import Resident

CATEGORIES = [Category.RISK_AREA_RETURNEE, Category.RISK_AREA_RETURNEE, Category.CLOSE_CONTACT, Category.RISK_AREA_TRANSIT,
              Category.SECONDARY_CONTACT, Category.FEVER_PATIENT]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def demo_quarantine_ensure(*, users: list[User], people: int = 16, seed: int = 2020) -> int:
    """Put `people` residents of the demo doctor's community under watch. Nothing if any key
    person is already under an order. Returns how many orders were started."""
    if KeyPerson.objects.filter(orders__isnull=False).exists():
        return 0
    by_name = {u.username: u for u in users}
    officer, doctor, police, district = by_name["street"], by_name["doctor"], by_name["police"], by_name["district"]
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate(now)
    community = doctor.jurisdiction
    residents = list(Resident.objects.filter(org_path__startswith=community.path, key_person_records__isnull=True)
                     .select_related("household").order_by("pk")[:400])
    chosen = rng.sample(residents, min(people, len(residents)))
    site = Site.objects.create(district_id=int(community.path[:8]), org_unit=district.jurisdiction, org_path=district.jurisdiction.path,
                               name="城东宾馆（集中隔离点）", address="城东路88号", contact_name="赵经理", contact_phone="13700001234")
    Room.objects.bulk_create([Room(site=site, number=f"{floor}{n:02d}", capacity=1) for floor in (2, 3) for n in range(1, 11)])
    rooms = list(site.rooms.order_by("number"))
    started = 0
    try:
        for i, resident in enumerate(chosen):
            start = today - dt.timedelta(days=10 if i == 0 else 5 if i == 3 else rng.randint(0, 12))
            flagged = _at(start, 9) - dt.timedelta(hours=rng.randint(2, 20))
            clock.set_now(flagged)
            person, _ = services.key_person_register(
                actor=officer, resident=resident, category=CATEGORIES[i % len(CATEGORIES)], source=rng.choice(list(Source.values)),
                reason="武汉返乡，第一轮摸排发现" if i % 3 == 0 else "与确诊病例同乘一车次", flagged_at=flagged, via=COMMAND)
            clock.set_now(_at(start, 9, 30))
            central = i in (1, 2)
            cadres = [{"duty": Duty.VILLAGE, "name": rng.choice(["王建国", "李红梅", "张卫东"]), "phone": "13800138000"},
                      {"duty": Duty.DOCTOR, "name": str(doctor), "user": doctor}]
            scheme = Scheme.TWO_FOR_ONE
            if i % 5 == 4:
                scheme = Scheme.FIVE_LEVELS
                cadres = [{"duty": Duty.TOWN, "name": str(officer), "user": officer},
                          {"duty": Duty.VILLAGE, "name": "李红梅", "phone": "13800138001"},
                          {"duty": Duty.GROUP, "name": "周组长", "phone": "13800138002"},
                          {"duty": Duty.DOCTOR, "name": str(doctor), "user": doctor},
                          {"duty": Duty.POLICE, "name": str(police), "user": police}]
            order = services.quarantine_order_start(
                actor=officer, key_person=person, kind=OrderKind.CENTRAL if central else rng.choice([OrderKind.HOME_QUARANTINE, OrderKind.HOME_OBSERVATION]),
                start_date=start, scheme=scheme, cadres=cadres, room=rooms[i] if central else None, via=COMMAND)
            started += 1
            day = start
            while day <= today:
                for hour in (8, 15):
                    moment = _at(day, hour, rng.randint(0, 50))
                    # One fever, yesterday afternoon, whatever the time the demo is made.
                    fever = i == 3 and day == today - dt.timedelta(days=1) and hour == 15
                    if not fever and (moment > now or (day == today and rng.random() < 0.5) or rng.random() < 0.03):
                        continue  # today's checks are partly still to do; a few were missed
                    clock.set_now(moment)
                    services.health_check_record(actor=doctor, order=order, uid=uuid.uuid4(),
                                                 temperature="37.8" if fever else f"36.{rng.randint(1, 8)}",
                                                 symptoms=["cough"] if fever else [], via=COMMAND)
                day += dt.timedelta(days=1)
            if i == 5:
                clock.set_now(min(now, _at(today, 10)))
                services.support_request_open(actor=officer, order=order, uid=uuid.uuid4(), kind="groceries",
                                              detail="大米5公斤、青菜、鸡蛋一盒", via=COMMAND)
            if i == 0:  # the first one has served the period: release them
                clock.set_now(now)
                services.quarantine_order_release(actor=officer, order=order, early=True, reason="隔离期满前核酸阴性，经评估解除",
                                                  via=COMMAND)
        clock.set_now(now)
        services.overdue_escalate()
    finally:
        clock.set_now(None)
    return started
