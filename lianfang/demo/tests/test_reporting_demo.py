import datetime as dt
import time

import pytest
from django.utils import timezone

from lianfang.core.models import Level
from lianfang.demo.checkpoints import demo_checkpoints_ensure
from lianfang.demo.generator import demo_users_ensure, generate_district
from lianfang.demo.quarantine import demo_quarantine_ensure
from lianfang.demo.reporting import (
    DAILY,
    DEPARTMENT,
    HISTORY_DAYS,
    demo_reporting_ensure,
)
from lianfang.demo.screening import demo_screening_ensure
from lianfang.reporting import selectors
from lianfang.reporting.models import (
    Brief,
    DailyReport,
    DailyReportRevision,
    DutyEntry,
    Reminder,
    ReportingUnit,
    ReportTemplate,
    UnitKind,
)
from lianfang.reporting.selectors import Cell

SMALL = {"residents": 300, "streets": 2, "communities_per_street": 2, "grids_per_community": 2}


@pytest.fixture
def demo(db):
    generate_district(**SMALL)
    users = demo_users_ensure()
    demo_screening_ensure(users=users)
    demo_quarantine_ensure(users=users)
    demo_checkpoints_ensure(users=users)
    started = time.monotonic()
    written = demo_reporting_ensure(users=users)
    return {"users": {u.username: u for u in users}, "written": written, "seconds": time.monotonic() - started}


def test_every_street_community_and_four_departments_report_with_the_logins_in_place(demo):
    users = demo["users"]
    units = ReportingUnit.objects.all()
    assert units.filter(kind=UnitKind.STREET).count() == 2 and units.filter(kind=UnitKind.COMMUNITY).count() == 4
    assert {u.kind for u in units.filter(org__isnull=True)} == {UnitKind.FINANCE, UnitKind.COMMERCE, UnitKind.EDUCATION,
                                                                 UnitKind.JUSTICE}
    assert all(u.head_name and u.head_phone for u in units)
    street = units.get(org=users["street"].jurisdiction)
    assert street.head == users["street"] and street.reporters.filter(pk=users["street"].pk).exists()
    assert units.get(org=users["street2"].jurisdiction).head == users["street2"]
    community = units.get(reporters=users["grid"])
    assert community.kind == UnitKind.COMMUNITY and users["grid"].jurisdiction.parent == community.org
    assert units.get(reporters=users["inspector"]).kind == UnitKind.COMMERCE


def test_a_week_of_reports_with_every_kind_of_cell(demo):
    users = demo["users"]
    daily = ReportTemplate.objects.get(name=DAILY)
    assert ReportTemplate.objects.get(name=DEPARTMENT).reports.exists()
    assert [f.source for f in daily.fields.all() if f.source] == [
        "new_key_persons", "in_quarantine", "fever_alerts", "passages", "turned_back", "households_visited"]
    assert daily.rules.get().left == "visited"
    today = timezone.localdate()
    matrix = selectors.completeness_matrix(actor=users["district"], template=daily, since=today - dt.timedelta(days=HISTORY_DAYS),
                                           until=today)
    cells = [c for r in matrix.rows for c in r.cells[:-1]]    # the past week
    assert {Cell.ON_TIME, Cell.LATE, Cell.MISSING} <= set(cells)
    assert cells.count(Cell.ON_TIME) > cells.count(Cell.LATE) + cells.count(Cell.MISSING)
    assert DailyReport.objects.filter(is_zero=True).exists()
    today_cells = [r.cells[-1] for r in matrix.rows]
    assert Cell.PENDING in today_cells or Cell.MISSING in today_cells    # the demo logins' own forms are still open
    # Every report's values pass the template's checks, and the figures were pre-filled.
    for report in DailyReport.objects.filter(template=daily, is_zero=False):
        assert report.values["visited"] <= report.values["in_scope"]
        assert set(report.prefilled) == {"new_key_persons", "in_quarantine", "fever_alerts", "passages", "turned_back",
                                         "households_visited"}
    revision = DailyReportRevision.objects.get()
    assert revision.report.unit.reporters.filter(pk=users["grid"].pk).exists() and revision.report.revision == 2
    assert DailyReport.objects.filter(signed_off_by=users["street"]).exists()


def test_the_grid_worker_sees_today_s_form_pre_filled(demo):
    grid = demo["users"]["grid"]
    due = selectors.reports_due(actor=grid)
    today = timezone.localdate()
    todays = [d for d in due if d.day == today]
    assert todays and todays[0].report is None
    form = selectors.report_form(actor=grid, template=todays[0].template, unit=todays[0].unit, day=today)
    assert {f.field.key for f in form.fields if f.prefilled is not None} >= {"passages", "in_quarantine"}


def test_duty_rosters_reminders_and_two_briefs(demo):
    today = timezone.localdate()
    streets = ReportingUnit.objects.filter(kind=UnitKind.STREET)
    for day in (today - dt.timedelta(days=1), today):
        assert DutyEntry.objects.filter(day=day, unit__in=streets).values("unit").distinct().count() == 2
    assert DutyEntry.objects.filter(day=today, role="leader").count() == 2
    briefs = list(Brief.objects.order_by("number"))
    assert [b.number for b in briefs] == [1, 2]
    assert [b.day for b in briefs] == [today - dt.timedelta(days=2), today - dt.timedelta(days=1)]
    assert briefs[1].content["templates"][0]["submitted"] > 0 and briefs[1].content["duty"]
    missing_yesterday = set(ReportingUnit.objects.exclude(reports__day=today - dt.timedelta(days=1)).values_list("pk", flat=True))
    reminded = set(Reminder.objects.filter(day=today - dt.timedelta(days=1)).values_list("unit_id", flat=True))
    assert reminded <= missing_yesterday
    assert Reminder.objects.count() >= 2 and {"before", "after"} >= set(Reminder.objects.values_list("kind", flat=True))


def test_it_runs_once_and_stays_fast(demo):
    counts = (DailyReport.objects.count(), DutyEntry.objects.count(), Brief.objects.count(), Reminder.objects.count(),
              ReportingUnit.objects.count())
    assert demo["written"] == counts[0] > 0
    assert demo_reporting_ensure(users=list(demo["users"].values())) == 0
    assert (DailyReport.objects.count(), DutyEntry.objects.count(), Brief.objects.count(), Reminder.objects.count(),
            ReportingUnit.objects.count()) == counts
    assert demo["seconds"] < 10
    assert ReportingUnit.objects.filter(org__level=Level.STREET).count() == 2
