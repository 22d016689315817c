import io

from python_calamine import CalamineWorkbook

from lianfang.core.figures import SOURCES
from lianfang.core.models import ApiToken, AuditEntry, OrgUnit, ResponsiblePerson
from lianfang.core.tests.factories import make_resident


def test_pages_need_a_login(client, world):
    response = client.get(f"/org/{world.street_a.code}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_login_page_logs_in(client, world):
    response = client.post("/accounts/login/", {"username": "street_a", "password": "pw-lianfang-1"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    bad = client.post("/accounts/login/", {"username": "street_a", "password": "nope"})
    assert bad.status_code == 200


def test_tree_opens_at_the_users_jurisdiction(world, client_for):
    response = client_for(world.grid_worker_a).get("/org/")
    assert response["Location"] == f"/org/{world.grid1_a.code}/"


def test_node_page_shows_children_with_figures_and_people(world, client_for):
    make_resident(household=world.household_a, name="第二人")
    ResponsiblePerson.objects.create(org_unit=world.community_a, org_path=world.community_a.path, name="包社区干部甲",
                                     duty="cadre", phone="13811112222")
    response = client_for(world.street_officer_a).get(f"/org/{world.community_a.code}/")
    body = response.content.decode()
    assert world.grid1_a.name in body and world.grid2_a.name in body
    rows = dict((child.name, values) for child, values in response.context["rows"])
    # Households, residents, then the other apps' figures (key persons, orders...), all zero here.
    others = [0] * (len(SOURCES) - 2)
    assert [v for _, v in rows[world.grid1_a.name]] == [1, 2, *others] and [v for _, v in rows[world.grid2_a.name]] == [0, 0, *others]
    assert [v for _, v in response.context["stats"]] == [1, 2, *others]
    assert "包社区干部甲" in body and "138****2222" in body and "13811112222" not in body


def test_breadcrumbs_stop_at_the_jurisdiction(world, client_for):
    response = client_for(world.grid_worker_a).get(f"/org/{world.building_a.code}/")
    assert [c.name for c in response.context["crumbs"]] == [world.grid1_a.name]


def test_street_officer_adds_a_grid_and_names_a_grid_worker(world, client_for):
    client = client_for(world.street_officer_a)
    client.post(f"/org/{world.community_a.code}/children/", {"name": "第三网格", "level": "grid"})
    grid = OrgUnit.objects.get(name="第三网格")
    assert grid.parent == world.community_a and grid.path == f"{world.community_a.path}{grid.pk:08d}"
    response = client.post(f"/org/{grid.code}/people/new/", {"name": "网格员乙", "duty": "grid_worker", "phone": "139 0000 1234"})
    assert response.status_code == 302
    person = ResponsiblePerson.objects.get(name="网格员乙")
    assert person.phone == "13900001234" and person.org_path == grid.path
    assert AuditEntry.objects.filter(action="create", object_type="responsible_person").exists()


def test_a_bad_phone_for_a_responsible_person_is_explained(world, client_for):
    response = client_for(world.street_officer_a).post(f"/org/{world.grid1_a.code}/people/new/", {"name": "某", "duty": "cadre", "phone": "123"})
    assert response.status_code == 200 and not ResponsiblePerson.objects.exists()
    assert response.context["form"].errors["phone"]


def test_grid_workers_cannot_edit_the_tree(world, client_for):
    client = client_for(world.grid_worker_a)
    client.post(f"/org/{world.grid1_a.code}/children/", {"name": "楼", "level": "building"})
    client.post(f"/org/{world.grid1_a.code}/people/new/", {"name": "某", "duty": "cadre"})
    assert not OrgUnit.objects.filter(name="楼").exists() and not ResponsiblePerson.objects.exists()


def test_responsible_people_export(world, client_for):
    ResponsiblePerson.objects.create(org_unit=world.grid1_a, org_path=world.grid1_a.path, name="甲", duty="grid_worker", phone="13811112222")
    response = client_for(world.street_officer_a).get("/people/?format=xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))).get_sheet_by_index(0).to_python()
    assert rows[1][2] == "甲" and rows[1][5] == "138****2222"


def test_the_audit_log_is_for_the_district_office_and_filters(world, client_for):
    client_for(world.street_officer_a).post(f"/registry/residents/{world.resident_a.uid}/reveal/phone/")
    client_for(world.street_officer_a).get(f"/registry/residents/{world.resident_a.uid}/")
    assert client_for(world.grid_worker_a).get("/audit/").status_code == 403
    client = client_for(world.district_office)
    page = client.get("/audit/", {"action": "reveal"})
    entries = list(page.context["page_obj"])
    assert [(e.action, e.actor_name) for e in entries] == [("reveal", "street_a")]
    assert client.get("/audit/", {"user": "nobody"}).context["page_obj"].paginator.count == 0
    export = client.get("/audit/?action=reveal&format=xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(export.streaming_content))).get_sheet_by_index(0).to_python()
    assert len(rows) == 2 and rows[1][1] == "street_a"


def test_profile_issues_and_revokes_api_tokens(world, client_for):
    client = client_for(world.grid_worker_a)
    response = client.post("/accounts/profile/", {"name": "手机"})
    key = response.context["new_key"]
    token = ApiToken.objects.get(user=world.grid_worker_a)
    assert key.startswith("lf_") and token.key_hash == ApiToken.hash_key(key) and key not in token.key_hash
    client.post("/accounts/profile/", {"revoke": token.pk})
    assert not ApiToken.objects.exists()


def test_pages_switch_to_english(world, client_for):
    client = client_for(world.grid_worker_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Log out" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert 'lang="zh-hans"' in client.get("/").content.decode()


def test_admin_is_only_for_the_district_office(world, client_for):
    world.street_officer_a.is_staff = True
    world.street_officer_a.save()
    assert client_for(world.street_officer_a).get("/admin/").status_code == 302
    client = client_for(world.district_office)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/core/orgunit/").status_code == 200
    assert client.get(f"/admin/core/orgunit/{world.street_a.pk}/change/").status_code == 200
    assert client.get("/admin/core/user/").status_code == 200
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    assert client.get("/admin/registry/resident/").status_code == 404  # personal data stays behind masking and audit


def test_the_units_below_export_with_their_figures(world, client_for):
    response = client_for(world.street_officer_a).get(f"/org/{world.community_a.code}/?format=xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))).get_sheet_by_index(0).to_python()
    assert [r[0] for r in rows[1:]] == [world.grid1_a.name, world.grid2_a.name]
    others = [0] * (len(SOURCES) - 2)
    assert rows[1][3:] == [1, 1, *others] and rows[2][3:] == [0, 0, *others]
    assert AuditEntry.objects.filter(action="export", object_type="org_unit").exists()


def test_it_speaks_chinese_by_default(world, client_for, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    body = client_for(world.grid_worker_a).get("/").content.decode()
    assert 'lang="zh-hans"' in body and "退出登录" in body and "Log out" not in body


def test_not_found_is_a_page_with_the_menu(world, client_for, settings):
    settings.DEBUG = False
    response = client_for(world.street_officer_a).get(f"/registry/residents/{world.resident_b.uid}/")
    body = response.content.decode()
    assert response.status_code == 404 and "outside your jurisdiction" in body and 'id="nav"' in body


def test_an_english_browser_still_gets_chinese_until_english_is_chosen(world, client_for, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = client_for(world.grid_worker_a)
    assert "退出登录" in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Log out" in client.get("/").content.decode()


def test_the_username_field_is_not_capitalised_by_phones(client):
    assert 'autocapitalize="none"' in client.get("/accounts/login/").content.decode()


def test_the_audit_log_finds_users_by_username_and_reads_well(world, client_for):
    client_for(world.street_officer_a).post(f"/registry/residents/{world.resident_a.uid}/reveal/id_number/")
    page = client_for(world.district_office).get("/audit/", {"user": "street_a"})
    assert page.context["page_obj"].paginator.count == 1
    assert "field: ID number" in page.content.decode() and "Resident · 居民A" in page.content.decode()


def test_the_admin_shows_only_the_own_district_and_grants_no_superuser(world, client_for):
    from lianfang.core.models import Level, User
    from lianfang.core.tests.factories import make_org, make_user

    other = make_org(name="别区", level=Level.DISTRICT)
    stranger = make_user(username="other_office", role="district_office", jurisdiction=other)
    client = client_for(world.district_office)
    assert client.get(f"/admin/core/user/{stranger.pk}/change/").status_code == 302  # not found -> redirected
    assert client.get(f"/admin/core/orgunit/{other.pk}/change/").status_code == 302
    page = client.get(f"/admin/core/user/{world.grid_worker_a.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page
    assert not User.objects.filter(is_superuser=True).exists()
