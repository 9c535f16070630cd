"""What a new order's checks read about its account, in one round trip.

An order through the API needs, before any rule runs: whether its client order id was
used, its instrument's id, the account's limits and starting cash, its working orders and
the last minute's, the equity when the day began, whether any protection is in force, and
the account's positions. Each fact is a scalar subquery of one row, joined to the
positions, in a single statement built once: the database is asked once instead of eight
times, and on PostgreSQL each question was a network round trip.

Working orders and the last minute's are not counted here but read from the figures the
database keeps (:mod:`quantdesk.db.models.order_counts`): a count of thousands of resting
orders per new order grew with every one of them. Only the orders of the second in which
the minute starts are counted row by row, to make the minute exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quantdesk.db.models import (
    Instrument,
    Order,
    OrderRate,
    PnlSnapshot,
    Position,
    RiskLock,
    TradingConfig,
    WorkingOrderCount,
)
from quantdesk.db.repositories.pnl import last_before

__all__ = ["AccountFacts", "OrderCheckRepository"]


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """An account as the risk check of a new order sees it; None where nothing is stored."""

    order_id: int | None
    instrument_id: int | None
    limits: dict[str, Any] | None
    initial_cash: Decimal | None
    day_start_equity: Decimal | None
    active_locks: int
    working_orders: int
    recent_orders: int
    positions: tuple[Position, ...]


def _config(column: Any) -> Any:
    return (
        select(column)
        .where(
            TradingConfig.user_id == bindparam("user_id"),
            TradingConfig.mode == bindparam("mode"),
            TradingConfig.account == bindparam("account"),
        )
        .scalar_subquery()
    )


_ONE_ROW = select(
    select(Order.id)
    .where(
        Order.user_id == bindparam("user_id"),
        Order.client_order_id == bindparam("client_order_id"),
    )
    .scalar_subquery(),
    select(Instrument.id)
    .where(Instrument.symbol == bindparam("symbol"), Instrument.exchange == bindparam("exchange"))
    .scalar_subquery(),
    _config(TradingConfig.limits),
    _config(TradingConfig.initial_cash),
    last_before(PnlSnapshot.equity).scalar_subquery(),
    select(func.count())
    .where(
        RiskLock.user_id == bindparam("user_id"),
        RiskLock.released_at.is_(None),
        RiskLock.until > bindparam("now"),
    )
    .scalar_subquery(),
    func.coalesce(
        select(WorkingOrderCount.working)
        .where(
            WorkingOrderCount.user_id == bindparam("user_id"),
            WorkingOrderCount.mode == bindparam("mode"),
        )
        .scalar_subquery(),
        0,
    ),
    func.coalesce(
        select(func.sum(OrderRate.orders))
        .where(
            OrderRate.user_id == bindparam("user_id"),
            OrderRate.epoch_second > bindparam("since_second"),
        )
        .scalar_subquery(),
        0,
    )
    + select(func.count())
    .where(
        Order.user_id == bindparam("user_id"),
        Order.created_at > bindparam("since"),
        Order.created_at < bindparam("since_second_end"),
    )
    .scalar_subquery(),
).subquery("facts")

_FACTS = (
    select(_ONE_ROW, Position)
    .select_from(_ONE_ROW)
    .outerjoin(
        Position,
        and_(
            Position.user_id == bindparam("user_id"),
            Position.mode == bindparam("mode"),
            Position.account == bindparam("account"),
        ),
    )
)


class OrderCheckRepository:
    """The one read that a new order's checks start from."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def facts(
        self,
        *,
        user_id: int,
        mode: str,
        account: str,
        client_order_id: str,
        symbol: str,
        exchange: str,
        day_start: datetime,
        now: datetime,
        since: datetime,
    ) -> AccountFacts:
        """Read every fact at once; ``symbol`` and ``exchange`` already normalised, orders
        created after ``since`` counted as recent."""
        since_second = math.floor(since.timestamp())
        params = {
            "user_id": user_id,
            "mode": mode,
            "account": account,
            "client_order_id": client_order_id,
            "symbol": symbol,
            "exchange": exchange,
            "before": day_start,
            "now": now,
            "since": since,
            "since_second": since_second,
            "since_second_end": datetime.fromtimestamp(since_second + 1, UTC),
        }
        rows = (await self.session.execute(_FACTS, params)).all()
        row = rows[0]
        return AccountFacts(
            order_id=row[0],
            instrument_id=row[1],
            limits=row[2],
            initial_cash=row[3],
            day_start_equity=row[4],
            active_locks=int(row[5]),
            working_orders=int(row[6]),
            recent_orders=int(row[7]),
            positions=tuple(found[8] for found in rows if found[8] is not None),
        )
