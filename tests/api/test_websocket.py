"""The WebSocket hub end to end: sign-in, subscriptions, snapshots, deltas, private data."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from fastapi import FastAPI

from quantdesk.api.app import create_app
from quantdesk.db.repositories.users import UserRepository
from quantdesk.ports.market_data import Quote
from quantdesk.runtime import Runtime
from quantdesk.services import events, jobs, quotes
from quantdesk.settings import Settings
from tests.fixtures import job_handlers  # noqa: F401  (registers the test job kinds)
from tests.fixtures.apps import settings_with
from tests.fixtures.users import SignIn
from tests.fixtures.websocket import http_base, serving, ws_client

JOB_KIND = "test.steps"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Quick flushes; no embedded job runner, so jobs stay queued."""
    return settings_with(settings, ws_flush_ms=10, run_jobs_in_api=False)


@pytest.fixture
def ws_app(settings: Settings, runtime: Runtime) -> FastAPI:
    return create_app(settings, runtime=runtime)


@pytest_asyncio.fixture(loop_scope="session")
async def ws_url(ws_app: FastAPI) -> AsyncIterator[str]:
    async with serving(ws_app) as url:
        yield url


async def publish(
    runtime: Runtime, channel: str, user_id: int | None, kind: str, data: object
) -> None:
    async with runtime.context() as ctx:
        events.publish(ctx, channel, user_id, kind, data)


async def test_ws_signed_in_client_gets_welcome_with_its_user(ws_url: str, sign_in: SignIn) -> None:
    user = await sign_in()
    async with ws_client(ws_url) as client:
        welcome = await client.sign_in(user.access_token)
    assert welcome["user_id"] == user.id
    assert welcome["format"] == "json"


async def test_ws_quote_subscription_snapshot_then_sequenced_deltas(
    ws_url: str, sign_in: SignIn, runtime: Runtime
) -> None:
    user = await sign_in()
    async with runtime.context() as ctx:
        await quotes.update(ctx, Quote("AAPL", 1_000, 190.5))
    async with ws_client(ws_url, token=user.access_token) as client:
        subscribed = await client.subscribe("quotes:aapl")
        for price in (191.0, 192.0):
            await publish(runtime, "quotes:AAPL", None, "quote", {"symbol": "AAPL", "price": price})
            [event] = await client.events(1)
            assert event["data"]["price"] == price
    assert subscribed["channel"] == "quotes:AAPL"
    assert subscribed["seq"] == 0
    assert subscribed["snapshot"]["price"] == 190.5
    assert event["seq"] == 2


async def test_ws_private_channel_carries_only_the_users_own_events(
    ws_url: str, sign_in: SignIn, runtime: Runtime
) -> None:
    alice, bob = await sign_in(), await sign_in()
    async with ws_client(ws_url, token=alice.access_token) as client:
        subscribed = await client.subscribe("orders")
        await publish(runtime, "orders", bob.id, "fill", {"order_id": 1})
        await publish(runtime, "orders", alice.id, "fill", {"order_id": 2})
        [event] = await client.events(1)
    assert subscribed["snapshot"] is None
    assert (event["channel"], event["kind"], event["data"]) == ("orders", "fill", {"order_id": 2})
    assert event["seq"] == 1


async def test_ws_job_channel_of_another_user_is_refused(
    ws_url: str, sign_in: SignIn, runtime: Runtime
) -> None:
    owner, stranger = await sign_in(), await sign_in()
    job_id = await make_job(runtime, owner.id)
    async with ws_client(ws_url, token=stranger.access_token) as client:
        refused = await client.subscribe(f"jobs:{job_id}")
    async with ws_client(ws_url, token=owner.access_token) as client:
        accepted = await client.subscribe(f"jobs:{job_id}")
    assert (refused["type"], refused["code"]) == ("error", "not_found")
    assert accepted["snapshot"] == {"id": job_id, "status": "queued", "progress": 0.0}


async def test_ws_job_cancelled_over_http_reaches_the_subscriber(
    ws_url: str, sign_in: SignIn, runtime: Runtime
) -> None:
    owner = await sign_in()
    job_id = await make_job(runtime, owner.id)
    async with ws_client(ws_url, token=owner.access_token) as socket, http_base(ws_url) as http:
        await socket.subscribe(f"jobs:{job_id}")
        response = await http.delete(f"/api/v1/jobs/{job_id}", headers=owner.headers)
        [event] = await socket.events(1)
    assert response.status_code == 200
    assert (event["kind"], event["data"]["status"]) == ("job", "cancelled")


async def test_ws_msgpack_client_receives_binary_batches(
    ws_url: str, sign_in: SignIn, runtime: Runtime
) -> None:
    user = await sign_in()
    async with ws_client(ws_url, "msgpack", token=user.access_token) as client:
        await client.subscribe("bars:btc-usd:1m")
        await publish(runtime, "bars:BTC-USD:1m", None, "bar", {"t": 60, "c": 1.5})
        [event] = await client.events(1)
    assert event == {
        "type": "event",
        "channel": "bars:BTC-USD:1m",
        "kind": "bar",
        "ts": event["ts"],
        "data": {"t": 60, "c": 1.5},
        "seq": 1,
    }


async def test_ws_unsubscribed_channel_sends_nothing_more(
    ws_url: str, sign_in: SignIn, runtime: Runtime
) -> None:
    user = await sign_in()
    async with ws_client(ws_url, token=user.access_token) as client:
        await client.subscribe("signals", "pnl")
        await client.send({"type": "unsubscribe", "channels": ["signals"]})
        await client.receive_type("unsubscribed")
        await publish(runtime, "signals", user.id, "signal", {"n": 1})
        await publish(runtime, "pnl", user.id, "pnl", {"n": 2})
        [event] = await client.events(1)
    assert event["channel"] == "pnl"


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (b"{not json", "malformed"),
        ({"type": "dance"}, "unknown_type"),
        ({"type": "subscribe", "channels": "quotes:A"}, "malformed"),
        ({"type": "subscribe", "channels": ["weather"]}, "validation_error"),
    ],
)
async def test_ws_malformed_message_gets_error_frame_and_socket_stays(
    ws_url: str, sign_in: SignIn, message: object, code: str
) -> None:
    user = await sign_in()
    async with ws_client(ws_url, token=user.access_token) as client:
        if isinstance(message, bytes):
            await client.socket.send(message.decode())
        else:
            await client.send(message)
        error = await client.receive_type("error")
        await client.send({"type": "ping"})
        pong = await client.receive_type("pong")
    assert error["code"] == code
    assert error["message"]
    assert pong["ts"] > 0


async def test_ws_metrics_count_clients_and_disconnects(
    ws_url: str, sign_in: SignIn, ws_app: FastAPI
) -> None:
    user = await sign_in()
    async with ws_client(ws_url, token=user.access_token):
        during = ws_app.state.metrics.render().decode()
    closed = 'ws_disconnects_total{reason="client_closed"} 1.0'
    after = await eventually(lambda: ws_app.state.metrics.render().decode(), closed)
    assert "ws_clients 1.0" in during
    assert "ws_clients 0.0" in after


async def eventually(read: Callable[[], str], expected: str) -> str:
    """Poll ``read`` until it contains ``expected`` (the server finishes a close on its own)."""
    for _ in range(200):
        text = read()
        if expected in text:
            return text
        await asyncio.sleep(0.01)
    raise AssertionError(f"{expected!r} never appeared")


async def make_job(runtime: Runtime, user_id: int) -> int:
    async with runtime.context() as ctx:
        ctx.actor = await UserRepository(ctx.session).get(user_id)
        job = await jobs.submit(ctx, kind=JOB_KIND, payload={})
    return job.id
