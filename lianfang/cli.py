"""The `lianfang` console script: Django's management commands plus `demo` and `serve`."""

import os
import sys


def main() -> None:
    # The database, uploads and staged import rows hold personal data: no access for others.
    os.umask(0o077)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianfang.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lianfang", *sys.argv[1:]])


if __name__ == "__main__":
    main()
