"""The code printed on a pass card: "LFP1:" + a random token + the server's signature.

The token is 128 random bits (not derived from the person), so a card cannot be guessed or
forged from an ID number; the HMAC signature (Django's Signer: SECRET_KEY, and
SECRET_KEY_FALLBACKS while a key is rotated) lets the server refuse a made-up code before any
lookup. Revocation is a status on the card row: a revoked card's code stays signed but
no longer opens the gate."""

import functools
import secrets

from django.core import signing
from django.utils.translation import gettext as _

from lianfang.core.errors import DomainError

PREFIX = "LFP1:"
_signer = signing.Signer(salt="lianfang.checkpoints.pass_card")


def token_new() -> str:
    return secrets.token_urlsafe(16)


def card_code(token: str) -> str:
    return PREFIX + _signer.sign(token)


@functools.lru_cache(maxsize=4096)  # a batch checks each code twice (lookup, then the row); the HMAC once is enough
def token_from_code(code: str | None, *, field: str = "card") -> str:
    """The token inside a scanned or typed code; DomainError when it is not one of our cards.
    Scanners that type may add spaces or a newline; phones may read the prefix in lower case."""
    text = "".join((code or "").split())
    if text[:len(PREFIX)].upper() == PREFIX:
        text = text[len(PREFIX):]
    if not text:
        raise DomainError(_("Scan or type the pass card's code."), field=field, code="card_missing")
    try:
        return _signer.unsign(text)
    except signing.BadSignature:
        raise DomainError(_("This is not a valid pass card of this district (unknown or damaged code)."), field=field,
                          code="card_unknown")
