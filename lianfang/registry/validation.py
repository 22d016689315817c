"""Field rules for households and residents, shared by the forms, the API and the importer
so that one cell and one form field are judged the same way."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from lianfang.core import idnumbers, phones

from .models import RelationToHead, ResidenceType, Sex

# Words found in real ledgers for each choice (WPS/Excel sheets kept by community offices).
RELATION_WORDS = {
    RelationToHead.HEAD: ["户主", "本人", "head", "戶主"],
    RelationToHead.SPOUSE: ["配偶", "妻", "妻子", "夫", "丈夫", "爱人", "老伴", "spouse"],
    RelationToHead.CHILD: ["子女", "子", "女", "儿子", "女儿", "长子", "次子", "长女", "次女", "三子", "三女", "独生子", "独生女", "child", "养子", "养女"],
    RelationToHead.PARENT: ["父亲", "母亲", "父", "母", "父母", "parent", "公公", "婆婆", "岳父", "岳母"],
    RelationToHead.GRANDCHILD: ["孙子女", "孙子", "孙女", "外孙", "外孙女", "孙", "grandchild"],
    RelationToHead.GRANDPARENT: ["祖父母", "祖父", "祖母", "外祖父", "外祖母", "爷爷", "奶奶", "grandparent"],
    RelationToHead.SIBLING: ["兄弟姐妹", "兄", "弟", "姐", "妹", "兄弟", "姐妹", "哥哥", "弟弟", "姐姐", "妹妹", "sibling"],
    RelationToHead.CHILD_IN_LAW: ["儿媳/女婿", "儿媳", "女婿", "媳妇", "child_in_law"],
    RelationToHead.TENANT: ["租户", "租客", "承租人", "tenant"],
    RelationToHead.OTHER: ["其他", "other", "亲属", "保姆"],
}
RESIDENCE_WORDS = {
    ResidenceType.PERMANENT: ["常住", "常住人口", "户籍", "本地", "permanent"],
    ResidenceType.TEMPORARY: ["暂住", "暂住人口", "租住", "temporary"],
    ResidenceType.FLOATING: ["流动", "流动人口", "外来", "floating"],
}
SEX_WORDS = {Sex.MALE: ["男", "m", "male"], Sex.FEMALE: ["女", "f", "female"]}


def _lookup(words: dict, raw: str) -> str | None:
    text = raw.strip().lower()
    for value, synonyms in words.items():
        if text == value or text in (w.lower() for w in synonyms) or text == str(value.label).lower():
            return value
    return None


@dataclass
class Checked:
    """Clean values, and errors as (field, reason) pairs."""

    values: dict = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


def check_resident(
    *, name: object, id_number: object = "", phone: object = "", relation_to_head: object = "",
    residence_type: object = "", sex: object = "", birth_date: object = None, notes: object = "",
) -> Checked:
    out = Checked()
    name_text = " ".join(str(name or "").split())
    if not name_text:
        out.errors.append(("name", _("the name is empty")))
    elif len(name_text) > 50:
        out.errors.append(("name", _("the name is longer than 50 characters")))
    out.values["name"] = name_text

    out.values["id_number"] = None
    if str(id_number or "").strip():
        try:
            parsed = idnumbers.parse(id_number)
        except idnumbers.IdNumberError as e:
            out.errors.append(("id_number", str(e)))
        else:
            out.values.update(id_number=parsed.number, sex=parsed.sex, birth_date=parsed.birth_date)
    if out.values.get("id_number") is None:
        # Without an ID number, sex and birth date are whatever was entered.
        out.values["sex"] = ""
        if str(sex or "").strip():
            chosen = _lookup(SEX_WORDS, str(sex))
            if chosen is None:
                out.errors.append(("sex", _("sex must be 男 or 女")))
            out.values["sex"] = chosen or ""
        out.values["birth_date"] = None
        if birth_date not in (None, ""):
            if isinstance(birth_date, dt.datetime):
                birth_date = birth_date.date()
            if isinstance(birth_date, dt.date):
                out.values["birth_date"] = birth_date
            else:
                try:
                    out.values["birth_date"] = dt.date.fromisoformat(str(birth_date).strip().replace("/", "-").replace(".", "-"))
                except ValueError:
                    out.errors.append(("birth_date", _("the birth date is not a date (YYYY-MM-DD)")))

    out.values["phone"] = ""
    if str(phone or "").strip():
        try:
            out.values["phone"] = phones.parse(phone)
        except phones.PhoneError as e:
            out.errors.append(("phone", str(e)))

    out.values["relation_to_head"] = RelationToHead.HEAD
    if str(relation_to_head or "").strip():
        chosen = _lookup(RELATION_WORDS, str(relation_to_head))
        if chosen is None:
            out.errors.append(("relation_to_head", _("unknown relation to the head: %(v)s") % {"v": relation_to_head}))
        out.values["relation_to_head"] = chosen or RelationToHead.OTHER

    out.values["residence_type"] = ResidenceType.PERMANENT
    if str(residence_type or "").strip():
        chosen = _lookup(RESIDENCE_WORDS, str(residence_type))
        if chosen is None:
            out.errors.append(("residence_type", _("residence type must be 常住, 暂住 or 流动")))
        out.values["residence_type"] = chosen or ResidenceType.PERMANENT

    out.values["notes"] = str(notes or "").strip()
    return out
