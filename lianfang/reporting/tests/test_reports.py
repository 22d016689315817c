"""Submitting daily reports: deadlines (also the next morning, one second late), zero reports,
corrections kept as history, sign-off, figures pre-filled from the records, who may report."""

import datetime as dt

import pytest

from lianfang.checkpoints.tests.factories import draft, gate, record
from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.figures import figures_for
from lianfang.quarantine.tests.factories import watch

from .. import services
from ..models import DailyReport, ReportingUnit
from .factories import DAY, local, submit, template

def test_a_report_on_the_deadline_is_on_time_and_one_second_later_is_late(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 10))
    assert not submit(world, t, units["a"]).is_late
    DailyReport.objects.all().delete()
    frozen(local(DAY, 10, 0, 1))
    assert submit(world, t, units["a"]).is_late


def test_a_deadline_the_next_morning_counts_the_night_as_on_time(world, units, frozen):
    t = template(world, deadline=dt.time(9), next_day=True)
    assert t.deadline_for(DAY) == local(DAY + dt.timedelta(days=1), 9)
    frozen(local(DAY + dt.timedelta(days=1), 8, 59))
    assert not submit(world, t, units["a"]).is_late


def test_a_zero_report_is_one_tap_and_on_time(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 8))
    report = submit(world, t, units["a"], values=None, zero=True)
    assert report.is_zero and report.values == {"new_key_persons": 0, "passages": 0} and not report.is_late


def test_a_correction_keeps_what_was_said_and_clears_the_sign_off(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 8))
    report = submit(world, t, units["a"])
    services.daily_report_sign_off(actor=world.street_officer_a, report=report, via=COMMAND)
    frozen(local(DAY, 15))
    report = services.daily_report_correct(actor=world.grid_worker_a, report=report, values={"new_key_persons": 1, "passages": 0, "visited": 5},
                                           reason="漏报一户", via=COMMAND)
    assert report.revision == 2 and report.values["visited"] == 5 and report.signed_off_at is None
    assert not report.is_late  # late or not is how it was first submitted
    (old,) = report.revisions.all()
    assert (old.revision, old.values["visited"], old.reason) == (1, 3, "漏报一户")
    with pytest.raises(DomainError):
        services.daily_report_correct(actor=world.grid_worker_a, report=report, values={}, reason="", via=COMMAND)


def test_a_second_submission_of_the_day_is_refused(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 8))
    submit(world, t, units["a"])
    with pytest.raises(DomainError) as e:
        submit(world, t, units["a"])
    assert e.value.code == "already_reported"


def test_the_prefilled_figures_equal_the_records_own_counts(world, units, frozen):
    frozen(local(DAY, 8))
    watch(world, "a")
    g = gate(world)
    record(world.checkpoint_staff_a, draft(g, at=local(DAY, 7), name="访客", phone="13912345678"),
           draft(g, at=local(DAY, 7, 30), name="访客二", phone="13912345679"))
    t = template(world)
    filled = services.report_prefill(template=t, unit=units["a"], day=DAY)
    own = figures_for(paths=[world.community_a.path], parent_path=world.community_a.path, day=DAY, names=["new_key_persons", "passages"])
    assert filled == {"new_key_persons": own["new_key_persons"][world.community_a.path], "passages": own["passages"][world.community_a.path]}
    assert filled == {"new_key_persons": 1, "passages": 2}
    assert submit(world, t, units["a"]).prefilled == filled
    assert services.report_prefill(template=t, unit=units["a"], day=DAY - dt.timedelta(days=1)) == {"new_key_persons": 0, "passages": 0}


@pytest.mark.parametrize("bad, field", [({"visited": -1}, "visited"), ({"visited": "三"}, "visited"), ({"visited": 1.5}, "visited"),
                                        ({"nope": 1}, "nope"), ({"visited": ""}, "visited")])
def test_bad_values_are_refused_by_field_and_nothing_is_stored(world, units, frozen, bad, field):
    t = template(world)
    frozen(local(DAY, 8))
    with pytest.raises(DomainError) as e:
        submit(world, t, units["a"], values={"new_key_persons": 0, "passages": 0, "visited": 3, **bad})
    assert e.value.field == field
    assert not DailyReport.objects.exists()


def test_only_the_units_reporters_report_for_it(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 8))
    with pytest.raises(PermissionDenied):  # grid worker a does not report for community b
        submit(world, t, units["b"])
    with pytest.raises(PermissionDenied):  # checkpoint staff cannot submit reports at all
        services.daily_report_submit(actor=world.checkpoint_staff_a, template=t, unit=units["a"], day=DAY, values={}, via=COMMAND)
    report = submit(world, t, units["a"])
    with pytest.raises(PermissionDenied):  # the reporter is not the head
        services.daily_report_sign_off(actor=world.grid_worker_a, report=report, via=COMMAND)


def test_tomorrow_cannot_be_reported(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 8))
    with pytest.raises(DomainError):
        submit(world, t, units["a"], day=DAY + dt.timedelta(days=1))


def test_every_street_and_community_becomes_a_reporting_unit_once(world):
    assert services.reporting_units_sync(district=world.district) == 4
    assert services.reporting_units_sync(district=world.district) == 0
    assert set(ReportingUnit.objects.values_list("kind", flat=True)) == {"street", "community"}
