"""Backtests over HTTP: submit, poll, metrics, trades, equity, cancel, delete, failures."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

from quantdesk.backtest import run
from quantdesk.runtime import Runtime
from quantdesk.services import jobs
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


async def finished(client: httpx.AsyncClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = await client.post(URL, json=body(**changes), headers=headers)
    assert response.status_code == 202, response.text
    return await wait_until_final(client, f"{URL}/{response.json()['id']}", headers)


def close_enough(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and not np.isfinite(right) if left is None else False
    return bool(np.isclose(left, right, rtol=1e-9, atol=1e-12))


async def test_backtest_submitted_succeeds_with_library_metrics(
    jobs_client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    bars = await store_daily("WAVE", wave())
    response = await jobs_client.post(URL, json=body(), headers=user.headers)
    assert response.status_code == 202
    assert response.json()["status"] == "queued" and response.json()["metrics"] is None
    done = await wait_until_final(jobs_client, f"{URL}/{response.json()['id']}", user.headers)
    assert (done["status"], done["progress"], done["error"]) == ("succeeded", 100.0, None)
    expected = run("sma_cross", bars, PARAMS, commission=0.001).metrics.to_dict()
    for name in ("total_return", "sharpe", "max_drawdown", "number_of_trades", "win_rate"):
        assert close_enough(done["metrics"][name], expected[name]), name
    assert close_enough(done["metrics"]["benchmark"]["total_return"], expected["benchmark"]["total_return"])
