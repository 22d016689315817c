from django.core.management.base import BaseCommand

from lianfang.registry.importing import import_jobs_sweep
from lianfang.screening.importing import screening_imports_sweep


class Command(BaseCommand):
    help = "Fail imports whose worker died and cancel those waiting a week for a choice; delete their files. Run hourly."

    def handle(self, *args, **options):
        counts = import_jobs_sweep()
        screening = screening_imports_sweep()
        self.stdout.write(f"{counts['failed']} stalled imports failed, {counts['expired']} waiting imports cancelled, "
                          f"{screening} screening import checks cancelled.")
