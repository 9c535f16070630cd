"""Queries on bars: a bulk upsert and a columnar load, each on its database's fast path.

Bars move in and out by the million, so neither direction builds ORM objects or Python
datetimes. On SQLite the ``ts`` column holds SQLAlchemy's text form of a UTC timestamp
(``2024-01-02 09:30:00.000000``), which NumPy formats and parses in bulk; writes are one
``executemany`` of ``INSERT … ON CONFLICT DO UPDATE … WHERE`` inside the caller's
transaction. On PostgreSQL ``ts`` is a ``timestamptz``; bars that are all new go in by one
binary ``COPY`` straight into the table, others by ``COPY`` into a temporary staging table and
one ``INSERT … SELECT … ON CONFLICT``; they come out by binary ``COPY`` parsed with NumPy.
Both keep microseconds, PostgreSQL's resolution.
"""

from __future__ import annotations

import asyncio
import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from quantdesk.bars import COLUMNS, Bars
from quantdesk.db.models import Bar
from quantdesk.db.repositories import sqlite_native
from quantdesk.db.repositories.base import Repository

Progress = Callable[[int, int], None]

WRITE_CHUNK_ROWS = 50_000
COPY_CHUNK_ROWS = 200_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PG_EPOCH_US = 946_684_800_000_000  # PostgreSQL counts microseconds from 2000-01-01
_UNIQUE_VIOLATION = "23505"
_PG_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_PG_ROW = np.dtype(
    [("fields", ">i2"), ("ts_size", ">i4"), ("ts", ">i8")]
    + [item for name in COLUMNS for item in ((f"{name}_size", ">i4"), (name, ">f8"))]
)
_SQLITE_UPSERT = (
    "INSERT INTO bars (instrument_id, timeframe, ts, open, high, low, close, volume) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (instrument_id, timeframe, ts) DO UPDATE SET open = excluded.open, "
    "high = excluded.high, low = excluded.low, close = excluded.close, "
    "volume = excluded.volume, updated_at = CURRENT_TIMESTAMP "
    "WHERE bars.open IS NOT excluded.open OR bars.high IS NOT excluded.high "
    "OR bars.low IS NOT excluded.low OR bars.close IS NOT excluded.close "
    "OR bars.volume IS NOT excluded.volume"
)
_PG_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS bars_staging (ts timestamptz NOT NULL, open float8 NOT NULL,"
    " high float8 NOT NULL, low float8 NOT NULL, close float8 NOT NULL,"
    " volume float8 NOT NULL) ON COMMIT DROP"
)
_PG_UPSERT = (
    "INSERT INTO bars (instrument_id, timeframe, ts, open, high, low, close, volume) "
    "SELECT $1, $2, ts, open, high, low, close, volume FROM bars_staging "
    "ON CONFLICT (instrument_id, timeframe, ts) DO UPDATE SET open = excluded.open, "
    "high = excluded.high, low = excluded.low, close = excluded.close, "
    "volume = excluded.volume, updated_at = now() "
    "WHERE (bars.open, bars.high, bars.low, bars.close, bars.volume) IS DISTINCT FROM "
    "(excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)"
)
_SELECT = (
    "SELECT ts, open, high, low, close, volume FROM bars "
    "WHERE instrument_id = {} AND timeframe = {}"
)


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """How many bars an upsert added and how many it changed; the rest were equal."""

    inserted: int
    updated: int


@dataclass(frozen=True, slots=True)
class Window:
    """Which stored bars to load: ``[start_ns, end_ns]`` and at most ``limit`` of them.

    With a limit, the earliest bars are kept when only ``start_ns`` is given (paging
    forward from a date) and the latest otherwise (a chart's most recent history).
    """

    start_ns: int | None = None
    end_ns: int | None = None
    limit: int | None = None

    @property
    def latest_first(self) -> bool:
        return self.limit is not None and not (self.start_ns is not None and self.end_ns is None)


class BarRepository(Repository[Bar]):
    """Write and read one instrument's bars in bulk, as NumPy columns."""

    model = Bar

    async def timeframes(self, instrument_id: int) -> list[str]:
        """The timeframes that have bars stored for the instrument."""
        statement = select(Bar.timeframe).where(Bar.instrument_id == instrument_id).distinct()
        return list(await self.session.scalars(statement))

    async def count(
        self, instrument_id: int, timeframe: str, start_ns: int | None, end_ns: int | None
    ) -> int:
        """How many bars are stored for the instrument and timeframe in ``[start, end]``."""
        conditions = _range(instrument_id, timeframe, start_ns, end_ns)
        statement = select(func.count()).select_from(Bar).where(*conditions)
        return int((await self.session.execute(statement)).scalar_one())

    async def upsert(
        self, instrument_id: int, bars: Bars, *, progress: Progress | None = None
    ) -> UpsertCounts:
        """Insert new bars and overwrite changed ones, in the session's transaction.

        Bars equal to what is stored are left alone (their ``updated_at`` included), so
        importing the same data twice changes nothing. ``bars`` must be validated: unique,
        increasing timestamps. ``progress`` is called with the rows written so far and the total.
        """
        if not len(bars):
            return UpsertCounts(0, 0)
        first, last = int(bars.timestamps[0]), int(bars.timestamps[-1])
        before = await self.count(instrument_id, bars.timeframe, first, last)
        connection = await self.session.connection()
        if connection.dialect.name == "postgresql":
            driver = await _driver(connection)
            if not driver.is_in_transaction():
                raise RuntimeError("bars must be written inside the unit of work's transaction")
            if before == 0 and await _postgres_copy_new(driver, instrument_id, bars, progress):
                return UpsertCounts(inserted=len(bars), updated=0)
            changed = await _postgres_upsert(driver, instrument_id, bars, progress)
        else:
            changed = await _sqlite_upsert(connection, instrument_id, bars, progress)
            if before == 0:
                return UpsertCounts(inserted=changed, updated=0)
        inserted = await self.count(instrument_id, bars.timeframe, first, last) - before
        return UpsertCounts(inserted=inserted, updated=changed - inserted)

    async def load(self, instrument_id: int, timeframe: str, window: Window) -> Bars:
        """The stored bars in the window, oldest first, as ``Bars`` without a symbol."""
        connection = await self.session.connection()
        if connection.dialect.name == "postgresql":
            return await _postgres_load(connection, instrument_id, timeframe, window)
        return await _sqlite_load(connection, instrument_id, timeframe, window)

    async def first_and_last(
        self, instrument_id: int, timeframe: str
    ) -> tuple[datetime, datetime] | None:
        """The first and last stored timestamps, or None when there are no bars."""
        statement = select(func.min(Bar.ts), func.max(Bar.ts)).where(
            Bar.instrument_id == instrument_id, Bar.timeframe == timeframe
        )
        first, last = (await self.session.execute(statement)).one()
        return None if first is None else (as_datetime(first), as_datetime(last))


def to_datetime(timestamp_ns: int) -> datetime:
    """A UTC datetime from epoch nanoseconds, truncated to microseconds."""
    return _EPOCH + timedelta(microseconds=timestamp_ns // 1_000)


def as_datetime(value: Any) -> datetime:
    """A stored timestamp as a UTC datetime, whichever form the driver returned."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return to_datetime(int(np.datetime64(str(value), "ns").astype(np.int64)))


def _range(
    instrument_id: int, timeframe: str, start_ns: int | None, end_ns: int | None
) -> list[ColumnElement[bool]]:
    conditions = [Bar.instrument_id == instrument_id, Bar.timeframe == timeframe]
    if start_ns is not None:
        conditions.append(Bar.ts >= to_datetime(start_ns))
    if end_ns is not None:
        conditions.append(Bar.ts <= to_datetime(end_ns))
    return conditions


def _sqlite_text(timestamps: np.ndarray) -> np.ndarray:
    """Format epoch ns as SQLAlchemy stores datetimes on SQLite: ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    text = np.datetime_as_string(timestamps.view("datetime64[ns]").astype("datetime64[us]"))
    characters = text.view(np.uint32).reshape(len(text), -1).copy()
    characters[:, 10] = ord(" ")
    return characters.view(text.dtype).ravel()


async def _sqlite_upsert(
    connection: AsyncConnection, instrument_id: int, bars: Bars, progress: Progress | None
) -> int:
    changed = 0
    for start in range(0, len(bars), WRITE_CHUNK_ROWS):
        chunk = bars[start : start + WRITE_CHUNK_ROWS]
        columns = [_sqlite_text(chunk.timestamps).tolist()]
        columns += [getattr(chunk, name).tolist() for name in COLUMNS]
        rows = list(
            zip(
                itertools.repeat(instrument_id),
                itertools.repeat(bars.timeframe),
                *columns,
                strict=False,
            )
        )
        result = await connection.exec_driver_sql(_SQLITE_UPSERT, rows)
        changed += max(result.rowcount, 0)
        if progress is not None:
            progress(start + len(chunk), len(bars))
    return changed


async def _sqlite_load(
    connection: AsyncConnection, instrument_id: int, timeframe: str, window: Window
) -> Bars:
    sql, params = _select_sql(window, "?", instrument_id, timeframe)
    for bound in (window.start_ns, window.end_ns):
        if bound is not None:
            params.append(str(_sqlite_text(np.array([bound], dtype=np.int64))[0]))
    params = _with_limit(params, window)
    driver = await _driver(connection)
    path = await sqlite_native.committed_file(driver)
    columns = None
    if path is not None:
        columns = await asyncio.to_thread(sqlite_native.select_bars, path, sql, params)
    if columns is None:
        return _sqlite_rows_to_bars(await driver.execute_fetchall(sql, params), timeframe, window)
    timestamps, values = columns
    return _bars(timestamps, list(values), timeframe, window)


def _sqlite_rows_to_bars(rows: Any, timeframe: str, window: Window) -> Bars:
    """Rows of the session's own connection: slower, but they include its uncommitted writes."""
    table = np.array(rows, dtype=[("ts", "U26"), *((name, "f8") for name in COLUMNS)])
    timestamps = table["ts"].astype("datetime64[us]").astype("datetime64[ns]").view(np.int64)
    return _bars(timestamps, [table[name] for name in COLUMNS], timeframe, window)


def _select_sql(
    window: Window, marker: str, instrument_id: int, timeframe: str
) -> tuple[str, list[Any]]:
    numbered = marker == "$"
    slots = itertools.count(1)

    def slot() -> str:
        return f"${next(slots)}" if numbered else "?"

    sql = _SELECT.format(slot(), slot())
    if window.start_ns is not None:
        sql += f" AND ts >= {slot()}"
    if window.end_ns is not None:
        sql += f" AND ts <= {slot()}"
    sql += " ORDER BY ts DESC" if window.latest_first else " ORDER BY ts"
    if window.limit is not None:
        sql += f" LIMIT {slot()}"
    return sql, [instrument_id, timeframe]


def _with_limit(params: list[Any], window: Window) -> list[Any]:
    return [*params, window.limit] if window.limit is not None else params


def _bars(timestamps: np.ndarray, values: list[np.ndarray], timeframe: str, window: Window) -> Bars:
    if window.latest_first:
        timestamps, values = timestamps[::-1], [column[::-1] for column in values]
    return Bars.from_arrays(timestamps, *values, timeframe=timeframe)


def _pg_copy_payload(bars: Bars, instrument_id: int | None = None) -> bytes:
    """The bars in PostgreSQL's binary COPY format, built column by column with NumPy.

    Every field has a fixed width, so each row is one record of a structured array. With
    ``instrument_id`` the rows also carry the instrument and timeframe, to COPY into bars.
    """
    keys: list[tuple[str, str]] = []
    label = bars.timeframe.encode()
    if instrument_id is not None:
        keys = [("instrument_id", ">i8"), ("timeframe", f"S{len(label)}")]
    fields = [*keys, ("ts", ">i8"), *((name, ">f8") for name in COLUMNS)]
    layout = [("fields", ">i2")]
    layout += [item for name, kind in fields for item in ((f"{name}_size", ">i4"), (name, kind))]
    table = np.empty(len(bars), dtype=np.dtype(layout))
    table["fields"] = len(fields)
    for name, kind in fields:
        table[f"{name}_size"] = len(label) if kind.startswith("S") else 8
    if instrument_id is not None:
        table["instrument_id"] = instrument_id
        table["timeframe"] = label
    table["ts"] = bars.timestamps // 1_000 - _PG_EPOCH_US
    for name in COLUMNS:
        table[name] = getattr(bars, name)
    return _PG_SIGNATURE + bytes(8) + table.tobytes() + b"\xff\xff"


async def _pg_copy(
    driver: Any, table: str, bars: Bars, progress: Progress | None, instrument_id: int | None
) -> None:
    columns = ["ts", *COLUMNS]
    if instrument_id is not None:
        columns = ["instrument_id", "timeframe", *columns]
    for start in range(0, len(bars), COPY_CHUNK_ROWS):
        chunk = bars[start : start + COPY_CHUNK_ROWS]
        payload = io.BytesIO(_pg_copy_payload(chunk, instrument_id))
        await driver.copy_to_table(table, source=payload, columns=columns, format="binary")
        if progress is not None:
            progress(start + len(chunk), len(bars))


async def _postgres_copy_new(
    driver: Any, instrument_id: int, bars: Bars, progress: Progress | None
) -> bool:
    """COPY straight into bars when none of them is stored yet: the fastest path there is.

    It runs in a savepoint, so rows a concurrent writer added meanwhile make it answer
    False (nothing written) and the caller falls back to the upsert.
    """
    try:
        async with driver.transaction():
            await _pg_copy(driver, "bars", bars, progress, instrument_id)
    except Exception as error:
        if getattr(error, "sqlstate", None) != _UNIQUE_VIOLATION:
            raise
        return False
    return True


async def _postgres_upsert(
    driver: Any, instrument_id: int, bars: Bars, progress: Progress | None
) -> int:
    await driver.execute(_PG_STAGING)
    await driver.execute("TRUNCATE bars_staging")
    await _pg_copy(driver, "bars_staging", bars, progress, None)
    status: str = await driver.execute(_PG_UPSERT, instrument_id, bars.timeframe)
    await driver.execute("DROP TABLE bars_staging")
    return int(status.rsplit(" ", 1)[-1])


async def _postgres_load(
    connection: AsyncConnection, instrument_id: int, timeframe: str, window: Window
) -> Bars:
    sql, params = _select_sql(window, "$", instrument_id, timeframe)
    for bound in (window.start_ns, window.end_ns):
        if bound is not None:
            params.append(to_datetime(bound))
    driver = await _driver(connection)
    buffer = io.BytesIO()
    await driver.copy_from_query(sql, *_with_limit(params, window), output=buffer, format="binary")
    table = _parse_pg_copy(buffer.getvalue())
    timestamps = (table["ts"].astype(np.int64) + _PG_EPOCH_US) * 1_000
    values = [table[name].astype(np.float64) for name in COLUMNS]
    return _bars(timestamps, values, timeframe, window)


def _parse_pg_copy(payload: bytes) -> np.ndarray:
    extension = int.from_bytes(payload[15:19], "big")
    offset = 19 + extension
    rows = (len(payload) - offset - 2) // _PG_ROW.itemsize
    return np.frombuffer(payload, dtype=_PG_ROW, offset=offset, count=rows)


async def _driver(connection: AsyncConnection) -> Any:
    """The driver's own connection (aiosqlite or asyncpg), inside the session's transaction."""
    return (await connection.get_raw_connection()).driver_connection
