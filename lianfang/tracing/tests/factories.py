from lianfang.core.audit import COMMAND
from lianfang.tracing.services import case_register, contact_add


def register_case(*, actor, **kw):
    kw.setdefault("name", "病例甲")
    return case_register(actor=actor, via=COMMAND, **kw)


def add_contact(*, actor, case, **kw):
    kw.setdefault("kind", "close")
    kw.setdefault("setting", "household")
    return contact_add(actor=actor, case=case, via=COMMAND, **kw)
