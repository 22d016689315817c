import pytest

from lianfang.core import clock


@pytest.fixture
def frozen():
    """frozen(aware datetime) sets the clock every rule reads; it runs again after the test."""
    yield clock.set_now
    clock.set_now(None)
