import pytest
from playwright.sync_api import expect

from lianfang.conftest import browser_login
from lianfang.core.tests.factories import build_world, make_household, make_resident
from lianfang.screening.models import PersonCheck

from .factories import open_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_grid_worker_records_visits_on_a_phone_and_the_bar_moves(phone_page):
    world = build_world()
    second = make_household(org=world.building_a, room="102")
    make_resident(household=second, name="邻居乙")
    screening_round = open_round(actor=world.district_office, scope=world.district)
    page = phone_page
    browser_login(page, "grid_a")

    page.click("[data-toggle=nav]")
    page.click('#nav a[href="/screening/"]')
    page.click(f'a[href="/screening/{screening_round.uid}/today/"]')
    bar = page.locator("#coverage [role=progressbar]")
    expect(bar).to_have_attribute("aria-valuenow", "0.0")
    expect(page.locator(".worklist li")).to_have_count(2)

    # A household with a finding: open it, note a fever, save.
    page.click(f'a[href="/screening/{screening_round.uid}/households/{world.household_a.uid}/visit/"]')
    page.click("details.person summary >> nth=0")
    page.fill(f'input[name="p-{world.resident_a.uid}-temperature"]', "38.2")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.click("button.primary.wide")
    page.wait_for_url(f"**/screening/{screening_round.uid}/today/")
    expect(page.locator(".msg-success")).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", "50.0")
    expect(page.locator(".worklist li")).to_have_count(1)
    assert PersonCheck.objects.get(resident=world.resident_a).is_candidate

    # An ordinary household: one tap on the work list; the row says done and the bar moves.
    page.click(f"#h-{second.uid} button[value=all_present]")
    expect(page.locator(f"#h-{second.uid} .badge.ok")).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", "100.0")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
