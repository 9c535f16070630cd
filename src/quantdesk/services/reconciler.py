"""The reconciler: runs reconciliation at start-up and every ``interval`` seconds after.

It keeps each broker's last outcome so /health/detailed can show, per broker, its
connection and breaker state, when it was last reconciled, the differences found and the
orders still unmatched. An interval of 0 reconciles at start-up only.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

import structlog
from sqlalchemy.exc import SQLAlchemyError

from quantdesk.resilience import CircuitBreaker
from quantdesk.services.reconciliation import BrokerReconciliation, reconcile
from quantdesk.services.trading_runtime import ContextFactory, TradingEngine

__all__ = ["BrokerHealth", "Reconciler"]

logger = structlog.get_logger(__name__)


@runtime_checkable
class Guarded(Protocol):
    """A broker whose calls pass a circuit breaker (the IB adapter)."""

    breaker: CircuitBreaker


@dataclass(frozen=True, slots=True)
class BrokerHealth:
    """One broker as /health/detailed shows it: no account numbers, keys or e-mails."""

    user_id: int
    mode: str
    broker: str
    connection: str
    breaker: str | None
    last_reconciliation: datetime | None
    differences: int
    unmatched_orders: int


@dataclass
class Reconciler:
    """Reconcile every broker now and then; close it at shutdown."""

    contexts: ContextFactory
    engine: TradingEngine
    interval_seconds: float = 60.0
    last: dict[tuple[int, str], BrokerReconciliation] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    async def run(self, *, startup: bool = False) -> list[BrokerReconciliation]:
        """Reconcile every broker once in its own unit of work, and keep the outcomes."""
        async with self.contexts() as ctx:
            outcomes = await reconcile(ctx, self.engine, startup=startup)
        for outcome in outcomes:
            self.last[(outcome.user_id, outcome.mode)] = outcome
        return outcomes

    async def start_up(self) -> None:
        """Reconcile once before serving; an unreachable database is logged, not fatal."""
        try:
            await self.run(startup=True)
        except (SQLAlchemyError, OSError) as error:
            logger.error("reconciliation_startup_failed", error_type=type(error).__name__)

    def start(self) -> None:
        """Reconcile every ``interval_seconds`` in the background (not at all when 0)."""
        if self.interval_seconds > 0 and self._task is None:
            self._task = asyncio.create_task(self._every_interval(), name="reconciler")

    async def _every_interval(self) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            try:
                await self.run()
            except Exception:  # a failed round is logged; the next one tries again
                logger.exception("reconciliation_failed")

    def brokers(self) -> list[BrokerHealth]:
        """Every connected broker with its last reconciliation, by user and mode."""
        states = []
        for (user_id, mode), broker in sorted(self.engine.brokers().items()):
            outcome = self.last.get((user_id, mode))
            breaker = broker.breaker.snapshot().state if isinstance(broker, Guarded) else None
            states.append(
                BrokerHealth(
                    user_id=user_id,
                    mode=mode,
                    broker=broker.name,
                    connection=broker.state,
                    breaker=breaker,
                    last_reconciliation=outcome.at if outcome else None,
                    differences=outcome.differences if outcome else 0,
                    unmatched_orders=outcome.unmatched if outcome else 0,
                )
            )
        return states

    async def close(self) -> None:
        """Stop the background rounds."""
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
