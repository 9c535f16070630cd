"""Queries on stored indicator values: one upsert per computed series."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from quantdesk.db.base import utcnow
from quantdesk.db.models import IndicatorValue
from quantdesk.db.repositories.base import Repository

CHUNK_ROWS = 2_000
_KEY = ("instrument_id", "timeframe", "name", "params_hash", "ts")


class IndicatorValueRepository(Repository[IndicatorValue]):
    """Indicator outputs keyed by instrument, timeframe, name, parameter hash and time."""

    model = IndicatorValue

    async def upsert(
        self,
        instrument_id: int,
        timeframe: str,
        name: str,
        params_hash: str,
        rows: Sequence[tuple[datetime, dict[str, Any]]],
    ) -> int:
        """Insert or overwrite the values at each timestamp; return how many rows were written."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        records = [
            {
                "instrument_id": instrument_id,
                "timeframe": timeframe,
                "name": name,
                "params_hash": params_hash,
                "ts": ts,
                "values": values,
            }
            for ts, values in rows
        ]
        for first in range(0, len(records), CHUNK_ROWS):
            statement = insert(IndicatorValue).values(records[first : first + CHUNK_ROWS])
            statement = statement.on_conflict_do_update(
                index_elements=list(_KEY),
                set_={"values": statement.excluded["values"], "updated_at": utcnow()},
            )
            await self.session.execute(statement)
        return len(records)
