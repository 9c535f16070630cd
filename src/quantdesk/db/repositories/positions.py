"""Queries on positions: one row per user, instrument, mode and account."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select

from quantdesk.db.models import Instrument, Position
from quantdesk.db.repositories.base import Repository

# built once, bound per call: every fill's P&L snapshot reads the account's positions
_IN_ACCOUNT = select(Position).where(
    Position.user_id == bindparam("user_id"),
    Position.mode == bindparam("mode"),
    Position.account == bindparam("account"),
)


class PositionRepository(Repository[Position]):
    """Net holdings; a flat position keeps its row (and its realised P&L)."""

    model = Position

    async def find(
        self, user_id: int, instrument_id: int, mode: str, account: str
    ) -> Position | None:
        """The position of one instrument in one account, or None."""
        statement = select(Position).where(
            Position.user_id == user_id,
            Position.instrument_id == instrument_id,
            Position.mode == mode,
            Position.account == account,
        )
        return await self.session.scalar(statement)

    async def in_account(self, user_id: int, mode: str, account: str) -> Sequence[Position]:
        """Every position of one account, flat ones included, in no particular order."""
        params = {"user_id": user_id, "mode": mode, "account": account}
        return list(await self.session.scalars(_IN_ACCOUNT, params))

    async def for_user(
        self,
        user_id: int,
        *,
        mode: str | None = None,
        account: str | None = None,
        open_only: bool = False,
    ) -> Sequence[tuple[Position, str]]:
        """The user's positions with their symbols, by symbol; of one mode or account when
        given."""
        statement = (
            select(Position, Instrument.symbol)
            .join(Instrument, Position.instrument_id == Instrument.id)
            .where(Position.user_id == user_id)
            .order_by(Instrument.symbol, Position.mode, Position.account)
        )
        if mode is not None:
            statement = statement.where(Position.mode == mode)
        if account is not None:
            statement = statement.where(Position.account == account)
        rows = [(row[0], str(row[1])) for row in await self.session.execute(statement)]
        return [row for row in rows if row[0].quantity != 0] if open_only else rows

    async def open_accounts(self) -> set[tuple[int, str]]:
        """Every (user id, mode) holding an open position, for reconciliation at start-up."""
        statement = select(Position.user_id, Position.mode).where(Position.quantity != 0).distinct()
        return {(int(row.user_id), str(row.mode)) for row in await self.session.execute(statement)}
