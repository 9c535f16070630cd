"""Deployment drift over HTTP: a replayed deployment's trades next to the backtest of its bars."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from quantdesk.backtest import FixedQuantity, run
from quantdesk.db.models import Instrument, Trade
from quantdesk.runtime import Runtime
from quantdesk.services import market_data
from tests.fixtures.backtest import synthetic_bars
from tests.fixtures.deployment_replays import booked_fills, get_drift, run_to_end
from tests.fixtures.deployments import CROSSING_CLOSES, DEPLOYMENTS_URL, create_deployment
from tests.fixtures.orders import eventually
from tests.fixtures.stored_bars import StoreDaily
from tests.fixtures.users import SignIn

pytest_plugins = ["tests.fixtures.stored_bars"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

PARAMS = {"fast": 5, "slow": 20}


async def test_drift_replayed_deployment_matches_every_backtest_trade(
    client: httpx.AsyncClient, app: FastAPI, runtime: Runtime, sign_in: SignIn
) -> None:
    user = await sign_in()
    bars = synthetic_bars(400, seed=3, symbol="DRIFT")
    async with runtime.context() as ctx:
        await market_data.store_bars(ctx, bars.symbol, bars)
        bars = await market_data.load_bars(ctx, bars.symbol, "1m")
    expected = run("sma_cross", bars, PARAMS, size=FixedQuantity(10), initial_cash=100_000.0)
    body = {"symbols": ["DRIFT"], "timeframe": "1m", "parameters": PARAMS}
    fills = 2 * len(expected.trades) + len(expected.positions)
    deployment_id = await run_to_end(client, app, runtime, user, fills, **body)

    response = await get_drift(client, user, deployment_id)

    assert response.status_code == 200, response.text
    report = response.json()
    count = len(expected.trades) + len(expected.positions)
    assert count > 5
    totals = report["totals"]
    assert (totals["backtest_trades"], totals["live_trades"], totals["matched"]) == (count,) * 3
    assert (totals["missed"], totals["extra"]) == (0, 0)
    assert Decimal(totals["pnl_difference"]) == 0
    assert Decimal(totals["backtest_pnl"]) == pytest.approx(
        Decimal(str(expected.trades["pnl"].sum()))
    )
    assert report["bars"] == len(bars)
    for pair in report["trades"]:
        assert (pair["status"], pair["entry_delta_bars"], pair["entry_delta_seconds"]) == (
            "matched",
            0,
            0,
        )
        assert Decimal(pair["entry_price_difference"]) == 0
        assert pair["pnl_difference"] is None or Decimal(pair["pnl_difference"]) == 0


async def test_drift_entry_blocked_by_risk_limit_is_missed_with_its_pnl(
    client: httpx.AsyncClient,
    app: FastAPI,
    runtime: Runtime,
    sign_in: SignIn,
    store_daily: StoreDaily,
) -> None:
    user = await sign_in()
    for symbol in ("AAPL", "MSFT"):
        await store_daily(symbol, CROSSING_CLOSES)
    profile = {"quantity": "10", "limits": {"allowed_symbols": ["AAPL"]}}
    deployment_id = await run_to_end(
        client, app, runtime, user, 2, symbols=["AAPL", "MSFT"], risk_profile=profile
    )

    report = (await get_drift(client, user, deployment_id)).json()

    by_symbol = {pair["symbol"]: pair for pair in report["trades"]}
    assert [by_symbol["AAPL"]["status"], by_symbol["MSFT"]["status"]] == ["matched", "missed"]
    missed = by_symbol["MSFT"]
    assert missed["live"] is None
    backtest = missed["backtest"]
    pnl = (Decimal(backtest["exit_price"]) - Decimal(backtest["entry_price"])) * 10
    assert Decimal(backtest["pnl"]) == pnl != 0
    assert Decimal(missed["pnl_difference"]) == -pnl
    totals = report["totals"]
    assert (totals["matched"], totals["missed"], totals["extra"]) == (1, 1, 0)
    assert Decimal(totals["pnl_difference"]) == -pnl
    assert Decimal(totals["backtest_pnl"]) - Decimal(totals["live_pnl"]) == pnl


async def test_drift_trade_booked_outside_the_strategy_is_extra(
    client: httpx.AsyncClient,
    app: FastAPI,
    runtime: Runtime,
    sign_in: SignIn,
    store_daily: StoreDaily,
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CROSSING_CLOSES)
    deployment_id = await run_to_end(client, app, runtime, user, 2)
    entry = datetime(2024, 1, 9, tzinfo=UTC)
    async with runtime.context() as ctx:
        instrument = await ctx.session.scalar(select(Instrument).where(Instrument.symbol == "AAPL"))
        assert instrument is not None
        ctx.session.add(
            Trade(
                user_id=user.id, instrument_id=instrument.id, deployment_id=deployment_id,
                side="long", status="closed", account=f"deployment-{deployment_id}",
                quantity=Decimal(10), entry_time=entry, entry_price=Decimal(10),
                exit_time=entry.replace(day=10), exit_price=Decimal("10.5"), pnl=Decimal(5),
            )
        )  # fmt: skip
        await ctx.commit()

    report = (await get_drift(client, user, deployment_id)).json()

    extra = [pair for pair in report["trades"] if pair["status"] == "extra"]
    assert len(extra) == 1
    assert (extra[0]["backtest"], extra[0]["live"]["entry_time"]) == (None, "2024-01-09T00:00:00Z")
    assert Decimal(extra[0]["pnl_difference"]) == 5
    totals = report["totals"]
    assert (totals["matched"], totals["missed"], totals["extra"]) == (1, 0, 1)
    assert Decimal(totals["pnl_difference"]) == 5


async def test_drift_other_users_deployment_is_404(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    owner, intruder = await sign_in(), await sign_in()
    deployment_id = (await create_deployment(client, owner)).json()["id"]
    response = await get_drift(client, intruder, deployment_id)
    assert response.status_code == 404
    assert (await get_drift(client, owner, 999_999)).status_code == 404


async def test_drift_before_it_ran_is_409_saying_start_it(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    deployment_id = (await create_deployment(client, user)).json()["id"]
    response = await get_drift(client, user, deployment_id)
    assert response.status_code == 409
    assert "has not run yet" in response.json()["error"]["message"]


async def test_drift_synthetic_deployment_replays_its_own_bars_and_leaves_stored_ones(
    client: httpx.AsyncClient, runtime: Runtime, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    stored = await store_daily("WALK", CROSSING_CLOSES)
    feed = {"kind": "synthetic", "speed": 86_400 * 100}  # a hundred daily bars a second
    created = await create_deployment(client, user, symbols=["WALK"], feed=feed)
    deployment_id = created.json()["id"]
    url = f"{DEPLOYMENTS_URL}/{deployment_id}"
    await client.post(f"{url}/start", headers=user.headers)

    async def traded() -> bool:
        return await booked_fills(runtime, deployment_id) >= 4

    await eventually(traded, seconds=30)
    assert (await client.post(f"{url}/stop", headers=user.headers)).status_code == 200

    async def settled() -> bool:
        totals = (await get_drift(client, user, deployment_id)).json()["totals"]
        return totals["live_trades"] == totals["backtest_trades"] == totals["matched"]

    await eventually(settled, seconds=20)
    report = (await get_drift(client, user, deployment_id)).json()

    totals = report["totals"]
    assert totals["matched"] >= 2
    assert (totals["missed"], totals["extra"]) == (0, 0)
    assert Decimal(totals["pnl_difference"]) == 0
    assert report["bars"] > len(CROSSING_CLOSES)
    async with runtime.context() as ctx:
        real = await market_data.load_bars(ctx, "WALK", "1d")
    assert (len(real), list(real.close)) == (len(stored), list(stored.close))


async def test_drift_synthetic_deployment_without_a_bar_is_409_naming_the_symbol(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    feed = {"kind": "synthetic", "speed": 1}
    deployment_id = (await create_deployment(client, user, feed=feed, timeframe="1m")).json()["id"]
    url = f"{DEPLOYMENTS_URL}/{deployment_id}"
    await client.post(f"{url}/start", headers=user.headers)
    await client.post(f"{url}/stop", headers=user.headers)
    response = await get_drift(client, user, deployment_id)
    assert response.status_code == 409
    assert response.json()["error"]["details"]["symbol"] == "AAPL"


async def test_drift_period_without_bars_is_409_naming_the_symbol(
    client: httpx.AsyncClient,
    app: FastAPI,
    runtime: Runtime,
    sign_in: SignIn,
    store_daily: StoreDaily,
) -> None:
    user = await sign_in()
    await store_daily("NVDA", CROSSING_CLOSES)
    deployment_id = await run_to_end(client, app, runtime, user, 2, symbols=["NVDA"])
    profile = {"feed": {"kind": "replay", "speed": 1e9, "start": "2024-01-24T00:00:00Z"}}
    await client.patch(f"{DEPLOYMENTS_URL}/{deployment_id}", json=profile, headers=user.headers)
    response = await get_drift(client, user, deployment_id)
    assert response.status_code == 409
    assert response.json()["error"]["details"]["symbol"] == "NVDA"


async def test_drift_stopped_midway_replays_only_to_its_last_bar(
    client: httpx.AsyncClient, runtime: Runtime, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    bars = await store_daily("AMZN", CROSSING_CLOSES)
    feed = {"kind": "replay", "speed": 86_400 * 4}  # a quarter of a second per daily bar
    deployment_id = (await create_deployment(client, user, symbols=["AMZN"], feed=feed)).json()[
        "id"
    ]
    url = f"{DEPLOYMENTS_URL}/{deployment_id}"
    await client.post(f"{url}/start", headers=user.headers)

    async def entered() -> bool:
        return await booked_fills(runtime, deployment_id) == 1

    await eventually(entered, seconds=20)
    assert (await client.post(f"{url}/stop", headers=user.headers)).status_code == 200
    events = (await client.get(f"{url}/events", headers=user.headers)).json()
    last_bar = events[-1]["details"]["last_bar"]

    report = (await get_drift(client, user, deployment_id)).json()

    assert datetime.fromisoformat(report["end"]) == datetime.fromisoformat(last_bar)
    assert report["bars"] < len(bars)
    totals = report["totals"]
    assert (totals["matched"], totals["missed"], totals["extra"]) == (1, 0, 0)
    (pair,) = report["trades"]
    assert (pair["backtest"]["exit_time"], pair["live"]["exit_time"]) == (None, None)
