"""Backtests over HTTP: submit, poll, metrics, trades, equity, cancel, delete, failures."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np

from quantdesk.backtest import run
from tests.fixtures.backtest_jobs import wait_until_final, wave
from tests.fixtures.stored_bars import StoreDaily
from tests.fixtures.users import SignIn

pytest_plugins = ["tests.fixtures.stored_bars", "tests.fixtures.backtest_jobs"]

URL = "/api/v1/backtests"
PARAMS = {"fast": 3, "slow": 12}


def body(**changes: Any) -> dict[str, Any]:
    return {
        "strategy_type": "sma_cross",
        "parameters": PARAMS,
        "symbols": ["WAVE"],
        "timeframe": "1d",
        "options": {"commission": 0.001},
    } | changes


async def finished(
    client: httpx.AsyncClient, headers: dict[str, str], **changes: Any
) -> dict[str, Any]:
    response = await client.post(URL, json=body(**changes), headers=headers)
    assert response.status_code == 202, response.text
    return await wait_until_final(client, f"{URL}/{response.json()['id']}", headers)


def same(left: float | None, right: float) -> bool:
    if left is None:
        return not np.isfinite(right)
    return bool(np.isclose(left, right, rtol=1e-9, atol=1e-12))


async def test_backtest_submitted_succeeds_with_library_metrics(
    jobs_client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    bars = await store_daily("WAVE", wave())
    response = await jobs_client.post(URL, json=body(), headers=user.headers)
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["metrics"]) == ("queued", None)
    done = await wait_until_final(jobs_client, f"{URL}/{response.json()['id']}", user.headers)
    assert (done["status"], done["progress"], done["error"]) == ("succeeded", 100.0, None)
    expected = run("sma_cross", bars, PARAMS, commission=0.001).metrics.to_dict()
    for name in ("total_return", "sharpe", "max_drawdown", "number_of_trades", "win_rate"):
        assert same(done["metrics"][name], expected[name]), name
    benchmark = done["metrics"]["benchmark"]["total_return"]
    assert same(benchmark, expected["benchmark"]["total_return"])


async def test_backtest_trades_and_equity_match_library_result(
    jobs_client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    bars = await store_daily("WAVE", wave())
    done = await finished(jobs_client, user.headers)
    result = run("sma_cross", bars, PARAMS, commission=0.001)
    trades = await jobs_client.get(
        f"{URL}/{done['id']}/trades", params={"limit": 2, "offset": 1}, headers=user.headers
    )
    assert trades.json()["total"] == len(result.trades) >= 3
    assert [t["pnl"] for t in trades.json()["items"]] == result.trades["pnl"][1:3].tolist()
    curve = (await jobs_client.get(f"{URL}/{done['id']}/equity", headers=user.headers)).json()
    assert curve["equity"] == result.equity.tolist()
    assert curve["timestamps"][0] == bars.timestamps[0] // 1_000_000


async def test_backtest_equity_downsampled_keeps_first_last_and_extremes(
    jobs_client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("WAVE", wave(300))
    done = await finished(jobs_client, user.headers)
    url = f"{URL}/{done['id']}/equity"
    full = (await jobs_client.get(url, headers=user.headers)).json()
    small = (await jobs_client.get(url, params={"points": 20}, headers=user.headers)).json()
    assert small["total_points"] == full["points"] == 300
    assert 2 < small["points"] <= 20
    assert small["timestamps"][0] == full["timestamps"][0]
    assert small["timestamps"][-1] == full["timestamps"][-1]
    assert max(small["equity"]) == max(full["equity"])
    assert min(small["equity"]) == min(full["equity"])


async def test_backtest_saved_strategy_runs_with_its_symbols_and_overrides(
    jobs_client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    bars = await store_daily("WAVE", wave())
    saved = await jobs_client.post(
        "/api/v1/strategies",
        json={"name": "waves", "type": "sma_cross", "parameters": PARAMS, "symbols": ["wave"]},
        headers=user.headers,
    )
    sent = {"strategy_id": saved.json()["id"], "parameters": {"slow": 15}}
    response = await jobs_client.post(URL, json=sent, headers=user.headers)
    assert response.status_code == 202, response.text
    done = await wait_until_final(jobs_client, f"{URL}/{response.json()['id']}", user.headers)
    assert done["parameters"] == {"fast": 3, "slow": 15}
    assert done["symbols"] == ["WAVE"]
    expected = run("sma_cross", bars, {"fast": 3, "slow": 15}).metrics.performance.total_return
    assert same(done["metrics"]["total_return"], expected)


async def test_backtest_symbol_without_bars_refused_naming_it(
    idle_client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await idle_client.post(URL, json=body(symbols=["NOPE"]), headers=user.headers)
    assert response.status_code == 422
    assert "NOPE" in response.json()["error"]["message"]
    assert response.json()["error"]["details"]["field"] == "symbols"


async def test_backtest_bad_parameter_refused_naming_it(
    idle_client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("WAVE", wave())
    sent = body(parameters={"fast": 0, "slow": 12})
    response = await idle_client.post(URL, json=sent, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["parameter"] == "fast"


async def test_backtest_unknown_option_refused(
    idle_client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await idle_client.post(
        URL, json=body(options={"leverage_x": 2}), headers=user.headers
    )
    assert response.status_code == 422
    assert "options" in response.json()["error"]["message"]


async def test_backtest_queued_delete_cancels_then_delete_removes(
    idle_client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("WAVE", wave())
    created = (await idle_client.post(URL, json=body(), headers=user.headers)).json()
    cancelled = await idle_client.delete(f"{URL}/{created['id']}", headers=user.headers)
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    job = await idle_client.get(f"/api/v1/jobs/{created['job_id']}", headers=user.headers)
    assert job.json()["status"] == "cancelled"
    trades = await idle_client.get(f"{URL}/{created['id']}/trades", headers=user.headers)
    assert trades.status_code == 409
    deleted = await idle_client.delete(f"{URL}/{created['id']}", headers=user.headers)
    assert deleted.status_code == 204
    gone = await idle_client.get(f"{URL}/{created['id']}", headers=user.headers)
    assert gone.status_code == 404


async def test_backtest_list_newest_first(
    idle_client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("WAVE", wave())
    ids = [
        (await idle_client.post(URL, json=body(name=f"run {n}"), headers=user.headers)).json()["id"]
        for n in range(3)
    ]
    listed = (await idle_client.get(URL, headers=user.headers)).json()
    assert [item["id"] for item in listed["items"]] == ids[::-1]
    assert listed["total"] == 3
    assert listed["items"][0]["status"] == "queued"
