"""Live events: channel names, per-user bus channels, the envelope, publish after commit."""

from __future__ import annotations

import asyncio

import pytest

from quantdesk.errors import ValidationError
from quantdesk.runtime import Runtime
from quantdesk.services import events


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("quotes:aapl", "quotes:AAPL"),
        ("bars:btc-usd:1h", "bars:BTC-USD:1h"),
        ("jobs:007", "jobs:7"),
    ],
)
def test_parse_channel_public_and_owned_names_are_normalised(name: str, normalised: str) -> None:
    assert events.parse_channel(name).name == normalised


@pytest.mark.parametrize(
    "name", ["weather", "quotes:", "jobs:x", "jobs:0", "bars:A:9q", "orders:7"]
)
def test_parse_channel_unknown_or_malformed_raises_naming_the_channel(name: str) -> None:
    with pytest.raises(ValidationError, match=r"channel|timeframe"):
        events.parse_channel(name)


def test_bus_channel_private_is_per_user_and_needs_the_user() -> None:
    assert events.bus_channel("orders", 7) == "user:7:orders"
    assert events.bus_channel("quotes:aapl", None) == "quotes:AAPL"
    with pytest.raises(ValidationError, match="user"):
        events.bus_channel("orders", None)
    with pytest.raises(ValidationError, match="public"):
        events.bus_channel("quotes:AAPL", 7)


def test_decode_envelope_keeps_publish_time_and_bare_payload_gets_kind_by_channel() -> None:
    enveloped = events.decode("orders", events.encode("fill", {"id": 1}, published_ns=42))
    bare = events.decode("jobs:3", b'{"id": 3, "status": "running"}')
    assert enveloped == events.Event("fill", 42, {"id": 1})
    assert (bare.kind, bare.data["status"]) == ("job", "running")
    assert bare.published_ns > 0


async def publish_then_fail(runtime: Runtime) -> None:
    async with runtime.context() as ctx:
        events.publish(ctx, "orders", 5, "fill", {"n": 1})
        raise RuntimeError("rolled back")


async def test_publish_goes_out_after_commit_and_not_after_rollback(runtime: Runtime) -> None:
    received: list[events.Event] = []

    async def listen() -> None:
        async for _, message in runtime.bus.subscribe("user:5:orders"):
            received.append(events.decode("orders", message))

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        await publish_then_fail(runtime)
    async with runtime.context() as ctx:
        events.publish(ctx, "orders", 5, "fill", {"n": 2})
    await asyncio.sleep(0.01)
    listener.cancel()
    assert [event.data for event in received] == [{"n": 2}]
