"""Market data: store bars idempotently, load them back (resampled when asked), import files.

Everything here runs in the caller's unit of work, so an import is one transaction: a file
that fails half-way writes nothing. Symbols are upper-cased; an empty exchange means the
source names none. Market data is shared by every user, so storing and loading need no
particular actor: the API lets any signed-in user call them, the CLI and jobs the operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import structlog

from quantdesk.bars import Bars, timeframe_ns
from quantdesk.db.repositories.bars import BarRepository, Progress, Window, to_datetime
from quantdesk.db.repositories.instruments import InstrumentRepository
from quantdesk.errors import NotFoundError, ValidationError
from quantdesk.marketdata.files import FileOptions, detect_format, read_bars
from quantdesk.marketdata.synthetic import SyntheticSpec, synthetic_bars
from quantdesk.services import instruments, quotes
from quantdesk.services.context import ServiceContext

__all__ = [
    "FileOptions",
    "ImportSummary",
    "SyntheticSpec",
    "detect_format",
    "import_file",
    "load_bars",
    "store_bars",
    "store_synthetic",
    "stored_timeframes",
]

logger = structlog.get_logger(__name__)
_WEEK_ORIGIN_NS = 4 * 86_400 * 10**9  # Monday 1970-01-05, as Bars.resample labels weeks


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What a store did: rows received, and how many were new, changed or already equal."""

    symbol: str
    exchange: str
    timeframe: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    first: datetime | None
    last: datetime | None


async def store_bars(
    ctx: ServiceContext,
    instrument_symbol: str,
    bars: Bars,
    *,
    exchange: str = "",
    create_instrument: bool = True,
    progress: Progress | None = None,
) -> ImportSummary:
    """Upsert bars for an instrument: new ones are added, changed ones overwritten.

    Storing the same bars again changes nothing and reports them as unchanged;
    overlapping batches merge. The bars are validated first (OHLC rules, increasing
    timestamps) and need a timeframe. Timestamps keep microsecond resolution.

    Raises:
        ValidationError: The bars break an OHLCV rule (details name the rows) or have no
            timeframe.
        NotFoundError: The instrument does not exist and ``create_instrument`` is off.
    """
    if not bars.timeframe:
        raise ValidationError("bars need a timeframe such as 1d; set it when building them")
    bars.validate()
    instrument = await _instrument_for_store(ctx, instrument_symbol, exchange, create_instrument)
    counts = await BarRepository(ctx.session).upsert(instrument.id, bars, progress=progress)
    summary = _summary(
        instrument.symbol, instrument.exchange, bars, counts.inserted, counts.updated
    )
    logger.info(
        "bars_stored",
        instrument_id=instrument.id,
        timeframe=bars.timeframe,
        rows=summary.rows,
        inserted=summary.inserted,
        updated=summary.updated,
    )
    return summary


async def load_bars(
    ctx: ServiceContext,
    symbol: str,
    timeframe: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
    exchange: str | None = None,
) -> Bars:
    """Load bars of a symbol in ``[start, end]``, resampling when the timeframe is not stored.

    A timeframe that is not stored is built from the finest stored one that divides it
    (1d from 1h, 1h from 1m). With ``limit``, the earliest bars are returned when only
    ``start`` is given and the latest otherwise. Naive datetimes are taken as UTC.

    Raises:
        NotFoundError: The symbol is unknown, or nothing usable is stored for the timeframe.
        ValidationError: The timeframe or range is malformed, or the symbol is ambiguous.
    """
    length = timeframe_ns(timeframe)
    window = Window(_ns(start), _ns(end), limit)
    if (
        window.start_ns is not None
        and window.end_ns is not None
        and window.start_ns > window.end_ns
    ):
        raise ValidationError("start is after end; swap them", details={"field": "start"})
    instrument = await instruments.resolve_instrument(ctx, symbol, exchange)
    repository = BarRepository(ctx.session)
    stored = await repository.timeframes(instrument.id)
    if timeframe in stored:
        bars = await repository.load(instrument.id, timeframe, window)
        return _named(bars, instrument.symbol)
    source = _finest_divisor(stored, length)
    if source is None:
        raise NotFoundError("Bars", f"of {instrument.symbol} at {timeframe} or a finer divisor")
    finer = await repository.load(instrument.id, source, _widened(window, timeframe, length))
    resampled = finer.resample(timeframe)
    return _named(_limited(resampled, window), instrument.symbol)


async def stored_timeframes(
    ctx: ServiceContext, symbol: str, exchange: str | None = None
) -> list[str]:
    """The timeframes stored for a symbol, finest first."""
    instrument = await instruments.resolve_instrument(ctx, symbol, exchange)
    stored = await BarRepository(ctx.session).timeframes(instrument.id)
    return sorted(stored, key=timeframe_ns)


async def import_file(
    ctx: ServiceContext,
    data: bytes,
    options: FileOptions,
    *,
    symbol: str,
    exchange: str = "",
    progress: Progress | None = None,
) -> ImportSummary:
    """Parse a CSV or Parquet file and store its bars, all or nothing; the quote follows.

    Raises:
        ValidationError: The file is malformed; ``details`` lists ``{row, column, problem}``
            with rows numbered as in the file (the header is row 1).
    """
    if len(data) > ctx.config.max_upload_bytes:
        limit = ctx.config.max_upload_bytes // (1024 * 1024)
        raise ValidationError(
            f"the file is larger than the {limit} MB limit; split it or raise "
            "QUANTDESK_MAX_UPLOAD_MB",
            details={"field": "file"},
        )
    bars = read_bars(data, options)
    summary = await store_bars(ctx, symbol, bars, exchange=exchange, progress=progress)
    await quotes.refresh_from_bars(ctx, summary.symbol, bars)
    return summary


async def store_synthetic(
    ctx: ServiceContext, spec: SyntheticSpec, *, exchange: str = ""
) -> ImportSummary:
    """Generate seeded synthetic bars and store them; the same spec always gives the same bars.

    The symbol's quote follows the newest bar, unless a newer quote is already cached.
    """
    bars = synthetic_bars(spec)
    summary = await store_bars(ctx, spec.symbol, bars, exchange=exchange)
    await quotes.refresh_from_bars(ctx, summary.symbol, bars)
    return summary


async def _instrument_for_store(
    ctx: ServiceContext, symbol: str, exchange: str, create: bool
) -> instruments.Instrument:
    if create:
        return await instruments.ensure_instrument(ctx, symbol, exchange)
    normalized = instruments.normalize_symbol(symbol)
    found = await InstrumentRepository(ctx.session).get_by_symbol(
        normalized, instruments.normalize_exchange(exchange)
    )
    if found is None:
        raise NotFoundError("Instrument", f"{normalized} on exchange {exchange!r}")
    return found


def _summary(symbol: str, exchange: str, bars: Bars, inserted: int, updated: int) -> ImportSummary:
    rows = len(bars)
    return ImportSummary(
        symbol=symbol,
        exchange=exchange,
        timeframe=bars.timeframe,
        rows=rows,
        inserted=inserted,
        updated=updated,
        unchanged=rows - inserted - updated,
        first=to_datetime(int(bars.timestamps[0])) if rows else None,
        last=to_datetime(int(bars.timestamps[-1])) if rows else None,
    )


def _ns(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(np.datetime64(aware.astimezone(UTC).replace(tzinfo=None), "ns").astype(np.int64))


def _finest_divisor(stored: list[str], length: int) -> str | None:
    divisors = [tf for tf in stored if timeframe_ns(tf) < length and length % timeframe_ns(tf) == 0]
    return min(divisors, key=timeframe_ns, default=None)


def _widened(window: Window, timeframe: str, length: int) -> Window:
    """Cover whole coarse buckets: from the start of the first to the end of the last."""
    origin = _WEEK_ORIGIN_NS if timeframe.endswith("w") else 0
    start, end = window.start_ns, window.end_ns
    if start is not None:
        start -= (start - origin) % length
    if end is not None:
        end += length - 1 - (end - origin) % length
    return Window(start, end, None)


def _limited(bars: Bars, window: Window) -> Bars:
    if window.limit is None or len(bars) <= window.limit:
        return bars
    return bars[-window.limit :] if window.latest_first else bars[: window.limit]


def _named(bars: Bars, symbol: str) -> Bars:
    return Bars.from_arrays(*bars.columns.values(), symbol=symbol, timeframe=bars.timeframe)
