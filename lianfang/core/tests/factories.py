"""A small hand-built district for tests: two streets, each with one community, two grids
and a building per grid; personas per street ("a" can never see "b")."""

import itertools

from lianfang.core.idnumbers import check_digit
from lianfang.core.models import Level, OrgUnit, User
from lianfang.core.roles import Role
from lianfang.registry.models import Household, Resident

_seq = itertools.count(1)


def make_id_number(*, region: str = "110105", born: str = "19800101", seq: int | None = None, sex: str = "M") -> str:
    n = next(_seq) if seq is None else seq
    order = (n * 2 + (1 if sex == "M" else 0)) % 1000
    first17 = f"{region}{born}{order:03d}"
    return first17 + check_digit(first17)


def make_org(*, name: str, level: str, parent: OrgUnit | None = None, code: str | None = None) -> OrgUnit:
    return OrgUnit.objects.create(name=name, level=level, parent=parent, code=code or f"T{next(_seq):06d}")


def make_user(*, username: str, role: str, jurisdiction: OrgUnit, password: str = "pw-lianfang-1") -> User:
    user = User.objects.create_user(username=username, password=password, role=role, jurisdiction=jurisdiction,
                                    display_name=username)
    if role == Role.DISTRICT_OFFICE:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def make_household(*, org: OrgUnit, address: str = "", room: str = "101") -> Household:
    ids = org.ancestor_ids + [org.pk]
    nodes = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids)}
    grid = next(nodes[i] for i in ids if nodes[i].level == Level.GRID)
    return Household.objects.create(district=nodes[ids[0]], grid=grid, org=org, org_path=org.path,
                                    address=address or f"{org.name}{room}室", room=room)


def make_resident(*, household: Household, name: str, id_number: str | None = None, phone: str = "13812345678", **kw) -> Resident:
    id_number = id_number if id_number is not None else make_id_number()
    return Resident.objects.create(district=household.district, household=household, org_path=household.org_path,
                                   name=name, id_number=id_number or None, id_tail=(id_number or "")[-4:], phone=phone, **kw)


class World:
    """Attribute bag for the test district."""


def build_world() -> World:
    w = World()
    w.district = make_org(name="测试区", level=Level.DISTRICT, code="110105")
    for key, street_name in (("a", "东风街道"), ("b", "西湖街道")):
        street = make_org(name=street_name, level=Level.STREET, parent=w.district)
        community = make_org(name=f"{street_name[:2]}社区", level=Level.COMMUNITY, parent=street)
        grid1 = make_org(name=f"{street_name[:2]}第一网格", level=Level.GRID, parent=community)
        grid2 = make_org(name=f"{street_name[:2]}第二网格", level=Level.GRID, parent=community)
        building = make_org(name=f"{street_name[:2]}1号楼", level=Level.BUILDING, parent=grid1)
        household = make_household(org=building, room="101")
        resident = make_resident(household=household, name=f"居民{key.upper()}", phone=f"1391234{5670 + (key == 'b')}")
        for attr, value in dict(street=street, community=community, grid1=grid1, grid2=grid2, building=building,
                                household=household, resident=resident).items():
            setattr(w, f"{attr}_{key}", value)
        setattr(w, f"street_officer_{key}", make_user(username=f"street_{key}", role=Role.STREET_OFFICER, jurisdiction=street))
        setattr(w, f"grid_worker_{key}", make_user(username=f"grid_{key}", role=Role.GRID_WORKER, jurisdiction=grid1))
        setattr(w, f"checkpoint_staff_{key}", make_user(username=f"gate_{key}", role=Role.CHECKPOINT_STAFF, jurisdiction=community))
        setattr(w, f"doctor_{key}", make_user(username=f"doctor_{key}", role=Role.DOCTOR, jurisdiction=street))
        setattr(w, f"police_{key}", make_user(username=f"police_{key}", role=Role.POLICE, jurisdiction=street))
    w.district_office = make_user(username="district", role=Role.DISTRICT_OFFICE, jurisdiction=w.district)
    w.supervision = make_user(username="supervision", role=Role.SUPERVISION, jurisdiction=w.district)
    return w
