"""Risk limits, the kill switch, protections and broker settings over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from quantdesk.db.models import RiskLock, UserSettings
from quantdesk.runtime import Runtime
from quantdesk.services.instruments import ensure_instrument
from tests.fixtures.orders import ORDERS_URL, submit
from tests.fixtures.users import SignIn

pytestmark = pytest.mark.asyncio(loop_scope="session")

CONFIG_URL = "/api/v1/trading/config"


async def test_config_unset_reads_defaults_then_put_replaces_it(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    empty = (await client.get(CONFIG_URL, headers=user.headers)).json()
    assert empty["limits"]["max_order_value"] is None
    assert Decimal(empty["initial_cash"]) == Decimal(100_000)
    body = {"limits": {"max_open_orders": 3, "allowed_symbols": ["AAPL"]}, "initial_cash": "5000"}
    assert (await client.put(CONFIG_URL, json=body, headers=user.headers)).status_code == 200
    saved = (await client.get(CONFIG_URL, headers=user.headers)).json()
    assert (saved["limits"]["max_open_orders"], saved["limits"]["allowed_symbols"]) == (3, ["AAPL"])
    assert Decimal(saved["initial_cash"]) == Decimal(5000)


async def test_kill_switch_cancels_working_orders_and_blocks_new_until_off(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    await submit(client, user, "rest", type="limit", limit_price="90")
    killed = await client.post("/api/v1/trading/kill-switch", json={}, headers=user.headers)
    assert killed.json() == {
        "on": True,
        "cancelled": 1,
        "accounts": ["default"],
        "stopped_deployments": [],
    }
    order = (await client.get(ORDERS_URL, headers=user.headers)).json()["items"][0]
    assert order["status"] == "cancelled"
    blocked = await submit(client, user, "next")
    assert blocked.json()["error"]["details"]["rule"] == "kill_switch"
    off = await client.post("/api/v1/trading/kill-switch", json={"on": False}, headers=user.headers)
    assert (off.json()["on"], off.json()["cancelled"], off.json()["accounts"]) == (
        False,
        0,
        ["default"],
    )
    assert (await submit(client, user, "next")).status_code == 201


async def test_protection_blocks_entry_until_removed(
    client: httpx.AsyncClient, sign_in: SignIn, runtime: Runtime
) -> None:
    user = await sign_in()
    async with runtime.context() as ctx:
        instrument = await ensure_instrument(ctx, "AAPL")
        lock = RiskLock(
            user_id=user.id,
            instrument_id=instrument.id,
            scope="symbol",
            rule="cooldown",
            reason="stopped out",
            until=datetime.now(UTC) + timedelta(hours=1),
        )
        ctx.session.add(lock)
    listed = (await client.get("/api/v1/trading/protections", headers=user.headers)).json()
    assert [(p["rule"], p["symbol"]) for p in listed] == [("cooldown", "AAPL")]
    assert (await submit(client, user, "a")).json()["error"]["details"]["rule"] == "protection"
    url = f"/api/v1/trading/protections/{listed[0]['id']}"
    assert (await client.delete(url, headers=user.headers)).status_code == 204
    assert (await client.get("/api/v1/trading/protections", headers=user.headers)).json() == []
    assert (await submit(client, user, "a")).status_code == 201


async def test_broker_settings_are_stored_encrypted_and_never_returned(
    client: httpx.AsyncClient, sign_in: SignIn, runtime: Runtime
) -> None:
    user = await sign_in()
    body = {"broker": "ib", "credentials": {"host": "127.0.0.1", "password": "s3cret-pass"}}
    put = await client.put("/api/v1/settings/broker", json=body, headers=user.headers)
    got = await client.get("/api/v1/settings/broker", headers=user.headers)
    for response in (put, got):
        assert response.status_code == 200
        assert "s3cret-pass" not in response.text
        assert (response.json()["broker"], response.json()["fields_set"]) == (
            "ib",
            ["host", "password"],
        )
    async with runtime.context() as ctx:
        stored = await ctx.session.scalar(
            select(UserSettings.broker_credentials_encrypted).where(UserSettings.user_id == user.id)
        )
    assert stored is not None
    assert b"s3cret-pass" not in stored


async def test_broker_settings_unknown_broker_is_422(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    body = {"broker": "acme", "credentials": {}}
    response = await client.put("/api/v1/settings/broker", json=body, headers=user.headers)
    assert (response.status_code, response.json()["error"]["details"]) == (422, {"field": "broker"})
