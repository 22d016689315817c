"""Reads of daily reporting, scoped by the actor: the units, and completeness and timeliness
(units × days; rates like DHIS2's reporting rate and reporting rate on time)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from lianfang.core import clock
from lianfang.core.models import OrgUnit
from lianfang.core.scoping import scoped, subtree_q

from .models import DailyReport, ReportingUnit, ReportTemplate


class Cell:
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"    # the deadline passed without a report
    PENDING = "pending"    # not in yet, the deadline has not passed
    NOT_DUE = "not_due"    # a day still to come


def reporting_unit_list(*, actor, template: ReportTemplate | None = None, org: OrgUnit | None = None) -> QuerySet[ReportingUnit]:
    qs = scoped(ReportingUnit.objects.filter(is_active=True), actor)
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    if template is not None:
        qs = qs.filter(kind__in=template.unit_kinds, district_id=template.district_id)
    return qs


@dataclass
class MatrixRow:
    unit: ReportingUnit
    cells: list[str]
    zero: list[bool]


@dataclass
class Matrix:
    template: ReportTemplate
    days: list[dt.date]
    rows: list[MatrixRow] = field(default_factory=list)

    def _count(self, *states: str) -> int:
        return sum(1 for r in self.rows for c in r.cells if c in states)

    @property
    def expected(self) -> int:
        """Reports whose deadline has passed, and any already in (DHIS2's expected reports)."""
        return self._count(Cell.ON_TIME, Cell.LATE, Cell.MISSING)

    @property
    def submitted(self) -> int:
        return self._count(Cell.ON_TIME, Cell.LATE)

    @property
    def on_time(self) -> int:
        return self._count(Cell.ON_TIME)

    @property
    def zero(self) -> int:
        return sum(sum(r.zero) for r in self.rows)

    @property
    def reporting_rate(self) -> float | None:
        return self.submitted / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None


def completeness_matrix(*, actor, template: ReportTemplate, since: dt.date, until: dt.date, org: OrgUnit | None = None,
                        now: dt.datetime | None = None) -> Matrix:
    """Every unit that reports `template` under `org` (the actor's jurisdiction by default) × every
    day: on time, late, missing, still pending, or not due; zero reports marked. Two queries."""
    now = now or clock.now()
    days = [since + dt.timedelta(days=i) for i in range((until - since).days + 1)]
    units = list(reporting_unit_list(actor=actor, template=template, org=org))
    reports = {(u, d): (zero, late) for u, d, zero, late in DailyReport.objects.filter(
        template=template, unit__in=units, day__gte=since, day__lte=until).values_list("unit_id", "day", "is_zero", "is_late")}
    deadlines = {d: template.deadline_for(d) for d in days}
    today = timezone.localdate(now)
    matrix = Matrix(template, days)
    for unit in units:
        cells, zeros = [], []
        for d in days:
            found = reports.get((unit.pk, d))
            if found is not None:
                cells.append(Cell.LATE if found[1] else Cell.ON_TIME)
            elif d > today:
                cells.append(Cell.NOT_DUE)
            else:
                cells.append(Cell.MISSING if now > deadlines[d] else Cell.PENDING)
            zeros.append(bool(found and found[0]))
        matrix.rows.append(MatrixRow(unit, cells, zeros))
    return matrix


def units_missing(*, actor, template: ReportTemplate, day: dt.date, org: OrgUnit | None = None) -> QuerySet[ReportingUnit]:
    """The units that have not reported `day` yet, with whom to call (head, phone)."""
    done = DailyReport.objects.filter(template=template, day=day).values("unit_id")
    return reporting_unit_list(actor=actor, template=template, org=org).exclude(pk__in=done).order_by("org_path", "name")
