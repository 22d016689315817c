"""plotly.js from the plotly wheel, served as one of our static files: no CDN and nothing
fetched at run time. The finder hands `collectstatic` (and runserver) exactly one file,
`PLOTLY_JS`; templates load it with `{% static plotly_js %}` or the `plotly_js` tag below.
The version is in the path so that browsers re-fetch it when the wheel is upgraded."""

import os

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

_SOURCE_DIR = os.path.join(os.path.dirname(plotly.__file__), "package_data")
_FILE = "plotly.min.js"
PLOTLY_PREFIX = f"vendor/plotly-{plotly.__version__}"
PLOTLY_JS = f"{PLOTLY_PREFIX}/{_FILE}"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        self.storage = FileSystemStorage(location=_SOURCE_DIR)
        self.storage.prefix = PLOTLY_PREFIX  # where collectstatic puts it

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != PLOTLY_JS:
            return [] if find_all else None
        found = os.path.join(_SOURCE_DIR, _FILE)
        return [found] if find_all else found

    def list(self, ignore_patterns):
        yield _FILE, self.storage
