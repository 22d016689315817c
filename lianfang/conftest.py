import os

import pytest

# Playwright's sync API keeps an event loop in the test thread; the tests still use the ORM
# synchronously, which Django would otherwise refuse there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from lianfang.core.tests.factories import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def client_for(client):
    """client_for(user) -> a Django test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def token_client(client):
    """token_client(user) -> api(method, url, data=None): JSON calls with a personal API token."""
    import json

    from lianfang.core.models import ApiToken

    def make(user):
        _token, key = ApiToken.issue(user=user, name="test")
        return lambda method, url, data=None: getattr(client, method)(
            url, data=json.dumps(data) if data is not None else None, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}")
    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for attackers, not for building test personas.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read messages in English (the msgids); test_it_speaks_chinese_by_default checks
    the real default."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's chromium, never a downloaded browser; no background calls to a closed network.
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("LIANFANG_CHROMIUM", "/usr/bin/chromium"),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-sized (375 px) page."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def browser_login(page, username: str, password: str = "pw-lianfang-1") -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_url("**/")
