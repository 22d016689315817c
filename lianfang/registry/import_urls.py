from django.urls import path

from . import import_views

# Spliced into the `registry` namespace by registry/urls.py.
urlpatterns = [
    path("import/", import_views.import_upload, name="import"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<uuid:uid>/", import_views.import_job_detail, name="import_job"),
    path("import/<uuid:uid>/problems.xlsx", import_views.import_job_issues_xlsx, name="import_job_issues_xlsx"),
    path("import/<uuid:uid>/good-rows/", import_views.import_job_commit_good_rows, name="import_job_commit_good_rows"),
    path("import/<uuid:uid>/cancel/", import_views.import_job_cancel, name="import_job_cancel"),
]
