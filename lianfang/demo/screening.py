"""A screening round in the demo district, with visits recorded through the real service so
that coverage, work lists, work logs and candidates have something to show."""

import datetime as dt
import random
import uuid

from django.utils import timezone

from lianfang.core.audit import COMMAND
from lianfang.core.models import OrgUnit, User
from lianfang.registry.models import Household
from lianfang.screening.models import Result, ScreeningRound
from lianfang.screening.services import CheckIn, screening_round_open, screening_visit_record


def demo_screening_ensure(*, users: list[User], seed: int = 2020) -> ScreeningRound | None:
    """Open "第一轮入户摸排" over the district and visit about 60% of the first community's
    households (the demo grid worker's grid keeps some for "today"). Nothing if a round exists."""
    if ScreeningRound.objects.exists():
        return None
    by_name = {u.username: u for u in users}
    district_user, street_user, grid_user = by_name["district"], by_name["street"], by_name["grid"]
    today = timezone.localdate()
    screening_round = screening_round_open(
        actor=district_user, scope=district_user.jurisdiction, via=COMMAND, name="第一轮入户摸排", number=1,
        starts_on=today - dt.timedelta(days=4), ends_on=today + dt.timedelta(days=3), risk_areas=["湖北", "武汉"], lookback_days=14,
        flag_risk_area=True, flag_case_contact=True, flag_out_of_city=False, flag_symptoms=True,
        criteria_notes="一家不落、一人不漏",
    )
    rng = random.Random(seed)
    community: OrgUnit = grid_user.jurisdiction.parent
    households = Household.objects.filter(org_path__startswith=community.path).prefetch_related("residents").order_by("org_path", "pk")
    for household in households:
        if rng.random() > 0.6:
            continue
        days_ago = rng.randint(0, 3)
        visited_at = timezone.now() - dt.timedelta(days=days_ago, hours=rng.randint(0, 6))
        roll = rng.random()
        result = (Result.NOBODY_HOME if roll < 0.06 else Result.REFUSED if roll < 0.07 else Result.VACANT if roll < 0.09
                  else Result.ALL_PRESENT)
        checks = []
        members = list(household.residents.all())
        if result == Result.ALL_PRESENT and members and rng.random() < 0.05:
            person = rng.choice(members)
            back = timezone.localdate(visited_at) - dt.timedelta(days=rng.randint(2, 10))
            checks.append(CheckIn(resident=person, travel=[{"place": rng.choice(["湖北武汉", "湖北孝感", "湖北黄冈"]),
                                                            "from": back - dt.timedelta(days=5), "to": back}]))
        elif result == Result.ALL_PRESENT and members and rng.random() < 0.01:
            checks.append(CheckIn(resident=rng.choice(members), temperature="37.8", symptoms=["cough"]))
        visitor = grid_user if household.org_path.startswith(grid_user.jurisdiction.path) else street_user
        screening_visit_record(actor=visitor, screening_round=screening_round, household=household, uid=uuid.uuid4(),
                               method=rng.choice(["door", "door", "door", "phone"]), result=result, visited_at=visited_at,
                               checks=checks, via=COMMAND)
    return screening_round
