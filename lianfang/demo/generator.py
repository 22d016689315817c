"""The demo district: a plausible Chinese district grown from one seed.

Same seed, same district: names, ID numbers, phones and the tree come from pools drawn
once from a seeded Faker("zh_CN") and combined with a seeded random.Random, and ages are
counted from AS_OF, not from today.

It must write 1,000,000 residents in minutes, so it skips the per-row ORM: it assigns the
primary keys itself, computes each OrgUnit's materialised path and depth (what
OrgUnit.save does in two writes), inserts the tree with bulk_create and the people as
plain rows (COPY on PostgreSQL, executemany on SQLite: at a million rows the ORM's
per-field work costs several times the insert itself), all in one transaction, so a
district is either all there or not there at all.
"""

import datetime as dt
import functools
import math
import random
import time
import uuid
from dataclasses import dataclass
from typing import TextIO

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Model

from faker import Faker

from lianfang.core.bulk import PlainRows
from lianfang.core.idnumbers import check_digit
from lianfang.core.models import Duty, Level, OrgUnit, ResponsiblePerson, User, child_path
from lianfang.core.roles import Role
from lianfang.registry.models import Household, RelationToHead, ResidenceType, Resident, Sex

AS_OF = dt.date(2022, 1, 1)  # the last bulletin's month: a seed gives the same ID numbers every day
MAX_AGE = 95
DISTRICT_CODE = "620102"  # GB/T 2260 region code, also the first six digits of every ID number
DISTRICT_NAME = "城关区"
# The district's rectangle (west, south, east, north) around 103.8E 36.05N; streets tile
# it, communities tile their street, grids tile their community.
DISTRICT_BOX = (103.74, 36.02, 103.90, 36.09)
FLUSH_EVERY = 20_000  # residents kept in memory before they are inserted
PROGRESS_EVERY = 100_000

STREET_STEMS = (
    "东岗", "雁南", "团结新村", "拱星墩", "五泉", "皋兰路", "白银路", "临夏路", "渭源路", "伏龙坪",
    "酒泉路", "张掖路", "广武门", "靖远路", "草场街", "嘉峪关路", "焦家湾", "青白石", "盐场路", "铁路东村",
)
COMMUNITY_STEMS = (
    "和平", "幸福", "光明", "建设", "团结", "民主", "胜利", "新华", "育才", "安宁", "兴隆", "长青",
    "金港", "红山", "东湖", "南河", "北坪", "西津", "永昌", "定西", "畅家巷", "大众巷", "曙光", "友谊",
    "向阳", "朝阳", "平安", "和谐", "滨河", "秀川", "金山", "万里", "昌盛", "兰新", "文化", "铁路",
)
COMPOUND_HEADS = (
    "幸福", "金城", "阳光", "锦绣", "和平", "东方", "翠微", "紫荆", "丽景", "嘉和", "华润", "盛世",
    "滨河", "祥和", "怡景", "安居", "润泽", "恒大", "万科", "碧水", "兰园", "金色", "新港", "银河",
)
COMPOUND_TAILS = ("家园", "花园", "小区", "苑", "雅居", "新村", "公寓", "名邸", "佳园", "华庭", "天地", "嘉园")
# Mainland mobile prefixes that phonenumbers accepts for every following 8 digits.
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
    "156", "157", "158", "159", "166", "173", "176", "177", "180", "181", "182", "183", "185", "186",
    "187", "188", "189", "191", "198", "199",
)
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
HOUSEHOLD_SIZE_WEIGHTS = (25, 30, 25, 12, 6, 2)  # 2.5 persons per household
_CN_DIGITS = "零一二三四五六七八九"

Box = tuple[float, float, float, float]
R = RelationToHead
MALE, FEMALE = Sex.MALE.value, Sex.FEMALE.value
RESIDENCE_TYPES = (ResidenceType.PERMANENT.value, ResidenceType.TEMPORARY.value, ResidenceType.FLOATING.value)


def chinese_number(n: int) -> str:
    """1..99 as written in names: 一, 十, 十二, 二十, 二十一."""
    tens, ones = divmod(n, 10)
    if n < 10:
        return _CN_DIGITS[n]
    return (_CN_DIGITS[tens] if tens > 1 else "") + "十" + (_CN_DIGITS[ones] if ones else "")


def tile(box: Box, n: int) -> list[Box]:
    """Cut a rectangle into n rectangles that cover it exactly, row by row; the last row's
    cells are wider when n is not a multiple of the column count."""
    west, south, east, north = box
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    cells = []
    for row in range(rows):
        in_row = cols if row < rows - 1 else n - cols * (rows - 1)
        top = north - (north - south) * row / rows
        bottom = south if row == rows - 1 else north - (north - south) * (row + 1) / rows
        for col in range(in_row):
            left = west + (east - west) * col / in_row
            right = east if col == in_row - 1 else west + (east - west) * (col + 1) / in_row
            cells.append((left, bottom, right, top))
    return cells


def polygon(box: Box) -> dict:
    """A GeoJSON Polygon, exterior ring counter-clockwise (RFC 7946)."""
    w, s, e, n = (round(v, 6) for v in box)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


@dataclass
class _Building:
    unit: OrgUnit
    grid: OrgUnit
    address: str  # road, number, compound and building: "邯郸路12号幸福家园3号楼"
    weight: float


@dataclass(frozen=True)
class _Pools:
    surnames: list[str]
    given: dict[str, list[str]]
    roads: list[str]


@functools.lru_cache(maxsize=4)
def _pools(seed: int) -> _Pools:
    """Names drawn from a seeded Faker. Drawing keeps Faker's frequency weights (many 王,
    few 欧阳); combining them per person with random.Random is a hundred times faster
    than asking Faker for every name."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    surnames = [fake.last_name() for _ in range(3000)]
    given = {MALE: [fake.first_name_male() for _ in range(500)], FEMALE: [fake.first_name_female() for _ in range(500)]}
    roads: dict[str, None] = {}
    for _ in range(3000):
        road = fake.street_name()
        if len(road) >= 3:  # "邯郸路", not "任街"
            roads[road] = None
        if len(roads) == 80:
            break
    return _Pools(surnames=surnames, given=given, roads=list(roads))


class _Ids:
    """Primary keys handed out here, after whatever the table already holds."""

    def __init__(self, model: type[Model]):
        self.next = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1

    def __call__(self) -> int:
        self.next += 1
        return self.next - 1


class _Table(PlainRows):
    """Plain rows of one model, buffered until `write`."""

    def __init__(self, model: type[Model], columns: tuple[str, ...]):
        super().__init__(model, columns)
        self.rows: list[tuple] = []

    def write(self) -> None:
        self.insert(self.rows)
        self.rows.clear()


class _DistrictBuilder:
    def __init__(self, *, seed: int, stdout: TextIO | None):
        self.rng = rng = random.Random(seed)
        self.stdout = stdout
        pools = _pools(seed)
        self.surnames, self.given, self.roads = pools.surnames, pools.given, list(pools.roads)
        self.given_chars = {sex: sorted({c for name in names for c in name}) for sex, names in self.given.items()}
        rng.shuffle(self.roads)

        self.org_id, self.person_id = _Ids(OrgUnit), _Ids(ResponsiblePerson)
        self.household_id, self.resident_id = _Ids(Household), _Ids(Resident)
        self.units: list[OrgUnit] = []
        self.people = _Table(ResponsiblePerson, ("id", "uid", "org_unit_id", "org_path", "name", "duty", "phone", "title"))
        self.households = _Table(Household, ("id", "uid", "district_id", "grid_id", "org_id", "org_path", "address", "room",
                                             "phone"))
        self.residents = _Table(Resident, ("id", "uid", "district_id", "household_id", "org_path", "name", "id_number",
                                           "id_tail", "sex", "birth_date", "phone", "relation_to_head", "residence_type"))
        self.native_uuid = connection.features.has_native_uuid_field
        self.buildings: list[_Building] = []
        self.written = 0
        self.household_count = 0
        self.names_used: set[str] = set()
        # ID numbers must be unique in the district: one byte per (birth date, sequence code).
        self.as_of = AS_OF.toordinal()
        self.id_taken = bytearray((MAX_AGE + 2) * 366 * 1000)
        self.birth_dates: dict[int, tuple[dt.date, str]] = {}

    # -- people -------------------------------------------------------------------------

    def uid(self) -> uuid.UUID | str:
        value = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        return value if self.native_uuid else value.hex

    def name(self, sex: str) -> str:
        rng = self.rng
        given = rng.choice(self.given[sex])
        if len(given) == 1 and rng.random() < 0.45:
            second = rng.choice(self.given_chars[sex])
            if second != given:
                given += second
        return rng.choice(self.surnames) + given

    def mobile(self) -> str:
        return f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(100_000_000):08d}"

    def id_number(self, sex: str, age: int) -> tuple[str, dt.date]:
        """An ID number born `age` years before AS_OF: region, birth date, a sequence code
        whose last digit is odd for men (GB 11643), the check digit."""
        rng = self.rng
        while True:
            days_back = rng.randrange(int(age * 365.25), int((age + 1) * 365.25))
            seq = rng.randrange(500) * 2 + (1 if sex == MALE else 0)
            key = days_back * 1000 + seq
            if not self.id_taken[key]:
                self.id_taken[key] = 1
                break
        if days_back not in self.birth_dates:
            born = dt.date.fromordinal(self.as_of - days_back)
            self.birth_dates[days_back] = (born, born.strftime("%Y%m%d"))
        born, digits = self.birth_dates[days_back]
        first17 = f"{DISTRICT_CODE}{digits}{seq:03d}"
        return first17 + check_digit(first17), born

    def family(self, size: int) -> list[tuple[str, str, int]]:
        """(relation to head, sex, age) of each member, head first."""
        rng = self.rng
        if size == 1:
            age = rng.choice((rng.randint(19, 35), rng.randint(36, 64), rng.randint(65, 92)))
        else:
            age = int(rng.triangular(24, 86, 44))
        sex = MALE if rng.random() < 0.6 else FEMALE
        other = FEMALE if sex == MALE else MALE
        members = [(R.HEAD, sex, age)]
        if size > 1 and rng.random() < 0.85:
            members.append((R.SPOUSE, other, min(MAX_AGE, max(18, age + rng.randint(-5, 5)))))
        if age < 55:  # a young family: children, then the head's parents
            extras = (R.CHILD, R.CHILD, R.PARENT, R.PARENT, R.CHILD, R.SIBLING)
        else:  # an old couple: a grown child, the child's spouse, grandchildren
            extras = (R.CHILD, R.CHILD_IN_LAW, R.GRANDCHILD, R.GRANDCHILD, R.CHILD, R.OTHER)
        child_age, child_sex = 0, sex
        for relation in extras[: size - len(members)]:
            member_sex = rng.choice((MALE, FEMALE))
            if relation == R.CHILD:
                gap = rng.randint(22, 36) if age < 55 else rng.randint(24, 34)
                member_age = max(0, age - gap)
                if not child_age:
                    child_age, child_sex = member_age, member_sex
            elif relation == R.PARENT:
                member_age = min(MAX_AGE, age + rng.randint(22, 34))
            elif relation == R.CHILD_IN_LAW:
                member_sex = FEMALE if child_sex == MALE else MALE
                member_age = max(18, child_age + rng.randint(-3, 3))
            elif relation == R.GRANDCHILD:
                member_age = max(0, child_age - rng.randint(22, 32))
            elif relation == R.SIBLING:
                member_age = max(16, min(MAX_AGE, age + rng.randint(-8, 8)))
            else:
                member_age = rng.randint(18, 70)
            members.append((relation, member_sex, member_age))
        return members

    # -- the tree -----------------------------------------------------------------------

    def unit(self, *, name: str, level: str, parent: OrgUnit | None, code: str, order: int, box: Box | None = None) -> OrgUnit:
        pk = self.org_id()
        unit = OrgUnit(
            id=pk, code=code, name=name, level=level, parent_id=parent.pk if parent else None,
            path=child_path(parent.path if parent else "", pk), depth=parent.depth + 1 if parent else 0,
            boundary=polygon(box) if box else None, sort_order=order,
        )
        self.units.append(unit)
        return unit

    def responsible(self, unit: OrgUnit, duty: str, title: str, *, name: str = "", phone: str = "") -> None:
        self.people.rows.append((
            self.person_id(), self.uid(), unit.pk, unit.path, name or self.name(self.rng.choice((MALE, FEMALE))),
            duty.value, phone or self.mobile(), title,
        ))

    def unique_name(self, name: str, suffix: str) -> str:
        """Community and compound names are unique in the district: "和平二社区", "幸福家园二期"."""
        candidate, n = name, 1
        while candidate in self.names_used:
            n += 1
            candidate = name[: -len(suffix)] + chinese_number(n % 100) + suffix if suffix else name + chinese_number(n % 100) + "期"
        self.names_used.add(candidate)
        return candidate

    def tree(self, *, streets: int, communities_per_street: int, grids_per_community: int) -> OrgUnit:
        rng = self.rng
        district = self.unit(name=DISTRICT_NAME, level=Level.DISTRICT, parent=None, code=DISTRICT_CODE, order=0,
                             box=DISTRICT_BOX)
        street_stems = rng.sample(STREET_STEMS, min(streets, len(STREET_STEMS)))
        street_stems += [f"{rng.choice(STREET_STEMS)}{chinese_number(i % 100)}" for i in range(streets - len(street_stems))]
        community_stems = list(COMMUNITY_STEMS)
        rng.shuffle(community_stems)
        road_numbers: dict[str, int] = {}
        n_community = n_compound = 0
        for s, street_box in enumerate(tile(DISTRICT_BOX, streets)):
            street = self.unit(name=f"{street_stems[s]}街道", level=Level.STREET, parent=district,
                               code=f"{DISTRICT_CODE}{s + 1:03d}", order=s, box=street_box)
            # 包抓: a district leader contracts each street (seed 001).
            self.responsible(street, Duty.LEADER, "区级包抓领导")
            for c, community_box in enumerate(tile(street_box, communities_per_street)):
                stem = community_stems[n_community % len(community_stems)]
                n_community += 1
                community = self.unit(name=self.unique_name(f"{stem}社区", "社区"), level=Level.COMMUNITY, parent=street,
                                      code=f"{street.code}{c + 1:03d}", order=c, box=community_box)
                self.responsible(community, Duty.CADRE, "包社区干部")
                self.responsible(community, Duty.CADRE, "社区党委书记")
                for g, grid_box in enumerate(tile(community_box, grids_per_community)):
                    grid = self.unit(name=f"{community.name}第{chinese_number((g + 1) % 100)}网格", level=Level.GRID,
                                     parent=community, code=f"{community.code}{g + 1:03d}", order=g, box=grid_box)
                    self.responsible(grid, Duty.GRID_WORKER, "专职网格员")
                    n_compound += 1
                    compound_name = self.unique_name(rng.choice(COMPOUND_HEADS) + rng.choice(COMPOUND_TAILS), "")
                    compound = self.unit(name=compound_name, level=Level.COMPOUND, parent=grid, code=f"{grid.code}01", order=0)
                    road = self.roads[n_compound % len(self.roads)]
                    road_numbers[road] = road_numbers.get(road, 0) + rng.randint(2, 40)
                    for b in range(rng.randint(4, 12)):
                        building = self.unit(name=f"{b + 1}号楼", level=Level.BUILDING, parent=compound,
                                             code=f"{compound.code}{b + 1:02d}", order=b)
                        self.buildings.append(_Building(
                            unit=building, grid=grid, weight=rng.uniform(0.6, 1.4),
                            address=f"{road}{road_numbers[road]}号{compound_name}{b + 1}号楼",
                        ))
        return district

    # -- households and residents -------------------------------------------------------

    def population(self, *, district: OrgUnit, residents: int) -> None:
        rng = self.rng
        sizes = []
        total = 0
        while total < residents:
            size = min(rng.choices(HOUSEHOLD_SIZES, HOUSEHOLD_SIZE_WEIGHTS)[0], residents - total)
            sizes.append(size)
            total += size
        weights = sum(b.weight for b in self.buildings)
        taken = cumulative = 0.0
        next_size = iter(sizes)
        for building in self.buildings:
            cumulative += building.weight
            count = round(len(sizes) * cumulative / weights) - round(taken)
            taken = len(sizes) * cumulative / weights
            self.building_households(district, building, [next(next_size) for _ in range(count)])
            if len(self.residents.rows) >= FLUSH_EVERY:
                self.flush()
        self.flush()

    def building_households(self, district: OrgUnit, building: _Building, sizes: list[int]) -> None:
        if not sizes:
            return
        rng = self.rng
        # Tall buildings when the district is big: about 6 to 33 floors, as many units as needed.
        per_floor = rng.choice((2, 2, 3, 4))
        floors = rng.randint(6, 33)
        units = max(1, math.ceil(len(sizes) / (per_floor * floors)))
        floors = math.ceil(len(sizes) / (per_floor * units))
        rooms = [f"{u}单元{f}{r:02d}室" for u in range(1, units + 1) for f in range(1, floors + 1) for r in range(1, per_floor + 1)]
        unit = building.unit
        heads: list[tuple[str, str, int]] = []  # (name, phone, age) of each household head
        for room, size in zip(rooms, sizes):
            household_id = self.household_id()
            residence_type = rng.choices(RESIDENCE_TYPES, (86, 9, 5))[0]
            household_phone = ""
            for relation, sex, age in self.family(size):
                name = self.name(sex)
                id_number, born = self.id_number(sex, age)
                phone = self.mobile() if age >= 12 and (age < 80 or rng.random() < 0.6) else ""
                household_phone = household_phone or phone
                if relation == R.HEAD:
                    heads.append((name, phone, age))
                self.residents.rows.append((
                    self.resident_id(), self.uid(), district.pk, household_id, unit.path, name, id_number, id_number[-4:],
                    sex, born, phone, relation.value, residence_type,
                ))
            self.household_count += 1
            self.households.rows.append((
                household_id, self.uid(), district.pk, building.grid.pk, unit.pk, unit.path, building.address + room, room,
                household_phone,
            ))
        # The building head and the ten-household heads are residents themselves (seed 001, 002).
        working_age = [h for h in heads if 28 <= h[2] <= 70 and h[1]] or [h for h in heads if h[1]] or heads
        name, phone, _ = rng.choice(working_age)
        self.responsible(unit, Duty.BUILDING_HEAD, "楼长", name=name, phone=phone)
        for first in range(0, len(heads), 10):
            group = [h for h in heads[first:first + 10] if h[1]] or heads[first:first + 10]
            name, phone, _ = rng.choice(group)
            self.responsible(unit, Duty.TEN_HOUSEHOLD_HEAD, f"十户长（{first + 1}–{first + len(heads[first:first + 10])}户）",
                             name=name, phone=phone)

    def flush(self) -> None:
        # Parents first, although the foreign keys are only checked at commit.
        count = len(self.residents.rows)
        if self.units:
            OrgUnit.objects.bulk_create(self.units, batch_size=1000)
            self.units.clear()
        for table in (self.people, self.households, self.residents):
            table.write()
        if (self.written + count) // PROGRESS_EVERY > self.written // PROGRESS_EVERY:
            self.log(f"  {self.written + count:,} residents")
        self.written += count

    def log(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message + "\n")
            if hasattr(self.stdout, "flush"):
                self.stdout.flush()


def generate_district(
    *,
    residents: int = 50_000,
    seed: int = 20200124,
    streets: int = 4,
    communities_per_street: int = 6,
    grids_per_community: int = 5,
    stdout: TextIO | None = None,
) -> OrgUnit:
    """Write a demo district with `residents` people and return its root.

    About 2.5 residents per household, one compound of 4 to 12 buildings per grid, named
    responsible people on every node, GeoJSON boundaries for the map."""
    started = time.monotonic()
    builder = _DistrictBuilder(seed=seed, stdout=stdout)
    builder.log(f"Generating a demo district of {residents:,} residents (seed {seed})")
    tables = [OrgUnit, ResponsiblePerson, Household, Resident]
    with transaction.atomic():
        district = builder.tree(streets=streets, communities_per_street=communities_per_street,
                                grids_per_community=grids_per_community)
        builder.flush()
        builder.population(district=district, residents=residents)
        if connection.vendor == "postgresql":
            # The keys were given explicitly, so the sequences still stand at 1.
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), tables):
                    cursor.execute(sql)
    # Fresh statistics, or the planner goes on guessing from empty tables. On PostgreSQL,
    # VACUUM also sets the visibility map, without which counting a street's 250,000
    # residents reads every row instead of the index alone (twice as slow); it cannot run
    # inside a transaction (a test's, or a caller's).
    command = "VACUUM (ANALYZE)" if connection.vendor == "postgresql" and not connection.in_atomic_block else "ANALYZE"
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
    elapsed = time.monotonic() - started
    builder.log(f"Generated {len(builder.buildings):,} buildings, {builder.household_count:,} households "
                f"and {builder.written:,} residents in {elapsed:.1f} s ({builder.written / max(elapsed, 1e-9):,.0f} residents/s)")
    return OrgUnit.objects.get(pk=district.pk)


DEMO_PASSWORD = "lianfang-demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    display_name: str
    place: str  # "first street", ...: which node of the demo district is the jurisdiction


# One login per role, plus a second street officer to try scoping with.
DEMO_LOGINS = (
    DemoLogin("district", Role.DISTRICT_OFFICE, "区防控办值班员", "district"),
    DemoLogin("street", Role.STREET_OFFICER, "街道防控干部", "street"),
    DemoLogin("street2", Role.STREET_OFFICER, "街道防控干部（二）", "street2"),
    DemoLogin("grid", Role.GRID_WORKER, "网格员", "grid"),
    DemoLogin("checkpoint", Role.CHECKPOINT_STAFF, "卡点值守人员", "community"),
    DemoLogin("doctor", Role.DOCTOR, "卫生院医生", "community"),
    DemoLogin("police", Role.POLICE, "派出所民警", "community"),
    DemoLogin("inspector", Role.INSPECTOR, "市场监管执法人员", "street"),
    DemoLogin("supervision", Role.SUPERVISION, "督查组", "district"),
)


def _first_child(unit: OrgUnit, index: int = 0) -> OrgUnit:
    children = list(unit.children.order_by("sort_order", "id")[: index + 1])
    return children[min(index, len(children) - 1)] if children else unit


def demo_users_ensure(*, password: str = DEMO_PASSWORD) -> list[User]:
    """Create the demo logins, or reset them (role, jurisdiction, password) when they exist."""
    district = OrgUnit.objects.filter(level=Level.DISTRICT).order_by("sort_order", "id").first()
    if district is None:
        raise ValueError("there is no district to log in to; generate one first")
    street = _first_child(district)
    community = _first_child(street)
    places = {"district": district, "street": street, "street2": _first_child(district, 1), "community": community,
              "grid": _first_child(community)}
    users = []
    with transaction.atomic():
        for login in DEMO_LOGINS:
            user = User.objects.filter(username=login.username).first() or User(username=login.username)
            user.role = login.role
            user.jurisdiction = places[login.place]
            user.display_name = login.display_name
            user.is_active = True
            user.is_staff = login.role == Role.DISTRICT_OFFICE  # the admin, for the district office only
            user.set_password(password)
            user.save()
            users.append(user)
    return users
