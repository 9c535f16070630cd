"""Brackets over HTTP: an entry with exits that work once it fills and cancel each other."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from quantdesk.brokers.paper import PaperBroker
from quantdesk.trading.orders import OrderStatus
from tests.fixtures.orders import ORDERS_URL, eventually, feed_bar, order_body, positions, submit
from tests.fixtures.users import SignedInUser, SignIn

pytestmark = pytest.mark.asyncio(loop_scope="session")

ENTRY_BAR = (100.0, 101.0, 99.0, 100.5)
BRACKET = {"stop_loss": "95", "take_profit": "110"}


async def _orders(client: httpx.AsyncClient, user: SignedInUser) -> dict[str, dict[str, Any]]:
    listed = await client.get(ORDERS_URL, headers=user.headers)
    assert listed.status_code == 200
    return {order["client_order_id"]: order for order in listed.json()["items"]}


async def _status_is(
    client: httpx.AsyncClient, user: SignedInUser, expected: dict[str, str]
) -> bool:
    orders = await _orders(client, user)
    return {cid: orders[cid]["status"] for cid in expected} == expected


async def _pnl(client: httpx.AsyncClient, user: SignedInUser) -> dict[str, Any]:
    response = await client.get("/api/v1/pnl", headers=user.headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def _entered(app: FastAPI, client: httpx.AsyncClient, user: SignedInUser) -> None:
    response = await submit(client, user, "b1", **BRACKET)
    assert response.status_code == 201
    await feed_bar(app, user, "AAPL", ENTRY_BAR)

    async def long_ten() -> bool:
        return (await positions(client, user)).get("AAPL") == Decimal(10)

    await eventually(long_ten)


async def test_bracket_submit_stores_entry_and_exits_linked_to_it(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await submit(client, user, "b1", **BRACKET)

    assert response.status_code == 201
    entry = response.json()
    assert (entry["bracket"], entry["parent_order_id"], entry["status"]) == (
        "entry",
        None,
        "accepted",
    )
    assert (Decimal(entry["stop_loss"]), Decimal(entry["take_profit"])) == (95, 110)
    orders = await _orders(client, user)
    exits = [orders["b1:sl"], orders["b1:tp"]]
    assert [(o["bracket"], o["type"], o["side"], o["time_in_force"]) for o in exits] == [
        ("stop_loss", "stop", "sell", "GTC"),
        ("take_profit", "limit", "sell", "GTC"),
    ]
    assert {o["parent_order_id"] for o in exits} == {entry["id"]}
    assert [Decimal(o["quantity"]) for o in exits] == [10, 10]
    assert (Decimal(exits[0]["stop_price"]), Decimal(exits[1]["limit_price"])) == (95, 110)
    assert [o["status"] for o in exits] == ["accepted", "accepted"]
    assert [o["stop_loss"] for o in exits] == [None, None]


async def test_bracket_stop_through_fills_stop_loss_and_cancels_take_profit(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    await _entered(app, client, user)
    await feed_bar(app, user, "AAPL", (97.0, 98.0, 94.0, 95.5))

    done = {"b1": "filled", "b1:sl": "filled", "b1:tp": "cancelled"}
    await eventually(lambda: _status_is(client, user, done))
    orders = await _orders(client, user)
    assert Decimal(orders["b1:sl"]["average_fill_price"]) == 95
    assert orders["b1:tp"]["reason"] == "oco"
    assert await positions(client, user) == {}
    pnl = await _pnl(client, user)
    assert Decimal(pnl["realized_pnl"]) == Decimal(-50) == Decimal(pnl["total_pnl"])
    assert Decimal(pnl["cash"]) == Decimal(100_000) - Decimal(50)


async def test_bracket_target_reached_fills_take_profit_and_cancels_stop_loss(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    await _entered(app, client, user)
    await feed_bar(app, user, "AAPL", (108.0, 111.0, 107.0, 110.5))

    done = {"b1": "filled", "b1:sl": "cancelled", "b1:tp": "filled"}
    await eventually(lambda: _status_is(client, user, done))
    orders = await _orders(client, user)
    assert Decimal(orders["b1:tp"]["average_fill_price"]) == 110
    assert orders["b1:sl"]["reason"] == "oco"
    assert await positions(client, user) == {}
    trades = (await client.get("/api/v1/trades", headers=user.headers)).json()["items"]
    assert [(t["status"], Decimal(t["pnl"])) for t in trades] == [("closed", Decimal(100))]
    assert Decimal((await _pnl(client, user))["realized_pnl"]) == Decimal(100)


async def test_bracket_short_with_one_exit_covers_at_its_stop(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await submit(client, user, "s1", side="sell", stop_loss="104")
    assert response.status_code == 201
    assert set(await _orders(client, user)) == {"s1", "s1:sl"}
    await feed_bar(app, user, "AAPL", ENTRY_BAR)
    await feed_bar(app, user, "AAPL", (102.0, 106.0, 101.0, 105.0))

    await eventually(lambda: _status_is(client, user, {"s1": "filled", "s1:sl": "filled"}))
    assert await positions(client, user) == {}
    assert Decimal((await _pnl(client, user))["realized_pnl"]) == Decimal(-40)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"type": "limit", "limit_price": "100", "stop_loss": "100"},
            "stop_loss",
            "stop_loss 100 must be below the limit_price 100",
        ),
        (
            {"type": "limit", "limit_price": "100", "take_profit": "99"},
            "take_profit",
            "take_profit 99 must be above the limit_price 100",
        ),
        (
            {"side": "sell", "type": "limit", "limit_price": "100", "stop_loss": "95"},
            "stop_loss",
            "stop_loss 95 must be above the limit_price 100: a sell bracket needs "
            "take_profit < entry < stop_loss",
        ),
        (
            {"type": "stop", "stop_price": "105", "take_profit": "104"},
            "take_profit",
            "take_profit 104 must be above the stop_price 105",
        ),
        (
            {"stop_loss": "110", "take_profit": "95"},
            "take_profit",
            "take_profit 95 must be above stop_loss 110",
        ),
        ({"client_order_id": "x" * 62, "stop_loss": "95"}, "client_order_id", "at most 61"),
    ],
)
async def test_bracket_levels_out_of_order_are_422_naming_the_field(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    user = await sign_in()
    body = {"client_order_id": "v1", **changes}
    response = await client.post(ORDERS_URL, json=order_body(**body), headers=user.headers)

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"]["field"]) == ("validation_error", field)
    assert message in error["message"]
    assert (await client.get(ORDERS_URL, headers=user.headers)).json()["total"] == 0


async def test_bracket_level_not_positive_is_422_naming_the_field(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await submit(client, user, "v1", take_profit="0")

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["body.take_profit"]


async def test_bracket_market_entry_is_checked_against_the_last_price(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    assert (await submit(client, user, "first")).status_code == 201
    await feed_bar(app, user, "AAPL", ENTRY_BAR)
    await eventually(lambda: _status_is(client, user, {"first": "filled"}))

    response = await submit(client, user, "b2", stop_loss="101")

    assert response.status_code == 422
    assert (
        "stop_loss 101 must be below the last price 100: a buy"
        in response.json()["error"]["message"]
    )


async def test_bracket_same_request_twice_returns_the_first_entry(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    first = await submit(client, user, "b1", **BRACKET)
    again = await submit(client, user, "b1", stop_loss="95.00", take_profit="110")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert set(await _orders(client, user)) == {"b1", "b1:sl", "b1:tp"}


@pytest.mark.parametrize(
    ("first", "second"),
    [(BRACKET, {"stop_loss": "94", "take_profit": "110"}), ({}, BRACKET), (BRACKET, {})],
)
async def test_bracket_same_id_other_levels_is_409(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    first: dict[str, str],
    second: dict[str, str],
) -> None:
    user = await sign_in()
    assert (await submit(client, user, "b1", **first)).status_code == 201
    response = await submit(client, user, "b1", **second)

    assert response.status_code == 409
    assert response.json()["error"]["details"]["field"] == "client_order_id"


async def test_bracket_exit_id_taken_by_another_order_is_409(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    assert (await submit(client, user, "b1:tp")).status_code == 201
    response = await submit(client, user, "b1", **BRACKET)

    assert response.status_code == 409
    assert "'b1:tp'" in response.json()["error"]["message"]
    assert set(await _orders(client, user)) == {"b1:tp"}


async def test_bracket_cancel_entry_cancels_its_exits(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    body = {"type": "limit", "limit_price": "90", "stop_loss": "85", "take_profit": "99"}
    entry = (await submit(client, user, "b2", **body)).json()

    cancelled = await client.delete(f"{ORDERS_URL}/{entry['id']}", headers=user.headers)

    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    orders = await _orders(client, user)
    assert [orders[cid]["status"] for cid in ("b2:sl", "b2:tp")] == ["cancelled", "cancelled"]
    assert orders["b2:sl"]["reason"] == "entry cancelled"
    broker = await app.state.trading.broker(user.id, "paper")
    assert isinstance(broker, PaperBroker)
    assert broker.order("b2:tp").status is OrderStatus.CANCELLED


async def test_bracket_kill_switch_cancels_entry_and_exits(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    assert (await submit(client, user, "b1", **BRACKET)).status_code == 201

    killed = await client.post("/api/v1/trading/kill-switch", json={}, headers=user.headers)

    assert (killed.json()["on"], killed.json()["cancelled"]) == (True, 3)
    orders = await _orders(client, user)
    assert {o["status"] for o in orders.values()} == {"cancelled"}


async def test_bracket_exits_pass_rules_that_only_block_a_growing_position(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    limits = {"limits": {"max_gross_exposure": "1000"}}
    assert (
        await client.put("/api/v1/trading/config", json=limits, headers=user.headers)
    ).is_success
    body = {"type": "limit", "limit_price": "100", **BRACKET}

    response = await submit(client, user, "b1", **body)

    assert response.status_code == 201
    assert len(await _orders(client, user)) == 3


async def test_bracket_exit_over_max_order_value_is_422_naming_the_exit(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    limits = {"limits": {"max_order_value": "1050"}}
    assert (
        await client.put("/api/v1/trading/config", json=limits, headers=user.headers)
    ).is_success

    response = await submit(client, user, "b1", type="limit", limit_price="100", **BRACKET)

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"]["rule"], error["details"]["field"]) == (
        "risk_rejected",
        "max_order_value",
        "take_profit",
    )
    assert (await client.get(ORDERS_URL, headers=user.headers)).json()["total"] == 0
