"""Masking of personal identifiers. Everything shown or exported goes through these two
functions; only `pii_reveal` (core.services) ever hands out the full value, and audits it."""

def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * (len(value) - 2)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * (len(value) - 2) + value[-2:]
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def phone_as_seen(actor):
    """How phones are written for this reader (pages' lists, exports, API): in full for a role
    that may reveal them (they are the ones who call), masked for everyone else."""
    from .roles import Capability, has_capability

    return (lambda p: p or "") if has_capability(actor, Capability.REVEAL_PII) else mask_phone


def mask_birth_date(value) -> str:
    """The year only: the month and day are the digits an ID number's mask hides."""
    return f"{value.year}-**-**" if value else ""


def mask_search_term(value: str) -> str:
    """A search typed into a list may be a full ID number or phone; logs keep it masked."""
    from . import idnumbers, phones

    text = (value or "").strip()
    if idnumbers.is_valid(text):
        return mask_id_number(idnumbers.parse(text).number)
    if phones.is_valid(text):
        return mask_phone(phones.parse(text))
    return text


MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "birth_date": mask_birth_date}


def id_tail(id_number: str | None) -> str:
    """The ID number with only its last four characters showing, for a paper the person keeps
    (the notice): they recognise their own number; a lost copy gives away no birth date or region."""
    if not id_number:
        return ""
    return "*" * (len(id_number) - 4) + id_number[-4:]
