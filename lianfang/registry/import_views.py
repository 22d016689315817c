"""Pages of the Excel import: upload, the job's progress and problems, the user's choice."""

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

from . import importing
from .import_models import ImportIssue, ImportJob


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel file"), help_text=gettext_lazy(
        ".xlsx as saved by Excel or WPS (.xls is read too). One row per person; see the template."))
    grid = forms.ChoiceField(label=gettext_lazy("Grid"), required=False, help_text=gettext_lazy(
        "For rows without a 网格 column or with an empty one."))

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = [("", _("— from the 网格 column —"))] + [(g.code, g.name) for g in grids]
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.xls,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def import_upload(request):
    actor = request.user
    require(actor, Capability.IMPORT_REGISTRY)
    grids = list(importing.import_grid_choices(actor=actor)[:3000])
    form = ImportUploadForm(request.POST or None, request.FILES or None, grids=grids)
    if request.method == "POST" and form.is_valid():
        try:
            job = importing.import_job_create(actor=actor, upload=form.cleaned_data["file"],
                                              grid_code=form.cleaned_data["grid"], via=Via.from_request(request))
        except DomainError as e:
            form.add_error("grid" if e.field == "grid" else "file", e.message)
        else:
            return redirect("registry:import_job", uid=job.uid)
    return render(request, "registry/import_upload.html", {
        "form": form,
        "jobs": importing.import_job_list(actor=actor)[:20],
        "single_grid": grids[0] if len(grids) == 1 else None,
    })


def import_template(request):
    require(request.user, Capability.IMPORT_REGISTRY)
    grid = importing.import_grid_choices(actor=request.user).first()
    tmp = tempfile.TemporaryFile()
    importing.import_template_write(tmp, grid_name=grid.name if grid else "")
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=_("residents-import-template.xlsx"),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _job_context(request, job: ImportJob) -> dict:
    severity = request.GET.get("severity", "")
    page, query = paginate(request, importing.import_issue_list(job=job, severity=severity))
    return {"job": job, "page_obj": page, "query": query, "severity": severity, "severities": ImportIssue.Severity.choices}


def import_job_detail(request, uid):
    job = importing.access_import_job(actor=request.user, uid=uid)
    context = _job_context(request, job)
    # While the job runs, htmx asks for the job's part of the page every second.
    template = "registry/import_job.html#job" if request.htmx else "registry/import_job.html"
    return render(request, template, context)


ISSUE_COLUMNS = [
    Column(gettext_lazy("Row"), lambda i: i.row, 8),
    Column(gettext_lazy("Name"), lambda i: i.name, 12),
    Column(gettext_lazy("Column"), lambda i: i.column, 16),
    Column(gettext_lazy("Value"), lambda i: i.value, 24),
    Column(gettext_lazy("Problem"), lambda i: i.reason, 70),
    Column(gettext_lazy("Severity"), lambda i: i.get_severity_display(), 10),
]


def import_job_issues_xlsx(request, uid):
    # A list of people (their names, ID numbers masked): an export of personal data.
    job = importing.access_import_job(actor=request.user, uid=uid)
    return export_list(actor=request.user, via=Via.from_request(request), object_type="import_issues",
                       queryset=importing.import_issue_list(job=job), columns=ISSUE_COLUMNS,
                       name=_("import-problems"), personal=True, filters={"import": str(job.uid)})


@require_POST
def import_job_commit_good_rows(request, uid):
    job = importing.access_import_job(actor=request.user, uid=uid)
    try:
        importing.import_job_commit_good_rows(actor=request.user, job=job, via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("registry:import_job", uid=job.uid)


@require_POST
def import_job_cancel(request, uid):
    job = importing.access_import_job(actor=request.user, uid=uid)
    try:
        importing.import_job_cancel(actor=request.user, job=job)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Import cancelled; nothing was imported."))
    return redirect("registry:import")
