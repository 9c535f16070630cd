"""Queries on P&L snapshots: one per account and moment, for equity curves and daily P&L."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, select

from quantdesk.db.models import PnlSnapshot
from quantdesk.db.repositories.base import Repository


def last_before(*columns: Any) -> Select[Any]:
    """``columns`` of an account's latest snapshot before a moment; bound by ``user_id``,
    ``mode``, ``account`` and ``before``."""
    return (
        select(*columns)
        .where(
            PnlSnapshot.user_id == bindparam("user_id"),
            PnlSnapshot.mode == bindparam("mode"),
            PnlSnapshot.account == bindparam("account"),
            PnlSnapshot.ts < bindparam("before"),
        )
        .order_by(PnlSnapshot.ts.desc())
        .limit(1)
    )


_LAST_BEFORE = last_before(PnlSnapshot)


class PnlRepository(Repository[PnlSnapshot]):
    """Snapshots of equity and P&L."""

    model = PnlSnapshot

    async def at(self, user_id: int, mode: str, account: str, ts: datetime) -> PnlSnapshot | None:
        """The snapshot taken at exactly ``ts``, or None."""
        statement = select(PnlSnapshot).where(
            PnlSnapshot.user_id == user_id,
            PnlSnapshot.mode == mode,
            PnlSnapshot.account == account,
            PnlSnapshot.ts == ts,
        )
        return await self.session.scalar(statement)

    async def last_before(
        self, user_id: int, mode: str, account: str, before: datetime
    ) -> PnlSnapshot | None:
        """The latest snapshot strictly before ``before``, or None."""
        params = {"user_id": user_id, "mode": mode, "account": account, "before": before}
        found: PnlSnapshot | None = await self.session.scalar(_LAST_BEFORE, params)
        return found

    async def series(
        self, user_id: int, mode: str, account: str | None, since: datetime | None
    ) -> Sequence[PnlSnapshot]:
        """The account's snapshots (every account's when None) in time order, from ``since``
        when given."""
        statement = select(PnlSnapshot).where(
            PnlSnapshot.user_id == user_id, PnlSnapshot.mode == mode
        )
        if account is not None:
            statement = statement.where(PnlSnapshot.account == account)
        if since is not None:
            statement = statement.where(PnlSnapshot.ts >= since)
        return list(await self.session.scalars(statement.order_by(PnlSnapshot.ts)))
