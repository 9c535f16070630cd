"""Deployments sized by risk or all in: replayed, they trade the backtest's own quantities."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from quantdesk.backtest import AllIn, BacktestResult, StopRisk, run
from quantdesk.bars import Bars
from quantdesk.db.models import Instrument
from quantdesk.runtime import Runtime
from quantdesk.services import market_data
from quantdesk.trading.money import as_decimal
from tests.fixtures.backtest import synthetic_bars
from tests.fixtures.deployment_replays import deployment_trades, get_drift, run_to_end
from tests.fixtures.deployments import CROSSING_CLOSES, create_deployment
from tests.fixtures.stored_bars import StoreDaily
from tests.fixtures.users import SignIn

pytest_plugins = ["tests.fixtures.stored_bars"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

CASH = 100_000.0
# stops ten ATRs away: far enough that none is hit (a deployment does not place stop
# orders), near enough that each entry's quantity follows its own ATR
STOPPED = {"entry_period": 20, "exit_period": 10, "stop_atr": 10}


def _quantities(result: BacktestResult) -> list[Decimal]:
    trades = [*result.trades["quantity"], *result.positions["quantity"]]
    return [as_decimal(float(quantity)) for quantity in trades]


def _fills(result: BacktestResult) -> int:
    return 2 * len(result.trades) + len(result.positions)


def _assert_all_matched(report: dict[str, Any], count: int) -> None:
    totals = report["totals"]
    assert (totals["backtest_trades"], totals["live_trades"], totals["matched"]) == (count,) * 3
    assert (totals["missed"], totals["extra"]) == (0, 0)
    assert Decimal(totals["pnl_difference"]) == 0
    for pair in report["trades"]:
        assert (pair["status"], pair["entry_delta_bars"]) == ("matched", 0)
        assert Decimal(pair["live"]["quantity"]) == Decimal(pair["backtest"]["quantity"])
        assert pair["pnl_difference"] is None or Decimal(pair["pnl_difference"]) == 0


async def _stored(runtime: Runtime, bars: Bars) -> Bars:
    async with runtime.context() as ctx:
        await market_data.store_bars(ctx, bars.symbol, bars)
        return await market_data.load_bars(ctx, bars.symbol, bars.timeframe)


async def test_risk_fraction_deployment_trades_stop_risk_quantities_and_drift_matches(
    client: httpx.AsyncClient, app: FastAPI, runtime: Runtime, sign_in: SignIn
) -> None:
    user = await sign_in()
    bars = await _stored(runtime, synthetic_bars(400, seed=3, symbol="RISKY"))
    expected = run("donchian_breakout", bars, STOPPED, size=StopRisk(0.005), initial_cash=CASH)
    quantities = _quantities(expected)
    assert len(quantities) > 5
    assert len(set(quantities)) > 3  # sized by each entry's own stop distance
    assert set(expected.trades["exit_reason"]) == {"signal"}
    body = {
        "symbols": ["RISKY"], "timeframe": "1m", "strategy_type": "donchian_breakout",
        "parameters": STOPPED, "risk_profile": {"risk_fraction": "0.005"},
    }  # fmt: skip
    deployment_id = await run_to_end(client, app, runtime, user, _fills(expected), **body)

    trades = await deployment_trades(runtime, deployment_id)
    response = await get_drift(client, user, deployment_id)

    assert [trade.quantity for trade in trades] == quantities
    assert response.status_code == 200, response.text
    _assert_all_matched(response.json(), len(quantities))


async def test_all_in_deployment_spends_the_cash_in_whole_lots_and_drift_matches(
    client: httpx.AsyncClient,
    app: FastAPI,
    runtime: Runtime,
    sign_in: SignIn,
    store_daily: StoreDaily,
) -> None:
    user = await sign_in()
    bars = await store_daily("ALLIN", CROSSING_CLOSES)
    async with runtime.context() as ctx:
        statement = select(Instrument).where(Instrument.symbol == "ALLIN")
        instrument = await ctx.session.scalar(statement)
        assert instrument is not None
        instrument.lot_size = Decimal(1)
        await ctx.commit()
    params = {"fast": 2, "slow": 4}
    expected = run("sma_cross", bars, params, size=AllIn(), whole_units=True, initial_cash=CASH)
    (trade,) = expected.trades
    assert trade["quantity"] == CASH // trade["entry_price"]
    body = {"symbols": ["ALLIN"], "risk_profile": {"all_in": True}}
    created = await create_deployment(client, user, **body)
    assert created.json()["risk_profile"]["all_in"] is True
    deployment_id = await run_to_end(client, app, runtime, user, 2, **body)

    (live,) = await deployment_trades(runtime, deployment_id)
    response = await get_drift(client, user, deployment_id)

    assert live.quantity == Decimal(int(trade["quantity"]))
    assert response.status_code == 200, response.text
    _assert_all_matched(response.json(), 1)


@pytest.mark.parametrize(
    ("risk_profile", "field"),
    [
        ({"quantity": "10", "all_in": True}, "all_in"),
        ({"risk_fraction": "0.01", "all_in": True}, "all_in"),
        ({"quantity": "10", "risk_fraction": "0.01"}, "risk_fraction"),
        ({"all_in": False}, "quantity"),
    ],
)
async def test_create_sizing_not_exactly_one_choice_is_422_naming_the_field(
    client: httpx.AsyncClient, sign_in: SignIn, risk_profile: dict[str, Any], field: str
) -> None:
    user = await sign_in()
    response = await create_deployment(client, user, risk_profile=risk_profile)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"]["field"] == field
    assert "all_in" in error["message"]
