"""On a phone: a community's reporter sends the day's zero report with one tap, and the street's
completeness matrix turns green for that community."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from lianfang.conftest import browser_login
from lianfang.core import clock
from lianfang.core.tests.factories import build_world

from .. import services
from ..models import DailyReport, ReportingUnit
from .factories import template

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_community_reporter_sends_a_zero_report_and_the_streets_matrix_turns_green(phone_page, browser, live_server):
    world = build_world()
    services.reporting_units_sync(district=world.district)
    community = ReportingUnit.objects.get(org=world.community_a)
    community.reporters.add(world.grid_worker_a)
    # Due tomorrow night: whatever the hour the test runs, the report is on time.
    t = template(world, deadline=dt.time(23, 59), next_day=True)

    street = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", base_url=live_server.url).new_page()
    browser_login(street, "street_a")
    street.goto(f"/reporting/completeness/?template={t.uid}")
    cell = street.locator(f'tr[data-unit="{community.uid}"] .cell').last
    expect(cell).to_have_attribute("data-cell", "pending")

    page = phone_page
    browser_login(page, "grid_a")
    page.goto(f"/reporting/form/{t.uid}/{community.uid}/{clock.today().isoformat()}/")
    expect(page.locator("input[name=visited]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.goto("/reporting/")
    due = page.locator(f'li[data-unit="{community.uid}"]')
    expect(due).to_have_class("open")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    due.locator("button.zero").click()
    expect(page.locator(".msg-success")).to_be_visible()
    expect(page.locator(f'li[data-unit="{community.uid}"]')).to_have_class("done")
    report = DailyReport.objects.get(unit=community)
    assert report.is_zero and not report.is_late

    street.reload()
    expect(cell).to_have_attribute("data-cell", "on_time")
    expect(cell).to_have_text("0")
    green = cell.evaluate("el => getComputedStyle(el).backgroundColor")
    assert green == "rgb(46, 158, 79)"
    assert street.evaluate("document.documentElement.scrollWidth") <= 375
    street.context.close()
