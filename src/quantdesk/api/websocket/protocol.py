"""The WebSocket protocol: close codes, client messages, and the JSON and MessagePack codecs.

docs/realtime.md is the reference for clients; this module is its executable half. Events
are encoded once per format by the hub (``Delivery.head``) and spliced into each client's
batch with that client's sequence number, so a thousand subscribers of one quote cost one
encoding, not a thousand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import msgpack
import orjson

AUTH_TIMEOUT_SECONDS = 5.0
MAX_MESSAGE_BYTES = 64 * 1024
MAX_SUBSCRIPTIONS = 200
CLIENT_TYPES = frozenset({"auth", "subscribe", "unsubscribe", "ping", "pong"})


class CloseCode(IntEnum):
    """Why the server closed the socket; 4000-4999 are QuantDesk's own."""

    INTERNAL_ERROR = 1011
    IDLE_TIMEOUT = 4000
    PROTOCOL_ERROR = 4400
    UNAUTHORIZED = 4401
    AUTH_TIMEOUT = 4408
    RATE_LIMITED = 4429
    TOO_SLOW = 4503


class ProtocolError(Exception):
    """A client message the server answers with an error frame instead of acting on it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ClientMessage:
    """One validated message from the client."""

    type: str
    token: str | None = None
    channels: tuple[str, ...] = ()


class Codec:
    """Frame encoding chosen at connect: JSON text frames or MessagePack binary frames."""

    name = "json"
    binary = False

    def dumps(self, value: Any) -> bytes:
        return orjson.dumps(value)

    def loads(self, frame: bytes) -> Any:
        try:
            return orjson.loads(frame)
        except orjson.JSONDecodeError:
            raise ProtocolError("malformed", "the message is not valid JSON") from None

    def event_head(self, channel: str, kind: str, published_ns: int, data: Any) -> bytes:
        """An event object without its closing sequence number, encoded once per event."""
        body = orjson.dumps({"channel": channel, "kind": kind, "ts": published_ns, "data": data})
        return b'{"type":"event",' + body[1:-1] + b',"seq":'

    def event_item(self, head: bytes, seq: int) -> bytes:
        return head + str(seq).encode() + b"}"

    def batch(self, items: list[bytes]) -> bytes:
        return b'{"type":"batch","events":[' + b",".join(items) + b"]}"


class MsgpackCodec(Codec):
    """MessagePack frames: smaller and faster to parse than JSON for numeric payloads."""

    name = "msgpack"
    binary = True
    _EVENT_KEYS = msgpack.packb("type") + msgpack.packb("event")
    _SEQ_KEY = msgpack.packb("seq")

    def dumps(self, value: Any) -> bytes:
        return msgpack.packb(value, use_bin_type=True)

    def loads(self, frame: bytes) -> Any:
        try:
            return msgpack.unpackb(frame, raw=False, strict_map_key=True)
        except (ValueError, msgpack.UnpackException):
            raise ProtocolError("malformed", "the message is not valid MessagePack") from None

    def event_head(self, channel: str, kind: str, published_ns: int, data: Any) -> bytes:
        fields = {"channel": channel, "kind": kind, "ts": published_ns, "data": data}
        body = b"".join(msgpack.packb(key) + msgpack.packb(value) for key, value in fields.items())
        return b"\x86" + self._EVENT_KEYS + body + self._SEQ_KEY  # a map of six entries

    def event_item(self, head: bytes, seq: int) -> bytes:
        return head + msgpack.packb(seq)

    def batch(self, items: list[bytes]) -> bytes:
        packer = msgpack.Packer()
        header = b"\x82" + packer.pack("type") + packer.pack("batch") + packer.pack("events")
        return header + packer.pack_array_header(len(items)) + b"".join(items)


CODECS: dict[str, Codec] = {"json": Codec(), "msgpack": MsgpackCodec()}


@dataclass(slots=True)
class Delivery:
    """One event on one client channel, shared by reference by every subscribed connection."""

    channel: str
    kind: str
    published_ns: int
    data: Any
    droppable: bool
    _heads: dict[str, bytes] = field(default_factory=dict)

    def head(self, codec: Codec) -> bytes:
        """The event encoded for ``codec`` up to its sequence number, computed once."""
        head = self._heads.get(codec.name)
        if head is None:
            head = codec.event_head(self.channel, self.kind, self.published_ns, self.data)
            self._heads[codec.name] = head
        return head


def parse(frame: bytes, codec: Codec) -> ClientMessage:
    """Validate one client message.

    Raises:
        ProtocolError: The message is too large, malformed, of an unknown type, or lacks
            the field its type needs.
    """
    if len(frame) > MAX_MESSAGE_BYTES:
        raise ProtocolError("too_large", f"messages are limited to {MAX_MESSAGE_BYTES} bytes")
    body = codec.loads(frame)
    kind = body.get("type") if isinstance(body, dict) else None
    if kind not in CLIENT_TYPES:
        known = ", ".join(sorted(CLIENT_TYPES))
        raise ProtocolError("unknown_type", f"type: send an object whose type is one of {known}")
    if kind == "auth":
        return ClientMessage("auth", token=_token(body))
    if kind in ("subscribe", "unsubscribe"):
        return ClientMessage(kind, channels=_channels(body))
    return ClientMessage(kind)


def _token(body: dict[str, Any]) -> str:
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise ProtocolError("malformed", "token: send the access token from /api/v1/auth/login")
    return token


def _channels(body: dict[str, Any]) -> tuple[str, ...]:
    channels = body.get("channels")
    if (
        not isinstance(channels, list)
        or not channels
        or len(channels) > MAX_SUBSCRIPTIONS
        or not all(isinstance(name, str) for name in channels)
    ):
        raise ProtocolError(
            "malformed", f"channels: send a list of 1 to {MAX_SUBSCRIPTIONS} channel names"
        )
    return tuple(channels)
