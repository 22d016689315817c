from ninja import Schema

from .pii import mask_phone


class OrgUnitOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None
    depth: int

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


class OrgUnitDetailOut(OrgUnitOut):
    figures: dict[str, int]
    boundary: dict | None


class OrgUnitIn(Schema):
    parent_code: str
    name: str
    level: str
    code: str = ""


class OrgUnitPatch(Schema):
    name: str | None = None
    boundary: dict | None = None


class ResponsiblePersonOut(Schema):
    uid: str
    org_unit_code: str
    name: str
    duty: str
    title: str
    phone: str

    @staticmethod
    def resolve_uid(obj) -> str:
        return str(obj.uid)

    @staticmethod
    def resolve_org_unit_code(obj) -> str:
        return obj.org_unit.code

    @staticmethod
    def resolve_phone(obj) -> str:
        return mask_phone(obj.phone)


class ResponsiblePersonIn(Schema):
    name: str
    duty: str
    phone: str = ""
    title: str = ""


class RevealOut(Schema):
    field: str
    value: str
