"""The JSON API of daily reporting: templates, units, the pre-filled form, idempotent submissions
and zero reports, corrections, completeness, roll-up, duty, reminders and briefs — each scoped to
the caller's jurisdiction, phones masked for roles that may not reveal them."""

import datetime as dt
import uuid
from urllib.parse import quote

import pytest

from lianfang.core.audit import COMMAND
from lianfang.core.models import AuditAction, AuditEntry

from .. import services
from ..models import Brief, DailyReport, DailyReportRevision, DutyEntry, ReportingUnit, ReportTemplate
from .factories import DAY, local, submit, template

VALUES = {"new_key_persons": 0, "passages": 0, "visited": 3}


@pytest.fixture
def t(world, units, frozen):
    frozen(local(DAY, 8))
    units["b"].reporters.add(world.grid_worker_b)
    return template(world)


@pytest.fixture
def grid_a(world, token_client):
    return token_client(world.grid_worker_a)


@pytest.fixture
def grid_b(world, token_client):
    return token_client(world.grid_worker_b)


def form_url(t, unit, action=""):
    return f"/api/reporting/forms/{t.uid}/{unit.uid}" + (f"/{action}" if action else "")


def submission(**kw):
    return {"uid": str(uuid.uuid4()), "day": str(DAY), "values": VALUES, **kw}


def test_the_openapi_schema_renders(world, client_for):
    assert client_for(world.district_office).get("/api/openapi.json").status_code == 200


def test_the_lists_take_a_fixed_number_of_queries_however_many_units(world, t, units, token_client, django_assert_max_num_queries):
    from lianfang.core.tests.factories import make_org

    for i in range(5):
        make_org(name=f"新社区{i}", level="community", parent=world.street_a)
    services.reporting_units_sync(district=world.district)
    for unit in ReportingUnit.objects.filter(kind="community"):
        unit.reporters.add(world.grid_worker_a)
        submit(world, t, unit)
        services.duty_roster_set(actor=world.grid_worker_a, unit=unit, day=DAY, entries=[{"name": "值班员", "phone": "13900004444"}],
                                 via=COMMAND)
    services.reminders_create(now=local(DAY - dt.timedelta(days=1), 9, 30))
    office, grid = token_client(world.district_office), token_client(world.grid_worker_a)
    for api, url, most in [
        (office, f"/api/reporting/matrix?template={t.uid}", 6), (office, f"/api/reporting/missing?template={t.uid}", 4),
        (office, f"/api/reporting/rollup?template={t.uid}&org={world.street_a.code}", 6), (office, "/api/reporting/duty", 3),
        (office, "/api/reporting/reminders", 3), (office, "/api/reporting/reports", 3), (office, "/api/reporting/units", 4),
        (grid, "/api/reporting/due", 6),
    ]:
        with django_assert_max_num_queries(most + 1):    # + the token's last use
            assert api("get", url).status_code == 200


# --- templates ------------------------------------------------------------------------------

TEMPLATE = {
    "name": "财政资金日报", "unit_kinds": ["finance", "street"], "deadline": "09:00:00", "deadline_next_day": True,
    "fields": [
        {"key": "in_scope", "label": "应走访户数", "section": "走访"},
        {"key": "visited", "label": "已走访户数", "section": "走访"},
        {"key": "level", "label": "风险等级", "kind": "choice", "choices": ["低", "中", "高"]},
        {"key": "note", "label": "情况说明", "kind": "text", "required": False},
    ],
    "rules": [{"left": "visited", "op": "le", "right": "in_scope", "message": "已走访不能多于应走访"}],
}


def test_the_district_office_defines_lists_and_changes_a_template(world, token_client):
    office = token_client(world.district_office)
    created = office("post", "/api/reporting/templates", TEMPLATE)
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["deadline"] == "09:00:00" and out["deadline_next_day"] is True and out["unit_kinds"] == ["finance", "street"]
    assert [f["key"] for f in out["fields"]] == ["in_scope", "visited", "level", "note"]
    assert out["rules"] == [{"left": "visited", "op": "le", "right": "in_scope", "message": "已走访不能多于应走访"}]
    uid = out["uid"]
    # Every official of the district reads the district's templates.
    assert [x["uid"] for x in token_client(world.grid_worker_b)("get", "/api/reporting/templates").json()] == [uid]
    assert office("get", f"/api/reporting/templates/{uid}").json()["fields"][2]["choices"] == ["低", "中", "高"]
    changed = office("put", f"/api/reporting/templates/{uid}", {**TEMPLATE, "name": "财政日报", "fields": TEMPLATE["fields"][:2], "rules": []})
    assert changed.status_code == 200 and changed.json()["name"] == "财政日报" and len(changed.json()["fields"]) == 2
    assert ReportTemplate.objects.get().fields.count() == 2


def test_a_street_cannot_define_or_change_templates(world, t, token_client):
    officer = token_client(world.street_officer_a)
    assert officer("post", "/api/reporting/templates", TEMPLATE).status_code == 403
    assert officer("put", f"/api/reporting/templates/{t.uid}", TEMPLATE).status_code == 403
    assert ReportTemplate.objects.get().name == t.name


def test_a_bad_template_names_its_field_and_writes_nothing(world, token_client):
    office = token_client(world.district_office)
    bad = {**TEMPLATE, "fields": [{"key": "level", "label": "风险等级", "kind": "choice", "choices": ["低"]}], "rules": []}
    response = office("post", "/api/reporting/templates", bad)
    assert response.status_code == 400
    assert response.json()["field"] == "fields.0.choices" and "at least two options" in response.json()["detail"]
    rule = {**TEMPLATE, "rules": [{"left": "visited", "op": "le", "right": "note"}]}
    assert office("post", "/api/reporting/templates", rule).json()["field"] == "rules.0"
    assert office("post", "/api/reporting/templates", {**TEMPLATE, "deadline": "25:00"}).status_code == 422
    assert not ReportTemplate.objects.exists()


# --- units ----------------------------------------------------------------------------------

def test_the_units_list_is_scoped_filtered_and_masks_phones_without_reveal(world, units, token_client, django_assert_max_num_queries):
    services.reporting_unit_update(actor=world.district_office, unit=units["a"], head_name="王主任", head_phone="13900001111",
                                   duty_phone="13900002222", head=world.street_officer_a, reporters=[world.grid_worker_a],
                                   via=COMMAND)
    office = token_client(world.district_office)
    with django_assert_max_num_queries(12):
        listed = office("get", "/api/reporting/units").json()
    assert listed["count"] == 4
    assert [u["name"] for u in office("get", "/api/reporting/units?kind=community").json()["items"]] == ["东风社区", "西湖社区"]
    by_street = office("get", f"/api/reporting/units?org={world.street_a.code}").json()["items"]
    assert {u["name"] for u in by_street} == {"东风街道", "东风社区"}
    officer_b = token_client(world.street_officer_b)
    assert {u["name"] for u in officer_b("get", "/api/reporting/units").json()["items"]} == {"西湖街道", "西湖社区"}
    assert officer_b("get", f"/api/reporting/units?org={world.street_a.code}").status_code == 404
    # The street officer may reveal phones; the grid worker (its reporter) sees them masked.
    (full,) = token_client(world.street_officer_a)("get", "/api/reporting/units?kind=community").json()["items"]
    assert (full["head_phone"], full["duty_phone"], full["head"], full["reporters"]) == ("13900001111", "13900002222", "street_a", ["grid_a"])
    (masked,) = token_client(world.grid_worker_a)("get", "/api/reporting/units").json()["items"]
    assert masked["name"] == "东风社区" and masked["head_phone"] == "139****1111" and masked["duty_phone"] == "139****2222"
    assert AuditEntry.objects.filter(object_type="reporting_units", actor=world.grid_worker_a).exists()


def test_a_street_sets_up_its_unit_but_not_the_other_streets(world, units, token_client):
    body = {"head_name": "王主任", "head_phone": "13900001111", "head": "street_a", "reporters": ["grid_a"],
            "webhook_kind": "wecom", "webhook_url": "http://127.0.0.1:9/robot"}
    officer = token_client(world.street_officer_a)
    updated = officer("put", f"/api/reporting/units/{units['a'].uid}", body)
    assert updated.status_code == 200, updated.content
    assert updated.json()["head_name"] == "王主任" and updated.json()["has_webhook"] is True
    assert officer("put", f"/api/reporting/units/{units['a'].uid}", {**body, "reporters": ["nobody"]}).json()["field"] == "reporters"
    assert officer("put", f"/api/reporting/units/{units['a'].uid}", {**body, "reporters": ["grid_b"]}).json()["field"] == "reporters"
    assert token_client(world.street_officer_b)("put", f"/api/reporting/units/{units['a'].uid}", body).status_code == 404
    assert token_client(world.grid_worker_a)("put", f"/api/reporting/units/{units['a'].uid}", body).status_code == 403
    units["a"].refresh_from_db()
    assert units["a"].head_name == "王主任" and list(units["a"].reporters.all()) == [world.grid_worker_a]


# --- the reporter's forms -------------------------------------------------------------------

def test_the_due_list_shows_todays_form_and_then_its_report(world, t, units, grid_a):
    (due,) = grid_a("get", "/api/reporting/due").json()
    assert (due["template"]["uid"], due["unit"]["uid"], due["day"]) == (str(t.uid), str(units["a"].uid), str(DAY))
    assert due["deadline"].startswith("2024-03-04T10:00") and due["overdue"] is False and due["report"] is None
    report = submit(world, t, units["a"])
    (due,) = grid_a("get", "/api/reporting/due").json()
    assert due["report"] == str(report.uid)


def test_the_form_is_prefilled_from_the_records_and_says_so(world, t, units, grid_a):
    from lianfang.quarantine.tests.factories import watch

    watch(world, "a")
    form = grid_a("get", form_url(t, units["a"])).json()
    assert form["day"] == str(DAY) and form["report"] is None and form["overdue"] is False
    fields = {f["key"]: f for f in form["fields"]}
    assert fields["new_key_persons"]["value"] == fields["new_key_persons"]["prefilled"] == 1
    assert fields["new_key_persons"]["source"] == "new_key_persons" and fields["new_key_persons"]["source_title"]
    assert fields["new_key_persons"]["section"] == "重点人员"
    assert fields["visited"]["value"] is None and fields["visited"]["source"] == "" and fields["visited"]["required"] is True
    yesterday = grid_a("get", form_url(t, units["a"]) + f"?day={DAY - dt.timedelta(days=1)}").json()
    assert yesterday["day"] == str(DAY - dt.timedelta(days=1)) and yesterday["fields"][0]["value"] == 0


def test_another_communitys_worker_can_neither_read_nor_submit_the_form(world, t, units, grid_b):
    assert grid_b("get", form_url(t, units["a"])).status_code == 404
    assert grid_b("post", form_url(t, units["a"], "submit"), submission()).status_code == 404
    assert grid_b("post", form_url(t, units["a"], "zero"), {"uid": str(uuid.uuid4())}).status_code == 404
    assert not DailyReport.objects.exists()


def test_a_submission_is_stored_once_and_a_replay_answers_200_with_the_same_report(world, t, units, grid_a):
    body = submission(values={**VALUES, "note": "平稳"})
    first = grid_a("post", form_url(t, units["a"], "submit"), body)
    assert first.status_code == 201, first.content
    out = first.json()
    assert out["uid"] == body["uid"] and out["values"] == {**VALUES, "note": "平稳"} and out["is_late"] is False
    assert out["unit"]["name"] == "东风社区" and out["submitted_by"] == "grid_a"
    again = grid_a("post", form_url(t, units["a"], "submit"), body)
    assert again.status_code == 200
    replayed = again.json()
    # The same moment; a stored time comes back from the database in UTC.
    assert dt.datetime.fromisoformat(replayed.pop("submitted_at")) == dt.datetime.fromisoformat(out.pop("submitted_at"))
    assert replayed == out
    assert DailyReport.objects.count() == 1
    form = grid_a("get", form_url(t, units["a"])).json()
    assert form["report"]["uid"] == body["uid"] and {f["key"]: f["value"] for f in form["fields"]}["visited"] == 3


def test_a_different_second_submission_of_the_day_is_a_409(world, t, units, grid_a):
    assert grid_a("post", form_url(t, units["a"], "submit"), submission()).status_code == 201
    second = grid_a("post", form_url(t, units["a"], "submit"), submission(values={**VALUES, "visited": 9}))
    assert second.status_code == 409
    assert second.json()["code"] == "already_reported" and "has already reported" in second.json()["detail"]
    zero = grid_a("post", form_url(t, units["a"], "zero"), {"uid": str(uuid.uuid4()), "day": str(DAY)})
    assert zero.status_code == 409
    assert DailyReport.objects.get().values["visited"] == 3


def test_a_submission_id_reused_for_another_day_is_a_409(world, t, units, grid_a):
    body = submission()
    assert grid_a("post", form_url(t, units["a"], "submit"), body).status_code == 201
    reused = grid_a("post", form_url(t, units["a"], "submit"), {**body, "day": str(DAY - dt.timedelta(days=1))})
    assert reused.status_code == 409 and reused.json()["field"] == "uid"
    assert DailyReport.objects.count() == 1


@pytest.mark.parametrize("values, field, says", [
    ({**VALUES, "visited": "三"}, "visited", "a whole number"),
    ({**VALUES, "visited": -1}, "visited", "0 or more"),
    ({"new_key_persons": 0, "passages": 0}, "visited", "is required"),
    ({**VALUES, "bogus": 1}, "bogus", "Unknown fields"),
])
def test_bad_values_name_their_field_and_store_nothing(world, t, units, grid_a, values, field, says):
    response = grid_a("post", form_url(t, units["a"], "submit"), submission(values=values))
    assert response.status_code == 400
    assert response.json()["field"] == field and says in response.json()["detail"]
    assert not DailyReport.objects.exists()


def test_an_infinite_whole_number_is_refused_with_its_field(world, t, units, grid_a):
    response = grid_a("post", form_url(t, units["a"], "submit"), submission(values={**VALUES, "visited": "Infinity"}))
    assert response.status_code == 400 and response.json()["field"] == "visited"


def test_a_yes_no_sent_as_1_is_stored_as_true(world, t, units, grid_a):
    from ..models import ReportField

    ReportField.objects.create(template=t, key="closed", label="是否封闭", kind="yes_no")
    response = grid_a("post", form_url(t, units["a"], "submit"), submission(values={**VALUES, "closed": 1}))
    assert response.json()["values"]["closed"] is True


def test_a_malformed_submission_is_refused_before_the_service(world, t, units, grid_a):
    assert grid_a("post", form_url(t, units["a"], "submit"), {"day": str(DAY), "values": VALUES}).status_code == 422
    assert grid_a("post", form_url(t, units["a"], "submit"), submission(uid="123")).status_code == 422
    assert grid_a("post", form_url(t, units["a"], "submit"), submission(day="tomorrow")).status_code == 422
    future = grid_a("post", form_url(t, units["a"], "submit"), submission(day=str(DAY + dt.timedelta(days=1))))
    assert future.status_code == 400 and future.json()["field"] == "day"
    assert not DailyReport.objects.exists()


def test_a_zero_report_is_one_call_and_counts_as_on_time_in_the_matrix(world, t, units, grid_a, token_client):
    body = {"uid": str(uuid.uuid4())}    # the day defaults to today
    zero = grid_a("post", form_url(t, units["a"], "zero"), body)
    assert zero.status_code == 201 and zero.json()["is_zero"] is True and zero.json()["values"] == {"new_key_persons": 0, "passages": 0} and zero.json()["day"] == str(DAY)
    assert grid_a("post", form_url(t, units["a"], "zero"), body).status_code == 200
    matrix = token_client(world.street_officer_a)("get", f"/api/reporting/matrix?template={t.uid}&since={DAY}&until={DAY}").json()
    (row,) = matrix["rows"]
    assert row["unit"]["name"] == "东风社区" and row["cells"] == ["on_time"] and row["zero"] == [True]
    assert (matrix["expected"], matrix["submitted"], matrix["on_time"], matrix["zero"]) == (1, 1, 1, 1)
    assert matrix["reporting_rate"] == matrix["on_time_rate"] == 1.0


# --- reports --------------------------------------------------------------------------------

def test_a_correction_keeps_a_revision_and_the_head_signs_off(world, t, units, grid_a, token_client, frozen):
    uid = grid_a("post", form_url(t, units["a"], "submit"), submission()).json()["uid"]
    head = token_client(world.street_officer_a)
    signed = head("post", f"/api/reporting/reports/{uid}/sign-off")
    assert signed.status_code == 200 and signed.json()["signed_off_by"] == "street_a"
    assert head("post", f"/api/reporting/reports/{uid}/sign-off").status_code == 400
    frozen(local(DAY, 15))
    assert grid_a("post", f"/api/reporting/reports/{uid}/correct", {"values": VALUES, "reason": ""}).json()["field"] == "reason"
    bad = grid_a("post", f"/api/reporting/reports/{uid}/correct", {"values": {**VALUES, "visited": "x"}, "reason": "漏报"})
    assert bad.status_code == 400 and bad.json()["field"] == "visited"
    corrected = grid_a("post", f"/api/reporting/reports/{uid}/correct", {"values": {**VALUES, "visited": 5}, "reason": "漏报一户"})
    assert corrected.status_code == 200, corrected.content
    out = corrected.json()
    assert (out["revision"], out["values"]["visited"], out["signed_off_at"], out["is_late"]) == (2, 5, None, False)
    (old,) = out["revisions"]
    assert (old["revision"], old["values"]["visited"], old["reason"], old["replaced_by"]) == (1, 3, "漏报一户", "grid_a")
    to_zero = grid_a("post", f"/api/reporting/reports/{uid}/correct", {"zero": True, "reason": "无新增"}).json()
    assert to_zero["is_zero"] is True and to_zero["values"] == {"new_key_persons": 0, "passages": 0} and len(to_zero["revisions"]) == 2
    assert grid_a("get", f"/api/reporting/reports/{uid}").json()["revisions"][1]["reason"] == "无新增"
    assert grid_a("post", f"/api/reporting/reports/{uid}/sign-off").status_code == 403
    assert DailyReportRevision.objects.count() == 2


def test_reports_of_another_street_are_not_found(world, t, units, grid_a, grid_b, token_client):
    uid = grid_a("post", form_url(t, units["a"], "submit"), submission()).json()["uid"]
    officer_b = token_client(world.street_officer_b)
    assert officer_b("get", f"/api/reporting/reports/{uid}").status_code == 404
    assert officer_b("post", f"/api/reporting/reports/{uid}/correct", {"values": VALUES, "reason": "x"}).status_code == 404
    assert officer_b("post", f"/api/reporting/reports/{uid}/sign-off").status_code == 404
    assert grid_b("get", f"/api/reporting/reports/{uid}").status_code == 404
    assert officer_b("get", "/api/reporting/reports").json()["count"] == 0
    assert DailyReport.objects.get().revision == 1


def test_the_reports_list_filters_and_pages(world, t, units, token_client, frozen, django_assert_max_num_queries):
    yesterday = DAY - dt.timedelta(days=1)
    submit(world, t, units["a"], day=yesterday)
    submit(world, t, units["a"])
    services.daily_report_submit(actor=world.grid_worker_b, template=t, unit=units["b"], day=DAY, values=VALUES,
                                 via=COMMAND)
    office = token_client(world.district_office)
    with django_assert_max_num_queries(8):
        listed = office("get", f"/api/reporting/reports?template={t.uid}").json()
    assert listed["count"] == 3 and [r["day"] for r in listed["items"]] == [str(DAY), str(DAY), str(yesterday)]
    assert office("get", f"/api/reporting/reports?org={world.street_b.code}").json()["count"] == 1
    assert office("get", f"/api/reporting/reports?since={DAY}&until={DAY}").json()["count"] == 2
    assert office("get", f"/api/reporting/reports?until={yesterday}").json()["items"][0]["unit"]["name"] == "东风社区"
    assert token_client(world.grid_worker_a)("get", "/api/reporting/reports").json()["count"] == 2


# --- completeness, missing, roll-up ---------------------------------------------------------

def test_the_matrix_defaults_to_the_last_seven_days_and_is_scoped(world, t, units, token_client):
    submit(world, t, units["a"])
    office = token_client(world.district_office)
    matrix = office("get", f"/api/reporting/matrix?template={t.uid}").json()
    assert matrix["days"][0] == str(DAY - dt.timedelta(days=6)) and matrix["days"][-1] == str(DAY) and len(matrix["days"]) == 7
    assert {r["unit"]["name"]: r["cells"][-1] for r in matrix["rows"]} == {"东风社区": "on_time", "西湖社区": "pending"}
    officer_b = token_client(world.street_officer_b)
    own = officer_b("get", f"/api/reporting/matrix?template={t.uid}").json()
    assert [r["unit"]["name"] for r in own["rows"]] == ["西湖社区"] and own["submitted"] == 0
    assert officer_b("get", f"/api/reporting/matrix?template={t.uid}&org={world.street_a.code}").status_code == 404
    street_a = office("get", f"/api/reporting/matrix?template={t.uid}&org={world.street_a.code}").json()
    assert [r["unit"]["org"] for r in street_a["rows"]] == [world.community_a.code]


def test_the_matrix_refuses_a_period_longer_than_92_days(world, t, token_client):
    office = token_client(world.district_office)
    since = DAY - dt.timedelta(days=92)
    response = office("get", f"/api/reporting/matrix?template={t.uid}&since={since}&until={DAY}")
    assert response.status_code == 422
    assert response.json()["field"] == "since" and "92 days" in response.json()["detail"]
    assert office("get", f"/api/reporting/matrix?template={t.uid}&since={since + dt.timedelta(days=1)}&until={DAY}").status_code == 200
    backwards = office("get", f"/api/reporting/matrix?template={t.uid}&since={DAY}&until={DAY - dt.timedelta(days=1)}")
    assert backwards.status_code == 422 and backwards.json()["field"] == "until"
    assert office("get", "/api/reporting/matrix").status_code == 422    # which template


def test_the_missing_list_names_whom_to_call_masked_without_reveal(world, t, units, token_client):
    units["b"].head_name, units["b"].head_phone = "李主任", "13900002222"
    units["b"].save()
    submit(world, t, units["a"])
    (full,) = token_client(world.district_office)("get", f"/api/reporting/missing?template={t.uid}").json()
    assert (full["name"], full["head_name"], full["head_phone"]) == ("西湖社区", "李主任", "13900002222")
    (masked,) = token_client(world.supervision)("get", f"/api/reporting/missing?template={t.uid}&day={DAY}").json()
    assert masked["head_phone"] == "139****2222"
    assert token_client(world.street_officer_a)("get", f"/api/reporting/missing?template={t.uid}").json() == []


def test_the_rollup_through_the_api(world, t, units, token_client):
    report = submit(world, t, units["a"], values={**VALUES, "visited": 3, "note": "平稳"})
    services.daily_report_submit(actor=world.grid_worker_b, template=t, unit=units["b"], day=DAY, values={**VALUES, "visited": 4},
                                 via=COMMAND)
    office = token_client(world.district_office)
    roll = office("get", f"/api/reporting/rollup?template={t.uid}").json()
    assert [f["key"] for f in roll["fields"]] == ["new_key_persons", "passages", "visited", "note"]
    rows = {r["label"]: r for r in roll["rows"]}
    assert rows["东风街道"]["org"]["code"] == world.street_a.code and rows["东风街道"]["sums"]["visited"] == 3
    assert rows["东风街道"]["texts"] == [{"unit": "东风社区", "label": "情况说明", "text": "平稳"}]
    assert roll["total"]["sums"]["visited"] == 7 and (roll["total"]["units"], roll["total"]["reported"]) == (2, 2)
    drill = office("get", f"/api/reporting/rollup?template={t.uid}&org={world.street_a.code}&day={DAY}").json()
    (row,) = drill["rows"]
    assert row["org"]["code"] == world.community_a.code
    leaf = office("get", f"/api/reporting/rollup?template={t.uid}&org={world.community_a.code}").json()
    (row,) = leaf["rows"]
    assert row["unit"]["uid"] == str(units["a"].uid) and row["report"] == str(report.uid)
    officer_b = token_client(world.street_officer_b)
    assert officer_b("get", f"/api/reporting/rollup?template={t.uid}").json()["total"]["sums"]["visited"] == 4
    assert officer_b("get", f"/api/reporting/rollup?template={t.uid}&org={world.street_a.code}").status_code == 404


# --- duty, reminders ------------------------------------------------------------------------

def test_the_duty_roster_is_kept_by_the_unit_and_read_masked_without_reveal(world, t, units, grid_a, grid_b, token_client):
    body = {"day": str(DAY), "entries": [{"role": "leader", "name": "张书记", "phone": "13900003333"},
                                         {"name": "李干事", "phone": "13900004444"}]}
    put = grid_a("put", f"/api/reporting/units/{units['a'].uid}/duty", body)
    assert put.status_code == 200, put.content
    assert [(e["role"], e["name"]) for e in put.json()] == [("leader", "张书记"), ("officer", "李干事")]
    assert grid_b("put", f"/api/reporting/units/{units['a'].uid}/duty", body).status_code == 404
    bad = grid_a("put", f"/api/reporting/units/{units['a'].uid}/duty", {"day": str(DAY), "entries": [{"name": "王", "phone": ""}]})
    assert bad.status_code == 400 and bad.json()["field"] == "entries.0.phone"
    assert DutyEntry.objects.count() == 2
    full = token_client(world.street_officer_a)("get", f"/api/reporting/duty?day={DAY}").json()
    assert [(e["unit"]["name"], e["name"], e["phone"]) for e in full] == [("东风社区", "张书记", "13900003333"), ("东风社区", "李干事", "13900004444")]
    masked = token_client(world.supervision)("get", "/api/reporting/duty").json()
    assert [e["phone"] for e in masked] == ["139****3333", "139****4444"]
    assert token_client(world.street_officer_b)("get", "/api/reporting/duty").json() == []
    assert token_client(world.street_officer_b)("get", f"/api/reporting/duty?org={world.street_a.code}").status_code == 404


def test_reminders_are_listed_for_the_callers_units(world, t, units, token_client):
    services.reminders_create(now=local(DAY, 9, 30))
    office = token_client(world.district_office)
    listed = office("get", f"/api/reporting/reminders?template={t.uid}&day={DAY}").json()
    assert listed["count"] == 2 and {r["kind"] for r in listed["items"]} == {"before"}
    assert all("zero report" in r["text"] for r in listed["items"])
    (own,) = token_client(world.street_officer_b)("get", "/api/reporting/reminders").json()["items"]
    assert own["unit"]["name"] == "西湖社区" and own["delivery"] == "none"
    assert office("get", f"/api/reporting/reminders?day={DAY - dt.timedelta(days=1)}").json()["count"] == 0


# --- the daily brief ------------------------------------------------------------------------

def test_the_district_office_issues_numbered_briefs(world, t, units, token_client):
    submit(world, t, units["a"])
    services.duty_roster_set(actor=world.grid_worker_a, unit=units["a"], day=DAY, entries=[{"name": "李干事", "phone": "13900004444"}],
                             via=COMMAND)
    services.duty_roster_set(actor=world.street_officer_a, unit=ReportingUnit.objects.get(org=world.street_a), day=DAY,
                             entries=[{"role": "leader", "name": "张书记", "phone": "13900003333"}], via=COMMAND)
    office = token_client(world.district_office)
    body = {"day": str(DAY), "send_to": "区委、区政府领导", "copy_to": "各街道", "editors": "王五", "highlights": "全区平稳"}
    first = office("post", "/api/reporting/briefs", body)
    assert first.status_code == 201, first.content
    out = first.json()
    assert out["number"] == 1 and out["send_to"] == "区委、区政府领导" and out["content"]["templates"][0]["submitted"] == 1
    assert out["content"]["duty"][0]["leader_phone"] == "13900003333"
    refused = office("post", "/api/reporting/briefs", body)
    assert refused.status_code == 400 and refused.json()["code"] == "already_issued" and Brief.objects.count() == 1
    second = office("post", "/api/reporting/briefs", {**body, "templates": [str(t.uid)], "again": True})
    assert second.json()["number"] == 2
    assert [b["number"] for b in office("get", "/api/reporting/briefs").json()["items"]] == [2, 1]
    # Every official of the district reads the briefs; the duty phones masked without reveal.
    read = token_client(world.grid_worker_b)("get", f"/api/reporting/briefs/{out['uid']}")
    assert read.status_code == 200 and read.json()["content"]["duty"][0]["leader_phone"] == "139****3333"
    assert token_client(world.street_officer_a)("post", "/api/reporting/briefs", body).status_code == 403
    assert office("post", "/api/reporting/briefs", {**body, "day": str(DAY + dt.timedelta(days=1))}).json()["field"] == "day"
    assert Brief.objects.count() == 2


@pytest.mark.parametrize("kind, magic, content_type", [
    ("docx", b"PK", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("pdf", b"%PDF", "application/pdf"),
])
def test_a_brief_downloads_as_docx_and_pdf(world, t, units, token_client, kind, magic, content_type):
    submit(world, t, units["a"])
    brief = services.brief_issue(actor=world.district_office, district=world.district, day=DAY, via=COMMAND)
    response = token_client(world.grid_worker_a)("get", f"/api/reporting/briefs/{brief.uid}/{kind}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type and response.content.startswith(magic)
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(f'{brief}-{DAY}.{kind}')}"
    assert AuditEntry.objects.filter(object_type="daily_brief", action=AuditAction.EXPORT, object_ref=str(brief.uid),
                                     actor=world.grid_worker_a, detail__format=kind).count() == 1


def test_a_brief_of_another_district_is_not_found(world, t, token_client):
    from lianfang.core.tests.factories import make_org, make_user

    other = make_org(name="别区", level="district", code="110106")
    outsider = make_user(username="other_office", role="district_office", jurisdiction=other)
    brief = services.brief_issue(actor=world.district_office, district=world.district, day=DAY, via=COMMAND)
    outside = token_client(outsider)
    assert outside("get", f"/api/reporting/briefs/{brief.uid}").status_code == 404
    assert outside("get", f"/api/reporting/briefs/{brief.uid}/pdf").status_code == 404
    assert outside("get", "/api/reporting/briefs").json()["count"] == 0
    assert outside("get", f"/api/reporting/templates/{t.uid}").status_code == 404



def test_the_district_office_adds_a_department_and_the_new_communities(world, token_client):
    from lianfang.core.tests.factories import make_org

    services.reporting_units_sync(district=world.district)
    office = token_client(world.district_office)
    created = office("post", "/api/reporting/units", {"kind": "justice", "name": "区司法局"})
    assert created.status_code == 201 and created.json()["kind"] == "justice" and created.json()["org"] is None
    duplicate = office("post", "/api/reporting/units", {"kind": "justice", "name": "区司法局"})
    assert duplicate.status_code == 400 and duplicate.json()["field"] == "name"
    assert office("post", "/api/reporting/units", {"kind": "street", "name": "假街道"}).json()["field"] == "kind"

    make_org(name="新社区", level="community", parent=world.street_b, code="110105002099")
    assert office("post", "/api/reporting/units/sync").json() == {"added": 1}
    assert office("post", "/api/reporting/units/sync").json() == {"added": 0}
    street = token_client(world.street_officer_a)
    assert street("post", "/api/reporting/units", {"kind": "finance", "name": "街财政所"}).status_code == 403
    assert not ReportingUnit.objects.filter(name__in=["假街道", "街财政所"]).exists()
