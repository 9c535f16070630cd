"""The ``/api/v1/ws`` endpoint: accept, pick the codec, and hand the socket to a session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, WebSocket

from quantdesk.api.websocket.hub import Hub
from quantdesk.api.websocket.metrics import WebSocketMetrics, websocket_metrics
from quantdesk.api.websocket.protocol import CODECS, CloseCode
from quantdesk.api.websocket.session import Session, SessionOptions
from quantdesk.ports.bus import Bus

router = APIRouter(tags=["realtime"])

FrameFormat = Annotated[
    str, Query(alias="format", description="Frame encoding: json (text) or msgpack (binary).")
]


@router.websocket("/ws")
async def stream(websocket: WebSocket, frame_format: FrameFormat = "json") -> None:
    """Stream live quotes, bars, orders, positions, P&L and job progress (docs/realtime.md)."""
    await websocket.accept()
    codec = CODECS.get(frame_format)
    if codec is None:
        await websocket.close(CloseCode.PROTOCOL_ERROR, "format must be json or msgpack")
        return
    app: FastAPI = websocket.app
    options: SessionOptions = app.state.ws_options
    contexts = app.state.runtime.context
    hub = hub_for(app, options.flush.flush_seconds)
    session = Session(websocket, contexts, hub, codec, options, metrics_for(app))
    await session.serve()


def hub_for(app: FastAPI, flush_seconds: float) -> Hub:
    """The app's hub on the current runtime's bus, created on first use."""
    hub: Hub | None = getattr(app.state, "ws_hub", None)
    bus: Bus = app.state.runtime.bus
    if hub is None or hub.bus is not bus:
        hub = app.state.ws_hub = Hub(bus, flush_seconds)
    return hub


def metrics_for(app: FastAPI) -> WebSocketMetrics:
    """The app's WebSocket metrics; the clients gauge reads the current hub."""

    def clients() -> int:
        hub: Hub | None = getattr(app.state, "ws_hub", None)
        return len(hub.connections) if hub is not None else 0

    return websocket_metrics(app, clients)
