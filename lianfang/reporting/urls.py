from . import office_urls, reporter_urls

app_name = "reporting"

# Reporters and whoever follows their reports (reporter_urls); the set-up and the brief (office_urls).
urlpatterns = reporter_urls.urlpatterns + office_urls.urlpatterns
