"""Nothing is fetched from the internet at run time: district networks are often closed."""

import re
from pathlib import Path

import lianfang

EXTERNAL = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//""", re.I)


def test_templates_and_static_files_load_nothing_from_outside():
    root = Path(lianfang.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in [*root.rglob("*.html"), *root.rglob("*.css"), *root.rglob("*.js")]
        if EXTERNAL.search(path.read_text(encoding="utf-8")) or "url(http" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
