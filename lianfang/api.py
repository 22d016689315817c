"""The JSON API: one NinjaAPI, each app mounts its router. OpenAPI at /api/docs."""

from django.http import Http404
from ninja import NinjaAPI

from lianfang.core.api_auth import SessionOrToken
from lianfang.core.errors import DomainError

api = NinjaAPI(title="Lianfang API", version="1", auth=SessionOrToken(), urls_namespace="api")


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, {"detail": str(exc.message), "field": exc.field, "code": exc.code}, status=exc.status)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "Not found", "code": "not_found"}, status=404)


from lianfang.core.api import router as core_router  # noqa: E402
from lianfang.registry.api import router as registry_router  # noqa: E402
from lianfang.registry.import_api import router as import_router  # noqa: E402
from lianfang.quarantine.api import router as quarantine_router  # noqa: E402
from lianfang.quarantine.site_api import router as quarantine_site_router  # noqa: E402
from lianfang.screening.api import router as screening_router  # noqa: E402
from lianfang.screening.import_api import router as screening_import_router  # noqa: E402
from lianfang.tracing.api import router as tracing_router  # noqa: E402
from lianfang.checkpoints.api import router as checkpoints_router  # noqa: E402
from lianfang.checkpoints.card_api import router as checkpoints_card_router  # noqa: E402
from lianfang.reporting.api import router as reporting_router  # noqa: E402

api.add_router("/", core_router)
api.add_router("/", registry_router)
api.add_router("/", import_router)
api.add_router("/", screening_router)
api.add_router("/", screening_import_router)
api.add_router("/", quarantine_router)
api.add_router("/", quarantine_site_router)
api.add_router("/", tracing_router)
api.add_router("/", checkpoints_router)
api.add_router("/", checkpoints_card_router)
api.add_router("/", reporting_router)
