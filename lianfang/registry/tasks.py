"""Background tasks of the registry: ids in, one service call."""

from django_tasks import task

from . import importing


@task()
def import_job_run_task(job_id: int) -> None:
    importing.import_job_run(job_id=job_id)
