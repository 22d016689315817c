import datetime as dt

from django.utils import timezone

from lianfang.core.audit import COMMAND
from lianfang.screening.services import screening_round_open


def open_round(*, actor, scope, name: str = "第一轮摸排", starts_on: dt.date | None = None, **criteria):
    starts_on = starts_on or timezone.localdate() - dt.timedelta(days=3)
    values = dict(number=1, ends_on=starts_on + dt.timedelta(days=10), risk_areas=["湖北"], lookback_days=14,
                  flag_risk_area=True, flag_case_contact=True, flag_out_of_city=False, flag_symptoms=True, criteria_notes="")
    values.update(criteria)
    return screening_round_open(actor=actor, scope=scope, name=name, starts_on=starts_on, via=COMMAND, **values)
