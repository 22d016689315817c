import io
import re
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from lianfang.core import idnumbers, phones
from lianfang.core.models import Duty, Level, OrgUnit, ResponsiblePerson, User, child_path
from lianfang.core.roles import Role
from lianfang.core.scoping import scoped
from lianfang.demo.generator import AS_OF, generate_district, tile
from lianfang.registry.models import Household, RelationToHead, Resident

SMALL = dict(residents=600, streets=2, communities_per_street=2, grids_per_community=2)


def _delete_district() -> None:
    Resident.objects.all().delete()
    Household.objects.all().delete()
    ResponsiblePerson.objects.all().delete()
    for level in reversed(Level.values):  # the parent key protects parents from their children
        OrgUnit.objects.filter(level=level).delete()


def _snapshot() -> tuple[list, list, list]:
    residents = list(Resident.objects.order_by("id").values_list("name", "id_number", "phone", "relation_to_head"))
    units = list(OrgUnit.objects.order_by("id").values_list("code", "name", "level", "depth"))
    people = list(ResponsiblePerson.objects.order_by("id").values_list("name", "duty", "phone"))
    return residents, units, people


def _box(polygon: dict) -> tuple[float, float, float, float]:
    assert polygon["type"] == "Polygon"
    ring = polygon["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


@pytest.fixture
def district(db):
    return generate_district(**SMALL)


@pytest.fixture
def data_dir(settings, tmp_path):
    # collectstatic and the data folder go to a temporary place, not ./lianfang-data.
    settings.DATA_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path / "static"
    return tmp_path


def test_it_writes_the_requested_tree_and_population(district):
    assert district.level == Level.DISTRICT and district.code == "620102" and district.path == child_path("", district.pk)
    counts = Counter(OrgUnit.objects.values_list("level", flat=True))
    assert counts[Level.STREET] == 2 and counts[Level.COMMUNITY] == 4 and counts[Level.GRID] == 8
    assert counts[Level.COMPOUND] == 8 and 8 * 4 <= counts[Level.BUILDING] <= 8 * 12
    assert Resident.objects.count() == 600
    # 2.5 persons per household on average.
    assert 200 <= Household.objects.count() <= 300


def test_it_is_the_same_district_for_the_same_seed(district):
    first = _snapshot()
    _delete_district()
    generate_district(**SMALL)
    assert _snapshot() == first
    _delete_district()
    generate_district(**SMALL, seed=1)
    assert _snapshot()[0] != first[0]


def test_id_numbers_are_valid_unique_and_match_sex_and_birth_date(district):
    rows = list(Resident.objects.values_list("id_number", "id_tail", "sex", "birth_date"))
    assert len({r[0] for r in rows}) == len(rows)
    ages = []
    for number, tail, sex, born in rows:
        parsed = idnumbers.parse(number)
        assert number.startswith("620102") and tail == number[-4:]
        assert (parsed.sex, parsed.birth_date) == (sex, born)
        ages.append((AS_OF - born).days // 365)
    assert min(ages) >= 0 and max(ages) <= 95
    assert min(ages) < 10 and max(ages) > 70  # children and old people, not one cohort


def test_phones_are_valid_mobiles(district):
    resident_phones = [p for p in Resident.objects.values_list("phone", flat=True) if p]
    assert len(resident_phones) > 400
    other_phones = list(Household.objects.exclude(phone="").values_list("phone", flat=True))
    other_phones += list(ResponsiblePerson.objects.values_list("phone", flat=True))
    for phone in resident_phones + other_phones:
        assert phones.is_valid(phone) and phone.startswith("1"), phone


def test_every_household_has_exactly_one_head(district):
    heads = Counter(Resident.objects.filter(relation_to_head=RelationToHead.HEAD).values_list("household_id", flat=True))
    assert set(heads.values()) == {1}
    assert set(heads) == set(Household.objects.values_list("id", flat=True))


def test_paths_are_consistent(district):
    units = {u.pk: u for u in OrgUnit.objects.all()}
    for unit in units.values():
        parent = units.get(unit.parent_id)
        assert unit.path == child_path(parent.path if parent else "", unit.pk)
        assert unit.depth == (parent.depth + 1 if parent else 0)
    for household in Household.objects.all():
        assert household.org_path == units[household.org_id].path
        assert units[household.org_id].level == Level.BUILDING
        assert household.org_path.startswith(units[household.grid_id].path) and units[household.grid_id].level == Level.GRID
        assert household.district_id == district.pk
    grid_paths = dict(Household.objects.values_list("id", "grid__path"))
    for household_id, org_path, district_id in Resident.objects.values_list("household_id", "org_path", "district_id"):
        assert org_path.startswith(grid_paths[household_id]) and district_id == district.pk
    household_paths = dict(Household.objects.values_list("id", "org_path"))
    assert all(household_paths[h] == p for h, p in Resident.objects.values_list("household_id", "org_path"))


def test_every_node_has_its_responsible_people(district):
    duties = {(p.org_unit_id, p.duty) for p in ResponsiblePerson.objects.all()}
    for unit in OrgUnit.objects.all():
        expected = {Level.STREET: Duty.LEADER, Level.COMMUNITY: Duty.CADRE, Level.GRID: Duty.GRID_WORKER}.get(unit.level)
        if expected:
            assert (unit.pk, expected) in duties, unit
    for building_id in Household.objects.values_list("org_id", flat=True).distinct():
        assert (building_id, Duty.BUILDING_HEAD) in duties and (building_id, Duty.TEN_HOUSEHOLD_HEAD) in duties
    assert all(p.org_path == p.org_unit.path for p in ResponsiblePerson.objects.select_related("org_unit"))


def test_boundaries_nest_on_the_map(district):
    streets = list(OrgUnit.objects.filter(level=Level.STREET))
    district_box = _box(district.boundary)
    assert district_box[0] < 103.8 < district_box[2] and district_box[1] < 36.05 < district_box[3]
    for street in streets:
        sw, ss, se, sn = _box(street.boundary)
        assert district_box[0] <= sw < se <= district_box[2] and district_box[1] <= ss < sn <= district_box[3]
        for community in street.children.all():
            cw, cs, ce, cn = _box(community.boundary)
            assert sw <= cw < ce <= se and ss <= cs < cn <= sn, community


def test_tiles_cover_the_box_exactly():
    box = (0.0, 0.0, 6.0, 3.0)
    for n in range(1, 12):
        cells = tile(box, n)
        assert len(cells) == n
        assert sum((e - w) * (t - b) for w, b, e, t in cells) == pytest.approx(18.0)


def test_a_street_officer_sees_only_their_street(district):
    street_a, street_b = OrgUnit.objects.filter(level=Level.STREET).order_by("sort_order")
    officer = User(username="street_a", role=Role.STREET_OFFICER, jurisdiction=street_a)
    visible = scoped(Resident.objects.all(), officer)
    assert 0 < visible.count() < 600
    assert not visible.filter(org_path__startswith=street_b.path).exists()


def test_demo_command_creates_the_logins_once_and_reuses_the_district(db, data_dir):
    out = io.StringIO()
    call_command("demo", "--no-serve", "--residents", "300", stdout=out)
    printed = out.getvalue()
    password = re.search(r"password: (\S+)", printed).group(1)
    assert "http://127.0.0.1:8000" in printed
    before = (OrgUnit.objects.count(), Resident.objects.count(), User.objects.count())
    assert before[1] == 300

    from lianfang.screening.models import ScreeningRound, ScreeningVisit

    visits = ScreeningVisit.objects.count()
    assert ScreeningRound.objects.get().is_open and visits > 0  # the demo shows a round at work

    from lianfang.quarantine.models import Alert, HealthCheck, QuarantineOrder

    orders, checks = QuarantineOrder.objects.count(), HealthCheck.objects.count()
    assert orders >= 5 and checks > 50  # the demo shows people in quarantine with their checks
    assert Alert.objects.filter(kind="fever").count() == 1 and QuarantineOrder.objects.filter(status="released").count() == 1

    from lianfang.checkpoints.models import Checkpoint, Passage

    passages = Passage.objects.count()
    # The demo's gate staff are posted to the community's gates, with a week of passages and one breach.
    assert Checkpoint.objects.filter(staff__username="checkpoint").count() == 2 and passages > 300
    assert Passage.objects.filter(is_breach=True).count() == 1 and Alert.objects.filter(kind="breach").exists()

    call_command("demo", "--no-serve", "--residents", "300", stdout=io.StringIO())
    assert (OrgUnit.objects.count(), Resident.objects.count(), User.objects.count()) == before
    assert Passage.objects.count() == passages
    assert (ScreeningRound.objects.count(), ScreeningVisit.objects.count()) == (1, visits)
    assert (QuarantineOrder.objects.count(), HealthCheck.objects.count()) == (orders, checks)

    usernames = ["district", "street", "street2", "grid", "checkpoint", "doctor", "police", "inspector", "supervision"]
    assert sorted(User.objects.values_list("username", flat=True)) == sorted(usernames)
    for username in usernames:
        user = authenticate(username=username, password=password)
        assert user is not None and user.jurisdiction is not None, username
        assert username in printed
    assert {u.role for u in User.objects.all()} == set(Role.values)
    district = User.objects.get(username="district")
    street, street2 = User.objects.get(username="street"), User.objects.get(username="street2")
    assert district.is_staff and district.jurisdiction.level == Level.DISTRICT
    assert street.jurisdiction.level == street2.jurisdiction.level == Level.STREET
    assert street.jurisdiction != street2.jurisdiction
    assert User.objects.get(username="grid").jurisdiction.path.startswith(street.jurisdiction.path)
    assert User.objects.get(username="grid").jurisdiction.level == Level.GRID
    assert User.objects.get(username="checkpoint").jurisdiction.level == Level.COMMUNITY


def test_demo_command_resets_a_changed_password(db, data_dir):
    call_command("demo", "--no-serve", "--residents", "50", stdout=io.StringIO())
    user = User.objects.get(username="grid")
    user.set_password("something-else")
    user.save()
    call_command("demo", "--no-serve", stdout=io.StringIO())
    assert authenticate(username="grid", password="lianfang-demo") is not None


def test_serve_runs_granian_beside_the_task_worker(db, settings):
    from lianfang.core.management.commands.serve import server_commands

    web, worker, ticker = server_commands(host="127.0.0.1", port=8123, workers=None, threads=4, with_worker=True)
    assert web[1:3] == ["-m", "granian"] and "lianfang.wsgi:application" in web
    assert web[web.index("--port") + 1] == "8123" and web[web.index("--interface") + 1] == "wsgi"
    assert web[web.index("--static-path-mount") + 1] == str(settings.STATIC_ROOT)
    assert web[web.index("--workers") + 1] == ("1" if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else "2")
    assert worker[1:4] == ["-m", "django", "db_worker"]
    assert ticker[1:4] == ["-m", "django", "tick"]
    assert len(server_commands(host="127.0.0.1", port=8123, workers=3, threads=4, with_worker=False)) == 1
