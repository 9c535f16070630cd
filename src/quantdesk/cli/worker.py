"""``quantdesk worker``: run queued jobs in this process until stopped."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from quantdesk.cli.common import console, fail, run, settings_or_exit
from quantdesk.errors import QuantDeskError

# The worker is a composition root beside the CLI, reached by name as `serve` reaches the
# app factory, so the two entry points stay independent.
WORKER_MODULE = "quantdesk.worker"


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Jobs run at once [default: QUANTDESK_JOB_WORKERS]."),
    ] = None,
    grace: Annotated[
        float,
        typer.Option(min=0, help="Seconds running jobs get to finish on SIGTERM or Ctrl-C."),
    ] = 30.0,
) -> None:
    """Run background jobs (backtests, sweeps) until SIGTERM or Ctrl-C.

    Jobs still running when the grace period ends are put back in the queue for the next
    worker, without spending one of their attempts.
    """
    settings = settings_or_exit()
    where = f"Dask at {settings.dask_scheduler}" if settings.dask_scheduler else "local processes"
    console.print(f"QuantDesk worker running jobs on {where}; Ctrl-C stops it")
    run_worker = importlib.import_module(WORKER_MODULE).run_worker
    try:
        run(run_worker(settings, concurrency=concurrency, grace_seconds=grace))
    except QuantDeskError as error:
        fail(error.message)
