"""`lianfang tick`: what must happen on the clock (missed health checks, report reminders),
run every minute beside the server; `lianfang serve` starts it. Cron can run the same
commands instead (`--once`)."""

import io
import logging
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic commands (settings.PERIODIC_COMMANDS) every --every seconds."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=60, help="seconds between runs (default 60)")
        parser.add_argument("--once", action="store_true", help="run once and exit")

    def handle(self, *args, every: int, once: bool, **options):
        while True:
            started = time.monotonic()
            for name in settings.PERIODIC_COMMANDS:
                close_old_connections()
                try:
                    call_command(name, stdout=self.stdout if once else io.StringIO())    # quiet beside the server
                except Exception:    # one failing job must not stop the others, nor the next minute
                    log.exception("periodic command %s failed", name)
            if once:
                return
            time.sleep(max(1.0, every - (time.monotonic() - started)))
