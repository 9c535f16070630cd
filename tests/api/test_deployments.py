"""Deployments over HTTP: create, validate, start on replayed bars, trade, stop, delete."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from quantdesk.db.models import Signal
from quantdesk.runtime import Runtime
from tests.fixtures.deployments import (
    CROSSING_CLOSES,
    DEPLOYMENTS_URL,
    create_deployment,
    deployment_body,
)
from tests.fixtures.orders import eventually
from tests.fixtures.stored_bars import StoreDaily
from tests.fixtures.users import SignedInUser, SignIn

pytest_plugins = ["tests.fixtures.stored_bars"]
pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _get(client: httpx.AsyncClient, user: SignedInUser, path: str = "") -> httpx.Response:
    return await client.get(f"{DEPLOYMENTS_URL}{path}", headers=user.headers)


async def test_create_inline_strategy_is_pending_with_saved_strategy(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await create_deployment(client, user)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["mode"], body["symbols"]) == ("pending", "paper", ["AAPL"])
    assert body["risk_profile"]["quantity"] == "10"
    strategy = await client.get(f"/api/v1/strategies/{body['strategy_id']}", headers=user.headers)
    assert strategy.json()["parameters"]["fast"] == 2


async def test_create_live_without_broker_is_422_naming_ib(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await create_deployment(client, user, mode="live", broker="ib")
    assert response.status_code == 422
    assert "(IB)" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "risk_profile",
    [
        {"quantity": "10", "risk_fraction": "0.01"},
        {},
        {"quantity": "1", "limits": {"max_open_orders": -1}},
    ],
)
async def test_create_bad_risk_profile_is_422(
    client: httpx.AsyncClient, sign_in: SignIn, risk_profile: dict[str, object]
) -> None:
    user = await sign_in()
    response = await create_deployment(client, user, risk_profile=risk_profile)
    assert response.status_code == 422


async def test_create_both_strategy_id_and_type_is_422(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await create_deployment(client, user, strategy_id=1)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "strategy_id"


async def test_start_replay_trades_entry_and_exit_then_stops_at_feed_end(
    client: httpx.AsyncClient,
    app: FastAPI,
    runtime: Runtime,
    sign_in: SignIn,
    store_daily: StoreDaily,
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CROSSING_CLOSES)
    deployment_id = (await create_deployment(client, user)).json()["id"]
    started = await client.post(f"{DEPLOYMENTS_URL}/{deployment_id}/start", headers=user.headers)
    assert started.status_code == 200, started.text
    await app.state.deployments.wait(deployment_id)

    async def filled_twice() -> bool:
        listed = await client.get(
            "/api/v1/orders", params={"status": "filled"}, headers=user.headers
        )
        return bool(listed.json()["total"] == 2)

    await eventually(filled_twice)
    orders = (await client.get("/api/v1/orders", headers=user.headers)).json()["items"]
    assert sorted(order["side"] for order in orders) == ["buy", "sell"]
    assert {order["deployment_id"] for order in orders} == {deployment_id}
    body = (await _get(client, user, f"/{deployment_id}")).json()
    assert body["status"] == "stopped"
    kinds = [
        event["type"] for event in (await _get(client, user, f"/{deployment_id}/events")).json()
    ]
    assert kinds == ["deployment_started", "deployment_stopped"]
    async with runtime.context() as ctx:
        statement = select(Signal).where(Signal.deployment_id == deployment_id).order_by(Signal.ts)
        signals = [(row.action, row.status) for row in await ctx.session.scalars(statement)]
    assert signals == [("BUY", "executed"), ("SELL", "executed")]


async def test_start_twice_is_409_and_stop_marks_stopped(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    body = deployment_body(feed={"kind": "synthetic", "speed": 1}, timeframe="1m")
    created = await client.post(DEPLOYMENTS_URL, json=body, headers=user.headers)
    url = f"{DEPLOYMENTS_URL}/{created.json()['id']}"
    assert (await client.post(f"{url}/start", headers=user.headers)).json()["status"] == "running"
    assert (await client.post(f"{url}/start", headers=user.headers)).status_code == 409
    assert (await client.delete(url, headers=user.headers)).status_code == 409
    stopped = await client.post(f"{url}/stop", headers=user.headers)
    assert stopped.json()["status"] == "stopped"
    assert (await client.delete(url, headers=user.headers)).status_code == 204
    assert (await client.get(url, headers=user.headers)).status_code == 404


async def test_start_replay_without_stored_bars_is_422_naming_symbol_and_stays_pending(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    deployment_id = (await create_deployment(client, user, symbols=["NOBARS"])).json()["id"]
    started = await client.post(f"{DEPLOYMENTS_URL}/{deployment_id}/start", headers=user.headers)
    assert started.status_code == 422
    assert started.json()["error"]["details"]["symbol"] == "NOBARS"
    assert (await _get(client, user, f"/{deployment_id}")).json()["status"] == "pending"


async def test_update_pending_changes_sizing_and_keeps_feed(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    deployment_id = (await create_deployment(client, user)).json()["id"]
    body = {"risk_profile": {"risk_fraction": "0.02"}, "symbols": ["msft"]}
    response = await client.patch(
        f"{DEPLOYMENTS_URL}/{deployment_id}", json=body, headers=user.headers
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["symbols"] == ["MSFT"]
    assert (updated["risk_profile"]["risk_fraction"], updated["risk_profile"]["quantity"]) == (
        "0.02",
        None,
    )
    assert updated["feed"]["speed"] == 1e9
    assert "feed" not in updated["risk_profile"]


@pytest.mark.parametrize("action", ["start", "stop"])
async def test_start_stop_other_users_deployment_is_404(
    client: httpx.AsyncClient, sign_in: SignIn, action: str
) -> None:
    owner, intruder = await sign_in(), await sign_in()
    deployment_id = (await create_deployment(client, owner)).json()["id"]
    url = f"{DEPLOYMENTS_URL}/{deployment_id}/{action}"
    assert (await client.post(url, headers=intruder.headers)).status_code == 404
    assert (await _get(client, owner, f"/{deployment_id}")).json()["status"] == "pending"


async def test_start_entry_refused_by_risk_limit_records_rejected_signal_and_event(
    client: httpx.AsyncClient, app: FastAPI, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CROSSING_CLOSES)
    profile = {"quantity": "10", "limits": {"allowed_symbols": ["MSFT"]}}
    deployment_id = (await create_deployment(client, user, risk_profile=profile)).json()["id"]
    await client.post(f"{DEPLOYMENTS_URL}/{deployment_id}/start", headers=user.headers)
    await app.state.deployments.wait(deployment_id)
    events = (await _get(client, user, f"/{deployment_id}/events")).json()
    refused = [event for event in events if event["type"] == "order_refused"]
    assert len(refused) == 1
    assert (refused[0]["severity"], refused[0]["details"]["action"]) == ("warning", "BUY")
    assert "AAPL" in refused[0]["message"]
    listed = await client.get("/api/v1/orders", headers=user.headers)
    assert listed.json()["total"] == 0


async def test_start_risk_fraction_without_strategy_stop_refuses_entry(
    client: httpx.AsyncClient, app: FastAPI, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CROSSING_CLOSES)
    profile = {"risk_fraction": "0.01"}
    deployment_id = (await create_deployment(client, user, risk_profile=profile)).json()["id"]
    await client.post(f"{DEPLOYMENTS_URL}/{deployment_id}/start", headers=user.headers)
    await app.state.deployments.wait(deployment_id)
    events = (await _get(client, user, f"/{deployment_id}/events")).json()
    assert [event["type"] for event in events] == [
        "deployment_started",
        "order_refused",
        "deployment_stopped",
    ]
    assert "stop_loss" in events[1]["message"]
