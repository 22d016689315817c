"""Templates and reports for tests, built through the services."""

import datetime as dt

from lianfang.core import clock
from lianfang.core.audit import COMMAND

from .. import services
from ..models import FieldKind, ReportField, ReportTemplate

DAY = dt.date(2024, 3, 4)


def template(world, *, deadline=dt.time(10), next_day=False) -> ReportTemplate:
    t = ReportTemplate.objects.create(district=world.district, org_path=world.district.path, name=f"疫情日报{deadline}{next_day}",
                                      unit_kinds=["community"], deadline=deadline, deadline_next_day=next_day)
    ReportField.objects.create(template=t, section="重点人员", key="new_key_persons", label="新增重点人员", source="new_key_persons")
    ReportField.objects.create(template=t, section="卡点", key="passages", label="卡点通行", source="passages")
    ReportField.objects.create(template=t, section="其他", key="visited", label="走访户数", kind=FieldKind.INTEGER)
    ReportField.objects.create(template=t, section="其他", key="note", label="情况说明", kind=FieldKind.TEXT, required=False)
    return t


def submit(world, t, unit, day=DAY, **kw):
    kw.setdefault("values", {"new_key_persons": 0, "passages": 0, "visited": 3})
    return services.daily_report_submit(actor=world.grid_worker_a, template=t, unit=unit, day=day, via=COMMAND, **kw)


def local(day, hour, minute=0, second=0):
    return clock.local(day, dt.time(hour, minute, second))
