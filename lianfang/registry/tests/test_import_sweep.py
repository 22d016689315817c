"""Imports never keep ID numbers on disk for long: stalled and abandoned ones are swept."""

import datetime as dt
import os

from django.core.management import call_command
from django.utils import timezone

from lianfang.registry.import_models import ImportJob
from lianfang.registry.importing import _staging_path

from .test_import_helpers import HEADERS, import_settings, person, upload, write_ledger  # noqa: F401


def test_it_cancels_an_import_left_waiting_for_a_week_and_deletes_its_file(world, tmp_path, upload):
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1), person(world, 2, phone="123")]))
    assert job.status == ImportJob.Status.INVALID and job.file
    stored = job.file.path
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    call_command("import_sweep")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED and not job.file
    assert not _staging_path(job).exists()
    assert not os.path.exists(stored)


def test_it_fails_an_import_whose_worker_died(world, tmp_path, upload):
    job = upload(world.grid_worker_a, write_ledger(tmp_path / "l.xlsx", [HEADERS, person(world, 1), person(world, 2, phone="123")]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.IMPORTING, started_at=timezone.now() - dt.timedelta(hours=3))
    fresh = upload(world.grid_worker_a, write_ledger(tmp_path / "m.xlsx", [HEADERS, person(world, 3), person(world, 4, phone="123")]))
    call_command("import_sweep")
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "worker stopped" in job.message
    assert fresh.status == ImportJob.Status.INVALID  # a recent one is left alone
