from urllib.parse import quote

from django.conf import settings
from django.shortcuts import redirect, resolve_url

# The API authenticates itself (session or token) and answers 401 in JSON.
_OPEN_PREFIXES = ("/accounts/login/", "/static/", "/i18n/", "/api/", "/healthz", "/favicon.ico")


class LoginRequiredMiddleware:
    """Every page needs a login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES):
            return redirect(f"{resolve_url(settings.LOGIN_URL)}?next={quote(request.get_full_path())}")
        return self.get_response(request)


class DomainErrorMiddleware:
    """A rule broken on a page that did not handle it itself: a clear message, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render

        from .errors import DomainError

        if isinstance(exception, DomainError) and not request.path.startswith("/api/"):
            return render(request, "core/error.html", {"message": exception.message}, status=exception.status)
        return None


class ChineseFirstMiddleware:
    """Chinese unless the user chose English (the language cookie): a district's borrowed or
    English-set browser must not switch the interface by itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
