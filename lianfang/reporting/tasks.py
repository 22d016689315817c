"""Background tasks of daily reporting: ids in, one service call."""

from django_tasks import task

from . import services


@task()
def reminder_deliver_task(reminder_id: int) -> None:
    services.reminder_deliver(reminder_id=reminder_id)
