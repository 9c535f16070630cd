"""Queries on risk: each account's limits and the protections that lock trading."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select

from quantdesk.db.models import Instrument, RiskLock, TradingConfig
from quantdesk.db.repositories.base import Repository

# built once, bound per call: statements made per call cost more to build than to run
_CONFIG = select(TradingConfig).where(
    TradingConfig.user_id == bindparam("user_id"),
    TradingConfig.mode == bindparam("mode"),
    TradingConfig.account == bindparam("account"),
)
_ACTIVE_LOCKS = (
    select(RiskLock, Instrument.symbol)
    .outerjoin(Instrument, RiskLock.instrument_id == Instrument.id)
    .where(
        RiskLock.user_id == bindparam("user_id"),
        RiskLock.released_at.is_(None),
        RiskLock.until > bindparam("now"),
    )
    .order_by(RiskLock.until, RiskLock.id)
)


class TradingConfigRepository(Repository[TradingConfig]):
    """One row of limits per user, mode and account."""

    model = TradingConfig

    async def find(self, user_id: int, mode: str, account: str) -> TradingConfig | None:
        """The account's limits row, or None when never saved."""
        params = {"user_id": user_id, "mode": mode, "account": account}
        found: TradingConfig | None = await self.session.scalar(_CONFIG, params)
        return found

    async def accounts(self, user_id: int, mode: str) -> list[str]:
        """The accounts of ``mode`` whose limits the user has saved."""
        statement = select(TradingConfig.account).where(
            TradingConfig.user_id == user_id, TradingConfig.mode == mode
        )
        return list(await self.session.scalars(statement.order_by(TradingConfig.account)))


class RiskLockRepository(Repository[RiskLock]):
    """Protections in force; a released lock keeps its row for the record."""

    model = RiskLock

    async def active(self, user_id: int, now: datetime) -> Sequence[tuple[RiskLock, str | None]]:
        """The user's unreleased locks that still run at ``now``, with their symbols."""
        rows = await self.session.execute(_ACTIVE_LOCKS, {"user_id": user_id, "now": now})
        return [(row[0], row[1]) for row in rows]

    async def get_for_user(self, lock_id: int, user_id: int) -> RiskLock | None:
        """The user's lock with this id; another user's is None."""
        statement = select(RiskLock).where(RiskLock.id == lock_id, RiskLock.user_id == user_id)
        return await self.session.scalar(statement)
