"""Orders over HTTP: idempotent client ids, risk refusals, fills into positions, trades and P&L."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from quantdesk.db.models import PnlSnapshot
from quantdesk.runtime import Runtime
from tests.fixtures.orders import ORDERS_URL, eventually, feed_bar, positions, submit
from tests.fixtures.users import SignIn

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_submit_market_order_is_accepted_by_the_paper_broker(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await submit(client, user)
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["symbol"], body["quantity"]) == ("accepted", "AAPL", "10")
    assert [entry["status"] for entry in body["status_history"]] == ["new", "accepted"]


async def test_submit_same_client_id_same_body_returns_first_order(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    first = await submit(client, user, quantity="10.0")
    again = await submit(client, user, quantity="10")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    listed = await client.get(ORDERS_URL, headers=user.headers)
    assert listed.json()["total"] == 1


async def test_submit_same_client_id_concurrently_places_one_order(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    answers = await asyncio.gather(*(submit(client, user, "twin") for _ in range(6)))
    assert sorted(answer.status_code for answer in answers) == [200] * 5 + [201]
    assert len({answer.json()["id"] for answer in answers}) == 1
    listed = await client.get(ORDERS_URL, headers=user.headers)
    assert listed.json()["total"] == 1


async def test_submit_same_client_id_other_body_is_409(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    assert (await submit(client, user)).status_code == 201
    response = await submit(client, user, quantity="11")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["field"] == "client_order_id"


async def test_submit_over_max_orders_per_minute_is_422_naming_the_rule(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    limits = {"limits": {"max_orders_per_minute": 2}}
    put = await client.put("/api/v1/trading/config", json=limits, headers=user.headers)
    assert put.status_code == 200
    statuses = [(await submit(client, user, f"m{i}")).status_code for i in range(3)]
    assert statuses == [201, 201, 422]
    refused = await submit(client, user, "m9")
    assert refused.json()["error"]["details"]["rule"] == "max_orders_per_minute"
    assert refused.json()["error"]["details"]["actual"] == "3"


async def test_submit_over_max_open_orders_counts_working_orders_only(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    limits = {"limits": {"max_open_orders": 2}}
    put = await client.put("/api/v1/trading/config", json=limits, headers=user.headers)
    assert put.status_code == 200
    resting = {"type": "limit", "limit_price": "100"}
    first = await submit(client, user, "o1", **resting)
    statuses = [first.status_code, (await submit(client, user, "o2", **resting)).status_code]
    assert statuses == [201, 201]
    refused = await submit(client, user, "o3", **resting)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["rule"] == "max_open_orders"
    assert refused.json()["error"]["details"]["limit"] == "2"
    # a cancelled order no longer counts
    order_id = first.json()["id"]
    assert (await client.delete(f"{ORDERS_URL}/{order_id}", headers=user.headers)).is_success
    assert (await submit(client, user, "o4", **resting)).status_code == 201


async def test_submit_after_todays_loss_over_the_limit_is_422_from_yesterdays_close(
    client: httpx.AsyncClient, runtime: Runtime, sign_in: SignIn
) -> None:
    user = await sign_in()
    limits = {"limits": {"daily_loss_limit": "100"}}
    put = await client.put("/api/v1/trading/config", json=limits, headers=user.headers)
    assert put.status_code == 200
    # yesterday closed at 100,500; today the account stands at its 100,000 starting cash
    yesterday = datetime.now(UTC) - timedelta(days=1)
    async with runtime.context() as ctx:
        snapshot = PnlSnapshot(
            user_id=user.id, ts=yesterday, equity=Decimal(100_500), cash=Decimal(100_500)
        )
        ctx.session.add(snapshot)
    refused = await submit(client, user, "d1", type="limit", limit_price="100")
    assert refused.status_code == 422
    details = refused.json()["error"]["details"]
    assert (details["rule"], Decimal(details["actual"])) == ("daily_loss_limit", 500)


async def test_submit_over_max_order_value_is_422_naming_the_rule(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    limits = {"limits": {"max_order_value": "1000"}}
    put = await client.put("/api/v1/trading/config", json=limits, headers=user.headers)
    assert put.status_code == 200
    response = await submit(client, user, type="limit", limit_price="150")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "risk_rejected"
    assert error["details"] == {"rule": "max_order_value", "limit": "1000", "actual": "1500"}
    assert (await client.get(ORDERS_URL, headers=user.headers)).json()["total"] == 0


async def test_fill_on_next_bar_updates_position_trade_and_pnl(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    assert (await submit(client, user)).status_code == 201
    await feed_bar(app, user, "AAPL", (100.0, 101.0, 99.0, 100.5))

    async def filled() -> bool:
        return (await positions(client, user)).get("AAPL") == Decimal(10)

    await eventually(filled)
    order = (await client.get(ORDERS_URL, headers=user.headers)).json()["items"][0]
    assert (order["status"], order["average_fill_price"]) == ("filled", "100.0000000000")
    trades = (await client.get("/api/v1/trades", headers=user.headers)).json()["items"]
    assert [(t["side"], t["status"], t["entry_price"]) for t in trades] == [
        ("long", "open", "100.0000000000")
    ]
    pnl = (await client.get("/api/v1/pnl", headers=user.headers)).json()
    assert Decimal(pnl["cash"]) == Decimal(100_000) - Decimal(1000)


async def test_round_trip_closes_trade_with_its_pnl(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    await submit(client, user, "buy")
    await feed_bar(app, user, "AAPL", (100.0, 101.0, 99.0, 100.5))
    await eventually(lambda: _has_position(client, user))
    await submit(client, user, "sell", side="sell")
    await feed_bar(app, user, "AAPL", (104.0, 105.0, 103.0, 104.5))

    async def closed() -> bool:
        trades = (await client.get("/api/v1/trades", headers=user.headers)).json()["items"]
        return bool(trades) and trades[0]["status"] == "closed"

    await eventually(closed)
    trade = (await client.get("/api/v1/trades", headers=user.headers)).json()["items"][0]
    assert (Decimal(trade["exit_price"]), Decimal(trade["pnl"])) == (Decimal(104), Decimal(40))
    pnl = (await client.get("/api/v1/pnl", headers=user.headers)).json()
    assert Decimal(pnl["realized_pnl"]) == Decimal(40) == Decimal(pnl["total_pnl"])
    assert await positions(client, user) == {}


async def _has_position(client: httpx.AsyncClient, user: object) -> bool:
    return bool(await positions(client, user))  # type: ignore[arg-type]


async def test_cancel_working_order_then_again_is_409(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    order = (await submit(client, user, type="limit", limit_price="90")).json()
    cancelled = await client.delete(f"{ORDERS_URL}/{order['id']}", headers=user.headers)
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    again = await client.delete(f"{ORDERS_URL}/{order['id']}", headers=user.headers)
    assert again.status_code == 409


async def test_submit_to_closed_paper_book_is_503_stores_nothing_and_retry_places_once(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    broker = await app.state.trading.broker(user.id, "paper")
    await broker.close()
    refused = await submit(client, user)
    assert refused.status_code == 503
    assert "paper broker is not connected" in refused.json()["error"]["message"]
    listed = await client.get(ORDERS_URL, headers=user.headers)
    assert listed.json()["total"] == 0
    await broker.connect()
    placed = await submit(client, user)
    again = await submit(client, user)
    assert (placed.status_code, placed.json()["status"]) == (201, "accepted")
    assert (again.status_code, again.json()["id"]) == (200, placed.json()["id"])


async def test_read_other_users_order_is_404(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    owner, other = await sign_in(), await sign_in()
    order = (await submit(client, owner)).json()
    response = await client.get(f"{ORDERS_URL}/{order['id']}", headers=other.headers)
    assert response.status_code == 404
