"""`lianfang tick` runs the periodic commands; one failing does not stop the others."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from lianfang.core import clock
from lianfang.reporting.models import Reminder, ReportField, ReportTemplate
from lianfang.reporting.services import reporting_units_sync


# `tick` closes stale connections between commands, as a long-running process must; inside a
# test's transaction that would close the test's own connection on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_tick_once_runs_every_periodic_command_even_after_one_fails(world, settings, caplog):
    settings.PERIODIC_COMMANDS = ["no_such_command", "reporting_remind", "quarantine_escalate"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    reporting_units_sync(district=world.district)
    t = ReportTemplate.objects.create(district=world.district, org_path=world.district.path, name="日报",
                                      unit_kinds=["community"], deadline=dt.time(10))
    ReportField.objects.create(template=t, key="n", label="N")
    clock.set_now(clock.local(dt.date(2024, 3, 4), dt.time(9, 30)))
    try:
        out = io.StringIO()
        call_command("tick", "--once", stdout=out)
    finally:
        clock.set_now(None)
    assert "reminders" in out.getvalue() and "missed-check alerts raised" in out.getvalue()
    assert Reminder.objects.filter(template=t, kind=Reminder.Kind.BEFORE).count() == 2
    assert "no_such_command" in caplog.text
