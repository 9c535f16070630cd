"""Back-pressure in one connection: quotes coalesce, fills are never dropped, slow is closed."""

from __future__ import annotations

import asyncio
from typing import Any

import msgpack
import orjson

from quantdesk.api.websocket.connection import Connection, FlushOptions, FlushTicker
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


def connection(
    recorder: Recorder, *, send_timeout: float = 10.0, ticker: FlushTicker | None = None
) -> Connection:
    flush = FlushOptions(flush_seconds=0.01, queue_size=5, send_timeout=send_timeout)
    conn = Connection(recorder.send, CODECS["json"], flush, ticker=ticker)
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


async def test_ticker_sends_each_connection_one_batch_per_interval() -> None:
    ticker = FlushTicker(0.02)
    recorders = [Recorder(), Recorder()]
    conns = [connection(r, ticker=ticker) for r in recorders]
    tasks = [asyncio.create_task(conn.run()) for conn in conns]
    loop = asyncio.get_running_loop()
    started = loop.time()
    for number in range(50):
        for conn in conns:
            conn.offer(quote("A", float(number)))
        await asyncio.sleep(0.002)
    await asyncio.sleep(0.05)
    elapsed = loop.time() - started
    for conn in conns:
        conn.close(1000, "done")
    await asyncio.gather(*tasks)
    for recorder in recorders:
        batches = [f for f in recorder.frames if f["type"] == "batch"]
        assert 2 <= len(batches) <= elapsed / 0.02 + 1
        assert batches[-1]["events"][-1]["data"]["price"] == 49.0


async def test_ticker_leaves_idle_connections_alone_and_stops_when_idle() -> None:
    ticker = FlushTicker(0.01)
    busy, idle = Recorder(), Recorder()
    conns = [connection(busy, ticker=ticker), connection(idle, ticker=ticker)]
    tasks = [asyncio.create_task(conn.run()) for conn in conns]
    conns[0].offer(quote("A", 1.0))
    await asyncio.sleep(0.08)
    for conn in conns:
        conn.close(1000, "done")
    await asyncio.gather(*tasks)
    assert [f["type"] for f in busy.frames].count("batch") == 1
    assert [f["type"] for f in idle.frames].count("batch") == 0
    assert ticker.running is False


async def test_ticker_cuts_off_a_stalled_client_and_keeps_serving_the_others() -> None:
    ticker = FlushTicker(0.01)
    healthy = Recorder()
    stalled = connection(Recorder(stalled=True), send_timeout=0.05, ticker=ticker)
    serving = connection(healthy, ticker=ticker)
    tasks = [asyncio.create_task(conn.run()) for conn in (stalled, serving)]
    for number in range(10):
        stalled.offer(quote("A", float(number)))
        serving.offer(quote("A", float(number)))
        await asyncio.sleep(0.02)
    await asyncio.wait_for(tasks[0], timeout=2)
    serving.close(1000, "done")
    await tasks[1]
    assert stalled.closing is not None
    assert stalled.closing.code == CloseCode.TOO_SLOW
    prices = [
        e["data"]["price"] for f in healthy.frames if f["type"] == "batch" for e in f["events"]
    ]
    assert prices[-1] == 9.0
    assert len(prices) >= 5
