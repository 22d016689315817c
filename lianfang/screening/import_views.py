"""Pages of the screening import: upload a 摸排台账, see its result, choose for a file with bad rows."""

import tempfile

from django import forms
from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lianfang.core.audit import Via
from lianfang.core.errors import DomainError
from lianfang.core.excel import Column
from lianfang.core.exports import export_list
from lianfang.core.roles import Capability
from lianfang.core.services import require
from lianfang.core.views import paginate

from . import importing, selectors


class ScreeningImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel file"), help_text=gettext_lazy(
        "The 摸排台账 as .xlsx: one row per person, up to 5,000 rows (split bigger ledgers by grid). See the template."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.xls,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _round(request, uid):
    require(request.user, Capability.RECORD_SCREENING)
    return selectors.access_round(actor=request.user, uid=uid)


def import_upload(request, uid):
    screening_round = _round(request, uid)
    form = ScreeningImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            imp = importing.screening_import_check(actor=request.user, screening_round=screening_round,
                                                   upload=form.cleaned_data["file"], via=Via.from_request(request))
        except DomainError as e:
            form.add_error("file", e.message)
        else:
            return redirect("screening:import_result", uid=screening_round.uid, import_uid=imp.uid)
    return render(request, "screening/import_upload.html", {
        "round": screening_round, "form": form,
        "imports": importing.screening_import_list(actor=request.user, screening_round=screening_round)[:20],
    })


def import_template(request, uid):
    screening_round = _round(request, uid)
    tmp = tempfile.TemporaryFile()
    importing.import_template_write(tmp, grid_name=importing.example_grid_name(actor=request.user, screening_round=screening_round))
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=_("screening-ledger-template.xlsx"),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _import(request, uid, import_uid):
    screening_round = _round(request, uid)
    return screening_round, importing.access_screening_import(actor=request.user, uid=import_uid, screening_round=screening_round)


def import_result(request, uid, import_uid):
    screening_round, imp = _import(request, uid, import_uid)
    page, query = paginate(request, imp.issues, per_page=100)
    return render(request, "screening/import_result.html", {"round": screening_round, "imp": imp, "page_obj": page, "query": query})


ISSUE_COLUMNS = [
    Column(gettext_lazy("Row"), lambda i: i["row"], 8),
    Column(gettext_lazy("Name"), lambda i: i["name"], 12),
    Column(gettext_lazy("Column"), lambda i: i["column"], 14),
    Column(gettext_lazy("Value"), lambda i: i["value"], 24),
    Column(gettext_lazy("Problem"), lambda i: i["reason"], 70),
]


def import_issues(request, uid, import_uid):
    # Names of people (ID numbers masked): an export of personal data, audited.
    _screening_round, imp = _import(request, uid, import_uid)
    return export_list(actor=request.user, via=Via.from_request(request), object_type="screening_import_issues",
                       queryset=imp.issues, columns=ISSUE_COLUMNS, name=_("screening-import-problems"), personal=True,
                       filters={"import": str(imp.uid)})


@require_POST
def import_commit(request, uid, import_uid):
    screening_round, imp = _import(request, uid, import_uid)
    try:  # the result page then shows what was imported
        imp = importing.screening_import_commit_good_rows(actor=request.user, screening_import=imp, via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("screening:import_result", uid=screening_round.uid, import_uid=imp.uid)


@require_POST
def import_cancel(request, uid, import_uid):
    screening_round, imp = _import(request, uid, import_uid)
    try:
        importing.screening_import_cancel(actor=request.user, screening_import=imp)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("screening:import_result", uid=screening_round.uid, import_uid=imp.uid)
    messages.success(request, _("Import cancelled; nothing was imported."))
    return redirect("screening:import", uid=screening_round.uid)
