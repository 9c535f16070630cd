"""Paper/backtest parity: stored bars replayed through a deployment trade as ``backtest.run``.

The deployment path is the whole of it: replay feed, the strategy's signals on the rolling
history, risk checks, the paper broker's next-open fills, and the fills booked into trades.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from quantdesk.backtest import (
    AllIn,
    BacktestResult,
    Commission,
    FixedQuantity,
    Slippage,
    StopRisk,
    run,
)
from quantdesk.bars import Bars
from quantdesk.db.models import Trade
from quantdesk.runtime import Runtime
from quantdesk.services import market_data
from quantdesk.services.deployments import SizingSpec
from quantdesk.services.instruments import ensure_instrument
from quantdesk.trading.money import as_decimal, quantize
from tests.fixtures.backtest import synthetic_bars
from tests.fixtures.deployment_runs import Desk
from tests.fixtures.orders import eventually
from tests.fixtures.users import MakeUser

pytestmark = pytest.mark.asyncio(loop_scope="session")

PARAMS = {"fast": 5, "slow": 20}
COMMISSION = Commission(fraction=0.001, fixed=1.0)
SLIPPAGE = Slippage(bps=5)
QUANTITY = 10
TradeKey = tuple[datetime, Decimal, datetime | None, Decimal | None, Decimal]


@pytest_asyncio.fixture(loop_scope="session")
async def desk(runtime: Runtime) -> AsyncIterator[Desk]:
    built = Desk(runtime, COMMISSION, SLIPPAGE)
    yield built
    await built.close()


async def _stored(runtime: Runtime, bars: Bars) -> Bars:
    async with runtime.context() as ctx:
        await market_data.store_bars(ctx, bars.symbol, bars)
        return await market_data.load_bars(ctx, bars.symbol, "1m")


def _price(value: float) -> Decimal:
    return quantize(as_decimal(float(value)))


def _moment(value: np.datetime64) -> datetime:
    return value.astype("datetime64[us]").item().replace(tzinfo=UTC)


def _backtest(bars: Bars) -> BacktestResult:
    return run(
        "sma_cross", bars, PARAMS, commission=COMMISSION, slippage=SLIPPAGE,
        size=FixedQuantity(QUANTITY),
    )  # fmt: skip


def _backtest_trades(result: BacktestResult) -> list[TradeKey]:
    closed = [
        (_moment(t["entry_time"]), _price(t["entry_price"]), _moment(t["exit_time"]),
         _price(t["exit_price"]), as_decimal(float(t["quantity"])))
        for t in result.trades
    ]  # fmt: skip
    still_open = [
        (_moment(p["entry_time"]), _price(p["entry_price"]), None, None,
         as_decimal(float(p["quantity"])))
        for p in result.positions
    ]  # fmt: skip
    return closed + still_open


def _backtest_fees(result: BacktestResult) -> list[float]:
    return [float(t["entry_fees"] + t["exit_fees"]) for t in result.trades]


def _paper_trades(rows: list[Trade]) -> list[TradeKey]:
    return [
        (row.entry_time.replace(tzinfo=UTC), row.entry_price,
         row.exit_time.replace(tzinfo=UTC) if row.exit_time else None, row.exit_price,
         row.quantity)
        for row in rows
    ]  # fmt: skip


@pytest.mark.parametrize("seed", [3, 11])
async def test_replayed_deployment_sma_cross_equals_backtest_trades(
    runtime: Runtime, make_user: MakeUser, desk: Desk, seed: int
) -> None:
    bars = await _stored(runtime, synthetic_bars(400, seed=seed, symbol=f"PAR{seed}"))
    result = _backtest(bars)
    expected = _backtest_trades(result)
    user = await make_user()
    deployment_id = await desk.deploy(user, bars.symbol, PARAMS, QUANTITY)

    rows = await _replayed(runtime, desk, deployment_id, expected)

    assert len(expected) > 5
    assert _paper_trades(rows) == expected
    closed_fees = [float(row.fees) for row in rows if row.exit_time is not None]
    np.testing.assert_allclose(closed_fees, _backtest_fees(result), rtol=1e-9)


async def _replayed(
    runtime: Runtime, desk: Desk, deployment_id: int, expected: list[TradeKey]
) -> list[Trade]:
    """Wait for the replay to end and its expected round trips to be booked; return them."""
    await desk.runner.wait(deployment_id)

    async def booked() -> bool:
        async with runtime.context() as ctx:
            statement = select(func.count()).select_from(Trade).where(Trade.exit_time.is_not(None))
            closed = await ctx.session.scalar(statement.where(Trade.deployment_id == deployment_id))
        trades = await desk.trades(deployment_id)
        return closed == sum(1 for t in expected if t[2] is not None) and len(trades) == len(
            expected
        )

    await eventually(booked, seconds=20)
    return await desk.trades(deployment_id)


def _without_gaps(bars: Bars) -> Bars:
    # each bar opens at the previous close, so a close-sized order is the fill-sized one
    opens = np.concatenate((bars.close[:1], bars.close[:-1]))
    return Bars.from_arrays(
        bars.timestamps, opens, np.maximum(bars.high, opens), np.minimum(bars.low, opens),
        bars.close, bars.volume, symbol=bars.symbol, timeframe=bars.timeframe,
    )  # fmt: skip


async def test_replayed_all_in_deployment_with_costs_equals_backtest_all_in(
    runtime: Runtime, make_user: MakeUser, desk: Desk
) -> None:
    bars = await _stored(runtime, _without_gaps(synthetic_bars(400, seed=5, symbol="PARALL")))
    async with runtime.context() as ctx:
        (await ensure_instrument(ctx, bars.symbol)).lot_size = Decimal(1)
    result = run(
        "sma_cross", bars, PARAMS, commission=COMMISSION, slippage=SLIPPAGE, size=AllIn(),
        whole_units=True, initial_cash=100_000.0,
    )  # fmt: skip
    expected = _backtest_trades(result)
    user = await make_user()
    sizing = SizingSpec(all_in=True)
    deployment_id = await desk.deploy(user, bars.symbol, PARAMS, sizing=sizing)

    rows = await _replayed(runtime, desk, deployment_id, expected)

    assert len(expected) > 5
    assert _paper_trades(rows) == expected


async def test_replayed_risk_fraction_deployment_with_costs_equals_backtest_stop_risk(
    runtime: Runtime, make_user: MakeUser, desk: Desk
) -> None:
    bars = await _stored(runtime, synthetic_bars(400, seed=3, symbol="PARRISK"))
    params = {"entry_period": 20, "exit_period": 10, "stop_atr": 10}
    result = run(
        "donchian_breakout", bars, params, commission=COMMISSION, slippage=SLIPPAGE,
        size=StopRisk(0.005), initial_cash=100_000.0,
    )  # fmt: skip
    expected = _backtest_trades(result)
    user = await make_user()
    sizing = SizingSpec(risk_fraction=Decimal("0.005"))
    deployment_id = await desk.deploy(
        user, bars.symbol, params, strategy_type="donchian_breakout", sizing=sizing
    )

    rows = await _replayed(runtime, desk, deployment_id, expected)

    assert len(expected) > 5
    assert set(result.trades["exit_reason"]) == {"signal"}  # a deployment places no stops
    assert _paper_trades(rows) == expected
