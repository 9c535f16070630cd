"""Data-quality reports for stored bars and for files before they are imported.

Stored bars cannot hold duplicates (the database's unique key) and load sorted, so those
two checks only find something in files. A file is read with the import's own reader;
rows it refuses (duplicate timestamps, broken OHLC) come back as its ``ValidationError``
naming each file row, exactly what an import would say.
"""

from __future__ import annotations

from datetime import datetime

from quantdesk.marketdata.files import FileOptions, read_bars
from quantdesk.quality import Calendar, QualityReport, check_quality
from quantdesk.services import market_data
from quantdesk.services.context import ServiceContext

DEFAULT_JUMP_THRESHOLD = 0.2


async def check(
    ctx: ServiceContext,
    symbol: str,
    timeframe: str,
    *,
    calendar: Calendar = "24/7",
    jump_threshold: float = DEFAULT_JUMP_THRESHOLD,
    start: datetime | None = None,
    end: datetime | None = None,
    exchange: str | None = None,
) -> QualityReport:
    """Report the quality of a symbol's stored bars at ``timeframe``.

    Raises:
        NotFoundError: The symbol is unknown or has no bars at (or below) the timeframe.
        ValidationError: A malformed timeframe, calendar or threshold.
    """
    bars = await market_data.load_bars(
        ctx, symbol, timeframe, start=start, end=end, exchange=exchange
    )
    return check_quality(bars, timeframe, calendar=calendar, jump_threshold=jump_threshold)


def check_file(
    data: bytes,
    options: FileOptions,
    *,
    calendar: Calendar = "24/7",
    jump_threshold: float = DEFAULT_JUMP_THRESHOLD,
) -> QualityReport:
    """Report the quality of a CSV or Parquet file's bars before importing it.

    Raises:
        ValidationError: Rows the importer would refuse; ``details`` names each file row.
    """
    bars = read_bars(data, options)
    return check_quality(bars, options.timeframe, calendar=calendar, jump_threshold=jump_threshold)
