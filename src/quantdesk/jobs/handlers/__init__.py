"""The built-in job kinds, loaded by every worker through ``QUANTDESK_JOB_HANDLER_MODULES``.

Each module here registers its kinds with ``quantdesk.jobs.registry.handler`` when imported;
import every such module below so that loading this package loads them all.
"""

from quantdesk.jobs.handlers import backtest, optimization
from quantdesk.strategies.plugins import discover_from_environment

# Workers run user strategies too: register the folder the server exported.
discover_from_environment()

__all__ = ["backtest", "optimization"]
