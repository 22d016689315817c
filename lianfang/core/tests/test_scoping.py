from lianfang.core.models import OrgUnit
from lianfang.core.scoping import access, scoped
from lianfang.registry.models import Resident

import pytest
from django.http import Http404
from hypothesis import given, strategies as st

from lianfang.core.models import child_path
from lianfang.core.scoping import subtree_q


def test_paths_nest(world):
    assert world.street_a.path == f"{world.district.path}{world.street_a.pk:08d}"
    assert world.building_a.path.startswith(world.grid1_a.path)
    assert world.building_a.depth == 4
    assert world.building_a.ancestor_ids == [world.district.pk, world.street_a.pk, world.community_a.pk, world.grid1_a.pk]


def test_street_officer_sees_only_their_street(world):
    names = set(scoped(Resident.objects.all(), world.street_officer_a).values_list("name", flat=True))
    assert names == {"居民A"}


def test_district_office_sees_both_streets(world):
    assert scoped(Resident.objects.all(), world.district_office).count() == 2


def test_sibling_prefix_is_not_a_subtree(world):
    # Street 2 must not contain street 23: segments have a fixed width.
    for n in range(30):
        OrgUnit.objects.create(name=f"s{n}", level="street", parent=world.district, code=f"x{n}")
    street_ids = set(scoped(OrgUnit.objects.filter(level="street"), world.street_officer_a).values_list("pk", flat=True))
    assert street_ids == {world.street_a.pk}


def test_access_outside_jurisdiction_is_404(world):
    with pytest.raises(Http404):
        access(Resident.objects.all(), world.grid_worker_a, uid=world.resident_b.uid)
    assert access(Resident.objects.all(), world.grid_worker_a, uid=world.resident_a.uid) == world.resident_a


@given(st.lists(st.integers(min_value=1, max_value=10**8 - 1), min_size=1, max_size=6),
       st.lists(st.integers(min_value=1, max_value=10**8 - 1), min_size=1, max_size=6))
def test_a_path_range_holds_exactly_its_descendants(a, b):
    def path(ids):
        p = ""
        for i in ids:
            p = child_path(p, i)
        return p

    pa, pb = path(a), path(b)
    bounds = dict(subtree_q("p", pa).children)
    inside = bounds["p__gte"] <= pb and ("p__lt" not in bounds or pb < bounds["p__lt"])
    assert inside == pb.startswith(pa)
