from lianfang.core.models import AuditEntry
from lianfang.registry.models import Household, Resident


def test_register_a_household_in_a_building(world, client_for):
    client = client_for(world.grid_worker_a)
    form = client.get(f"/registry/households/new/?org={world.building_a.code}")
    assert form.context["form"]["grid"].value() == world.grid1_a.code and form.context["place"] == world.building_a.code
    response = client.post("/registry/households/new/", {"grid": world.grid1_a.code, "place": world.building_a.code,
                                                          "address": "东风路1号1号楼", "room": "302", "phone": "0931-8123456"})
    household = Household.objects.get(room="302")
    assert response["Location"] == f"/registry/households/{household.uid}/residents/new/"
    assert (household.org, household.grid, household.org_path, household.phone) == (
        world.building_a, world.grid1_a, world.building_a.path, "09318123456")
    assert AuditEntry.objects.filter(action="create", object_type="household").exists()


def test_the_building_list_follows_the_chosen_grid(world, client_for):
    response = client_for(world.grid_worker_a).get(f"/registry/places/?grid={world.grid1_a.code}", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert world.building_a.name in body and "<form" not in body


def test_a_building_of_another_grid_is_refused(world, client_for):
    client = client_for(world.street_officer_a)
    response = client.post("/registry/households/new/", {"grid": world.grid2_a.code, "place": world.building_a.code, "address": "x"})
    assert response.status_code == 200 and response.context["form"].errors["place"]
    response = client.post("/registry/households/new/", {"grid": world.grid1_b.code, "address": "x"})
    assert response.context["form"].errors["grid"]
    assert Household.objects.count() == 2


def test_moving_a_household_moves_its_residents_in_scope(world, client_for):
    client = client_for(world.street_officer_a)
    response = client.post(f"/registry/households/{world.household_a.uid}/edit/",
                           {"grid": world.grid2_a.code, "address": world.household_a.address, "room": "101"})
    assert response.status_code == 302
    assert Resident.objects.get(pk=world.resident_a.pk).org_path == world.grid2_a.path
    assert AuditEntry.objects.get(action="update", object_type="household").detail["org"] == [world.building_a.name, world.grid2_a.name]


def test_household_page_lists_its_residents_masked(world, client_for):
    body = client_for(world.grid_worker_a).get(f"/registry/households/{world.household_a.uid}/").content.decode()
    assert "居民A" in body and world.resident_a.id_number not in body


def test_a_second_household_at_the_same_room_needs_a_confirmation(world, client_for):
    client = client_for(world.grid_worker_a)
    data = {"grid": world.grid1_a.code, "place": world.building_a.code, "address": "另一个地址", "room": "101"}
    response = client.post("/registry/households/new/", data)
    assert response.status_code == 200 and response.context["ask_same_room"]
    assert "already registered here" in response.content.decode() and Household.objects.count() == 2
    response = client.post("/registry/households/new/", {**data, "allow_same_room": "on"})
    assert response.status_code == 302 and Household.objects.count() == 3


def test_only_an_empty_household_can_be_removed(world, client_for):
    client = client_for(world.grid_worker_a)
    client.post(f"/registry/households/{world.household_a.uid}/remove/")
    assert Household.objects.filter(pk=world.household_a.pk).exists()
    Resident.objects.filter(household=world.household_a).delete()
    response = client.post(f"/registry/households/{world.household_a.uid}/remove/")
    assert response.status_code == 302 and not Household.objects.filter(pk=world.household_a.pk).exists()
    assert AuditEntry.objects.filter(action="delete", object_type="household").exists()


def test_read_only_roles_cannot_open_the_edit_pages(world, client_for):
    client = client_for(world.checkpoint_staff_a)
    for url in ["/registry/households/new/", f"/registry/households/{world.household_a.uid}/edit/",
                f"/registry/households/{world.household_a.uid}/residents/new/", f"/registry/residents/{world.resident_a.uid}/edit/"]:
        assert client.get(url).status_code == 403, url


def test_the_household_list_names_the_head(world, client_for):
    from lianfang.core.tests.factories import make_resident

    make_resident(household=world.household_a, name="配偶甲", relation_to_head="spouse")
    body = client_for(world.grid_worker_a).get("/registry/households/").content.decode()
    assert "居民A" in body


def test_places_are_labelled_with_their_compound(world, client_for):
    from lianfang.core.tests.factories import make_org

    compound = make_org(name="幸福小区", level="compound", parent=world.grid1_a)
    make_org(name="3号楼", level="building", parent=compound)
    body = client_for(world.grid_worker_a).get(f"/registry/places/?grid={world.grid1_a.code}").content.decode()
    assert "幸福小区 › 3号楼" in body
