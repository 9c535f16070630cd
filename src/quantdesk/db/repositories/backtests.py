"""Queries on backtest runs and optimisations, always scoped to their owner."""

from __future__ import annotations

from sqlalchemy import select, update

from quantdesk.db.models import BacktestRun
from quantdesk.db.repositories.base import Paged, Repository


class BacktestRunRepository(Repository[BacktestRun]):
    """Owner-scoped lookups of runs, listings by kind, and clearing the input snapshot."""

    model = BacktestRun

    async def get_for_user(self, run_id: int, user_id: int, kind: str) -> BacktestRun | None:
        """The user's run of ``kind`` with this id; another user's (or kind's) is None."""
        statement = select(BacktestRun).where(
            BacktestRun.id == run_id, BacktestRun.user_id == user_id, BacktestRun.kind == kind
        )
        return await self.session.scalar(statement)

    async def list_for_user(
        self, user_id: int, kind: str, *, limit: int, offset: int
    ) -> Paged[BacktestRun]:
        """The user's runs of ``kind``, newest first."""
        statement = (
            select(BacktestRun)
            .where(BacktestRun.user_id == user_id, BacktestRun.kind == kind)
            .order_by(BacktestRun.created_at.desc(), BacktestRun.id.desc())
        )
        return await self.page(statement, limit=limit, offset=offset)

    async def clear_inputs(self, run_id: int) -> None:
        """Drop the input snapshot once the job that needed it has ended."""
        await self.session.execute(
            update(BacktestRun).where(BacktestRun.id == run_id).values(inputs=None)
        )

    async def delete(self, run: BacktestRun) -> None:
        """Delete the run and everything it stored."""
        await self.session.delete(run)
        await self.session.flush()
