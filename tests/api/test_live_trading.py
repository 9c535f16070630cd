"""Live mode over HTTP: orders, deployments and the kill switch through IB to a stand-in TWS.

The app builds its live broker from the user's saved broker settings (PUT /settings/broker)
over the server's ``QUANTDESK_IB_*``; a recorded TWS flow answers each order, and its fills
come back through the broker's event stream into the stored order and positions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from quantdesk.runtime import Runtime
from quantdesk.settings import Settings
from tests.fixtures.apps import settings_with
from tests.fixtures.deployments import create_deployment
from tests.fixtures.live_brokers import LiveDesk, live_desk
from tests.fixtures.orders import ORDERS_URL, eventually, order_body
from tests.fixtures.users import SignedInUser, SignIn

pytestmark = pytest.mark.asyncio(loop_scope="session")

BROKER_URL = "/api/v1/settings/broker"
IB_CREDENTIALS = {"host": "10.0.0.5", "port": "4002", "client_id": "7", "account": "DU1234567"}


async def _save_ib(desk: LiveDesk, user: SignedInUser, credentials: dict[str, str]) -> None:
    body = {"broker": "ib", "credentials": credentials}
    response = await desk.http.put(BROKER_URL, json=body, headers=user.headers)
    assert response.status_code == 200, response.text


async def _order(desk: LiveDesk, user: SignedInUser, order_id: int) -> dict[str, Any]:
    response = await desk.http.get(f"{ORDERS_URL}/{order_id}", headers=user.headers)
    body: dict[str, Any] = response.json()
    return body


async def test_live_order_without_broker_settings_is_422_naming_the_settings(
    settings: Settings, runtime: Runtime, sign_in: SignIn
) -> None:
    user = await sign_in()
    async with live_desk(settings, runtime) as desk:
        body = order_body("l1", mode="live")
        response = await desk.http.post(ORDERS_URL, json=body, headers=user.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "live_broker_not_configured"
    assert "PUT /api/v1/settings/broker" in error["message"]
    assert error["details"]["field"] == "mode"
    assert desk.connections == []


async def test_live_market_order_reaches_ib_and_its_fills_come_back(
    settings: Settings, runtime: Runtime, sign_in: SignIn
) -> None:
    user = await sign_in()
    async with live_desk(settings, runtime) as desk:
        await _save_ib(desk, user, IB_CREDENTIALS)
        body = order_body("m1", mode="live", quantity="100")
        submitted = await _submit_scripted(desk, user, body, "market_filled")
        # the fills may be booked before the answer is: TWS replays the whole flow at once
        assert submitted["status"] in ("accepted", "partially_filled", "filled"), submitted
        assert submitted["broker_order_id"]
        assert (submitted["broker"], submitted["mode"]) == ("ib", "live")
        connection, tws = desk.connections[0]
        assert (connection.host, connection.port, connection.client_id) == ("10.0.0.5", 4002, 7)
        assert [fields for fields in tws.placed() if "m1" in fields]

        async def filled() -> bool:
            return bool((await _order(desk, user, submitted["id"]))["status"] == "filled")

        await eventually(filled)
        order = await _order(desk, user, submitted["id"])
        positions = await desk.http.get("/api/v1/positions?mode=live", headers=user.headers)
    assert Decimal(order["filled_quantity"]) == Decimal(100)
    assert Decimal(order["average_fill_price"]) == Decimal("189.514")
    held = {row["symbol"]: Decimal(row["quantity"]) for row in positions.json()}
    assert held == {"AAPL": Decimal(100)}


async def _submit_scripted(
    desk: LiveDesk, user: SignedInUser, body: dict[str, Any], flow_name: str
) -> dict[str, Any]:
    desk.script(body["client_order_id"], flow_name)
    response = await desk.http.post(ORDERS_URL, json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_live_connection_takes_unsaved_fields_from_server_settings(
    settings: Settings, runtime: Runtime, sign_in: SignIn
) -> None:
    server = settings_with(settings, ib_host="gateway.local", ib_port=4001, ib_client_id=12)
    user = await sign_in()
    async with live_desk(server, runtime) as desk:
        await _save_ib(desk, user, {"account": "DU7654321"})
        await _submit_scripted(desk, user, order_body("m2", mode="live"), "market_filled")
    connection, _tws = desk.connections[0]
    expected = ("gateway.local", 4001, 12, "DU7654321")
    assert (connection.host, connection.port, connection.client_id, connection.account) == expected


async def test_live_saved_port_not_a_number_is_422_naming_the_field(
    settings: Settings, runtime: Runtime, sign_in: SignIn
) -> None:
    user = await sign_in()
    async with live_desk(settings, runtime) as desk:
        await _save_ib(desk, user, {"port": "seventy"})
        body = order_body("p1", mode="live")
        response = await desk.http.post(ORDERS_URL, json=body, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "credentials.port"


async def test_live_trading_off_on_server_is_422_for_orders_and_deployments(
    settings: Settings, runtime: Runtime, sign_in: SignIn
) -> None:
    user = await sign_in()
    async with live_desk(settings_with(settings, live_broker="none"), runtime) as desk:
        await _save_ib(desk, user, IB_CREDENTIALS)
        order = await desk.http.post(
            ORDERS_URL, json=order_body("o1", mode="live"), headers=user.headers
        )
        deployment = await create_deployment(desk.http, user, mode="live", broker="ib")
    assert (order.status_code, deployment.status_code) == (422, 422)
    assert "QUANTDESK_LIVE_BROKER" in order.json()["error"]["message"]
    assert "QUANTDESK_LIVE_BROKER" in deployment.json()["error"]["message"]


async def test_live_deployment_needs_saved_broker_then_is_created(
    settings: Settings, runtime: Runtime, sign_in: SignIn
) -> None:
    user = await sign_in()
    async with live_desk(settings, runtime) as desk:
        refused = await create_deployment(desk.http, user, mode="live", broker="ib")
        await _save_ib(desk, user, IB_CREDENTIALS)
        created = await create_deployment(desk.http, user, mode="live", broker="ib")
        paper_broker = await create_deployment(desk.http, user, mode="live", broker="paper")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "live_broker_not_configured"
    assert created.status_code == 201, created.text
    assert (created.json()["mode"], created.json()["broker"]) == ("live", "ib")
    assert paper_broker.json()["error"]["details"]["field"] == "broker"


async def test_live_kill_switch_cancels_resting_order_at_ib(
    settings: Settings, runtime: Runtime, sign_in: SignIn
) -> None:
    user = await sign_in()
    async with live_desk(settings, runtime) as desk:
        await _save_ib(desk, user, IB_CREDENTIALS)
        body = order_body("k1", mode="live", type="limit", limit_price="180", time_in_force="GTC")
        resting = await _submit_scripted(desk, user, body, "limit_cancelled")
        switch = await desk.http.post(
            "/api/v1/trading/kill-switch", json={"mode": "live"}, headers=user.headers
        )
        assert switch.status_code == 200, switch.text
        assert switch.json()["cancelled"] == 1

        async def cancelled() -> bool:
            return bool((await _order(desk, user, resting["id"]))["status"] == "cancelled")

        await eventually(cancelled)
        blocked = await desk.http.post(
            ORDERS_URL, json=order_body("k2", mode="live"), headers=user.headers
        )
    assert [fields for fields in desk.tws.sent if int(fields[0]) == 4]
    assert blocked.status_code == 422
    assert blocked.json()["error"]["details"]["rule"] == "kill_switch"
