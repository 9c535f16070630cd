"""Why the hub closes a socket, and with which documented code."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed

from quantdesk.api.app import create_app
from quantdesk.api.websocket import snapshots
from quantdesk.api.websocket.protocol import CloseCode
from quantdesk.db.models import User
from quantdesk.runtime import Runtime
from quantdesk.services import tokens
from quantdesk.settings import Settings
from tests.conftest import TEST_SECRET
from tests.fixtures.apps import settings_with
from tests.fixtures.users import SignIn
from tests.fixtures.websocket import WsClient, serving, ws_client


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings_with(
        settings,
        ws_flush_ms=10,
        ws_idle_timeout_seconds=1.0,
        ws_ping_seconds=0.25,
        ws_max_messages_per_second=5,
        run_jobs_in_api=False,
    )


@pytest_asyncio.fixture(loop_scope="session")
async def ws_url(settings: Settings, runtime: Runtime) -> AsyncIterator[str]:
    app: FastAPI = create_app(settings, runtime=runtime)
    app.state.ws_options = dataclasses.replace(app.state.ws_options, auth_timeout=0.2)
    async with serving(app) as url:
        yield url


async def closed_with(client: WsClient, *, answer_pings: bool = False) -> tuple[int, str]:
    """Read until the server closes; return its close code and reason."""
    with pytest.raises(ConnectionClosed) as caught:
        await read_forever(client, answer_pings=answer_pings)
    received = caught.value.rcvd
    assert received is not None
    return received.code, received.reason


async def answer_pings_for(client: WsClient, *, seconds: float) -> int:
    """Keep the socket alive for ``seconds``; return how many pings were answered."""
    loop = asyncio.get_running_loop()
    end, pings = loop.time() + seconds, 0
    while loop.time() < end:
        frame = await client.receive(wait=1)
        if frame["type"] == "ping":
            await client.send({"type": "pong"})
            pings += 1
    return pings


async def read_forever(client: WsClient, *, answer_pings: bool) -> None:
    while True:
        frame = await client.receive(wait=5)
        if answer_pings and frame["type"] == "ping":
            await client.send({"type": "pong"})


@pytest.mark.parametrize(
    "first", [{"type": "auth", "token": "not-a-token"}, {"type": "subscribe", "channels": ["pnl"]}]
)
async def test_ws_without_valid_token_closes_4401(ws_url: str, first: dict[str, object]) -> None:
    async with ws_client(ws_url) as client:
        await client.send(first)
        code, reason = await closed_with(client)
    assert code == CloseCode.UNAUTHORIZED
    assert reason


async def test_ws_silent_before_auth_closes_4408(ws_url: str) -> None:
    async with ws_client(ws_url) as client:
        code, reason = await closed_with(client)
    assert (code, reason) == (CloseCode.AUTH_TIMEOUT, "send auth within 0.2 s")


async def test_ws_unknown_format_closes_4400(ws_url: str) -> None:
    async with ws_client(ws_url, "xml") as client:
        code, _ = await closed_with(client)
    assert code == CloseCode.PROTOCOL_ERROR


async def test_ws_idle_client_closes_4000(ws_url: str, sign_in: SignIn) -> None:
    user = await sign_in()
    async with ws_client(ws_url, token=user.access_token) as client:
        code, reason = await closed_with(client)
    assert code == CloseCode.IDLE_TIMEOUT
    assert "idle" in reason


async def test_ws_expired_token_closes_4401_unless_renewed(ws_url: str, sign_in: SignIn) -> None:
    user = await sign_in()
    short = tokens.encode_token(
        TEST_SECRET,
        user_id=user.id,
        token_type="access",
        version=0,
        lifetime=timedelta(seconds=2),
        now=datetime.now(UTC),
    )
    async with ws_client(ws_url, token=short) as lapsed, ws_client(ws_url, token=short) as renewed:
        await renewed.sign_in(user.access_token)
        (code, reason), pings = await asyncio.gather(
            closed_with(lapsed, answer_pings=True), answer_pings_for(renewed, seconds=2.5)
        )
    assert pings >= 5
    assert code == CloseCode.UNAUTHORIZED
    assert "expired" in reason


async def test_ws_revoked_token_closes_4401_at_next_ping(
    ws_url: str, sign_in: SignIn, runtime: Runtime
) -> None:
    user = await sign_in()
    async with ws_client(ws_url, token=user.access_token) as client:
        async with runtime.context() as ctx:
            await ctx.session.execute(
                User.__table__.update().where(User.id == user.id).values(token_version=5)
            )
        code, _ = await closed_with(client, answer_pings=True)
    assert code == CloseCode.UNAUTHORIZED


async def test_ws_flooding_client_gets_error_then_closes_4429(ws_url: str, sign_in: SignIn) -> None:
    user = await sign_in()
    async with ws_client(ws_url, token=user.access_token) as client:
        for _ in range(11):
            await client.send({"type": "ping"})
        error = await client.receive_type("error")
        code, _ = await closed_with(client)
    assert error["code"] == "rate_limited"
    assert code == CloseCode.RATE_LIMITED


async def test_ws_server_failure_closes_1011_and_server_keeps_serving(
    ws_url: str, sign_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(_ctx: object, _channel: object) -> object:
        raise RuntimeError("a bug in a snapshot provider")

    monkeypatch.setitem(snapshots._PROVIDERS, "events", broken)
    user = await sign_in()
    async with ws_client(ws_url, token=user.access_token) as client:
        await client.send({"type": "subscribe", "channels": ["events"]})
        code, _ = await closed_with(client)
    async with ws_client(ws_url, token=user.access_token) as client:
        subscribed = await client.subscribe("pnl")
    assert code == CloseCode.INTERNAL_ERROR
    assert subscribed["type"] == "subscribed"
