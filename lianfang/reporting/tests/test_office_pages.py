"""The district office's reporting pages: templates with their fields and checks, the reporting
units, the 24-hour duty board and rosters, the reminder log and the numbered brief. Street b's
officer never sees or changes street a's units or rosters."""

import datetime as dt
import io

import pytest
from python_calamine import CalamineWorkbook

from lianfang.core.audit import COMMAND
from lianfang.core.models import AuditEntry

from .. import services
from ..models import Brief, DutyEntry, Reminder, ReportingUnit, ReportTemplate
from .factories import DAY, local, submit, template

pytestmark = pytest.mark.django_db


def xlsx_rows(response) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    return book.get_sheet_by_index(0).to_python()


def roster(world, unit, day=DAY, entries=None):
    return services.duty_roster_set(actor=world.district_office, unit=unit, day=day, via=COMMAND, entries=entries or [
        {"role": "leader", "name": "王书记", "phone": "13911112222"}, {"role": "officer", "name": "李干事", "phone": "13933334444"}])


# --- every page -----------------------------------------------------------------------------

def test_every_page_renders_for_the_district_office(world, units, client_for):
    t = template(world)
    brief = services.brief_issue(actor=world.district_office, district=world.district, day=DAY, again=True, via=COMMAND)
    client = client_for(world.district_office)
    for url in ["/reporting/templates/", "/reporting/templates/new/", f"/reporting/templates/{t.uid}/edit/", "/reporting/units/",
                f"/reporting/units/{units['a'].uid}/edit/", f"/reporting/units/{units['a'].uid}/duty/", "/reporting/duty/",
                "/reporting/reminders/", "/reporting/briefs/", "/reporting/briefs/new/", f"/reporting/briefs/{brief.uid}/"]:
        response = client.get(url)
        assert response.status_code == 200, url
    for url in ["/reporting/templates/", "/reporting/units/", "/reporting/duty/", "/reporting/reminders/", "/reporting/briefs/"]:
        assert 'class="tabs"' in client.get(url).content.decode(), url


# --- templates ------------------------------------------------------------------------------

def template_post(**changes) -> dict:
    data = {
        "name": "社区疫情日报", "unit_kinds": ["community", "street"], "deadline": "10:00", "remind_before": "60", "remind_after": "30",
        "is_active": "on",
        "fields-TOTAL_FORMS": "4", "fields-INITIAL_FORMS": "0",
        "fields-0-section": "排查", "fields-0-key": "in_scope", "fields-0-label": "应走访户数", "fields-0-kind": "integer",
        "fields-0-required": "on",
        "fields-1-section": "排查", "fields-1-key": "visited", "fields-1-label": "已走访户数", "fields-1-kind": "integer",
        "fields-1-required": "on", "fields-1-source": "households_visited",
        "fields-2-section": "其他", "fields-2-key": "level", "fields-2-label": "风险等级", "fields-2-kind": "choice",
        "fields-2-choices": "低\n中、高",
        "fields-3-section": "", "fields-3-key": "", "fields-3-label": "", "fields-3-kind": "integer", "fields-3-required": "on",
        "rules-TOTAL_FORMS": "2", "rules-INITIAL_FORMS": "0",
        "rules-0-left": "visited", "rules-0-op": "le", "rules-0-right": "in_scope", "rules-0-message": "已走访不能多于应走访",
        "rules-1-left": "", "rules-1-op": "le", "rules-1-right": "", "rules-1-message": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_it_creates_a_template_with_sections_a_choice_field_and_a_check(world, client_for):
    response = client_for(world.district_office).post("/reporting/templates/new/", template_post())
    assert response.status_code == 302 and response.url == "/reporting/templates/"
    t = ReportTemplate.objects.get()
    assert (t.name, t.unit_kinds, t.deadline, t.is_active) == ("社区疫情日报", ["community", "street"], dt.time(10), True)
    fields = list(t.fields.all())
    assert [(f.section, f.key, f.kind, f.source) for f in fields] == [
        ("排查", "in_scope", "integer", ""), ("排查", "visited", "integer", "households_visited"), ("其他", "level", "choice", "")]
    assert fields[2].choices == ["低", "中", "高"] and fields[2].required is False
    (rule,) = t.rules.all()
    assert (rule.left, rule.op, rule.right, rule.message) == ("visited", "le", "in_scope", "已走访不能多于应走访")
    listing = client_for(world.district_office).get("/reporting/templates/").content.decode()
    assert "社区疫情日报" in listing and "已走访不能多于应走访" in listing


@pytest.mark.parametrize("changes, message", [
    ({"fields-2-key": "visited"}, "Field 3: the key visited is used twice."),
    ({"fields-1-source": "no_such_figure"}, "Select a valid choice."),
    ({"rules-0-right": "level"}, "Check 1: compare two different number fields of this template."),
    ({"fields-2-choices": "只有一个"}, "Field 3: a choice needs at least two options."),
    ({"unit_kinds": None}, "This field is required."),
])
def test_bad_templates_show_the_message_keep_what_was_typed_and_save_nothing(world, client_for, changes, message):
    response = client_for(world.district_office).post("/reporting/templates/new/", template_post(**changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "应走访户数" in html and "已走访不能多于应走访" in html    # nothing typed is lost
    assert not ReportTemplate.objects.exists()


def test_an_unknown_figure_is_refused_by_the_service_too(world):
    from lianfang.core.errors import DomainError

    with pytest.raises(DomainError, match="unknown figure"):
        services.report_template_save(actor=world.district_office, district=world.district, name="x", unit_kinds=["street"],
                                      deadline=dt.time(10), fields=[{"key": "a", "label": "A", "source": "nope"}], via=COMMAND)


def test_the_error_sits_at_the_row_it_is_about(world, client_for):
    html = client_for(world.district_office).post("/reporting/templates/new/", template_post(**{"fields-2-key": "visited"})).content.decode()
    row = html.split('data-row="field-2"')[1].split("</fieldset>")[0]
    assert "the key visited is used twice" in row


def test_add_a_field_keeps_what_was_typed_and_saves_nothing(world, client_for):
    response = client_for(world.district_office).post("/reporting/templates/new/", template_post(add_field="1"))
    assert response.status_code == 200 and not ReportTemplate.objects.exists()
    html = response.content.decode()
    assert 'name="fields-TOTAL_FORMS" value="5"' in html and 'name="fields-4-key"' in html and "应走访户数" in html
    assert "errorlist" not in html and 'class="error"' not in html


def test_it_changes_a_template(world, client_for):
    t = template(world)
    client = client_for(world.district_office)
    html = client.get(f"/reporting/templates/{t.uid}/edit/").content.decode()
    assert 'value="new_key_persons"' in html and "走访户数" in html
    response = client.post(f"/reporting/templates/{t.uid}/edit/", template_post(name="改名日报"))
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.name == "改名日报" and [f.key for f in t.fields.all()] == ["in_scope", "visited", "level"]


def test_a_street_officer_reads_the_templates_but_may_not_change_them(world, client_for):
    t = template(world)
    client = client_for(world.street_officer_a)
    html = client.get("/reporting/templates/").content.decode()
    assert t.name in html and f"/reporting/templates/{t.uid}/edit/" not in html and "/reporting/templates/new/" not in html
    assert client.get("/reporting/templates/new/").status_code == 403
    assert client.get(f"/reporting/templates/{t.uid}/edit/").status_code == 403
    assert client.post("/reporting/templates/new/", template_post()).status_code == 403
    assert ReportTemplate.objects.count() == 1


# --- units ----------------------------------------------------------------------------------

def test_the_units_list_shows_the_jurisdiction_and_filters(world, units, client_for):
    services.reporting_unit_update(actor=world.district_office, unit=units["a"], head_name="张主任", head_phone="13912345678",
                                   duty_phone="13987654321", reporters=[world.grid_worker_a], via=COMMAND)
    client = client_for(world.street_officer_a)
    html = client.get("/reporting/units/").content.decode()
    assert "东风社区" in html and "东风街道" in html and "西湖社区" not in html
    assert "张主任" in html and "13912345678" in html    # a street officer may reveal phones
    html = client_for(world.district_office).get(f"/reporting/units/?kind=community&org={world.street_b.code}").content.decode()
    shown = {u.name for u in ReportingUnit.objects.all() if f'data-unit="{u.uid}"' in html}
    assert shown == {"西湖社区"}


def test_street_b_cannot_see_or_change_street_a_units(world, units, client_for):
    client = client_for(world.street_officer_b)
    assert "东风社区" not in client.get("/reporting/units/").content.decode()
    assert client.get(f"/reporting/units/{units['a'].uid}/edit/").status_code == 404
    assert client.post(f"/reporting/units/{units['a'].uid}/edit/", {"head_name": "x"}).status_code == 404
    assert client.get(f"/reporting/units/{units['a'].uid}/duty/").status_code == 404
    assert client.post(f"/reporting/units/{units['a'].uid}/duty/", {"day": "2024-03-04"}).status_code == 404
    units["a"].refresh_from_db()
    assert units["a"].head_name == ""


def test_a_grid_worker_may_not_manage_units(world, units, client_for):
    client = client_for(world.grid_worker_a)
    assert client.get("/reporting/units/").status_code == 403
    assert client.get(f"/reporting/units/{units['a'].uid}/edit/").status_code == 403    # they report for it: visible, not editable


def test_it_sets_up_a_unit(world, units, client_for):
    client = client_for(world.street_officer_a)
    form = client.get(f"/reporting/units/{units['a'].uid}/edit/").content.decode()
    assert "grid_a" in form and "grid_b" not in form    # accounts of that part of the tree only
    response = client.post(f"/reporting/units/{units['a'].uid}/edit/", {
        "head_name": "张主任", "head_phone": "13912345678", "duty_phone": "13987654321", "head": str(world.street_officer_a.pk),
        "reporters": [str(world.grid_worker_a.pk)], "webhook_kind": "wecom",
        "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", "is_active": "on"})
    assert response.status_code == 302
    unit = ReportingUnit.objects.get(pk=units["a"].pk)
    assert (unit.head_name, unit.head_phone, unit.duty_phone, unit.head, unit.webhook_kind) == (
        "张主任", "13912345678", "13987654321", world.street_officer_a, "wecom")
    assert list(unit.reporters.all()) == [world.grid_worker_a] and unit.is_active


def test_a_bad_robot_address_is_shown_and_nothing_changes(world, units, client_for):
    response = client_for(world.district_office).post(f"/reporting/units/{units['a'].uid}/edit/", {
        "head_name": "张主任", "webhook_kind": "wecom", "webhook_url": "qyapi.weixin.qq.com/x", "is_active": "on"})
    assert response.status_code == 400 and "The robot&#x27;s address starts with http:// or https://." in response.content.decode()
    units["a"].refresh_from_db()
    assert units["a"].head_name == "" and units["a"].webhook_url == ""


def test_the_units_export_has_a_row_per_unit(world, units, client_for):
    services.reporting_unit_update(actor=world.district_office, unit=units["a"], head_name="张主任", head_phone="13912345678",
                                   reporters=[world.grid_worker_a], via=COMMAND)
    rows = xlsx_rows(client_for(world.district_office).get("/reporting/units/?export=xlsx&kind=community"))
    assert rows[0][:4] == ["Unit", "Kind", "Responsible person", "Phone"]
    assert [r[0] for r in rows[1:]] == ["东风社区", "西湖社区"]
    assert rows[1][2:4] == ["张主任", "13912345678"] and rows[1][6] == 1
    assert AuditEntry.objects.filter(action="export", object_type="reporting_unit").exists()


# --- 24-hour duty ---------------------------------------------------------------------------

def test_it_sets_a_duty_roster_and_the_board_shows_it(world, units, client_for):
    client = client_for(world.street_officer_a)
    street = ReportingUnit.objects.get(org=world.street_a)
    response = client.post(f"/reporting/units/{street.uid}/duty/", {
        "day": "2024-03-04", "duty-TOTAL_FORMS": "3", "duty-INITIAL_FORMS": "0",
        "duty-0-role": "leader", "duty-0-name": "王书记", "duty-0-phone": "13911112222",
        "duty-1-role": "officer", "duty-1-name": "李干事", "duty-1-phone": "13933334444",
        "duty-2-role": "officer", "duty-2-name": "", "duty-2-phone": ""})
    assert response.status_code == 302 and response.url == "/reporting/duty/?day=2024-03-04"
    assert sorted(DutyEntry.objects.filter(unit=street, day=DAY).values_list("role", "name", "phone")) == [
        ("leader", "王书记", "13911112222"), ("officer", "李干事", "13933334444")]
    html = client.get("/reporting/duty/?day=2024-03-04").content.decode()
    row = html.split(f'data-unit="{street.uid}"')[1].split("</tr>")[0]
    assert "王书记" in row and "13911112222" in row and "nobody on duty" not in row
    other = html.split(f'data-unit="{units["a"].uid}"')[1].split("</tr>")[0]
    assert "nobody on duty" in other
    assert "西湖" not in html
    assert '<b data-figure="gaps">1</b>' in html


def test_two_leaders_are_refused_and_nothing_is_kept(world, units, client_for):
    roster(world, units["a"])
    response = client_for(world.district_office).post(f"/reporting/units/{units['a'].uid}/duty/", {
        "day": "2024-03-04", "duty-TOTAL_FORMS": "2", "duty-INITIAL_FORMS": "0",
        "duty-0-role": "leader", "duty-0-name": "甲", "duty-0-phone": "13911112222",
        "duty-1-role": "leader", "duty-1-name": "乙", "duty-1-phone": "13933334444"})
    assert response.status_code == 400 and "One leader on duty a day." in response.content.decode()
    assert set(DutyEntry.objects.values_list("name", flat=True)) == {"王书记", "李干事"}


def test_a_row_without_a_phone_shows_the_error_at_the_row(world, units, client_for):
    response = client_for(world.district_office).post(f"/reporting/units/{units['a'].uid}/duty/", {
        "day": "2024-03-04", "duty-TOTAL_FORMS": "2", "duty-INITIAL_FORMS": "0",
        "duty-0-role": "leader", "duty-0-name": "甲", "duty-0-phone": "13911112222",
        "duty-1-role": "officer", "duty-1-name": "乙", "duty-1-phone": ""})
    assert response.status_code == 400
    row = response.content.decode().split('data-row="duty-1"')[1].split("</fieldset>")[0]
    assert "Row 2: a phone is required." in row and 'value="乙"' in row
    assert not DutyEntry.objects.exists()


def test_copy_from_the_previous_day_fills_the_form(world, units, client_for):
    roster(world, units["a"], day=DAY - dt.timedelta(days=1))
    html = client_for(world.district_office).get(f"/reporting/units/{units['a'].uid}/duty/?day=2024-03-04&copy=1").content.decode()
    assert 'value="王书记"' in html and 'value="13911112222"' in html
    assert not DutyEntry.objects.filter(day=DAY).exists()


def test_a_reporter_without_reveal_sees_masked_phones_and_keeps_them_when_saving(world, units, client_for):
    roster(world, units["a"])
    client = client_for(world.grid_worker_a)    # reports for community a; may not reveal phones
    board = client.get("/reporting/duty/?day=2024-03-04").content.decode()
    assert "139****2222" in board and "13911112222" not in board
    form = client.get(f"/reporting/units/{units['a'].uid}/duty/?day=2024-03-04").content.decode()
    assert 'value="139****2222"' in form and "13911112222" not in form
    response = client.post(f"/reporting/units/{units['a'].uid}/duty/", {
        "day": "2024-03-04", "duty-TOTAL_FORMS": "3", "duty-INITIAL_FORMS": "0",
        "duty-0-role": "leader", "duty-0-name": "王书记", "duty-0-phone": "139****2222",
        "duty-1-role": "officer", "duty-1-name": "李干事", "duty-1-phone": "139****4444",
        "duty-2-role": "officer", "duty-2-name": "赵新", "duty-2-phone": "13955556666"})
    assert response.status_code == 302
    assert sorted(DutyEntry.objects.filter(day=DAY).values_list("name", "phone")) == [
        ("李干事", "13933334444"), ("王书记", "13911112222"), ("赵新", "13955556666")]


def test_the_duty_board_exports(world, units, client_for):
    roster(world, units["a"])
    rows = xlsx_rows(client_for(world.district_office).get("/reporting/duty/?day=2024-03-04&export=xlsx"))
    assert rows[0][:4] == ["Unit", "Day", "Leader on duty", "Leader's phone"]
    by_unit = {r[0]: r for r in rows[1:]}
    assert set(by_unit) == {"东风街道", "东风社区", "西湖街道", "西湖社区"}
    assert by_unit["东风社区"][2:6] == ["王书记", "13911112222", "李干事", "13933334444"] and by_unit["东风社区"][7] == "no"
    assert by_unit["西湖社区"][7] == "yes"


# --- reminders ------------------------------------------------------------------------------

def test_the_reminder_log_lists_filters_and_exports(world, units, client_for, frozen):
    t = template(world)
    services.reporting_unit_update(actor=world.district_office, unit=units["b"], webhook_kind="wecom",
                                   webhook_url="http://127.0.0.1:9/robot", via=COMMAND)
    frozen(local(DAY, 9, 30))
    services.reminders_create()
    assert Reminder.objects.filter(day=DAY).count() == 2    # before the 10:00 deadline, to both communities
    client = client_for(world.district_office)
    html = client.get("/reporting/reminders/").content.decode()
    assert "东风社区" in html and "西湖社区" in html and 'data-delivery="pending"' in html
    html = client.get(f"/reporting/reminders/?template={t.uid}&day=2024-03-04&delivery=pending").content.decode()
    assert "西湖社区" in html and "东风社区" not in html and "Before the deadline" in html
    assert "西湖社区" not in client_for(world.street_officer_a).get("/reporting/reminders/").content.decode()
    rows = xlsx_rows(client.get("/reporting/reminders/?export=xlsx&delivery=none&day=2024-03-04"))
    assert rows[0][:2] == ["Unit", "Report"] and [r[0] for r in rows[1:]] == ["东风社区"] and rows[1][5] == "In the app only"


# --- the brief ------------------------------------------------------------------------------

def brief_post(**changes) -> dict:
    return {"day": "2024-03-04", "title": "疫情防控工作日报", "office": "测试区疫情防控指挥部办公室", "send_to": "区县处级领导",
            "copy_to": "各街道办事处", "editors": "张三 李四", "highlights": "全区开展第二轮排查。", **changes}


def test_briefs_are_numbered_one_then_two(world, units, client_for, frozen):
    t = template(world)
    frozen(local(DAY, 8))
    submit(world, t, units["a"], values={"new_key_persons": 0, "passages": 0, "visited": 7, "note": "东风社区情况平稳"})
    roster(world, ReportingUnit.objects.get(org=world.street_a))
    frozen(local(DAY, 18))
    client = client_for(world.district_office)
    first = client.post("/reporting/briefs/new/", brief_post())
    refused = client.post("/reporting/briefs/new/", brief_post())
    assert refused.status_code == 400 and "confirm to issue another" in refused.content.decode() and Brief.objects.count() == 1
    second = client.post("/reporting/briefs/new/", brief_post(templates=[str(t.uid)], again="on"))
    one, two = Brief.objects.order_by("number")
    assert (one.number, two.number) == (1, 2)
    assert first.url == f"/reporting/briefs/{one.uid}/" and second.url == f"/reporting/briefs/{two.uid}/"
    assert (one.send_to, one.copy_to, one.editors) == ("区县处级领导", "各街道办事处", "张三 李四")
    html = client.get(first.url).content.decode()
    assert "疫情防控工作日报" in html and "第1期" in html and "东风街道" in html and "东风社区情况平稳" in html
    assert "全区开展第二轮排查。" in html and "王书记" in html and "本期送：区县处级领导" in html
    listing = client.get("/reporting/briefs/").content.decode()
    assert "第1期" in listing and "第2期" in listing


def test_the_brief_page_masks_phones_for_those_who_may_not_reveal_them(world, units, client_for):
    roster(world, ReportingUnit.objects.get(org=world.street_a))
    brief = services.brief_issue(actor=world.district_office, district=world.district, day=DAY, again=True, via=COMMAND)
    html = client_for(world.grid_worker_a).get(f"/reporting/briefs/{brief.uid}/").content.decode()
    assert "王书记 139****2222" in html and "13911112222" not in html
    assert "王书记 13911112222" in client_for(world.district_office).get(f"/reporting/briefs/{brief.uid}/").content.decode()


def test_a_brief_of_a_day_to_come_is_refused(world, client_for, frozen):
    frozen(local(DAY, 18))
    response = client_for(world.district_office).post("/reporting/briefs/new/", brief_post(day="2024-03-05"))
    assert response.status_code == 400 and "A day that has not come yet has no brief." in response.content.decode()
    assert not Brief.objects.exists()


def test_every_official_reads_the_brief_and_only_the_district_office_issues_it(world, units, client_for):
    brief = services.brief_issue(actor=world.district_office, district=world.district, day=DAY, again=True, via=COMMAND)
    client = client_for(world.street_officer_b)
    assert client.get(f"/reporting/briefs/{brief.uid}/").status_code == 200
    assert "/reporting/briefs/new/" not in client.get("/reporting/briefs/").content.decode()
    assert client.get("/reporting/briefs/new/").status_code == 403
    assert client.post("/reporting/briefs/new/", brief_post()).status_code == 403
    assert Brief.objects.count() == 1



def test_a_new_template_does_not_remind_of_yesterday(world, units, frozen, client_for):
    """Set up at 09:00, it reminds of today's report only: yesterday's was never asked for."""
    frozen(local(DAY, 9))
    template(world)
    frozen(local(DAY, 9, 30))
    services.reminders_create()
    assert set(Reminder.objects.values_list("day", "kind")) == {(DAY, "before")}
    assert "Deadline passed" not in client_for(world.district_office).get("/reporting/reminders/").content.decode()


@pytest.mark.parametrize("url", ["/reporting/templates/", "/reporting/units/", "/reporting/duty/?day=2024-03-04", "/reporting/reminders/",
                                 "/reporting/briefs/"])
def test_the_lists_take_a_fixed_number_of_queries(world, units, client_for, frozen, django_assert_max_num_queries, url):
    for i in range(3):
        template(world, deadline=dt.time(10, i))
    for unit in ReportingUnit.objects.all():
        roster(world, unit)
        services.reporting_unit_update(actor=world.district_office, unit=unit, reporters=[world.district_office], via=COMMAND)
    frozen(local(DAY, 9, 30))
    services.reminders_create()
    for _i in range(3):
        services.brief_issue(actor=world.district_office, district=world.district, day=DAY, again=True, via=COMMAND)
    client = client_for(world.district_office)
    client.get(url)
    # The layout itself asks a few (the menu's badges); the list adds a fixed few, whatever its length.
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200


def test_the_district_office_adds_a_department_and_new_communities(world, client_for):
    from lianfang.core.tests.factories import make_org

    services.reporting_units_sync(district=world.district)
    office = client_for(world.district_office)
    response = office.post("/reporting/units/", {"kind": "finance", "name": "区财政局"})
    unit = ReportingUnit.objects.get(name="区财政局")
    assert response.status_code == 302 and response["Location"] == f"/reporting/units/{unit.uid}/edit/"
    assert "No template in use asks Finance bureau yet" in office.get(response["Location"]).content.decode()
    assert unit.kind == "finance" and unit.org_path == world.district.path and unit.org is None

    again = office.post("/reporting/units/", {"kind": "finance", "name": "区财政局"}, follow=True)
    assert "exists already" in again.content.decode() and ReportingUnit.objects.filter(name="区财政局").count() == 1
    office.post("/reporting/units/", {"kind": "community", "name": "假社区"})
    assert not ReportingUnit.objects.filter(name="假社区").exists()

    new = make_org(name="新社区", level="community", parent=world.street_a, code="110105001099")
    office.post("/reporting/units/", {"action": "sync"})
    assert ReportingUnit.objects.get(org=new).kind == "community"

    # A street officer manages its units but adds none.
    assert client_for(world.street_officer_a).post("/reporting/units/", {"kind": "finance", "name": "街财政所"}).status_code == 403
    assert not ReportingUnit.objects.filter(name="街财政所").exists()
