"""Submitting, by the tester: deadlines at their edges, pre-fill against each source app's own
count, idempotent submission by client uid, corrections and sign-off, checks between fields."""

import datetime as dt
import uuid

import pytest

from lianfang.checkpoints.tests.factories import draft, gate, record
from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.figures import SOURCES, figures_for
from lianfang.core.models import AuditEntry
from lianfang.quarantine.models import Alert
from lianfang.quarantine.services import overdue_escalate
from lianfang.quarantine.tests.factories import watch

from .. import selectors, services
from ..models import DailyReport, DailyReportRevision
from .factories import DAY, local, submit, template

NEXT = DAY + dt.timedelta(days=1)


def rules_template(world, *, rules=None):
    return services.report_template_save(
        actor=world.district_office, district=world.district, name="走访日报", unit_kinds=["community"], deadline=dt.time(10),
        fields=[{"key": "in_scope", "label": "在管户数"}, {"key": "visited", "label": "走访户数", "required": False},
                {"key": "funds", "label": "资金(万元)", "kind": "decimal", "required": False}],
        rules=rules if rules is not None else [{"left": "visited", "op": "le", "right": "in_scope", "message": "走访户数不能超过在管户数"}],
        via=COMMAND)


def send(world, t, unit, values, day=DAY, **kw):
    return services.daily_report_submit(actor=world.grid_worker_a, template=t, unit=unit, day=day, values=values, via=COMMAND, **kw)


# --- deadlines ------------------------------------------------------------------------------

@pytest.mark.parametrize("moment, late", [((9, 59, 59), False), ((10, 0, 0), False), ((10, 0, 1), True), ((23, 59, 59), True)])
def test_a_next_morning_deadline_is_kept_to_the_second(world, units, frozen, moment, late):
    t = template(world, deadline=dt.time(10), next_day=True)
    frozen(local(NEXT, *moment))
    report = submit(world, t, units["a"])
    assert report.is_late is late
    assert DailyReport.objects.get(pk=report.pk).is_late is late


def test_the_same_evening_before_a_next_morning_deadline_is_on_time(world, units, frozen):
    t = template(world, deadline=dt.time(10), next_day=True)
    frozen(local(DAY, 23, 59, 59))
    assert not submit(world, t, units["a"]).is_late


def test_a_day_reported_two_days_later_is_late(world, units, frozen):
    t = template(world, deadline=dt.time(10), next_day=True)
    frozen(local(DAY + dt.timedelta(days=2), 9))
    assert submit(world, t, units["a"]).is_late


@pytest.mark.parametrize("day", [dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2024, 12, 31), dt.date(2023, 12, 31)])
def test_the_deadline_is_the_same_wall_clock_time_every_day_across_month_and_year_ends(world, day):
    """No template change between days: every day's deadline is the same local time."""
    same_day = template(world, deadline=dt.time(18, 30))
    next_morning = template(world, deadline=dt.time(9), next_day=True)
    assert same_day.deadline_for(day) == local(day, 18, 30)
    assert next_morning.deadline_for(day) == local(day + dt.timedelta(days=1), 9)
    assert (next_morning.deadline_for(day + dt.timedelta(days=1)) - next_morning.deadline_for(day)) == dt.timedelta(days=1)


def test_a_correction_after_the_deadline_keeps_the_report_on_time_and_a_late_one_stays_late(world, units, frozen):
    t = template(world)
    units["b"].reporters.add(world.grid_worker_a)
    frozen(local(DAY, 9))
    on_time = submit(world, t, units["a"])
    frozen(local(DAY, 11))
    late = submit(world, t, units["b"])
    frozen(local(DAY + dt.timedelta(days=3), 15))
    values = {"new_key_persons": 0, "passages": 0, "visited": 9}
    on_time = services.daily_report_correct(actor=world.grid_worker_a, report=on_time, values=values, reason="补录", via=COMMAND)
    late = services.daily_report_correct(actor=world.grid_worker_a, report=late, values=values, reason="补录", via=COMMAND)
    assert DailyReport.objects.get(pk=on_time.pk).is_late is False
    assert DailyReport.objects.get(pk=late.pk).is_late is True
    assert on_time.submitted_at == local(DAY + dt.timedelta(days=3), 15)


def test_a_deadline_moved_later_does_not_rewrite_reports_already_marked(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 11))
    assert submit(world, t, units["a"]).is_late
    t.deadline = dt.time(12)
    t.save()
    assert DailyReport.objects.get().is_late


# --- pre-fill equals the source apps' own counts --------------------------------------------

def sourced_template(world, names):
    return services.report_template_save(
        actor=world.district_office, district=world.district, name="来源日报", unit_kinds=["community", "street"],
        deadline=dt.time(10), fields=[{"key": n, "label": n, "source": n} for n in names], via=COMMAND)


def own(world, org, name, day=DAY):
    return figures_for(paths=[org.path], parent_path=org.path, names=[name], day=day)[name][org.path]


def test_every_source_named_by_the_issue_is_registered():
    for name in ("new_key_persons", "key_persons", "overdue_checks", "fever_alerts", "passages", "turned_back", "households_visited"):
        assert name in SOURCES, name


def test_prefill_passages_of_the_day_only_and_of_the_units_own_subtree(world, units, frozen):
    frozen(local(NEXT, 0, 30))
    ga, gb = gate(world, "a"), gate(world, "b")
    record(world.checkpoint_staff_a, draft(ga, at=local(DAY, 0, 0, 0), name="甲", phone="13912345601"),
           draft(ga, at=local(DAY, 23, 59, 59), name="乙", phone="13912345602"),
           draft(ga, at=local(DAY - dt.timedelta(days=1), 23, 59, 59), name="丙", phone="13912345603"))
    record(world.checkpoint_staff_b, draft(gb, at=local(DAY, 12), name="丁", phone="13912345604"))
    t = sourced_template(world, ["passages"])
    from ..models import ReportingUnit

    street_a = ReportingUnit.objects.get(org=world.street_a)
    assert services.report_prefill(template=t, unit=units["a"], day=DAY) == {"passages": own(world, world.community_a, "passages")} \
        == {"passages": 2}
    assert services.report_prefill(template=t, unit=units["b"], day=DAY) == {"passages": 1}
    assert services.report_prefill(template=t, unit=street_a, day=DAY) == {"passages": own(world, world.street_a, "passages")} \
        == {"passages": 2}
    assert services.report_prefill(template=t, unit=units["a"], day=DAY - dt.timedelta(days=1)) == {"passages": 1}


def test_prefill_new_key_persons_equals_quarantines_count(world, units, frozen):
    frozen(local(DAY, 8))
    watch(world, "a")
    watch(world, "b")
    t = sourced_template(world, ["new_key_persons", "key_persons"])
    filled = services.report_prefill(template=t, unit=units["a"], day=DAY)
    assert filled == {"new_key_persons": own(world, world.community_a, "new_key_persons"),
                      "key_persons": own(world, world.community_a, "key_persons")} == {"new_key_persons": 1, "key_persons": 1}
    assert services.report_prefill(template=t, unit=units["a"], day=NEXT)["new_key_persons"] == 0


def test_prefill_overdue_checks_equals_the_missed_check_alerts_of_the_day(world, units, frozen):
    frozen(local(DAY - dt.timedelta(days=1), 8))
    watch(world, "a", start=DAY - dt.timedelta(days=1))
    frozen(local(DAY, 23, 50))
    overdue_escalate()
    on_day = Alert.objects.filter(kind=Alert.Kind.OVERDUE, org_path__startswith=world.community_a.path,
                                  raised_at__gte=local(DAY, 0), raised_at__lt=local(NEXT, 0)).count()
    assert on_day >= 1, "the fixture must miss at least one check on DAY"
    t = sourced_template(world, ["overdue_checks"])
    assert services.report_prefill(template=t, unit=units["a"], day=DAY) == {"overdue_checks": on_day} \
        == {"overdue_checks": own(world, world.community_a, "overdue_checks")}
    assert services.report_prefill(template=t, unit=units["b"], day=DAY) == {"overdue_checks": 0}
    report = services.daily_report_submit(actor=world.grid_worker_a, template=t, unit=units["a"], day=DAY,
                                          values={"overdue_checks": on_day}, via=COMMAND)
    assert report.prefilled == {"overdue_checks": on_day}


def test_prefill_households_visited_equals_screenings_count(world, units, frozen):
    from lianfang.screening.services import screening_visit_record
    from lianfang.screening.tests.factories import open_round

    r = open_round(actor=world.district_office, scope=world.district, starts_on=DAY - dt.timedelta(days=2))
    for household, actor, at in ((world.household_a, world.grid_worker_a, local(DAY, 9)),
                                 (world.household_b, world.grid_worker_b, local(DAY, 10)),
                                 (world.household_a, world.grid_worker_a, local(DAY - dt.timedelta(days=1), 9))):
        screening_visit_record(actor=actor, screening_round=r, household=household, uid=uuid.uuid4(), method="door",
                               result="all_present", visited_at=at, via=COMMAND)
    t = sourced_template(world, ["households_visited"])
    frozen(local(DAY, 20))
    assert services.report_prefill(template=t, unit=units["a"], day=DAY) == {"households_visited": 1} \
        == {"households_visited": own(world, world.community_a, "households_visited")}
    assert services.report_prefill(template=t, unit=units["b"], day=DAY) == {"households_visited": 1}


def test_the_prefill_kept_with_a_report_does_not_follow_later_records(world, units, frozen):
    frozen(local(DAY, 8))
    g = gate(world)
    record(world.checkpoint_staff_a, draft(g, at=local(DAY, 7), name="甲", phone="13912345601"))
    t = template(world)
    report = submit(world, t, units["a"])
    record(world.checkpoint_staff_a, draft(g, at=local(DAY, 7, 30), name="乙", phone="13912345602"))
    assert DailyReport.objects.get(pk=report.pk).prefilled["passages"] == 1
    assert services.report_prefill(template=t, unit=units["a"], day=DAY)["passages"] == 2


# --- idempotent submission by client uid ----------------------------------------------------

def test_a_replayed_submission_returns_the_same_report_and_writes_nothing(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 9))
    uid = uuid.uuid4()
    first = submit(world, t, units["a"], uid=uid)
    assert first.created and first.uid == uid
    frozen(local(DAY, 11))   # the retry comes after the deadline
    again = submit(world, t, units["a"], uid=uid, values={"new_key_persons": 5, "passages": 5, "visited": 5})
    assert again.created is False and again.pk == first.pk and not again.is_late and again.values["visited"] == 3
    assert DailyReport.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="daily_report", object_ref=str(uid)).count() == 1


def test_a_uid_reused_for_another_unit_or_day_is_refused(world, units, frozen):
    t = template(world)
    units["b"].reporters.add(world.grid_worker_a)
    frozen(local(DAY, 9))
    uid = uuid.uuid4()
    submit(world, t, units["a"], uid=uid)
    for unit, day in ((units["b"], DAY), (units["a"], DAY - dt.timedelta(days=1))):
        with pytest.raises(DomainError) as e:
            submit(world, t, unit, day=day, uid=uid)
        assert e.value.code == "conflict" and e.value.field == "uid"
    assert DailyReport.objects.count() == 1


def test_a_replay_by_someone_who_does_not_report_for_the_unit_is_refused(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 9))
    uid = uuid.uuid4()
    submit(world, t, units["a"], uid=uid)
    with pytest.raises(PermissionDenied):
        services.daily_report_submit(actor=world.grid_worker_b, template=t, unit=units["a"], day=DAY, values={}, uid=uid, via=COMMAND)


def test_a_second_different_submission_is_already_reported_and_stores_nothing(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 9))
    submit(world, t, units["a"], uid=uuid.uuid4())
    with pytest.raises(DomainError) as e:
        submit(world, t, units["a"], values=None, zero=True, uid=uuid.uuid4())
    assert e.value.code == "already_reported"
    assert DailyReport.objects.count() == 1 and not DailyReport.objects.get().is_zero
    assert AuditEntry.objects.filter(object_type="daily_report").count() == 1


# --- corrections and sign-off ---------------------------------------------------------------

def test_corrections_keep_every_revision_in_order_with_reason_and_author(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 8))
    report = submit(world, t, units["a"], values=None, zero=True)
    for i, (hour, visited, reason) in enumerate(((11, 4, "漏报"), (12, 6, "再次更正"), (13, 7, "第三次"))):
        frozen(local(DAY, hour))
        actor = world.street_officer_a if i == 1 else world.grid_worker_a   # the head may correct too
        report = services.daily_report_correct(actor=actor, report=report, values={"new_key_persons": 0, "passages": 0, "visited": visited},
                                               reason=reason, via=COMMAND)
    report.refresh_from_db()
    assert report.revision == 4 and report.values["visited"] == 7 and not report.is_zero
    revs = list(DailyReportRevision.objects.filter(report=report).order_by("revision"))
    assert [(r.revision, r.is_zero, r.values.get("visited"), r.reason) for r in revs] == [
        (1, True, None, "漏报"), (2, False, 4, "再次更正"), (3, False, 6, "第三次")]
    assert [r.submitted_at for r in revs] == [local(DAY, 8), local(DAY, 11), local(DAY, 12)]
    assert [r.replaced_by for r in revs] == [world.grid_worker_a, world.street_officer_a, world.grid_worker_a]
    assert AuditEntry.objects.filter(object_type="daily_report", object_ref=str(report.uid)).count() == 4


def test_a_correction_to_a_zero_report_and_a_bad_correction_changes_nothing(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 8))
    report = submit(world, t, units["a"])
    with pytest.raises(DomainError) as e:
        services.daily_report_correct(actor=world.grid_worker_a, report=report, values={"new_key_persons": 0, "passages": 0, "visited": -2},
                                      reason="改", via=COMMAND)
    assert e.value.field == "visited"
    with pytest.raises(DomainError) as e:
        services.daily_report_correct(actor=world.grid_worker_a, report=report, zero=True, reason="   ", via=COMMAND)
    assert e.value.field == "reason"
    with pytest.raises(PermissionDenied):
        services.daily_report_correct(actor=world.grid_worker_b, report=report, zero=True, reason="改", via=COMMAND)
    report.refresh_from_db()
    assert report.revision == 1 and not report.revisions.exists() and report.values["visited"] == 3
    report = services.daily_report_correct(actor=world.grid_worker_a, report=report, zero=True, reason="其实无新增", via=COMMAND)
    assert report.is_zero and report.values == report.prefilled    # the records' figures, nothing typed


def test_only_the_head_signs_off_once_and_a_correction_clears_it(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 8))
    report = submit(world, t, units["a"])
    for outsider in (world.grid_worker_a, world.street_officer_b, world.district_office):
        with pytest.raises(PermissionDenied):
            services.daily_report_sign_off(actor=outsider, report=report, via=COMMAND)
    frozen(local(DAY, 9))
    report = services.daily_report_sign_off(actor=world.street_officer_a, report=report, via=COMMAND)
    assert (report.signed_off_at, report.signed_off_by) == (local(DAY, 9), world.street_officer_a)
    with pytest.raises(DomainError) as e:
        services.daily_report_sign_off(actor=world.street_officer_a, report=report, via=COMMAND)
    assert e.value.code == "bad_transition"
    assert DailyReport.objects.get(pk=report.pk).signed_off_at == local(DAY, 9)
    report = services.daily_report_correct(actor=world.grid_worker_a, report=report, zero=True, reason="改零报", via=COMMAND)
    report.refresh_from_db()
    assert report.signed_off_at is None and report.signed_off_by is None
    frozen(local(DAY, 10))
    assert services.daily_report_sign_off(actor=world.street_officer_a, report=report, via=COMMAND).signed_off_at == local(DAY, 10)


def test_a_unit_without_a_head_cannot_be_signed_off(world, units, frozen):
    t = template(world)
    units["b"].reporters.add(world.grid_worker_b)
    frozen(local(DAY, 8))
    report = services.daily_report_submit(actor=world.grid_worker_b, template=t, unit=units["b"], day=DAY, zero=True, via=COMMAND)
    with pytest.raises(PermissionDenied):
        services.daily_report_sign_off(actor=world.grid_worker_b, report=report, via=COMMAND)


# --- checks between fields ------------------------------------------------------------------

def test_visited_above_in_scope_is_refused_with_the_templates_message(world, units, frozen):
    t = rules_template(world)
    frozen(local(DAY, 8))
    with pytest.raises(DomainError) as e:
        send(world, t, units["a"], {"in_scope": 10, "visited": 11})
    assert (str(e.value), e.value.field) == ("走访户数不能超过在管户数", "visited")
    assert not DailyReport.objects.exists()
    assert send(world, t, units["a"], {"in_scope": 10, "visited": 10}).values == {"in_scope": 10, "visited": 10}


def test_a_rule_is_skipped_when_a_side_is_empty(world, units, frozen):
    t = rules_template(world)
    frozen(local(DAY, 8))
    assert send(world, t, units["a"], {"in_scope": 10, "visited": ""}).values == {"in_scope": 10}


def test_a_rule_without_a_message_names_both_fields_and_compares_decimals_exactly(world, units, frozen):
    t = rules_template(world, rules=[{"left": "funds", "op": "lt", "right": "in_scope"}])
    frozen(local(DAY, 8))
    with pytest.raises(DomainError) as e:
        send(world, t, units["a"], {"in_scope": 3, "funds": "3.00"})
    assert "资金(万元)" in str(e.value) and "在管户数" in str(e.value) and "<" in str(e.value)
    assert send(world, t, units["a"], {"in_scope": 3, "funds": "2.99"}).values["funds"] == "2.99"


def test_a_correction_is_held_to_the_same_rules(world, units, frozen):
    t = rules_template(world)
    frozen(local(DAY, 8))
    report = send(world, t, units["a"], {"in_scope": 10, "visited": 5})
    with pytest.raises(DomainError):
        services.daily_report_correct(actor=world.grid_worker_a, report=report, values={"in_scope": 4, "visited": 5}, reason="改",
                                      via=COMMAND)
    assert DailyReport.objects.get().values == {"in_scope": 10, "visited": 5}


def test_typed_values_are_stored_cleaned(world, units, frozen):
    t = services.report_template_save(
        actor=world.district_office, district=world.district, name="类型", unit_kinds=["community"], deadline=dt.time(10),
        fields=[{"key": "n", "label": "数"}, {"key": "d", "label": "金额", "kind": "decimal"}, {"key": "yn", "label": "是否", "kind": "yes_no"},
                {"key": "c", "label": "等级", "kind": "choice", "choices": ["低", "高"]}, {"key": "t", "label": "说明", "kind": "text"}],
        via=COMMAND)
    frozen(local(DAY, 8))
    report = send(world, t, units["a"], {"n": "7", "d": "1.10", "yn": "是", "c": "高", "t": "  情况平稳  "})
    assert report.values == {"n": 7, "d": "1.10", "yn": True, "c": "高", "t": "情况平稳"}
    for bad in ({"c": "中"}, {"yn": "maybe"}, {"d": "NaN"}, {"d": "Infinity"}):
        with pytest.raises(DomainError):
            services.report_values_clean(template=t, values={"n": 1, "d": "1", "yn": True, "c": "低", "t": "x", **bad})


@pytest.mark.parametrize("key, raw", [("in_scope", "1e100000"), ("funds", "1e100000")])
def test_absurdly_large_numbers_are_refused(world, key, raw):
    t = rules_template(world, rules=[])
    with pytest.raises(DomainError) as e:
        services.report_values_clean(template=t, values={"in_scope": 1, key: raw})
    assert e.value.field == key


def test_decimals_are_stored_plainly_with_at_most_six_places(world):
    t = rules_template(world, rules=[])
    assert services.report_values_clean(template=t, values={"in_scope": 1, "funds": "0.5e1"})["funds"] == "5"
    assert services.report_values_clean(template=t, values={"in_scope": "1e3", "funds": "0.000001"}) == {
        "in_scope": 1000, "funds": "0.000001"}
    with pytest.raises(DomainError) as e:
        services.report_values_clean(template=t, values={"in_scope": 1, "funds": "1E-7"})
    assert e.value.field == "funds"


def test_a_zero_report_is_accepted_even_when_the_records_show_something_new(world, units, frozen):
    """"Nothing new today" from the reporter; the records' figures are still what it reports, so
    the roll-up keeps the new key person and the people under watch."""
    frozen(local(DAY, 8))
    watch(world, "a")
    t = template(world)
    report = submit(world, t, units["a"], values=None, zero=True)
    assert report.is_zero and report.values == report.prefilled and report.prefilled["new_key_persons"] == 1
    roll = selectors.rollup(actor=world.district_office, template=t, day=DAY, org=world.district)
    assert roll.total.sums["new_key_persons"] == 1 and roll.total.zero == 1
