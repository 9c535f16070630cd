"""Back-pressure in one connection: quotes coalesce, fills are never dropped, slow is closed."""

from __future__ import annotations

import asyncio
from typing import Any

import msgpack
import orjson

from quantdesk.api.websocket.connection import Connection, FlushOptions
from quantdesk.api.websocket.protocol import CODECS, CloseCode, Delivery


def delivery(channel: str, data: object, *, droppable: bool = False) -> Delivery:
    return Delivery(channel, "quote" if droppable else "fill", 1, data, droppable)


def quote(symbol: str, price: float) -> Delivery:
    return delivery(f"quotes:{symbol}", {"price": price}, droppable=True)


class Recorder:
    """A socket that keeps what it is sent, or blocks every send when ``stalled``."""

    def __init__(self, *, stalled: bool = False) -> None:
        self.frames: list[Any] = []
        self.stalled = stalled

    async def send(self, frame: bytes) -> None:
        if self.stalled:
            await asyncio.Event().wait()
        self.frames.append(orjson.loads(frame))


def connection(recorder: Recorder, *, send_timeout: float = 10.0) -> Connection:
    flush = FlushOptions(flush_seconds=0.01, queue_size=5, send_timeout=send_timeout)
    conn = Connection(recorder.send, CODECS["json"], flush)
    for channel in ("quotes:A", "quotes:B", "orders"):
        conn.subscribe(channel)
        conn.ready(channel, {"type": "subscribed", "channel": channel, "snapshot": None})
    return conn


async def flush_once(conn: Connection) -> None:
    task = asyncio.create_task(conn.run())
    await asyncio.sleep(0.05)
    conn.close(1000, "done")
    await task


async def test_connection_quotes_coalesce_to_latest_per_symbol_with_sequence() -> None:
    recorder = Recorder()
    conn = connection(recorder)
    for price in (1.0, 2.0, 3.0):
        conn.offer(quote("A", price))
    conn.offer(quote("B", 9.0))
    assert conn.dropped["superseded"] == 2
    await flush_once(conn)
    [batch] = [frame for frame in recorder.frames if frame["type"] == "batch"]
    events = batch["events"]
    assert [(e["channel"], e["data"]["price"], e["seq"]) for e in events] == [
        ("quotes:A", 3.0, 3),
        ("quotes:B", 9.0, 1),
    ]


async def test_connection_fills_are_kept_in_order_while_quotes_coalesce() -> None:
    recorder = Recorder()
    conn = connection(recorder)
    for number in range(4):
        conn.offer(quote("A", float(number)))
        conn.offer(delivery("orders", {"fill": number}))
    await flush_once(conn)
    [batch] = [frame for frame in recorder.frames if frame["type"] == "batch"]
    fills = [e["data"]["fill"] for e in batch["events"] if e["channel"] == "orders"]
    assert fills == [0, 1, 2, 3]


async def test_connection_full_of_fills_closes_too_slow_instead_of_dropping() -> None:
    conn = connection(Recorder())
    for number in range(6):
        conn.offer(delivery("orders", {"fill": number}))
    assert conn.closing is not None
    assert conn.closing.code == CloseCode.TOO_SLOW
    assert conn.pending == 5


async def test_connection_stalled_send_closes_too_slow() -> None:
    conn = connection(Recorder(stalled=True), send_timeout=0.05)
    conn.offer(quote("A", 1.0))
    await asyncio.wait_for(conn.run(), timeout=2)
    assert conn.closing is not None
    assert conn.closing.code == CloseCode.TOO_SLOW


async def test_connection_events_before_snapshot_follow_the_subscribed_frame() -> None:
    recorder = Recorder()
    conn = Connection(recorder.send, CODECS["json"], FlushOptions(flush_seconds=0.01))
    conn.subscribe("orders")
    conn.offer(delivery("orders", {"fill": 1}))
    conn.ready("orders", {"type": "subscribed", "channel": "orders", "snapshot": []})
    await flush_once(conn)
    assert [frame["type"] for frame in recorder.frames] == ["subscribed", "batch"]
    assert recorder.frames[0]["seq"] == 0


def test_msgpack_batch_decodes_to_the_same_events_as_json() -> None:
    item = quote("A", 1.5)
    frames = {
        name: codec.batch([codec.event_item(item.head(codec), 7)]) for name, codec in CODECS.items()
    }
    assert msgpack.unpackb(frames["msgpack"]) == orjson.loads(frames["json"])
