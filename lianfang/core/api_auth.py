from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken


class TokenAuth(HttpBearer):
    """`Authorization: Bearer lf_...` with a personal token (created on the profile page)."""

    def authenticate(self, request, token: str):
        found = ApiToken.objects.select_related("user", "user__jurisdiction").filter(key_hash=ApiToken.hash_key(token)).first()
        if found is None or not found.user.is_active:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used=timezone.now())
        request.user = found.user
        return found.user


def SessionOrToken():
    # The token first: session auth's CSRF check fails the request before a token is tried.
    return [TokenAuth(), SessionAuth(csrf=True)]
