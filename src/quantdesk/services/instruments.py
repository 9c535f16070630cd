"""Instruments: shared reference data that every signed-in user may read and maintain.

Instruments belong to no user: market data is the same for everyone on an installation.
Any signed-in user may list, read, create and update them; only an admin may delete one,
and only with ``force`` when bars are stored for it, because the bars go with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import structlog
from sqlalchemy.exc import IntegrityError

from quantdesk.db.models import Instrument
from quantdesk.db.models.market_data import ASSET_CLASSES
from quantdesk.db.repositories import Paged
from quantdesk.db.repositories.instruments import InstrumentRepository
from quantdesk.errors import ConflictError, NotFoundError, ValidationError
from quantdesk.services.context import ServiceContext
from quantdesk.services.users import require_actor, require_admin

__all__ = [
    "ASSET_CLASSES",
    "Instrument",
    "InstrumentFields",
    "create_instrument",
    "delete_instrument",
    "ensure_instrument",
    "get_instrument",
    "list_instruments",
    "normalize_exchange",
    "normalize_symbol",
    "resolve_instrument",
    "update_instrument",
]

MAX_SYMBOL_LENGTH = 32
logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class InstrumentFields:
    """The descriptive fields of an instrument; None leaves a field as it is on update."""

    asset_class: str | None = None
    currency: str | None = None
    name: str | None = None
    tick_size: Decimal | None = None
    lot_size: Decimal | None = None
    active: bool | None = None


def normalize_symbol(symbol: str) -> str:
    """Trim and upper-case a symbol, so ``aapl`` and ``AAPL`` are one instrument."""
    normalized = symbol.strip().upper()
    if (
        not normalized
        or len(normalized) > MAX_SYMBOL_LENGTH
        or any(c.isspace() for c in normalized)
    ):
        raise ValidationError(
            f"symbol {symbol[:40]!r} must be 1 to {MAX_SYMBOL_LENGTH} characters without spaces",
            details={"field": "symbol"},
        )
    return normalized


def normalize_exchange(exchange: str | None) -> str:
    """Trim and upper-case an exchange code; empty means the source names none."""
    normalized = (exchange or "").strip().upper()
    if len(normalized) > MAX_SYMBOL_LENGTH:
        raise ValidationError(
            f"exchange must be at most {MAX_SYMBOL_LENGTH} characters",
            details={"field": "exchange"},
        )
    return normalized


async def create_instrument(
    ctx: ServiceContext, symbol: str, exchange: str = "", fields: InstrumentFields | None = None
) -> Instrument:
    """Add an instrument for the signed-in user's installation.

    Raises:
        ValidationError: The symbol, exchange or asset class is not acceptable.
        ConflictError: The symbol is already listed on this exchange.
    """
    require_actor(ctx)
    return await _create(ctx, normalize_symbol(symbol), normalize_exchange(exchange), fields)


async def ensure_instrument(ctx: ServiceContext, symbol: str, exchange: str = "") -> Instrument:
    """Return the instrument, creating a plain equity listing when it does not exist yet."""
    symbol, exchange = normalize_symbol(symbol), normalize_exchange(exchange)
    existing = await InstrumentRepository(ctx.session).get_by_symbol(symbol, exchange)
    if existing is not None:
        return existing
    try:
        async with ctx.session.begin_nested():
            return await _create(ctx, symbol, exchange, None)
    except ConflictError:
        # Another request created it between the lookup and the insert.
        found = await InstrumentRepository(ctx.session).get_by_symbol(symbol, exchange)
        if found is None:
            raise
        return found


async def _create(
    ctx: ServiceContext, symbol: str, exchange: str, fields: InstrumentFields | None
) -> Instrument:
    repository = InstrumentRepository(ctx.session)
    if await repository.get_by_symbol(symbol, exchange) is not None:
        raise _duplicate(symbol, exchange)
    instrument = Instrument(symbol=symbol, exchange=exchange, asset_class="equity", currency="USD")
    _apply(instrument, fields or InstrumentFields())
    try:
        await repository.add(instrument)
    except IntegrityError:
        raise _duplicate(symbol, exchange) from None
    logger.info("instrument_created", instrument_id=instrument.id, symbol=symbol)
    return instrument


async def list_instruments(
    ctx: ServiceContext, *, query: str | None, limit: int, offset: int
) -> Paged[Instrument]:
    """Instruments by symbol, filtered by a fragment of the symbol or name."""
    require_actor(ctx)
    return await InstrumentRepository(ctx.session).list_page(
        query=query.strip() if query else None, limit=limit, offset=offset
    )


async def get_instrument(ctx: ServiceContext, instrument_id: int) -> Instrument:
    """One instrument by id."""
    require_actor(ctx)
    return await _get(ctx, instrument_id)


async def update_instrument(
    ctx: ServiceContext, instrument_id: int, fields: InstrumentFields
) -> Instrument:
    """Change an instrument's descriptive fields; its symbol and exchange stay as they are."""
    require_actor(ctx)
    instrument = await _get(ctx, instrument_id)
    _apply(instrument, fields)
    await InstrumentRepository(ctx.session).flush()
    return instrument


async def delete_instrument(ctx: ServiceContext, instrument_id: int, *, force: bool) -> None:
    """Delete an instrument as an admin; with ``force`` its stored bars are deleted too.

    Raises:
        ConflictError: Bars are stored and ``force`` is off, or orders, positions or
            signals still refer to the instrument.
    """
    admin = require_admin(ctx)
    repository = InstrumentRepository(ctx.session)
    instrument = await _get(ctx, instrument_id)
    if not force and await repository.has_bars(instrument_id):
        raise ConflictError(
            f"{instrument.symbol} has stored bars; pass force=true to delete them with it",
            details={"instrument_id": instrument_id},
        )
    try:
        async with ctx.session.begin_nested():
            await repository.delete(instrument)
    except IntegrityError:
        raise ConflictError(
            f"{instrument.symbol} is used by orders, positions or signals; keep it or "
            "set active=false instead",
            details={"instrument_id": instrument_id},
        ) from None
    logger.info("instrument_deleted", instrument_id=instrument_id, by=admin.id, force=force)


async def resolve_instrument(ctx: ServiceContext, symbol: str, exchange: str | None) -> Instrument:
    """Find the instrument a symbol names; the exchange is needed only when it is ambiguous.

    Raises:
        NotFoundError: No instrument has this symbol (on this exchange).
        ValidationError: The symbol is listed on several exchanges and none was given.
    """
    symbol = normalize_symbol(symbol)
    repository = InstrumentRepository(ctx.session)
    if exchange is not None:
        found = await repository.get_by_symbol(symbol, normalize_exchange(exchange))
        if found is None:
            raise NotFoundError("Instrument", f"{symbol} on exchange {exchange!r}")
        return found
    listings = await repository.list_by_symbol(symbol)
    if not listings:
        raise NotFoundError("Instrument", symbol)
    if len(listings) > 1:
        exchanges = ", ".join(repr(item.exchange) for item in listings)
        raise ValidationError(
            f"{symbol} is listed on several exchanges ({exchanges}); pass exchange to choose",
            details={"field": "exchange"},
        )
    return listings[0]


async def _get(ctx: ServiceContext, instrument_id: int) -> Instrument:
    instrument = await InstrumentRepository(ctx.session).get(instrument_id)
    if instrument is None:
        raise NotFoundError("Instrument", instrument_id)
    return instrument


def _apply(instrument: Instrument, fields: InstrumentFields) -> None:
    if fields.asset_class is not None:
        if fields.asset_class not in ASSET_CLASSES:
            raise ValidationError(
                f"asset_class must be one of {', '.join(ASSET_CLASSES)}",
                details={"field": "asset_class"},
            )
        instrument.asset_class = fields.asset_class
    if fields.currency is not None:
        instrument.currency = fields.currency.strip().upper()
    for name in ("name", "tick_size", "lot_size", "active"):
        value = getattr(fields, name)
        if value is not None:
            setattr(instrument, name, value)


def _duplicate(symbol: str, exchange: str) -> ConflictError:
    where = f"exchange {exchange!r}" if exchange else "no exchange"
    return ConflictError(
        f"{symbol} on {where} already exists; update it or use another exchange",
        details={"field": "symbol"},
    )
