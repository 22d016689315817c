import datetime as dt

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken

LAST_USED_EVERY = dt.timedelta(minutes=5)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer lf_...` with a personal token (created on the profile page)."""

    def authenticate(self, request, token: str):
        try:
            found = ApiToken.objects.select_related("user", "user__jurisdiction").get(key_hash=ApiToken.hash_key(token))
        except ApiToken.DoesNotExist:
            return None
        if not found.user.is_active:
            return None
        # "Last used" to within five minutes is enough; writing it on every call adds a commit to each request.
        now = timezone.now()
        if found.last_used is None or now - found.last_used > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used=now)
        request.user = found.user
        return found.user


def SessionOrToken():
    # The token first: session auth's CSRF check fails the request before a token is tried.
    return [TokenAuth(), SessionAuth(csrf=True)]
