"""Every list costs a fixed number of queries, however many rows it shows."""

import pytest

from lianfang.core.models import ApiToken, ResponsiblePerson
from lianfang.core.tests.factories import make_household, make_resident


@pytest.fixture
def crowd(world):
    for i in range(25):
        household = make_household(org=world.building_a, room=f"{200 + i}")
        make_resident(household=household, name=f"人{i}")
        ResponsiblePerson.objects.create(org_unit=world.grid1_a, org_path=world.grid1_a.path, name=f"楼长{i}", duty="building_head")
    return world


@pytest.mark.parametrize("url", ["/registry/residents/", "/registry/households/", "/people/", "/audit/",
                                 "/registry/residents/?format=xlsx", "/registry/households/?format=xlsx", "/people/?format=xlsx"])
def test_page_lists_have_a_fixed_query_count(crowd, client_for, django_assert_max_num_queries, url):
    client = client_for(crowd.district_office)
    for i in range(3):  # audit entries to list
        client.get(f"/registry/residents/{crowd.resident_a.uid}/")
    with django_assert_max_num_queries(10):
        response = client.get(url)
        if url.endswith("xlsx"):
            b"".join(response.streaming_content)
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/api/residents", "/api/households", "/api/org-units"])
def test_api_lists_have_a_fixed_query_count(crowd, client, django_assert_max_num_queries, url):
    _token, key = ApiToken.issue(user=crowd.district_office, name="t")
    with django_assert_max_num_queries(8):
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["count"] >= 3
