"""IB fills on their way to the stream: each once, with its commission when IB reports it."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from quantdesk.brokers._stream import EventStream
from quantdesk.trading.money import as_decimal
from quantdesk.trading.orders import Fill


class FillRelay:
    """Hold an execution until its commission report, or ``wait`` seconds, then publish it.

    IB sends an execution and its commission as two messages; a ``Fill`` is immutable and
    the service books its fee with it, so the two are joined here. Fill ids seen before
    (a replay after reconnecting) are dropped.
    """

    def __init__(self, stream: EventStream, wait: float) -> None:
        self._stream = stream
        self._wait = wait
        self._pending: dict[str, tuple[Fill, asyncio.TimerHandle]] = {}
        self._emitted: set[str] = set()

    def seen(self, fill_id: str) -> bool:
        """Return whether the fill was published or awaits its commission."""
        return fill_id in self._emitted or fill_id in self._pending

    def hold(self, fill: Fill) -> None:
        """Publish ``fill`` once its commission arrives, or after the wait without it."""
        handle = asyncio.get_running_loop().call_later(self._wait, self._flush, fill.fill_id)
        self._pending[fill.fill_id] = (fill, handle)

    def commission(self, fill_id: str, amount: float) -> None:
        """Publish the held fill ``fill_id`` with its commission."""
        pending = self._pending.pop(fill_id, None)
        if pending is not None:
            pending[1].cancel()
            self.publish(replace(pending[0], commission=as_decimal(max(amount, 0.0))))

    def publish(self, fill: Fill) -> None:
        """Put ``fill`` on the stream unless its id went out before."""
        if fill.fill_id not in self._emitted:
            self._emitted.add(fill.fill_id)
            self._stream.fill(fill)

    def flush_all(self) -> None:
        """Publish every held fill now, without waiting for commissions (on close)."""
        for fill_id in list(self._pending):
            self._flush(fill_id)

    def _flush(self, fill_id: str) -> None:
        pending = self._pending.pop(fill_id, None)
        if pending is not None:
            pending[1].cancel()
            self.publish(pending[0])
