"""P&L: snapshots of an account's equity after each fill, daily series and totals.

Cash and equity follow exactly from the account's starting cash and its positions:
``equity = initial cash + realised + unrealised`` and ``cash = initial cash + realised -
cost basis of open positions``. Daily P&L is equity now minus equity at the last snapshot
before the day began (UTC), or the starting cash before any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from quantdesk.db.models import PnlSnapshot
from quantdesk.db.repositories.pnl import PnlRepository
from quantdesk.db.repositories.positions import PositionRepository
from quantdesk.services import events
from quantdesk.services.context import ServiceContext
from quantdesk.services.positions import unrealized
from quantdesk.services.trading_config import account_config, check_mode
from quantdesk.services.users import require_actor
from quantdesk.trading.money import ZERO

__all__ = ["DailyPnl", "PnlReport", "daily_pnl", "pnl_report", "record_snapshot"]


@dataclass(frozen=True, slots=True)
class DailyPnl:
    """One day's closing equity and P&L."""

    day: date
    equity: Decimal
    pnl: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal


@dataclass(frozen=True, slots=True)
class PnlReport:
    """An account's daily series and its totals now."""

    mode: str
    account: str
    initial_cash: Decimal
    equity: Decimal
    cash: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    total_pnl: Decimal
    daily: list[DailyPnl]


@dataclass(frozen=True, slots=True)
class _Books:
    equity: Decimal
    cash: Decimal
    realized: Decimal
    unrealized: Decimal


async def _books(ctx: ServiceContext, user_id: int, mode: str, account: str) -> _Books:
    config = await account_config(ctx, user_id, mode, account)
    rows = await PositionRepository(ctx.session).for_user(user_id, mode=mode)
    mine = [row for row, _symbol in rows if row.account == account]
    realized = sum((row.realized_pnl for row in mine), ZERO)
    open_value = sum((unrealized(row) for row in mine), ZERO)
    basis = sum((row.cost_basis for row in mine), ZERO)
    equity = config.initial_cash + realized + open_value
    return _Books(equity, config.initial_cash + realized - basis, realized, open_value)


async def daily_pnl(
    ctx: ServiceContext, user_id: int, mode: str, account: str, now: datetime
) -> Decimal:
    """Equity now minus equity when ``now``'s UTC day began."""
    books = await _books(ctx, user_id, mode, account)
    return books.equity - await _day_start_equity(ctx, user_id, mode, account, now)


async def _day_start_equity(
    ctx: ServiceContext, user_id: int, mode: str, account: str, now: datetime
) -> Decimal:
    start = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    before = await PnlRepository(ctx.session).last_before(user_id, mode, account, start)
    if before is not None:
        return before.equity
    return (await account_config(ctx, user_id, mode, account)).initial_cash


async def record_snapshot(
    ctx: ServiceContext, user_id: int, mode: str, account: str, at: datetime
) -> PnlSnapshot:
    """Store the account's books at ``at`` (replacing a snapshot of the same moment)."""
    books = await _books(ctx, user_id, mode, account)
    repository = PnlRepository(ctx.session)
    row = await repository.at(user_id, mode, account, at)
    if row is None:
        row = PnlSnapshot(user_id=user_id, mode=mode, account=account, ts=at)
        ctx.session.add(row)
    row.equity, row.cash = books.equity, books.cash
    row.realized_pnl, row.unrealized_pnl = books.realized, books.unrealized
    row.daily_pnl = books.equity - await _day_start_equity(ctx, user_id, mode, account, at)
    await repository.flush()
    events.publish(ctx, "pnl", user_id, "pnl", _payload(row))
    return row


def _payload(row: PnlSnapshot) -> dict[str, str]:
    return {
        "mode": row.mode,
        "account": row.account,
        "ts": row.ts.isoformat(),
        "equity": str(row.equity),
        "cash": str(row.cash),
        "realized_pnl": str(row.realized_pnl),
        "unrealized_pnl": str(row.unrealized_pnl),
        "daily_pnl": str(row.daily_pnl),
    }


async def pnl_report(
    ctx: ServiceContext, *, mode: str = "paper", account: str = "default", days: int = 30
) -> PnlReport:
    """The signed-in user's totals now and the last ``days`` days' closing P&L."""
    user = require_actor(ctx)
    check_mode(mode)
    config = await account_config(ctx, user.id, mode, account)
    books = await _books(ctx, user.id, mode, account)
    since = datetime.now(UTC) - timedelta(days=days)
    snapshots = await PnlRepository(ctx.session).series(user.id, mode, account, None)
    return PnlReport(
        mode=mode,
        account=account,
        initial_cash=config.initial_cash,
        equity=books.equity,
        cash=books.cash,
        realized_pnl=books.realized,
        unrealized_pnl=books.unrealized,
        total_pnl=books.equity - config.initial_cash,
        daily=[d for d in _daily(snapshots, config.initial_cash) if d.day >= since.date()],
    )


def _daily(snapshots: Sequence[PnlSnapshot], start: Decimal) -> list[DailyPnl]:
    closing: dict[date, PnlSnapshot] = {}
    for row in snapshots:
        closing[row.ts.astimezone(UTC).date()] = row
    series, previous = [], start
    for day in sorted(closing):
        row = closing[day]
        pnl = row.equity - previous
        series.append(DailyPnl(day, row.equity, pnl, row.realized_pnl, row.unrealized_pnl))
        previous = row.equity
    return series
