import pytest

from lianfang.core import clock

from .. import services
from ..models import ReportingUnit


@pytest.fixture
def frozen():
    yield clock.set_now
    clock.set_now(None)


@pytest.fixture
def units(world):
    services.reporting_units_sync(district=world.district)
    community = ReportingUnit.objects.get(org=world.community_a)
    community.reporters.add(world.grid_worker_a)
    community.head = world.street_officer_a
    community.save()
    return {"a": community, "b": ReportingUnit.objects.get(org=world.community_b)}
