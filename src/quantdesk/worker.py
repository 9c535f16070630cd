"""The job worker: a composition root that runs queued jobs until told to stop.

Production runs one or more ``quantdesk worker`` processes beside the API (with
``QUANTDESK_RUN_JOBS_IN_API=false``); each claims jobs from the shared database. On
SIGTERM or SIGINT the worker stops claiming, gives running jobs ``grace_seconds`` to
finish, then asks the rest to stop and puts them back in the queue for another worker.
"""

from __future__ import annotations

import asyncio
import signal

import structlog

from quantdesk.runtime import build_job_runner, build_runtime
from quantdesk.services import backtests, optimizations  # noqa: F401  (register completion hooks)
from quantdesk.settings import Settings

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

logger = structlog.get_logger(__name__)


async def run_worker(
    settings: Settings,
    *,
    concurrency: int | None = None,
    grace_seconds: float = 30.0,
    stop: asyncio.Event | None = None,
) -> None:
    """Run jobs until ``stop`` is set or a stop signal arrives, then shut down in order.

    Args:
        settings: Where the database, bus and executor are.
        concurrency: Jobs run at once; defaults to ``QUANTDESK_JOB_WORKERS`` processes.
        grace_seconds: How long running jobs may take to finish once stopping begins.
        stop: Set it to stop the worker without a signal (tests, embedding).
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in STOP_SIGNALS:
        loop.add_signal_handler(stop_signal, stop.set)
    runtime = build_runtime(settings)
    runner = build_job_runner(runtime, concurrency=concurrency)
    try:
        await runner.start()
        logger.info("worker_started", worker_id=runner.worker_id, capacity=runner.capacity)
        await stop.wait()
        logger.info("worker_stopping", running=runner.running_ids, grace_seconds=grace_seconds)
        await runner.stop(grace_seconds=grace_seconds)
        runtime.jobs = None
    finally:
        for stop_signal in STOP_SIGNALS:
            loop.remove_signal_handler(stop_signal)
        await runtime.close()
    logger.info("worker_stopped", worker_id=runner.worker_id)
