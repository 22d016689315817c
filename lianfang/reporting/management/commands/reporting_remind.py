from django.core.management.base import BaseCommand

from lianfang.reporting import services
from lianfang.reporting.tasks import reminder_deliver_task


class Command(BaseCommand):
    help = ("Remind the units that have not reported (before and after each template's deadline) and queue "
            "their robot messages, with retries of failed ones. Run every minute (`lianfang tick` does).")

    def handle(self, *args, **options):
        created = services.reminders_create()
        queued = services.reminders_to_deliver()
        for reminder_id in queued:
            reminder_deliver_task.enqueue(reminder_id=reminder_id)
        self.stdout.write(f"{created} reminders, {len(queued)} robot messages queued.")
