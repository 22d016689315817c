"""`lianfang demo`: one command from an empty folder to a running Lianfang with a
generated district and one login per role."""

import time
import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from lianfang.core.models import Level, OrgUnit
from lianfang.core.roles import Role
from lianfang.demo.generator import DEMO_PASSWORD, DISTRICT_CODE, demo_users_ensure, generate_district
from lianfang.demo.checkpoints import demo_checkpoints_ensure
from lianfang.demo.quarantine import demo_quarantine_ensure
from lianfang.demo.reporting import demo_reporting_ensure
from lianfang.demo.screening import demo_screening_ensure
from lianfang.registry.models import Resident

from .serve import add_serve_arguments, serve


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "Generate a demo district (once), create one login per role and serve Lianfang."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--residents", type=int, default=50_000, help="residents to generate (default 50000)")
        parser.add_argument("--seed", type=int, default=20200124, help="same seed, same district")
        parser.add_argument("--reset", action="store_true",
                            help="delete ALL data (the SQLite file, or every table on PostgreSQL) and generate again")
        parser.add_argument("--no-serve", action="store_true", help="prepare everything, then exit")
        add_serve_arguments(parser)

    def handle(self, *args, residents: int, seed: int, reset: bool, no_serve: bool, **options) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        if reset:
            self.reset()
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)
        if OrgUnit.objects.exists():
            self.stdout.write(f"Reusing the district in the database ({Resident.objects.count():,} residents); "
                              "--reset generates a new one.")
        else:
            generate_district(residents=residents, seed=seed, stdout=self.stdout)
        users = demo_users_ensure(password=DEMO_PASSWORD)
        if demo_screening_ensure(users=users):
            self.stdout.write("Opened a screening round with the first community's visits recorded.")
        if started := demo_quarantine_ensure(users=users):
            self.stdout.write(f"Put {started} key persons under quarantine orders with two weeks of checks.")
        if passages := demo_checkpoints_ensure(users=users):
            self.stdout.write(f"Set up the community's checkpoints, rosters and pass cards with {passages} passages.")
        if reports := demo_reporting_ensure(users=users):
            self.stdout.write(f"Set up daily reporting with a week of {reports} reports, duty rosters and two briefs.")
        call_command("collectstatic", interactive=False, verbosity=0)

        rows = [(u.username, str(Role(u.role).label), u.jurisdiction.name) for u in users]
        widths = [max(_width(row[i]) for row in rows + [("username", "role", "jurisdiction")]) for i in range(3)]
        self.stdout.write("")
        url = f"http://{options['host']}:{options['port']}"
        if no_serve:
            self.stdout.write(self.style.SUCCESS(f"Lianfang demo is ready; `lianfang serve` serves it on {url}"))
        else:
            self.stdout.write(self.style.SUCCESS(f"Lianfang demo: {url}"))
        self.stdout.write(f"Every login below has the password: {DEMO_PASSWORD}")
        self.stdout.write("")
        for row in [("username", "role", "jurisdiction"), *rows]:
            self.stdout.write("  " + "  ".join(_pad(cell, width) for cell, width in zip(row, widths)).rstrip())
        self.stdout.write("")
        if not no_serve:
            serve(host=options["host"], port=options["port"], workers=options["workers"], threads=options["threads"],
                  with_worker=not options["no_worker"], stdout=self.stdout)

    def reset(self) -> None:
        started = time.monotonic()
        if connection.vendor == "sqlite" and not connection.is_in_memory_db():
            path = Path(connection.settings_dict["NAME"])
            connection.close()
            for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                file.unlink(missing_ok=True)
            self.stdout.write(f"Deleted {path}")
        else:
            call_command("migrate", interactive=False, verbosity=0)
            # Never empty a real district's database: only one that holds the demo or nothing.
            if OrgUnit.objects.filter(level=Level.DISTRICT).exclude(code=DISTRICT_CODE).exists():
                raise CommandError("This database holds a district that is not the demo; --reset refuses to empty it.")
            call_command("flush", interactive=False, verbosity=0)
            self.stdout.write(f"Emptied every table ({time.monotonic() - started:.1f} s)")
