"""One error type for rules a user broke; pages show it as a message, the API as JSON 400."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400

    def __init__(self, message, *, field: str | None = None, code: str = "invalid"):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, message=_("Your role may not do this."), **kw):
        super().__init__(message, code="forbidden", **kw)
