"""Start-up restore: put the stored book back into fresh brokers, and report what differs.

A restarted process has brokers that know nothing yet. Start-up reconciliation
(:func:`quantdesk.services.reconciliation.reconcile` with ``startup=True``) compares each
user's stored orders and positions with their broker's: working orders, and orders left
``new`` or ``unknown`` by a crash, are sent again with the same client order id to a paper
broker, open positions are loaded into it, and every difference becomes a strategy event of
the deployment it belongs to (or of the user, for a manual order).
"""

from __future__ import annotations

from quantdesk.services.context import ServiceContext
from quantdesk.services.reconciliation import InMemoryBook, reconcile
from quantdesk.services.trading_runtime import TradingEngine

__all__ = ["InMemoryBook", "restore_books"]


async def restore_books(ctx: ServiceContext, engine: TradingEngine) -> int:
    """Restore every user's stored orders and positions into their brokers; return differences."""
    outcomes = await reconcile(ctx, engine, startup=True)
    return sum(outcome.differences for outcome in outcomes)
