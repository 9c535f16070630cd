"""The real-time hub: one WebSocket endpoint streaming every live event to its clients.

``install(app, settings)`` adds ``/api/v1/ws``; docs/realtime.md describes the protocol.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import FastAPI

from quantdesk.api.websocket.connection import FlushOptions
from quantdesk.api.websocket.endpoint import router
from quantdesk.api.websocket.session import SessionOptions

__all__ = ["WebSocketSettings", "install", "session_options"]


class WebSocketSettings(Protocol):
    """The settings the hub reads; ``quantdesk.settings.Settings`` has them all."""

    @property
    def ws_flush_ms(self) -> int: ...
    @property
    def ws_queue_size(self) -> int: ...
    @property
    def ws_idle_timeout_seconds(self) -> float: ...
    @property
    def ws_ping_seconds(self) -> float: ...
    @property
    def ws_max_messages_per_second(self) -> int: ...


def session_options(settings: WebSocketSettings) -> SessionOptions:
    """The hub's options from settings; a stalled send counts as slow after 100 flushes."""
    flush_seconds = settings.ws_flush_ms / 1000
    return SessionOptions(
        flush=FlushOptions(
            flush_seconds=flush_seconds,
            queue_size=settings.ws_queue_size,
            send_timeout=max(100 * flush_seconds, 5.0),
        ),
        idle_timeout=settings.ws_idle_timeout_seconds,
        ping_seconds=settings.ws_ping_seconds,
        max_messages_per_second=settings.ws_max_messages_per_second,
    )


def install(app: FastAPI, settings: WebSocketSettings) -> None:
    """Add the WebSocket endpoint under ``/api/v1`` with the settings' options."""
    app.state.ws_options = session_options(settings)
    app.include_router(router, prefix="/api/v1")
