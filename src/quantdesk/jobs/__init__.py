"""Durable background jobs: the registry of job kinds and the executors that run them.

``registry`` holds what each kind does; ``local`` and ``dask`` implement the executor port
(a process pool on this machine, or a Dask cluster). Claiming, running and recovering the
durable ``Job`` rows is the job runner's work, in ``quantdesk.services.job_runner``.
"""

from quantdesk.jobs.registry import ProgressReporter, handler, on_finished

__all__ = ["ProgressReporter", "handler", "on_finished"]
