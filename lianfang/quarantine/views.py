from django.shortcuts import render
from django.utils.translation import gettext as _

from lianfang.core import selectors as core_selectors
from lianfang.core.audit import Via, audit_list_view
from lianfang.core.exports import export_list
from lianfang.core.views import paginate

from . import selectors
from .exports import KEY_PERSON_COLUMNS
from .models import Category, KeyPerson, Source


def key_person_list(request):
    code = request.GET.get("org", "").strip()
    org = core_selectors.access_org_unit(actor=request.user, code=code) if code else None
    filters = {k: request.GET.get(k, "").strip() for k in ("category", "source", "status")}
    people = selectors.key_person_list(actor=request.user, org=org, **filters)
    via = Via.from_request(request)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=request.user, via=via, object_type="key_person", queryset=people, columns=KEY_PERSON_COLUMNS,
                           name=_("key persons"), personal=True, filters=dict(filters, org=code))
    page, query = paginate(request, people)
    audit_list_view(actor=request.user, object_type="key_person", via=via, filters=dict(filters, org=code), page=page.number)
    return render(request, "quarantine/key_person_list.html", {
        "page_obj": page, "query": query, "org": org, **filters,
        "categories": Category.choices, "sources": Source.choices, "statuses": KeyPerson.Status.choices,
    })
