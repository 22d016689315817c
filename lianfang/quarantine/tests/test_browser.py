import datetime as dt

import pytest
from playwright.sync_api import expect

from lianfang.conftest import browser_login
from lianfang.core.tests.factories import build_world
from lianfang.quarantine.models import Alert

from .factories import at, watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_doctor_records_a_fever_on_a_phone_and_the_district_office_sees_the_alert(phone_page, browser, live_server, frozen):
    world = build_world()
    frozen(at(dt.date(2026, 2, 3), 8, 30))
    order = watch(world)
    page = phone_page
    browser_login(page, "doctor_a")

    page.click("[data-toggle=nav]")
    page.click('#nav a[href="/quarantine/follow-ups/"]')
    page.check("input[name=mine]")
    page.wait_for_url("**mine=1**")
    row = page.locator(f"#o-{order.uid}")
    expect(row).to_contain_text("Due now" if page.evaluate("document.documentElement.lang") == "en" else "待测")
    row.locator("input[name=temperature]").fill("37.8")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    row.locator("button.primary").click()
    expect(row).to_contain_text("37.8")
    expect(row.locator("form")).to_have_count(1)  # the afternoon check is still to come
    alert = Alert.objects.get()
    assert (alert.kind, alert.order_id) == ("fever", order.pk)

    office = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url).new_page()
    browser_login(office, "district")
    expect(office.locator("#alert-count")).to_have_text("1")
    office.click("#nav a[href='/quarantine/alerts/']")
    item = office.locator(f"#a-{alert.uid}")
    expect(item).to_contain_text(world.resident_a.name)
    expect(item).to_contain_text("37.8 °C")
    item.locator("form[action$='/acknowledge/'] button").click()
    expect(office.locator(".msg-success")).to_be_visible()
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", world.district_office)
