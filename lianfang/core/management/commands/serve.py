"""`lianfang serve`: the production server (granian, WSGI) and the background task worker
beside it, stopped together on Ctrl-C or SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from typing import TextIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

STOP_GRACE_SECONDS = 10


def add_serve_arguments(parser: CommandParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument("--workers", type=int, default=None,
                        help="web worker processes (default 1 on SQLite, 2 on PostgreSQL)")
    parser.add_argument("--threads", type=int, default=4,
                        help="requests handled at once per web worker (default 4); each holds a database connection")
    parser.add_argument("--no-worker", action="store_true", help="do not start the background task worker nor the minute ticker (reminders, missed checks)")


def server_commands(*, host: str, port: int, workers: int | None, threads: int, with_worker: bool) -> list[list[str]]:
    """The command lines of granian and of the task worker. `sys.executable -m` so that
    both run inside the same virtualenv as this command."""
    if workers is None:
        # SQLite has one writer at a time: more processes only queue on its lock.
        workers = 1 if connection.vendor == "sqlite" else 2
    commands = [[
        sys.executable, "-m", "granian", "--interface", "wsgi", "lianfang.wsgi:application",
        "--host", host, "--port", str(port), "--workers", str(workers), "--no-ws",
        # Granian's default allows hundreds of threads per worker, and with persistent
        # connections (CONN_MAX_AGE) every thread keeps its own PostgreSQL connection.
        # No --backpressure of the same size: browsers' idle keep-alive connections would
        # fill it and stall every other request.
        "--blocking-threads", str(threads),
        "--static-path-route", "/" + settings.STATIC_URL.strip("/"), "--static-path-mount", str(settings.STATIC_ROOT),
    ]]
    if with_worker:
        commands.append([sys.executable, "-m", "django", "db_worker", "--no-reload"])
        commands.append([sys.executable, "-m", "django", "tick"])
    return commands


def serve(*, host: str, port: int, workers: int | None, threads: int = 4, with_worker: bool, stdout: TextIO) -> int:
    """Run granian (and the task worker) until one of them exits or we are told to stop;
    return the exit code."""
    static_root = settings.STATIC_ROOT
    if not static_root.is_dir() or not any(static_root.iterdir()):
        call_command("collectstatic", interactive=False, verbosity=0)
    commands = server_commands(host=host, port=port, workers=workers, threads=threads, with_worker=with_worker)
    # The children read the same settings: the database, the data folder, the settings module.
    env = os.environ.copy()
    env.setdefault("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)
    env.setdefault("LIANFANG_DATA", str(settings.DATA_DIR))
    connection.close()  # no connection of ours lingers while we only wait

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGHUP)}
    processes: list[subprocess.Popen] = []
    code = 0
    try:
        for command in commands:
            # A process group of their own: Ctrl-C reaches only us, and each child gets exactly
            # one SIGTERM from us (a second signal makes the task worker abandon its task).
            processes.append(subprocess.Popen(command, env=env, process_group=0))
        stdout.write(f"Serving on http://{host}:{port} (Ctrl-C to stop)\n")
        while True:
            finished = [p for p in processes if p.poll() is not None]
            if finished:
                code = finished[0].returncode
                stdout.write(f"{' '.join(finished[0].args[1:4])} exited with code {code}; stopping.\n")
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        stdout.write("Stopping…\n")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _stop(processes)
    return code


def _stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM (both shut down gracefully on it), then SIGKILL whoever is still there."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Command(BaseCommand):
    help = "Serve Lianfang with granian and run the background task worker beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        add_serve_arguments(parser)

    def handle(self, *args, host: str, port: int, workers: int | None, threads: int, no_worker: bool, **options) -> None:
        code = serve(host=host, port=port, workers=workers, threads=threads, with_worker=not no_worker, stdout=self.stdout)
        if code:
            sys.exit(code)
