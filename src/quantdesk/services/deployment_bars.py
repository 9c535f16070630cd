"""The bars a deployment's synthetic feed generates: kept as they arrive, replayed by drift.

A synthetic walk is invented once and never again, so the runner keeps each of its bars
under the deployment (:class:`~quantdesk.db.models.DeploymentBar`), apart from the shared
market data: a walk named after a real symbol never overwrites that symbol's stored
history, and two deployments' walks never mix. A restarted deployment starts a new walk;
its bars join the earlier ones, a bar at a time already kept replacing it.
"""

from __future__ import annotations

from datetime import datetime

from quantdesk.bars import Bars
from quantdesk.db.models import Deployment
from quantdesk.db.repositories.deployment_bars import DeploymentBarRepository
from quantdesk.errors import ValidationError
from quantdesk.services.context import ServiceContext

__all__ = ["keep_bar", "load_series"]


async def keep_bar(ctx: ServiceContext, deployment_id: int, bar: Bars) -> None:
    """Store one bar the deployment's feed generated."""
    await DeploymentBarRepository(ctx.session).upsert(deployment_id, bar)


async def load_series(
    ctx: ServiceContext, row: Deployment, end: datetime | None
) -> dict[str, Bars]:
    """The deployment's kept bars per symbol up to ``end``; fewer than two is a 422 naming it."""
    repository = DeploymentBarRepository(ctx.session)
    series: dict[str, Bars] = {}
    for symbol in row.symbols:
        bars = await repository.load(row.id, symbol, row.timeframe, end)
        if len(bars) < 2:
            raise ValidationError(
                f"symbols: the feed of deployment {row.id} generated fewer than two "
                f"{row.timeframe} bars of {symbol}; let it run longer",
                details={"field": "symbols", "symbol": symbol},
            )
        series[symbol] = bars
    return series
