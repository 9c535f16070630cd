"""Queries on the bars a deployment's synthetic feed generated: one upsert per bar, one load."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from quantdesk.bars import Bars
from quantdesk.db.base import utcnow
from quantdesk.db.models import DeploymentBar
from quantdesk.db.repositories.base import Repository

_KEY = ("deployment_id", "symbol", "timeframe", "ts")
_PRICES = ("open", "high", "low", "close", "volume")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class DeploymentBarRepository(Repository[DeploymentBar]):
    """Generated bars keyed by deployment, symbol, timeframe and time."""

    model = DeploymentBar

    async def upsert(self, deployment_id: int, bars: Bars) -> None:
        """Store ``bars`` under the deployment; a bar at a stored time replaces it."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        records = [
            {
                "deployment_id": deployment_id,
                "symbol": bars.symbol,
                "timeframe": bars.timeframe,
                "ts": _moment(int(bars.timestamps[i])),
                **{name: float(getattr(bars, name)[i]) for name in _PRICES},
            }
            for i in range(len(bars))
        ]
        statement = insert(DeploymentBar).values(records)
        replaced = {name: statement.excluded[name] for name in _PRICES}
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=list(_KEY), set_=replaced | {"updated_at": utcnow()}
            )
        )

    async def load(
        self, deployment_id: int, symbol: str, timeframe: str, end: datetime | None
    ) -> Bars:
        """The deployment's bars of ``symbol`` and ``timeframe`` up to ``end``, oldest first."""
        statement = select(DeploymentBar).where(
            DeploymentBar.deployment_id == deployment_id,
            DeploymentBar.symbol == symbol,
            DeploymentBar.timeframe == timeframe,
        )
        if end is not None:
            statement = statement.where(DeploymentBar.ts <= end)
        rows = list(await self.session.scalars(statement.order_by(DeploymentBar.ts)))
        stamps = np.array([_nanoseconds(row.ts) for row in rows], dtype=np.int64)
        columns = [np.array([getattr(row, name) for row in rows]) for name in _PRICES]
        return Bars.from_arrays(stamps, *columns, symbol=symbol, timeframe=timeframe)


def _moment(nanoseconds: int) -> datetime:
    return _EPOCH + timedelta(microseconds=nanoseconds // 1_000)


def _nanoseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND * 1_000
