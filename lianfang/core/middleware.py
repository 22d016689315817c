from urllib.parse import quote

from django.conf import settings
from django.shortcuts import redirect, resolve_url

# The API authenticates itself (session or token) and answers 401 in JSON.
_OPEN_PREFIXES = ("/accounts/login/", "/static/", "/i18n/", "/api/", "/healthz")


class LoginRequiredMiddleware:
    """Every page needs a login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES):
            return redirect(f"{resolve_url(settings.LOGIN_URL)}?next={quote(request.get_full_path())}")
        return self.get_response(request)
