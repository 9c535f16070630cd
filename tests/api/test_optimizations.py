"""Optimisations over HTTP: a grid split into chunks equals the library sweep; Optuna; windows."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np

from quantdesk.backtest import sweep
from quantdesk.runtime import Runtime
from quantdesk.services import jobs
from tests.fixtures.backtest_jobs import wait_until_final, wave
from tests.fixtures.stored_bars import StoreDaily
from tests.fixtures.users import SignIn

pytest_plugins = ["tests.fixtures.stored_bars", "tests.fixtures.backtest_jobs"]

URL = "/api/v1/optimizations"
GRID = {"fast": [2, 3, 4, 5], "slow": [8, 12, 16]}


def body(**changes: Any) -> dict[str, Any]:
    return {
        "strategy_type": "sma_cross",
        "symbols": ["WAVE"],
        "timeframe": "1d",
        "method": "grid",
        "grid": GRID,
        "metric": "total_return",
        "chunks": 3,
    } | changes


async def run_to_end(client: httpx.AsyncClient, headers: dict[str, str], **changes: Any) -> Any:
    response = await client.post(URL, json=body(**changes), headers=headers)
    assert response.status_code == 202, response.text
    return await wait_until_final(client, f"{URL}/{response.json()['id']}", headers)


async def test_optimization_grid_in_chunks_equals_library_sweep(
    jobs_client: httpx.AsyncClient,
    jobs_runtime: Runtime,
    sign_in: SignIn,
    store_daily: StoreDaily,
) -> None:
    user = await sign_in()
    bars = await store_daily("WAVE", wave())
    done = await run_to_end(jobs_client, user.headers)
    assert done["status"] == "succeeded", done["error"]
    expected = sweep("sma_cross", bars, GRID, metric="total_return").table
    rows = done["results"]["rows"]
    assert [(r["fast"], r["slow"]) for r in rows] == list(
        zip(expected.fast, expected.slow, strict=False)
    )
    assert np.allclose([r["total_return"] for r in rows], expected.total_return, rtol=1e-9)
    assert done["metrics"]["best"] == {"fast": int(expected.fast[0]), "slow": int(expected.slow[0])}
    heatmap = done["results"]["heatmap"]
    assert (heatmap["x"], heatmap["y"], heatmap["x_values"]) == ("fast", "slow", GRID["fast"])
    async with jobs_runtime.context() as ctx:
        ctx.actor = None
        job = await ctx.session.get(jobs.Job, done["job_id"])
        assert job is not None
        assert job.result == {"backtest_run_id": done["id"], **done["metrics"]}


async def test_optimization_optuna_runs_its_trials(
    jobs_client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("WAVE", wave())
    space = {"fast": {"low": 2, "high": 6}, "slow": {"low": 8, "high": 20}}
    done = await run_to_end(jobs_client, user.headers, method="optuna", space=space, trials=8)
    assert done["status"] == "succeeded", done["error"]
    assert done["results"]["trials"] == 8
    assert 2 <= done["metrics"]["best"]["fast"] <= 6
    values = [row["total_return"] for row in done["results"]["rows"]]
    assert values == sorted(values, reverse=True)


async def test_optimization_walk_forward_reports_windows(
    jobs_client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("WAVE", wave(160))
    done = await run_to_end(
        jobs_client, user.headers, method="walk_forward", train_bars=60, test_bars=30
    )
    assert done["status"] == "succeeded", done["error"]
    assert len(done["results"]["windows"]) == 3
    assert len(done["results"]["equity"]["equity"]) == 90


async def test_optimization_bad_grid_parameter_refused(
    idle_client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("WAVE", wave())
    response = await idle_client.post(URL, json=body(grid={"speed": [1]}), headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "grid"
    assert "speed" in response.json()["error"]["message"]


async def test_optimization_queued_delete_cancels(
    idle_client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("WAVE", wave())
    created = (await idle_client.post(URL, json=body(), headers=user.headers)).json()
    cancelled = await idle_client.delete(f"{URL}/{created['id']}", headers=user.headers)
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert (
        await idle_client.delete(f"{URL}/{created['id']}", headers=user.headers)
    ).status_code == 204
