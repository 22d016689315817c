from lianfang.core.models import OrgUnit
from lianfang.core.scoping import access, scoped
from lianfang.registry.models import Resident

import pytest
from django.http import Http404


def test_paths_nest(world):
    assert world.street_a.path == f"{world.district.path}{world.street_a.pk}/"
    assert world.building_a.path.startswith(world.grid1_a.path)
    assert world.building_a.depth == 4


def test_street_officer_sees_only_their_street(world):
    names = set(scoped(Resident.objects.all(), world.street_officer_a).values_list("name", flat=True))
    assert names == {"居民A"}


def test_district_office_sees_both_streets(world):
    assert scoped(Resident.objects.all(), world.district_office).count() == 2


def test_sibling_prefix_is_not_a_subtree(world):
    # "/1/2/" must not match "/1/23/": the trailing slash is part of every path.
    for n in range(30):
        OrgUnit.objects.create(name=f"s{n}", level="street", parent=world.district, code=f"x{n}")
    street_ids = set(scoped(OrgUnit.objects.filter(level="street"), world.street_officer_a).values_list("pk", flat=True))
    assert street_ids == {world.street_a.pk}


def test_access_outside_jurisdiction_is_404(world):
    with pytest.raises(Http404):
        access(Resident.objects.all(), world.grid_worker_a, uid=world.resident_b.uid)
    assert access(Resident.objects.all(), world.grid_worker_a, uid=world.resident_a.uid) == world.resident_a
