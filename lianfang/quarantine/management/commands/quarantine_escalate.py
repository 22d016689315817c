from django.core.management.base import BaseCommand

from lianfang.quarantine.services import overdue_escalate


class Command(BaseCommand):
    help = "Raise a 'missed check' alert for every check window that closed without a check. Run every 5 minutes (cron)."

    def handle(self, *args, **options):
        raised = overdue_escalate()
        self.stdout.write(f"{raised} missed-check alerts raised.")
