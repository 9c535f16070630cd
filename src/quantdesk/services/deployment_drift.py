"""Deployment drift: replay a deployment's period through the backtest and compare trades.

The backtest runs the deployment's saved strategy on the bars it took: the stored bars of
its symbols and timeframe from its replay feed's ``start``, or the bars its synthetic feed
generated (:mod:`quantdesk.services.deployment_bars`), to when it stopped (its last bar
while it runs). It sizes with the backtest rule of the deployment's sizing
(:func:`~quantdesk.services.deployment_sizing.backtest_size`) and uses its paper broker's
fill rules and its account's starting cash. Its trades are paired with the deployment's
stored trades by :func:`quantdesk.trading.drift.match_trades`, with one bar of the
timeframe as tolerance.

A deployment that never started has no drift report (409).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import structlog

from quantdesk.backtest import AllIn, BacktestResult, Sizing, run
from quantdesk.bars import Bars, timeframe_ns
from quantdesk.db.models import Deployment, Instrument, Trade
from quantdesk.db.repositories.deployments import DeploymentRepository
from quantdesk.db.repositories.trades import TradeRepository
from quantdesk.errors import ConflictError, ValidationError
from quantdesk.services import (
    backtests,
    deployment_bars,
    deployments,
    strategies,
    trading_config,
)
from quantdesk.services.context import ServiceContext
from quantdesk.services.deployment_sizing import backtest_size, lot_sizes, rules_of
from quantdesk.services.deployments import FeedSpec, SizingSpec
from quantdesk.services.trading_runtime import TradingEngine
from quantdesk.strategies.registry import get as strategy_class
from quantdesk.trading.drift import DriftPair, DriftTotals, DriftTrade, drift_totals, match_trades
from quantdesk.trading.fills import FillRules
from quantdesk.trading.money import as_decimal, quantize

__all__ = ["DriftReport", "drift_report", "fill_rules"]

logger = structlog.get_logger(__name__)

STOP_EVENTS = ("deployment_stopped", "deployment_failed")


@dataclass(frozen=True, slots=True)
class DriftReport:
    """A deployment's trades next to the backtest of the bars it ran on."""

    deployment_id: int
    symbols: list[str]
    timeframe: str
    start: datetime
    end: datetime
    bars: int
    tolerance: timedelta
    pairs: list[DriftPair]
    totals: DriftTotals
    series: dict[str, Bars]

    def entry_delta_bars(self, pair: DriftPair) -> int | None:
        """How many bars of its symbol the live entry is after (or before) the backtest's."""
        if pair.backtest is None or pair.live is None:
            return None
        stamps = self.series[pair.backtest.symbol].timestamps
        return _bar_index(stamps, pair.live.entry_time) - _bar_index(
            stamps, pair.backtest.entry_time
        )


async def fill_rules(
    ctx: ServiceContext, trading: TradingEngine, user_id: int, mode: str
) -> FillRules:
    """The fill rules of the user's paper broker (made if need be) for ``mode``.

    A live broker is never made for this; one that fills at a real market has no rules and
    gives the defaults (no commission or slippage), so the P&L difference holds the costs.
    """
    if mode == "paper":
        broker: object = await trading.broker(user_id, mode, ctx)
    else:
        broker = trading.brokers().get((user_id, mode))
    return rules_of(broker)


async def _stopped_at(ctx: ServiceContext, row: Deployment) -> datetime | None:
    stops = [
        event
        for event in await DeploymentRepository(ctx.session).events_for(row.id)
        if event.type in STOP_EVENTS
    ]
    last = stops[-1].details.get("last_bar") if stops else None
    return datetime.fromisoformat(last) if last else row.stopped_at


async def drift_report(
    ctx: ServiceContext,
    deployment_id: int,
    trading: TradingEngine,
    *,
    last_bar: datetime | None = None,
) -> DriftReport:
    """Backtest the period one of the signed-in user's deployments ran and pair the trades.

    ``last_bar`` is the last bar a running deployment took (the runner knows it); a stopped
    one's is on its stop event. Without either the replay goes to the last stored bar
    before it stopped.

    Raises:
        NotFoundError: The deployment does not exist or is someone else's.
        ConflictError: It has not run yet, or a symbol has fewer than two bars in its
            period.
    """
    row = await deployments.get_deployment(ctx, deployment_id)
    _check_started(row)
    feed = FeedSpec.of(row.feed)
    end = last_bar if row.status == "running" else await _stopped_at(ctx, row)
    series = await _series(ctx, row, feed, end)
    rules = await fill_rules(ctx, trading, row.user_id, row.mode)
    result = await _backtest(ctx, row, series, rules)
    live = await _live_trades(ctx, row)
    tolerance = timedelta(microseconds=timeframe_ns(row.timeframe) // 1_000)
    pairs = match_trades(_backtest_trades(result, rules), live, tolerance)
    logger.info("deployment_drift_computed", deployment_id=row.id, pairs=len(pairs))
    return DriftReport(
        deployment_id=row.id,
        symbols=list(row.symbols),
        timeframe=row.timeframe,
        start=min(_stamp(bars.timestamps[0]) for bars in series.values()),
        end=max(_stamp(bars.timestamps[-1]) for bars in series.values()),
        bars=sum(len(bars) for bars in series.values()),
        tolerance=tolerance,
        pairs=pairs,
        totals=drift_totals(pairs),
        series=series,
    )


def _check_started(row: Deployment) -> None:
    if row.started_at is None:
        raise ConflictError(
            f"deployment {row.id} has not run yet; start it, then its drift can be computed",
            details={"deployment_id": row.id, "status": row.status},
        )


async def _series(
    ctx: ServiceContext, row: Deployment, feed: FeedSpec, end: datetime | None
) -> dict[str, Bars]:
    try:
        if feed.kind == "synthetic":
            return await deployment_bars.load_series(ctx, row, end)
        return await backtests.load_series(ctx, row.symbols, row.timeframe, feed.start, end)
    except ValidationError as error:
        raise ConflictError(
            f"deployment {row.id} has no bars to replay: {error.message}",
            details={"deployment_id": row.id} | error.details,
        ) from None


async def _backtest(
    ctx: ServiceContext,
    row: Deployment,
    series: dict[str, Bars],
    rules: FillRules,
) -> BacktestResult:
    saved = await strategies.get_strategy(ctx, row.strategy_id)
    account = await trading_config.account_config(ctx, row.user_id, row.mode, row.account)
    strategy = strategy_class(saved.type)(saved.parameters)
    size = backtest_size(SizingSpec.of(row.risk_profile))
    return await asyncio.to_thread(
        run,
        strategy,
        series,
        initial_cash=float(account.initial_cash),
        commission=rules.commission,
        slippage=rules.slippage,
        intrabar=rules.intrabar,
        size=size,
        whole_units=await _whole_units(ctx, row, size),
    )


async def _whole_units(ctx: ServiceContext, row: Deployment, size: Sizing) -> bool:
    # a deployment all in buys whole lots of an instrument that has a lot size
    if not isinstance(size, AllIn):
        return False
    return any(lot is not None for lot in (await lot_sizes(ctx, row.symbols)).values())


def _backtest_trades(result: BacktestResult, rules: FillRules) -> list[DriftTrade]:
    closed = [_closed(t, rules) for t in result.trades]
    still_open = [
        DriftTrade(
            symbol=str(p["symbol"]),
            side="long" if p["side"] > 0 else "short",
            entry_time=_moment(p["entry_time"]),
            entry_price=_money(p["entry_price"]),
            exit_time=None,
            exit_price=None,
            quantity=as_decimal(float(p["quantity"])),
            pnl=None,
        )
        for p in result.positions
    ]
    return closed + still_open


def _closed(trade: np.void, rules: FillRules) -> DriftTrade:
    # P&L in Decimal from the fill prices and fees, as the paper broker books it, so a
    # faithful replay differs by exactly zero rather than by float rounding
    quantity = as_decimal(float(trade["quantity"]))
    entry, exit_ = _money(trade["entry_price"]), _money(trade["exit_price"])
    sign = 1 if trade["side"] > 0 else -1
    fees = quantize(rules.fees(quantity, entry)) + quantize(rules.fees(quantity, exit_))
    return DriftTrade(
        symbol=str(trade["symbol"]),
        side="long" if sign > 0 else "short",
        entry_time=_moment(trade["entry_time"]),
        entry_price=entry,
        exit_time=_moment(trade["exit_time"]),
        exit_price=exit_,
        quantity=quantity,
        pnl=quantize(sign * (exit_ - entry) * quantity - fees),
    )


async def _live_trades(ctx: ServiceContext, row: Deployment) -> list[DriftTrade]:
    rows = await TradeRepository(ctx.session).for_deployment(row.id)
    symbols: dict[int, str] = {}
    for trade in rows:
        if trade.instrument_id not in symbols:
            instrument = await ctx.session.get(Instrument, trade.instrument_id)
            symbols[trade.instrument_id] = instrument.symbol if instrument else "?"
    return [
        _live(trade, symbols[trade.instrument_id]) for trade in rows if trade.account == row.account
    ]


def _live(trade: Trade, symbol: str) -> DriftTrade:
    closed = trade.exit_time is not None
    return DriftTrade(
        symbol=symbol,
        side=trade.side,
        entry_time=_aware(trade.entry_time),
        entry_price=trade.entry_price,
        exit_time=_aware(trade.exit_time) if trade.exit_time is not None else None,
        exit_price=trade.exit_price if closed else None,
        quantity=trade.quantity,
        pnl=trade.pnl if closed else None,
    )


def _bar_index(stamps: np.ndarray, moment: datetime) -> int:
    nanoseconds = int(moment.timestamp() * 1_000_000) * 1_000
    return int(np.searchsorted(stamps, nanoseconds, side="right")) - 1


def _money(value: float) -> Decimal:
    return quantize(as_decimal(float(value)))


def _moment(value: np.datetime64) -> datetime:
    moment: datetime = value.astype("datetime64[us]").item()
    return moment.replace(tzinfo=UTC)


def _stamp(nanoseconds: np.int64) -> datetime:
    return _moment(np.datetime64(int(nanoseconds), "ns"))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
