"""The WebSocket hub end to end: sign-in, subscriptions, snapshots, deltas, private data."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from fastapi import FastAPI

from quantdesk.api.app import create_app
from quantdesk.ports.market_data import Quote
from quantdesk.runtime import Runtime
from quantdesk.services import events, quotes
from quantdesk.settings import Settings
from tests.fixtures.apps import settings_with
from tests.fixtures.users import SignIn
from tests.fixtures.websocket import serving, ws_client


@pytest.fixture
def ws_app(settings: Settings, runtime: Runtime) -> FastAPI:
    return create_app(settings_with(settings, ws_flush_ms=10), runtime=runtime)


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
