"""Daily reporting in the demo district, through the real services where one applies: a
reporting unit for every street and community and four district departments with their heads,
the demo logins as reporters and heads of their units, two templates ("疫情防控日报" for streets
and communities with figures pre-filled from the records, "部门日报" for the departments), a
week of reports (most on time, a few late, some zero reports, some missing, one correction,
the first street's signed off), today partly in, the streets' 24-hour duty rosters, reminders
and the first two issues of the brief.

The demo logins report through `daily_report_submit`, with the clock set back to when each
report came in. The other units have no login (the demo has one login per role), so their
reports are written with the service's own pieces (values checked by `report_values_clean`,
figures by `report_prefill`'s registry, lateness by the template's deadline) and bulk_create."""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from lianfang.core import clock
from lianfang.core.audit import COMMAND
from lianfang.core.figures import figures_for
from lianfang.core.models import Level, OrgUnit, ResponsiblePerson, User
from lianfang.reporting import services
from lianfang.reporting.models import (
    DailyReport,
    FieldKind,
    ReportingUnit,
    ReportTemplate,
    UnitKind,
)

DAILY = "疫情防控日报"
DEPARTMENT = "部门日报"
HISTORY_DAYS = 7

DAILY_FIELDS = [
    {"section": "重点人员", "key": "new_key_persons", "label": "新增重点人员", "source": "new_key_persons"},
    {"section": "重点人员", "key": "in_quarantine", "label": "在管隔离人员", "source": "in_quarantine"},
    {"section": "重点人员", "key": "fever_alerts", "label": "发热预警", "source": "fever_alerts"},
    {"section": "卡点", "key": "passages", "label": "卡点通行人次", "source": "passages"},
    {"section": "卡点", "key": "turned_back", "label": "劝返人次", "source": "turned_back"},
    {"section": "摸排", "key": "households_visited", "label": "摸排户数", "source": "households_visited"},
    {"section": "摸排", "key": "visited", "label": "走访户数"},
    {"section": "摸排", "key": "in_scope", "label": "在管户数"},
    {"section": "今日重点工作", "key": "key_work", "label": "今日重点工作", "kind": FieldKind.TEXT, "required": False},
]
DAILY_RULES = [{"left": "visited", "op": "le", "right": "in_scope", "message": "走访户数不能多于在管户数。"}]

DEPARTMENT_FIELDS = [
    {"section": "督导检查", "key": "places_checked", "label": "检查场所（单位）数"},
    {"section": "督导检查", "key": "problems_found", "label": "发现问题数"},
    {"section": "督导检查", "key": "problems_fixed", "label": "已整改问题数"},
    {"section": "保障", "key": "funds", "label": "当日拨付防控资金（万元）", "kind": FieldKind.DECIMAL, "required": False},
    {"section": "保障", "key": "anything_unusual", "label": "有无异常情况", "kind": FieldKind.YES_NO},
    {"section": "工作动态", "key": "news", "label": "工作动态", "kind": FieldKind.TEXT, "required": False},
]
DEPARTMENT_RULES = [{"left": "problems_fixed", "op": "le", "right": "problems_found", "message": "已整改问题数不能多于发现问题数。"}]

DEPARTMENTS = [
    (UnitKind.FINANCE, "区财政局", "马国庆", "13909310101"),
    (UnitKind.COMMERCE, "区商务局", "冯晓燕", "13909310102"),
    (UnitKind.EDUCATION, "区教育局", "郭志刚", "13909310103"),
    (UnitKind.JUSTICE, "区司法局", "何丽君", "13909310104"),
]
DEPARTMENT_NEWS = {
    UnitKind.FINANCE: "各街道财政所资金日报已汇总，防控物资采购资金按时拨付。",
    UnitKind.COMMERCE: "检查超市、农贸市场、宾馆及物流企业，督促落实测温、扫码、消杀。",
    UnitKind.EDUCATION: "各校师生健康打卡率100%，线上教学平稳有序。",
    UnitKind.JUSTICE: "社区矫正对象每日报告已全部核实，无脱管漏管。",
}
KEY_WORK = ["完成辖区入户摸排复核，落实重点人员“2包1”管控。", "卡点24小时值守，外来车辆一律登记消毒。",
            "为居家隔离户配送生活物资，做好心理疏导。", "开展环境消杀，张贴防控宣传海报。", ""]
HEAD_TITLES = ["区级包抓领导", "社区党委书记"]    # whom the generator names on a street and a community
DUTY_NAMES = ["王建军", "李秀兰", "张海燕", "刘永红", "陈志明", "杨桂芳", "赵文斌", "黄丽娟", "周建华", "吴春梅",
              "徐国强", "孙玉兰", "胡晓东", "朱红霞", "高志勇", "林淑珍"]


def _phone(rng: random.Random) -> str:
    return f"139{rng.randrange(10**8):08d}"


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return clock.local(day, dt.time(hour, minute))


def _daily_values(rng: random.Random, figures: dict, in_scope: int) -> dict:
    """What a unit reports: the pre-filled figures as the records give them (now and then one
    corrected by hand), the households visited and in scope, the day's key work."""
    values = dict(figures)
    if values.get("passages") and rng.random() < 0.1:
        values["passages"] += rng.randint(1, 5)     # a gate's paper register counted too
    values["in_scope"] = in_scope
    values["visited"] = min(in_scope, max(values.get("households_visited", 0), rng.randint(0, max(1, in_scope // 20))))
    values["key_work"] = rng.choice(KEY_WORK)
    return values


def _department_values(rng: random.Random, kind: str) -> dict:
    found = rng.randint(0, 6)
    return {"places_checked": rng.randint(5, 40), "problems_found": found, "problems_fixed": rng.randint(0, found),
            "funds": f"{rng.randint(0, 500) / 10:.1f}" if kind == UnitKind.FINANCE else None,
            "anything_unusual": rng.random() < 0.05, "news": DEPARTMENT_NEWS.get(kind, "")}


def _fate(rng: random.Random, *, zero_share: float) -> str:
    roll = rng.random()
    if roll < 0.06:
        return "missing"
    if roll < 0.14:
        return "late"
    return "zero" if rng.random() < zero_share else "on_time"


def _units_set_up(*, district: OrgUnit, by_name: dict[str, User]) -> dict[int, ReportingUnit]:
    office = by_name["district"]
    services.reporting_units_sync(district=district)
    for kind, name, head_name, phone in DEPARTMENTS:
        ReportingUnit.objects.get_or_create(district=district, name=name,
                                            defaults={"kind": kind, "org": None, "org_path": district.path})
    units = {u.pk: u for u in ReportingUnit.objects.filter(district=district).select_related("org")}
    # The people each node names: the street's contracting leader (包抓领导), the community's party secretary.
    people = {}
    for person in ResponsiblePerson.objects.filter(org_path__startswith=district.path, title__in=HEAD_TITLES).order_by("pk"):
        people.setdefault(person.org_unit_id, person)
    street, street2 = by_name["street"].jurisdiction, by_name["street2"].jurisdiction
    community = by_name["grid"].jurisdiction.parent if by_name["grid"].jurisdiction.level == Level.GRID else by_name["grid"].jurisdiction
    heads = {street.pk: by_name["street"], street2.pk: by_name["street2"]}
    reporters = {street.pk: [by_name["street"]], street2.pk: [by_name["street2"]], community.pk: [by_name["grid"]]}
    departments = {name: (head_name, phone) for _kind, name, head_name, phone in DEPARTMENTS}
    rng = random.Random(7)
    for unit in units.values():
        if unit.org_id is not None:
            person = people.get(unit.org_id)
            head_name, head_phone = (person.name, person.phone) if person else ("", "")
            unit_reporters = reporters.get(unit.org_id, [])
            head = heads.get(unit.org_id)
            if head is not None:    # the street officer answers for the street (the leader's phone stays)
                head_name = head.display_name or head.username
        else:
            head_name, head_phone = departments.get(unit.name, ("", ""))
            head = None
            unit_reporters = [by_name["inspector"]] if unit.kind == UnitKind.COMMERCE else []
        services.reporting_unit_update(actor=office, unit=unit, head_name=head_name, head_phone=head_phone,
                                       duty_phone=f"0931{rng.randrange(10**7):07d}", head=head, reporters=unit_reporters, via=COMMAND)
    return units


def _templates_create(*, district: OrgUnit, office: User) -> tuple[ReportTemplate, ReportTemplate]:
    daily = services.report_template_save(
        actor=office, district=district, name=DAILY, unit_kinds=[UnitKind.STREET, UnitKind.COMMUNITY], deadline=dt.time(18),
        remind_before=60, remind_after=30, fields=DAILY_FIELDS, rules=DAILY_RULES, via=COMMAND)
    department = services.report_template_save(
        actor=office, district=district, name=DEPARTMENT, unit_kinds=[k for k, *_ in DEPARTMENTS], deadline=dt.time(17),
        remind_before=60, remind_after=30, fields=DEPARTMENT_FIELDS, rules=DEPARTMENT_RULES, via=COMMAND)
    return daily, department


def demo_reporting_ensure(*, users: list[User], seed: int = 2020) -> int:
    """Set daily reporting up once. Returns the reports written (0 if done before)."""
    by_name = {u.username: u for u in users}
    office = by_name["district"]
    district = office.jurisdiction
    if ReportTemplate.objects.filter(district=district, name=DAILY).exists():
        return 0
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate(now)
    first = today - dt.timedelta(days=HISTORY_DAYS)
    try:
        with transaction.atomic():
            clock.set_now(_at(first - dt.timedelta(days=1), 9))     # the office set it up the day before the week shown
            units = _units_set_up(district=district, by_name=by_name)
            daily, department = _templates_create(district=district, office=office)
            clock.set_now(None)
            written = _history(district=district, units=units, daily=daily, department=department, by_name=by_name,
                               rng=rng, now=now, first=first, today=today)
            _duty(district=district, units=units, office=office, rng=rng, first=first, today=today)
            _reminders(first=first, today=today, now=now)
            _briefs(district=district, office=office, daily=daily, department=department, today=today, now=now)
    finally:
        clock.set_now(None)
    return written


def _history(*, district, units, daily, department, by_name, rng, now, first, today) -> int:
    """A week of reports, and today's so far."""
    grid, street_officer, street2, inspector = by_name["grid"], by_name["street"], by_name["street2"], by_name["inspector"]
    login_of = {pk: user for user in (grid, street_officer, street2, inspector)    # unit pk -> the demo login reporting it
                for pk in user.reporting_units.values_list("pk", flat=True)}
    tree_units = [u for u in units.values() if u.org_id is not None]
    paths = [u.org_path for u in tree_units]
    sourced = [f["source"] for f in DAILY_FIELDS if f.get("source")]
    in_scope = figures_for(paths=paths, parent_path=district.path, names=["households"])["households"]
    # The rows without a login are checked against the templates' fields and rules read once.
    checked = {t.pk: t for t in ReportTemplate.objects.filter(pk__in=[daily.pk, department.pk]).prefetch_related("fields", "rules")}
    rows, written = [], 0
    for offset in range(HISTORY_DAYS, -1, -1):
        day = first + dt.timedelta(days=HISTORY_DAYS - offset)
        figures = figures_for(paths=paths, parent_path=district.path, names=sourced, day=day)
        for template, members in ((daily, tree_units), (department, [u for u in units.values() if u.org_id is None])):
            deadline = template.deadline_for(day)
            for unit in sorted(members, key=lambda u: u.org_path + u.name):
                login = login_of.get(unit.pk)
                if day == today:
                    # Today: about half are in; the demo logins' own forms are left for them to fill.
                    if login is not None or rng.random() < 0.5:
                        continue
                    fate = "zero" if unit.kind == UnitKind.COMMUNITY and rng.random() < 0.15 else "on_time"
                else:
                    fate = _fate(rng, zero_share=0.12 if unit.kind == UnitKind.COMMUNITY else 0.0)
                    if login is not None and fate == "missing":
                        fate = "late"    # a demo login's history has no hole: the correction below needs its reports
                if fate == "missing":
                    continue
                if fate == "late":
                    at = deadline + dt.timedelta(minutes=rng.randint(5, 180))
                else:
                    at = deadline - dt.timedelta(minutes=rng.randint(10, 8 * 60))
                if at >= now:
                    if day != today:
                        continue
                    at = now - dt.timedelta(minutes=rng.randint(1, 30))
                if template is daily:
                    prefilled = {key: figures[key][unit.org_path] for key in sourced}
                    values = _daily_values(rng, prefilled, in_scope.get(unit.org_path, 0))
                else:
                    prefilled, values = {}, _department_values(rng, unit.kind)
                values = {k: v for k, v in values.items() if v is not None}
                if login is not None:
                    clock.set_now(at)
                    services.daily_report_submit(actor=login, template=template, unit=unit, day=day, values=values,
                                                 zero=fate == "zero", via=COMMAND)
                    clock.set_now(None)
                else:
                    cleaned = {} if fate == "zero" else services.report_values_clean(template=checked[template.pk], values=values)
                    rows.append(DailyReport(template=template, unit=unit, org_path=unit.org_path, day=day, values=cleaned,
                                            prefilled=prefilled, is_zero=fate == "zero", submitted_at=at, is_late=at > deadline))
                written += 1
    DailyReport.objects.bulk_create(rows)
    _correction_and_sign_off(units=units, daily=daily, grid=grid, street_officer=street_officer, today=today, now=now)
    return written


def _correction_and_sign_off(*, units, daily, grid, street_officer, today, now) -> None:
    """The grid worker corrects the community's report of three days ago (a revision kept); the
    street officer signs off the street's past reports."""
    report = DailyReport.objects.filter(template=daily, unit__reporters=grid, day__lt=today, is_zero=False) \
        .order_by("day").select_related("template", "unit").last()
    if report is not None:
        values = dict(report.values)
        values["visited"] = min(values.get("in_scope", 0), values.get("visited", 0) + 3)
        clock.set_now(min(now, report.submitted_at + dt.timedelta(hours=2)))
        services.daily_report_correct(actor=grid, report=report, values=values, reason="漏报3户夜间走访，补正走访户数。", via=COMMAND)
    street_unit = ReportingUnit.objects.get(org=street_officer.jurisdiction)
    for report in DailyReport.objects.filter(unit=street_unit, day__lt=today).order_by("day"):
        clock.set_now(min(now, report.submitted_at + dt.timedelta(minutes=40)))
        services.daily_report_sign_off(actor=street_officer, report=report, via=COMMAND)
    clock.set_now(None)


def _duty(*, district, units, office, rng, first, today) -> None:
    """Each street's leader on duty and two duty officers, every day of the week and today."""
    streets = sorted((u for u in units.values() if u.kind == UnitKind.STREET), key=lambda u: u.org_path)
    day = first
    while day <= today:
        for s, unit in enumerate(streets):
            names = rng.sample(DUTY_NAMES, 3)
            entries = [{"role": "leader", "name": names[0], "phone": _phone(rng)},
                       {"role": "officer", "name": names[1], "phone": _phone(rng)},
                       {"role": "officer", "name": names[2], "phone": _phone(rng)}]
            clock.set_now(_at(day, 8))
            services.duty_roster_set(actor=office, unit=unit, day=day, entries=entries, via=COMMAND)
        day += dt.timedelta(days=1)
    clock.set_now(None)


def _reminders(*, first, today, now) -> None:
    """The ticker's reminder runs of each past day (an hour before the deadline, half an hour
    after): the units that never reported that day got one each. Today's come from the ticker."""
    day = first
    while day < today:
        for moment in (_at(day, 17, 5), _at(day, 18, 35)):
            if moment < now:
                services.reminders_create(now=moment)
        day += dt.timedelta(days=1)


def _briefs(*, district, office, daily, department, today, now) -> None:
    """第1期 and 第2期: the day before yesterday's and yesterday's, issued the next morning."""
    for number, day in enumerate((today - dt.timedelta(days=2), today - dt.timedelta(days=1)), start=1):
        clock.set_now(min(now, _at(day + dt.timedelta(days=1), 8, 30)))
        services.brief_issue(actor=office, district=district, day=day, title="疫情防控工作日报",
                             office=f"{district.name}新型冠状病毒感染的肺炎疫情防控工作领导小组办公室",
                             send_to="区委、区人大、区政府、区政协主要领导，区防控领导小组各成员",
                             copy_to="各街道防控指挥部，区直各部门", editors="编辑：王晓明　审核：李国华",
                             highlights="全区各街道、社区坚持日报告、零报告制度，卡点24小时值守，重点人员“2包1”管控到位。",
                             templates=[daily, department], via=COMMAND)
    clock.set_now(None)
