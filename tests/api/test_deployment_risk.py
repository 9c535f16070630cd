"""A paper deployment's orders are checked against the paper book, and refused as the API does.

The deployment checks its order against the paper broker's own book and the account's
limits read before the bar's signal; the same order sent through POST /orders is checked
against the stored book. Both must refuse it by the same rule with the same numbers.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from quantdesk.db.models import Signal
from quantdesk.runtime import Runtime
from tests.fixtures.deployments import CROSSING_CLOSES, DEPLOYMENTS_URL, create_deployment
from tests.fixtures.orders import eventually
from tests.fixtures.stored_bars import StoreDaily
from tests.fixtures.users import SignedInUser, SignIn

pytest_plugins = ["tests.fixtures.stored_bars"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

# a daily bar every 0.25 s: time to switch the kill switch on between entry and exit
SLOW_DAILY = 86_400 / 0.25


async def _refusals(
    client: httpx.AsyncClient, user: SignedInUser, deployment_id: int
) -> list[dict[str, Any]]:
    url = f"{DEPLOYMENTS_URL}/{deployment_id}/events"
    events = (await client.get(url, headers=user.headers)).json()
    return [event for event in events if event["type"] == "order_refused"]


async def _api_refusal(
    client: httpx.AsyncClient, user: SignedInUser, deployment_id: int, side: str
) -> dict[str, Any]:
    body = {
        "client_order_id": f"api-{side}",
        "symbol": "AAPL",
        "side": side,
        "quantity": "10",
        "account": f"deployment-{deployment_id}",
    }
    response = await client.post("/api/v1/orders", json=body, headers=user.headers)
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "risk_rejected"
    return error


async def test_paper_deployment_entry_over_max_open_orders_is_refused_as_by_the_api(
    client: httpx.AsyncClient, app: FastAPI, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CROSSING_CLOSES)
    profile = {"quantity": "10", "limits": {"max_open_orders": 0}}
    deployment_id = (await create_deployment(client, user, risk_profile=profile)).json()["id"]
    await client.post(f"{DEPLOYMENTS_URL}/{deployment_id}/start", headers=user.headers)
    await app.state.deployments.wait(deployment_id)
    refused = await _refusals(client, user, deployment_id)
    assert len(refused) == 1
    details = refused[0]["details"]
    assert (details["rule"], details["limit"], details["actual"]) == ("max_open_orders", "0", "1")
    assert details["action"] == "BUY"
    error = await _api_refusal(client, user, deployment_id, "buy")
    assert error["details"] == {key: details[key] for key in ("rule", "limit", "actual")}
    assert error["message"] == refused[0]["message"]
    listed = await client.get("/api/v1/orders", headers=user.headers)
    assert listed.json()["total"] == 0


async def test_paper_deployment_exit_after_kill_switch_between_bars_is_refused_as_by_the_api(
    client: httpx.AsyncClient,
    app: FastAPI,
    runtime: Runtime,
    sign_in: SignIn,
    store_daily: StoreDaily,
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CROSSING_CLOSES)
    feed = {"kind": "replay", "speed": SLOW_DAILY}
    deployment_id = (await create_deployment(client, user, feed=feed)).json()["id"]
    await client.post(f"{DEPLOYMENTS_URL}/{deployment_id}/start", headers=user.headers)

    async def entered() -> bool:
        listed = await client.get("/api/v1/orders", headers=user.headers)
        return bool(listed.json()["total"] == 1)

    await eventually(entered)
    account = f"deployment-{deployment_id}"
    body = {"account": account, "limits": {"kill_switch": True}}
    switched = await client.put("/api/v1/trading/config", json=body, headers=user.headers)
    assert switched.status_code == 200, switched.text
    await app.state.deployments.wait(deployment_id)
    refused = await _refusals(client, user, deployment_id)
    assert [(event["details"]["rule"], event["details"]["action"]) for event in refused] == [
        ("kill_switch", "SELL")
    ]
    error = await _api_refusal(client, user, deployment_id, "sell")
    assert error["details"] == {"rule": "kill_switch"}
    assert error["message"] == refused[0]["message"]
    orders = (await client.get("/api/v1/orders", headers=user.headers)).json()["items"]
    assert [order["side"] for order in orders] == ["buy"]
    async with runtime.context() as ctx:
        statement = select(Signal).where(Signal.deployment_id == deployment_id).order_by(Signal.ts)
        signals = [(row.action, row.status) for row in await ctx.session.scalars(statement)]
    assert signals == [("BUY", "executed"), ("SELL", "rejected")]
