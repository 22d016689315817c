"""Gates, cards and passages for tests, built through the services."""

import datetime as dt
import uuid

from lianfang.core.audit import COMMAND

from .. import services, tokens
from ..models import Checkpoint, PassCard


def gate(world, key: str = "a", *, name: str = "东门", staff=None, **kw) -> Checkpoint:
    """A gate closing street `key`'s building, with that street's checkpoint staff posted."""
    org = kw.pop("org", None) or getattr(world, f"building_{key}")
    checkpoint = services.checkpoint_create(actor=getattr(world, f"street_officer_{key}"), org=org, name=name,
                                            kind=kw.pop("kind", "compound_gate"), via=COMMAND, **kw)
    posted = [getattr(world, f"checkpoint_staff_{key}")] if staff is None else staff
    services.checkpoint_staff_set(actor=getattr(world, f"street_officer_{key}"), checkpoint=checkpoint, users=posted, via=COMMAND)
    return checkpoint


def card(world, key: str = "a", *, household=None, resident=None) -> PassCard:
    return services.pass_card_issue(actor=getattr(world, f"street_officer_{key}"), household=household or getattr(world, f"household_{key}"),
                                    resident=resident, via=COMMAND)


def code(card: PassCard) -> str:
    return tokens.card_code(card.token)


def draft(checkpoint: Checkpoint, *, at: dt.datetime, direction: str = "in", uid=None, **kw) -> services.PassageDraft:
    kw.setdefault("temperature", "36.5")
    return services.PassageDraft(uid=uid or uuid.uuid4(), checkpoint=checkpoint.uid, at=at, direction=direction, **kw)


def record(actor, *drafts):
    return services.passages_record(actor=actor, drafts=list(drafts), via=COMMAND)
