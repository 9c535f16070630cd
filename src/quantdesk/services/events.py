"""Live events: one envelope and one channel naming for everything streamed to clients.

Every live update (a quote, a bar, a fill, a job's progress) goes out on the bus once its
transaction commits, wrapped in one envelope ``{"kind", "ts", "data"}`` encoded once with
orjson; ``ts`` is the publish time in nanoseconds since the epoch, so a receiver can measure
delivery latency. The WebSocket hub decodes it once and fans it out.

Client-facing channels, and where they travel on the bus:

=========================  ==============================  ================================
client channel             bus channel                     who may subscribe
=========================  ==============================  ================================
``quotes:{SYMBOL}``        ``quotes:{SYMBOL}``             anyone signed in
``bars:{SYMBOL}:{tf}``     ``bars:{SYMBOL}:{tf}``          anyone signed in
``jobs:{id}``              ``jobs:{id}``                   the job's owner
``signals`` ``orders``     ``user:{user_id}:{name}``       the user themself; the bus
``positions`` ``pnl``                                      channel is per user, so nobody
``events``                                                 else ever receives it
=========================  ==============================  ================================

Example (in a service, inside its unit of work)::

    events.publish(ctx, "orders", order.user_id, "fill", {"order_id": 7, "price": 101.5})
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from quantdesk.bars import timeframe_ns
from quantdesk.errors import ValidationError
from quantdesk.services.context import ServiceContext
from quantdesk.services.instruments import normalize_symbol

__all__ = [
    "DROPPABLE_KINDS",
    "OWNED_KINDS",
    "PRIVATE_CHANNELS",
    "PUBLIC_KINDS",
    "Channel",
    "Event",
    "bus_channel",
    "decode",
    "encode",
    "parse_channel",
    "publish",
]

PRIVATE_CHANNELS = frozenset({"signals", "orders", "positions", "pnl", "events"})
PUBLIC_KINDS = {"quotes": 1, "bars": 2}  # channel kind -> number of ":"-separated arguments
OWNED_KINDS = {"jobs": 1}
# Only a newer quote makes an older one worthless; every other event must reach the client.
DROPPABLE_KINDS = frozenset({"quotes"})
# Events published before this module existed carry their payload bare; their kind by channel.
_BARE_KINDS = {"quotes": "quote", "jobs": "job", "bars": "bar"}
_KNOWN = ", ".join([*sorted(PRIVATE_CHANNELS), "quotes:SYMBOL", "bars:SYMBOL:TIMEFRAME", "jobs:ID"])


@dataclass(frozen=True, slots=True)
class Channel:
    """A client-facing channel name, validated and split into its kind and arguments."""

    name: str
    kind: str
    args: tuple[str, ...] = ()

    @property
    def private(self) -> bool:
        """Whether the channel carries one user's data on a per-user bus channel."""
        return self.kind in PRIVATE_CHANNELS

    @property
    def droppable(self) -> bool:
        """Whether a newer event on this channel makes an undelivered older one worthless."""
        return self.kind in DROPPABLE_KINDS


@dataclass(frozen=True, slots=True)
class Event:
    """One decoded bus event: what happened, when it was published, and its payload."""

    kind: str
    published_ns: int
    data: Any


def parse_channel(name: str) -> Channel:
    """Validate a client-facing channel name and normalise its symbol.

    Raises:
        ValidationError: The channel is unknown or its arguments are malformed.
    """
    if not isinstance(name, str) or not name or len(name) > 128:
        raise ValidationError(f"channel: send one of {_KNOWN}", details={"field": "channel"})
    kind, *args = name.split(":")
    if kind in PRIVATE_CHANNELS and not args:
        return Channel(name, kind)
    expected = PUBLIC_KINDS.get(kind, OWNED_KINDS.get(kind))
    if expected is None or len(args) != expected or not all(args):
        raise ValidationError(
            f"channel {name[:40]!r} is unknown; use one of {_KNOWN}", details={"field": "channel"}
        )
    return _checked(kind, args)


def _checked(kind: str, args: list[str]) -> Channel:
    if kind == "jobs":
        if not args[0].isdigit() or len(args[0]) > 18 or int(args[0]) == 0:
            raise ValidationError(
                f"channel jobs:{args[0][:20]}: the job id must be a positive whole number",
                details={"field": "channel"},
            )
        return Channel(f"jobs:{int(args[0])}", kind, (str(int(args[0])),))
    symbol = normalize_symbol(args[0])
    if kind == "bars":
        timeframe_ns(args[1])
        return Channel(f"bars:{symbol}:{args[1]}", kind, (symbol, args[1]))
    return Channel(f"{kind}:{symbol}", kind, (symbol,))


def bus_channel(channel: Channel | str, user_id: int | None) -> str:
    """The bus channel a client channel travels on; private ones are per user.

    Raises:
        ValidationError: A private channel without a user, or a public one with a user.
    """
    parsed = parse_channel(channel) if isinstance(channel, str) else channel
    if parsed.private != (user_id is not None):
        need = "needs the owning user's id" if parsed.private else "is public; pass user_id=None"
        raise ValidationError(f"channel {parsed.name!r} {need}", details={"field": "user_id"})
    return f"user:{user_id}:{parsed.name}" if parsed.private else parsed.name


def encode(kind: str, payload: Any, *, published_ns: int | None = None) -> bytes:
    """Encode the envelope once; ``published_ns`` defaults to now."""
    stamp = time.time_ns() if published_ns is None else published_ns
    return orjson.dumps({"kind": kind, "ts": stamp, "data": payload})


def decode(client_channel: str, message: bytes) -> Event:
    """Decode a bus message; a bare payload (older publishers) is stamped with the receipt time.

    Raises:
        ValidationError: The message is not JSON.
    """
    try:
        body = orjson.loads(message)
    except orjson.JSONDecodeError:
        raise ValidationError(
            f"event on {client_channel!r} is not JSON; publish through services.events"
        ) from None
    if isinstance(body, dict) and body.keys() == {"kind", "ts", "data"}:
        return Event(str(body["kind"]), int(body["ts"]), body["data"])
    kind = _BARE_KINDS.get(client_channel.split(":", 1)[0], "event")
    return Event(kind, time.time_ns(), body)


def publish(
    ctx: ServiceContext, channel: str, user_id: int | None, kind: str, payload: Any
) -> None:
    """Queue a live event that goes out once the transaction commits.

    ``channel`` is the client-facing name (``"orders"``, ``"quotes:AAPL"``, ``"jobs:7"``);
    private channels need the owner's ``user_id`` and public ones ``None``. ``kind`` names
    what happened (``"fill"``, ``"order"``, ``"quote"``), ``payload`` must be JSON-ready.

    Raises:
        ValidationError: The channel is unknown or ``user_id`` does not fit it.
    """
    ctx.publish_after_commit(bus_channel(channel, user_id), encode(kind, payload))
