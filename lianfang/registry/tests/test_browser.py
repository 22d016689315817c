import re

import pytest
from playwright.sync_api import expect

from lianfang.conftest import browser_login
from lianfang.core.tests.factories import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_reveal_and_find_it_in_the_audit_log(phone_page):
    world = build_world()
    page = phone_page
    number = world.resident_a.id_number
    browser_login(page, "street_a")

    expect(page.locator("#nav")).to_be_hidden()  # the phone layout's stylesheet is served
    page.click("[data-toggle=nav]")
    page.click("#nav a[href=\"/registry/residents/\"]")
    page.fill("input[name=q]", "居民A")
    link = page.locator("#results a", has_text="居民A")
    expect(link).to_be_visible()
    expect(page.locator("#results")).to_contain_text(f"{number[:6]}********{number[-4:]}")
    expect(page.locator("#results")).not_to_contain_text(number)

    link.click()
    expect(page.locator("#id_number")).to_have_text(f"{number[:6]}********{number[-4:]}")
    page.click("[data-reveal=id_number]")
    expect(page.locator(".revealed[data-field=id_number]")).to_have_text(number)
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.context.clear_cookies()
    browser_login(page, "district")
    page.goto("/audit/?action=reveal")
    row = page.locator("#audit tbody tr").first
    expect(row).to_contain_text("street_a")
    expect(row).to_contain_text("居民A")
    expect(row).to_contain_text(re.compile("id_number"))
