"""SIGKILL during a stream of orders: after a restart nothing is lost and nothing doubled.

A real server trades on a paper deployment whose synthetic feed gives the paper broker a bar
every 0.1 s, so manual market orders in its symbol fill on the next bar. A client streams
orders with unique client order ids; the server is killed with SIGKILL mid-stream and
started again on the same database; the client repeats every order it got no answer for.
The stored books must then hold each order once, each fill once, positions equal to their
fills and cash equal to the deposit less what the fills cost.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from quantdesk.db.engine import create_engine
from quantdesk.db.models import Fill, Order, Position
from tests.fixtures.servers import ServerProcess, start_server

pytestmark = pytest.mark.asyncio(loop_scope="session")

SYMBOL = "CRASH"
ORDERS = 120
KILL_AFTER = 40
SENDERS = 8
PASSWORD = "crash-test-password-1"  # a test account's password


@pytest_asyncio.fixture(loop_scope="session")
async def database(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


def _body(index: int) -> dict[str, Any]:
    side = "buy" if index % 3 else "sell"
    return {
        "client_order_id": f"crash-{index:04d}",
        "symbol": SYMBOL,
        "side": side,
        "quantity": "1",
    }


async def _sign_in(url: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        email = "crash@example.com"
        await http.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
        login = await http.post(
            "/api/v1/auth/login", data={"username": email, "password": PASSWORD}
        )
        return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def _deploy(url: str, headers: dict[str, str]) -> None:
    body = {
        "strategy_type": "sma_cross",
        "parameters": {"fast": 2, "slow": 4},
        "symbols": [SYMBOL],
        "timeframe": "1m",
        "feed": {"kind": "synthetic", "speed": 600},
        "risk_profile": {"quantity": "1"},
    }
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as http:
        created = await http.post("/api/v1/deployments", json=body)
        assert created.status_code == 201, created.text
        started = await http.post(f"/api/v1/deployments/{created.json()['id']}/start")
        assert started.status_code == 200, started.text


async def _stream(server: ServerProcess, headers: dict[str, str]) -> dict[str, int]:
    """Send every order from a few concurrent senders; SIGKILL the server mid-stream."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(ORDERS):
        queue.put_nowait(index)
    answered: dict[str, int] = {}
    killed = asyncio.Event()

    async def sender(http: httpx.AsyncClient) -> None:
        while not queue.empty() and not killed.is_set():
            body = _body(queue.get_nowait())
            try:
                response = await http.post("/api/v1/orders", json=body)
            except httpx.TransportError:
                return
            assert response.status_code == 201, response.text
            answered[body["client_order_id"]] = response.json()["id"]
            if len(answered) >= KILL_AFTER and not killed.is_set():
                killed.set()
                server.kill()

    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=10) as http:
        await asyncio.gather(*(sender(http) for _ in range(SENDERS)))
    assert killed.is_set()
    return answered


async def _retry(url: str, headers: dict[str, str], answered: dict[str, int]) -> dict[str, int]:
    """Repeat every order without an answer, same id and body, from concurrent senders."""
    unanswered = [_body(i) for i in range(ORDERS) if _body(i)["client_order_id"] not in answered]
    retried: dict[str, int] = {}

    async def sender(http: httpx.AsyncClient, bodies: list[dict[str, Any]]) -> None:
        for body in bodies:
            response = await http.post("/api/v1/orders", json=body)
            assert response.status_code in (200, 201), response.text
            retried[body["client_order_id"]] = response.json()["id"]

    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as http:
        await asyncio.gather(*(sender(http, unanswered[i::SENDERS]) for i in range(SENDERS)))
    return retried


async def _settled(database: AsyncEngine, seconds: float = 15) -> list[Order]:
    deadline = time.monotonic() + seconds
    while True:
        async with database.connect() as connection:
            rows = (await connection.execute(select(Order))).all()
        mine = [row for row in rows if row.client_order_id.startswith("crash-")]
        if all(row.status == "filled" for row in mine) or time.monotonic() > deadline:
            return mine  # type: ignore[return-value]  # Row objects with the Order columns
        await asyncio.sleep(0.2)


async def test_sigkill_mid_stream_restart_loses_and_doubles_nothing(
    db_url: str, database: AsyncEngine, tmp_path: Path
) -> None:
    server = await start_server(db_url, tmp_path, reconcile_interval_seconds="0")
    try:
        headers = await _sign_in(server.url)
        await _deploy(server.url, headers)
        answered = await _stream(server, headers)
    finally:
        server.stop()
    server = await start_server(db_url, tmp_path, reconcile_interval_seconds="0")
    try:
        retried = await _retry(server.url, headers, answered)
        orders = await _settled(database)
    finally:
        server.stop()
    ids = Counter(row.client_order_id for row in orders)
    assert set(ids) == {_body(index)["client_order_id"] for index in range(ORDERS)}
    assert max(ids.values()) == 1
    by_client_id = {row.client_order_id: row.id for row in orders}
    assert {key: by_client_id[key] for key in answered} == answered
    assert {key: by_client_id[key] for key in retried} == retried
    assert {row.status for row in orders} == {"filled"}
    await _assert_books(database)


async def _assert_books(database: AsyncEngine) -> None:
    async with database.connect() as connection:
        fills = (
            await connection.execute(
                select(
                    Fill, Order.side, Order.instrument_id, Order.account, Order.filled_quantity
                ).join(Order, Fill.order_id == Order.id)
            )
        ).all()
        positions = (await connection.execute(select(Position))).all()
    assert fills
    assert max(Counter((row.order_id, row.broker_fill_id) for row in fills).values()) == 1
    held: dict[tuple[int, str], Decimal] = {}
    spent: dict[str, Decimal] = {}
    filled: dict[int, Decimal] = {}
    for row in fills:
        sign = Decimal(1) if row.side == "buy" else Decimal(-1)
        key = (row.instrument_id, row.account)
        held[key] = held.get(key, Decimal(0)) + sign * row.quantity
        spent[row.account] = (
            spent.get(row.account, Decimal(0)) + sign * row.quantity * row.price + row.commission
        )
        filled[row.order_id] = filled.get(row.order_id, Decimal(0)) + row.quantity
    assert all(row.filled_quantity == filled[row.order_id] for row in fills)
    assert {(row.instrument_id, row.account): row.quantity for row in positions} == held
    # cash = deposit + realized - cost basis; it must equal deposit - fills' value - fees
    books: dict[str, Decimal] = {}
    for position in positions:
        net = position.realized_pnl - position.cost_basis
        books[position.account] = books.get(position.account, Decimal(0)) + net
    assert books == {account: -value for account, value in spent.items()}
