"""One client's conversation: authenticate, then read commands, flush events and heartbeat.

Three tasks run side by side once the client is signed in: the reader (commands, rate
limit, malformed messages answered with error frames), the connection's flush loop, and the
heartbeat (pings, idle timeout, token expiry and revocation). Whichever ends first ends the
others, and the socket is closed with the reason the connection recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import structlog
from starlette.websockets import WebSocket, WebSocketDisconnect

from quantdesk.api.websocket import snapshots
from quantdesk.api.websocket.connection import Connection, FlushOptions
from quantdesk.api.websocket.hub import Hub
from quantdesk.api.websocket.metrics import WebSocketMetrics
from quantdesk.api.websocket.protocol import (
    AUTH_TIMEOUT_SECONDS,
    MAX_SUBSCRIPTIONS,
    ClientMessage,
    CloseCode,
    Codec,
    ProtocolError,
    parse,
)
from quantdesk.errors import AuthenticationError, QuantDeskError
from quantdesk.services import auth, events, tokens
from quantdesk.services.context import ServiceContext
from quantdesk.services.users import User

Contexts = Callable[[], AbstractAsyncContextManager[ServiceContext]]

logger = structlog.get_logger(__name__)
# What a send or receive raises once the client has gone: an end, not a failure.
GONE = (OSError, WebSocketDisconnect)

CLOSE_LABELS = {
    CloseCode.IDLE_TIMEOUT: "idle",
    CloseCode.PROTOCOL_ERROR: "protocol_error",
    CloseCode.UNAUTHORIZED: "unauthorized",
    CloseCode.AUTH_TIMEOUT: "auth_timeout",
    CloseCode.RATE_LIMITED: "rate_limited",
    CloseCode.TOO_SLOW: "too_slow",
    CloseCode.INTERNAL_ERROR: "server_error",
}


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """The hub's knobs, from settings: flushing, heartbeat, idle timeout, message rate."""

    flush: FlushOptions
    idle_timeout: float = 60.0
    ping_seconds: float = 20.0
    max_messages_per_second: int = 20
    auth_timeout: float = AUTH_TIMEOUT_SECONDS


@dataclass(slots=True)
class Identity:
    """Who is signed in on this socket, with which token, until when (epoch seconds)."""

    user: User
    token: str
    expires_at: float

    @property
    def user_id(self) -> int:
        return self.user.id


class Session:
    """Serve one accepted WebSocket until either side ends it."""

    def __init__(
        self,
        websocket: WebSocket,
        contexts: Contexts,
        hub: Hub,
        codec: Codec,
        options: SessionOptions,
        metrics: WebSocketMetrics,
    ) -> None:
        self.websocket = websocket
        self.contexts = contexts
        self.hub = hub
        self.codec = codec
        self.options = options
        self.metrics = metrics
        self.connection = Connection(self._send, codec, options.flush, metrics, hub.ticker)
        self.identity: Identity | None = None
        self._bus_channels: dict[str, str] = {}
        self._last_seen = time.monotonic()
        self._window = (0, 0)  # (second, messages in it)

    async def serve(self) -> None:
        """Authenticate, then run until the client leaves or the connection is closed.

        An unexpected failure (the database unreachable, a bug) is logged and closes this
        socket with 1011; it never reaches the server.
        """
        try:
            if await self._authenticate():
                self.hub.connections.add(self.connection)
                await self._run_tasks()
        except Exception as error:  # one client's failure must not crash the server
            logger.exception("ws_session_failed", error=type(error).__name__)
            self.connection.close(CloseCode.INTERNAL_ERROR, "server error; reconnect later")
        finally:
            self._detach()
            await self._close("client_closed")

    async def _run_tasks(self) -> None:
        tasks = [
            asyncio.create_task(self._read()),
            asyncio.create_task(self.connection.run()),
            asyncio.create_task(self._heartbeat()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            error = None if task.cancelled() else task.exception()
            if error is not None and not isinstance(error, GONE):
                raise error

    async def _send(self, frame: bytes) -> None:
        if self.codec.binary:
            await self.websocket.send_bytes(frame)
        else:
            await self.websocket.send_text(frame.decode())

    async def _receive(self) -> bytes | None:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        data = message.get("bytes")
        return data if data is not None else str(message.get("text") or "").encode()

    async def _authenticate(self) -> bool:
        try:
            async with asyncio.timeout(self.options.auth_timeout):
                frame = await self._receive()
        except TimeoutError:
            seconds = f"{self.options.auth_timeout:g}"
            self.connection.close(CloseCode.AUTH_TIMEOUT, f"send auth within {seconds} s")
            return False
        if frame is None:
            return False
        try:
            message = parse(frame, self.codec)
            if message.type != "auth" or message.token is None:
                raise ProtocolError("unauthorized", "send {type: auth, token} first")
            await self._sign_in(message.token)
        except (ProtocolError, AuthenticationError) as error:
            self.connection.close(CloseCode.UNAUTHORIZED, error.message)
            return False
        return True

    async def _sign_in(self, token: str) -> None:
        async with self.hub.database_slots, self.contexts() as ctx:
            user = await auth.authenticate(ctx, token)
            claims = tokens.decode_token(ctx.config.secret_key, token, "access")
        if self.identity is not None and self.identity.user_id != user.id:
            raise AuthenticationError("a token of another user; open a new connection")
        self.identity = Identity(user, token, claims.expires_at.timestamp())
        self.connection.control(
            {
                "type": "welcome",
                "user_id": user.id,
                "expires_at": int(self.identity.expires_at),
                "format": self.codec.name,
                "flush_ms": round(self.options.flush.flush_seconds * 1000),
            }
        )

    async def _read(self) -> None:
        while (frame := await self._receive()) is not None:
            self._last_seen = time.monotonic()
            if not self._within_rate():
                continue
            try:
                await self._handle(parse(frame, self.codec))
            except ProtocolError as error:
                self._error(error.code, error.message)
            except AuthenticationError as error:
                self.connection.close(CloseCode.UNAUTHORIZED, error.message)
                return

    def _within_rate(self) -> bool:
        second = int(time.monotonic())
        count = self._window[1] + 1 if self._window[0] == second else 1
        self._window = (second, count)
        limit = self.options.max_messages_per_second
        if count > 2 * limit:
            self.connection.close(CloseCode.RATE_LIMITED, f"over {limit} messages per second")
        elif count > limit:
            self._error("rate_limited", f"at most {limit} messages per second; message ignored")
        return count <= limit

    async def _handle(self, message: ClientMessage) -> None:
        if message.type == "auth" and message.token is not None:
            await self._sign_in(message.token)
        elif message.type == "subscribe":
            for name in message.channels:
                await self._subscribe(name)
        elif message.type == "unsubscribe":
            for name in message.channels:
                self._unsubscribe(name)
                self.connection.control({"type": "unsubscribed", "channel": name})
        elif message.type == "ping":
            self.connection.control({"type": "pong", "ts": time.time_ns()})

    async def _subscribe(self, name: str) -> None:
        try:
            channel = events.parse_channel(name)
        except QuantDeskError as error:
            self._error(error.code, error.message, channel=name)
            return
        self._unsubscribe(channel.name)  # a repeated subscribe starts again from a snapshot
        if len(self._bus_channels) >= MAX_SUBSCRIPTIONS:
            self._error("too_many", f"at most {MAX_SUBSCRIPTIONS} channels", channel=name)
            return
        assert self.identity is not None
        bus_channel = events.bus_channel(
            channel, self.identity.user_id if channel.private else None
        )
        self.connection.subscribe(channel.name)
        self._bus_channels[channel.name] = bus_channel
        await self.hub.add(bus_channel, channel, self.connection)
        try:
            snapshot = await self._snapshot(channel)
        except AuthenticationError:
            raise
        except QuantDeskError as error:
            self._unsubscribe(channel.name)
            self._error(error.code, error.message, channel=channel.name)
            return
        message = {"type": "subscribed", "channel": channel.name, "snapshot": snapshot}
        self.connection.ready(channel.name, message)

    async def _snapshot(self, channel: events.Channel) -> object:
        assert self.identity is not None
        async with self.hub.database_slots, self.contexts() as ctx:
            ctx.actor = self.identity.user  # checked at sign-in; revocation at each ping
            return await snapshots.snapshot(ctx, channel)

    def _unsubscribe(self, name: str) -> None:
        bus_channel = self._bus_channels.pop(name, None)
        if bus_channel is not None:
            self.hub.remove(bus_channel, self.connection)
        self.connection.unsubscribe(name)

    def _error(self, code: str, message: str, *, channel: str | None = None) -> None:
        frame: dict[str, object] = {"type": "error", "code": code, "message": message}
        if channel is not None:
            frame["channel"] = channel
        self.connection.control(frame)

    async def _heartbeat(self) -> None:
        next_ping = time.monotonic() + self.options.ping_seconds
        while self.connection.closing is None:
            await asyncio.sleep(max(min(self._deadlines(next_ping)) - time.monotonic(), 0.0))
            if not await self._check(next_ping):
                return
            if time.monotonic() >= next_ping:
                next_ping = time.monotonic() + self.options.ping_seconds
                self.connection.control({"type": "ping", "ts": time.time_ns()})

    def _deadlines(self, next_ping: float) -> tuple[float, float, float]:
        assert self.identity is not None
        expiry = time.monotonic() + self.identity.expires_at - time.time()
        return next_ping, expiry, self._last_seen + self.options.idle_timeout

    async def _check(self, next_ping: float) -> bool:
        assert self.identity is not None
        now = time.monotonic()
        if time.time() >= self.identity.expires_at:
            self.connection.close(CloseCode.UNAUTHORIZED, "token expired; send a fresh auth")
        elif now >= self._last_seen + self.options.idle_timeout:
            seconds = f"{self.options.idle_timeout:g}"
            self.connection.close(CloseCode.IDLE_TIMEOUT, f"idle for {seconds} s; answer pings")
        elif now >= next_ping:
            await self._revalidate()
        return self.connection.closing is None

    async def _revalidate(self) -> None:
        assert self.identity is not None
        try:
            async with self.hub.database_slots, self.contexts() as ctx:
                await auth.authenticate(ctx, self.identity.token)
        except AuthenticationError as error:
            self.connection.close(CloseCode.UNAUTHORIZED, error.message)

    def _detach(self) -> None:
        for name in list(self._bus_channels):
            self._unsubscribe(name)
        self.hub.connections.discard(self.connection)

    async def _close(self, default_reason: str) -> None:
        closing = self.connection.closing
        reason = CLOSE_LABELS.get(CloseCode(closing.code), "server") if closing else default_reason
        self.metrics.disconnected(reason)
        pending = self.connection.pending
        if pending:
            self.metrics.dropped.labels("closed").inc(pending)
        if closing is not None:
            with contextlib.suppress(Exception):  # the client may be gone, or not reading
                async with asyncio.timeout(self.options.flush.send_timeout):
                    await self.connection.flush_control()
                    await self.websocket.close(closing.code, closing.reason)
