"""P&L: snapshots of an account's equity after each fill, daily series and totals.

Cash and equity follow exactly from the account's starting cash and its positions:
``equity = initial cash + realised + unrealised`` and ``cash = initial cash + realised -
cost basis of open positions``. Daily P&L is equity now minus equity at the last snapshot
before the day began (UTC), or the starting cash before any.

A report without an account covers every account of the mode (the default one, each
deployment's ``deployment-{id}`` and any other traded or configured): its totals are the
accounts' sums and its daily series adds each day's P&L across them, an account without a
snapshot that day standing at its last close.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from quantdesk.db.models import PnlSnapshot, Position
from quantdesk.db.repositories.pnl import PnlRepository
from quantdesk.db.repositories.positions import PositionRepository
from quantdesk.services import events
from quantdesk.services.context import ServiceContext
from quantdesk.services.positions import unrealized
from quantdesk.services.trading_config import (
    AccountConfig,
    account_config,
    accounts,
    check_mode,
)
from quantdesk.services.users import require_actor
from quantdesk.trading.money import ZERO

__all__ = [
    "AccountPnl",
    "DailyPnl",
    "PnlReport",
    "daily_pnl",
    "day_start",
    "pnl_report",
    "record_snapshot",
]


@dataclass(frozen=True, slots=True)
class DailyPnl:
    """One day's closing equity and P&L."""

    day: date
    equity: Decimal
    pnl: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal


@dataclass(frozen=True, slots=True)
class AccountPnl:
    """One account's totals now; exposure values positions at their last price."""

    account: str
    initial_cash: Decimal
    equity: Decimal
    cash: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    total_pnl: Decimal
    net_exposure: Decimal
    gross_exposure: Decimal


@dataclass(frozen=True, slots=True)
class PnlReport:
    """One account's or every account's daily series and totals now, with each account's."""

    mode: str
    account: str | None
    initial_cash: Decimal
    equity: Decimal
    cash: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    total_pnl: Decimal
    net_exposure: Decimal
    gross_exposure: Decimal
    daily: list[DailyPnl]
    accounts: list[AccountPnl]


def day_start(now: datetime) -> datetime:
    """Midnight UTC of ``now``'s day: where daily P&L counts from."""
    return datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)


def daily_pnl(
    config: AccountConfig, positions: Sequence[Position], day_start_equity: Decimal | None
) -> Decimal:
    """Equity of ``positions`` now minus the equity when the day began, which is the last
    snapshot before midnight UTC or, before any, the starting cash."""
    return _since_day_start(_account_pnl(config, positions), day_start_equity)


def _since_day_start(books: AccountPnl, day_start_equity: Decimal | None) -> Decimal:
    start = books.initial_cash if day_start_equity is None else day_start_equity
    return books.equity - start


async def record_snapshot(
    ctx: ServiceContext, user_id: int, mode: str, account: str, at: datetime
) -> PnlSnapshot:
    """Store the account's books at ``at`` (replacing a snapshot of the same moment)."""
    config = await account_config(ctx, user_id, mode, account)
    books = _account_pnl(
        config, await PositionRepository(ctx.session).in_account(user_id, mode, account)
    )
    repository = PnlRepository(ctx.session)
    before = await repository.last_before(user_id, mode, account, day_start(at))
    row = await repository.at(user_id, mode, account, at)
    if row is None:
        row = PnlSnapshot(user_id=user_id, mode=mode, account=account, ts=at)
        ctx.session.add(row)
    row.equity, row.cash = books.equity, books.cash
    row.realized_pnl, row.unrealized_pnl = books.realized_pnl, books.unrealized_pnl
    row.daily_pnl = _since_day_start(books, before.equity if before is not None else None)
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
    ctx: ServiceContext, *, mode: str = "paper", account: str | None = None, days: int = 30
) -> PnlReport:
    """The signed-in user's totals now and the last ``days`` days' closing P&L, of one
    account or, when ``account`` is None, of every account of ``mode`` together."""
    user = require_actor(ctx)
    check_mode(mode)
    rows = await PositionRepository(ctx.session).for_user(user.id, mode=mode, account=account)
    held: dict[str, list[Position]] = {}
    for row, _symbol in rows:
        held.setdefault(row.account, []).append(row)
    names = [account] if account is not None else await _accounts(ctx, user.id, mode, held)
    configs = [await account_config(ctx, user.id, mode, name) for name in names]
    snapshots: dict[str, list[PnlSnapshot]] = {}
    for snapshot in await PnlRepository(ctx.session).series(user.id, mode, account, None):
        snapshots.setdefault(snapshot.account, []).append(snapshot)
    totals = [_account_pnl(config, held.get(config.account, [])) for config in configs]
    whole = _summed(totals)
    daily = _combined(
        [(c.initial_cash, _daily(snapshots.get(c.account, []), c.initial_cash)) for c in configs]
    )
    since = (datetime.now(UTC) - timedelta(days=days)).date()
    return PnlReport(
        mode=mode,
        account=account,
        initial_cash=whole.initial_cash,
        equity=whole.equity,
        cash=whole.cash,
        realized_pnl=whole.realized_pnl,
        unrealized_pnl=whole.unrealized_pnl,
        total_pnl=whole.total_pnl,
        net_exposure=whole.net_exposure,
        gross_exposure=whole.gross_exposure,
        daily=[d for d in daily if d.day >= since],
        accounts=totals,
    )


def _summed(totals: Sequence[AccountPnl]) -> AccountPnl:
    def total(name: str) -> Decimal:
        return sum((getattr(one, name) for one in totals), ZERO)

    return AccountPnl("", *(total(field.name) for field in fields(AccountPnl)[1:]))


async def _accounts(
    ctx: ServiceContext, user_id: int, mode: str, held: dict[str, list[Position]]
) -> list[str]:
    # positions add accounts that manual orders named without saving limits for them
    return sorted({*await accounts(ctx, user_id, mode), *held})


def _account_pnl(config: AccountConfig, rows: Sequence[Position]) -> AccountPnl:
    realized = sum((row.realized_pnl for row in rows), ZERO)
    open_value = sum((unrealized(row) for row in rows), ZERO)
    values = [row.quantity * (row.last_price or ZERO) for row in rows]
    equity = config.initial_cash + realized + open_value
    return AccountPnl(
        account=config.account,
        initial_cash=config.initial_cash,
        equity=equity,
        cash=config.initial_cash + realized - sum((row.cost_basis for row in rows), ZERO),
        realized_pnl=realized,
        unrealized_pnl=open_value,
        total_pnl=equity - config.initial_cash,
        net_exposure=sum(values, ZERO),
        gross_exposure=sum((abs(value) for value in values), ZERO),
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


def _combined(series: Sequence[tuple[Decimal, Sequence[DailyPnl]]]) -> list[DailyPnl]:
    # each account stands at its last close (or its starting cash) on days it has no snapshot
    by_day = [{d.day: d for d in one} for _start, one in series]
    standing = [(start, ZERO, ZERO) for start, _one in series]
    combined = []
    for day in sorted({day for closes in by_day for day in closes}):
        pnl = ZERO
        for index, closes in enumerate(by_day):
            if (close := closes.get(day)) is not None:
                pnl += close.pnl
                standing[index] = (close.equity, close.realized_pnl, close.unrealized_pnl)
        equity, realized, open_value = (sum(column, ZERO) for column in zip(*standing, strict=True))
        combined.append(DailyPnl(day, equity, pnl, realized, open_value))
    return combined
