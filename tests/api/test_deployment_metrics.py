"""A trading deployment's signal-to-accept latency reaches Prometheus at /health/metrics."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.fixtures.deployments import CROSSING_CLOSES, DEPLOYMENTS_URL, create_deployment
from tests.fixtures.orders import eventually
from tests.fixtures.stored_bars import StoreDaily
from tests.fixtures.users import SignIn

pytest_plugins = ["tests.fixtures.stored_bars"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

NAME = "quantdesk_signal_to_accept_seconds"


async def _observed(client: httpx.AsyncClient) -> tuple[float, str]:
    text = (await client.get("/health/metrics")).text
    found = re.search(rf"^{NAME}_count (\S+)$", text, re.MULTILINE)
    assert found is not None, f"{NAME} is not exposed"
    return float(found.group(1)), text


async def test_deployment_trades_observe_signal_to_accept_at_metrics(
    client: httpx.AsyncClient, app: FastAPI, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CROSSING_CLOSES)
    before, _text = await _observed(client)
    deployment_id = (await create_deployment(client, user)).json()["id"]
    await client.post(f"{DEPLOYMENTS_URL}/{deployment_id}/start", headers=user.headers)
    await app.state.deployments.wait(deployment_id)

    async def filled_twice() -> bool:
        listed = await client.get(
            "/api/v1/orders", params={"status": "filled"}, headers=user.headers
        )
        return bool(listed.json()["total"] == 2)

    await eventually(filled_twice)
    after, text = await _observed(client)

    assert after == before + 2  # the entry and the exit, each accepted once
    assert f'{NAME}_bucket{{le="0.001"}}' in text
    assert f"# HELP {NAME} " in text
