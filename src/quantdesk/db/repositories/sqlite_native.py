"""Read committed bars from SQLite into NumPy columns in compiled code, without Python rows.

Python's ``sqlite3`` builds a tuple and a Python object per value, which for a million bars
costs three times the query itself. Here a Numba loop steps the statement and copies each
value straight into preallocated arrays, parsing the text timestamps as it goes.

It calls the very SQLite library that Python's ``sqlite3`` module uses (looked up through
that module's own extension), on a second, read-only connection. One library matters: two
copies of SQLite in one process clobber each other's POSIX locks and can corrupt the file.
A second connection sees what is committed, never the caller's pending writes, so
``committed_file`` says when this path may be used; callers fall back to their session.
"""

from __future__ import annotations

import ctypes
import sqlite3
from collections.abc import Sequence
from functools import cache
from typing import Any

import numba
import numpy as np
from llvmlite import binding  # type: ignore[import-untyped]  # llvmlite ships no types
from numba import types
from numba.np.numpy_support import carray

CHUNK_ROWS = 65_536
_TEXT_TS_LENGTH = 26  # YYYY-MM-DD HH:MM:SS.ffffff, as SQLAlchemy stores datetimes
_ROW, _DONE, _OPEN_READONLY, _TRANSIENT = 100, 101, 0x1, ctypes.c_void_p(-1)
_BAD_TEXT = -1

# Resolved by name at link time, so the compiled loop can be cached; statements are intp.
_UINT8_POINTER: Any = types.CPointer(types.uint8)  # type: ignore[no-untyped-call]
_step: Any = types.ExternalFunction("sqlite3_step", types.int32(types.intp))
_column_double: Any = types.ExternalFunction(
    "sqlite3_column_double", types.float64(types.intp, types.int32)
)
_column_text: Any = types.ExternalFunction(
    "sqlite3_column_text", _UINT8_POINTER(types.intp, types.int32)
)
_column_bytes: Any = types.ExternalFunction(
    "sqlite3_column_bytes", types.int32(types.intp, types.int32)
)


@cache
def _library() -> Any | None:
    """Python's own SQLite, or None when its symbols cannot be reached (a static build)."""
    import _sqlite3

    try:
        library = ctypes.CDLL(_sqlite3.__file__)
        if library.sqlite3_libversion_number() != _version_number():
            return None
        binding.load_library_permanently(_sqlite3.__file__)
    except (AttributeError, OSError, RuntimeError):
        return None
    library.sqlite3_open_v2.argtypes = [
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_int,
        ctypes.c_char_p,
    ]
    library.sqlite3_prepare_v2.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_void_p,
    ]
    library.sqlite3_bind_int64.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int64]
    library.sqlite3_bind_text.argtypes = [
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_void_p,
    ]
    for name in ("sqlite3_finalize", "sqlite3_close_v2"):
        getattr(library, name).argtypes = [ctypes.c_void_p]
    library.sqlite3_busy_timeout.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return library


def _version_number() -> int:
    major, minor, patch = sqlite3.sqlite_version_info
    return major * 1_000_000 + minor * 1_000 + patch


async def committed_file(driver: Any) -> str | None:
    """The database file this module may read, or None when the session must read instead.

    ``driver`` is the session's aiosqlite connection. None when the database lives in
    memory, when the session's transaction holds writes not yet committed (a second
    connection could not see them), or when Python's SQLite cannot be reached.
    """
    if driver.in_transaction or _library() is None:
        return None
    databases: Any = await driver.execute_fetchall("PRAGMA database_list")
    files = [row[2] for row in databases if row[1] == "main"]
    return files[0] if files and files[0] else None


def select_bars(
    path: str, sql: str, parameters: Sequence[int | str]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Run a ``SELECT ts, open, high, low, close, volume`` with ``?`` parameters on ``path``.

    Returns epoch-nanosecond timestamps and a ``(5, rows)`` float64 array, or None when a
    timestamp is not in SQLAlchemy's text form or SQLite reports an error (the caller then
    reads through its session, which raises properly). It blocks: run it in a thread.
    """
    library = _library()
    if library is None:
        return None
    connection = ctypes.c_void_p()
    try:
        if library.sqlite3_open_v2(path.encode(), ctypes.byref(connection), _OPEN_READONLY, None):
            return None
        library.sqlite3_busy_timeout(connection, 30_000)
        return _select(library, connection, sql, parameters)
    finally:
        library.sqlite3_close_v2(connection)


def _select(
    library: Any, connection: ctypes.c_void_p, sql: str, parameters: Sequence[int | str]
) -> tuple[np.ndarray, np.ndarray] | None:
    statement = ctypes.c_void_p()
    if library.sqlite3_prepare_v2(connection, sql.encode(), -1, ctypes.byref(statement), None):
        return None
    try:
        for index, value in enumerate(parameters, start=1):
            if isinstance(value, int):
                library.sqlite3_bind_int64(statement, index, value)
            else:
                library.sqlite3_bind_text(statement, index, value.encode(), -1, _TRANSIENT)
        return _drain_all(int(statement.value or 0))
    finally:
        library.sqlite3_finalize(statement)


def _drain_all(statement: int) -> tuple[np.ndarray, np.ndarray] | None:
    stamps, values = [], []
    while True:
        chunk_stamps = np.empty(CHUNK_ROWS, dtype=np.int64)
        chunk_values = np.empty((5, CHUNK_ROWS), dtype=np.float64)
        rows, status = _drain(statement, chunk_stamps, chunk_values)
        if status not in (_ROW, _DONE):
            return None
        stamps.append(chunk_stamps[:rows])
        values.append(chunk_values[:, :rows])
        if status == _DONE:
            return np.concatenate(stamps), np.concatenate(values, axis=1)


@numba.njit(cache=True, nogil=True)
def _drain(statement: int, stamps: np.ndarray, values: np.ndarray) -> tuple[int, int]:
    """Step up to ``len(stamps)`` rows into the arrays; return (rows, last step's status)."""
    rows = 0
    while rows < stamps.shape[0]:
        status = _step(statement)
        if status != _ROW:
            return rows, status
        if _column_bytes(statement, 0) != _TEXT_TS_LENGTH:
            return rows, _BAD_TEXT
        stamps[rows] = _parse_ns(carray(_column_text(statement, 0), (_TEXT_TS_LENGTH,)))
        if stamps[rows] == _BAD_TEXT:
            return rows, _BAD_TEXT
        for column in range(5):
            values[column, rows] = _column_double(statement, column + 1)
        rows += 1
    return rows, _ROW


@numba.njit(cache=True, nogil=True)
def _parse_ns(text: np.ndarray) -> int:
    """Epoch nanoseconds of ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC), or -1 if malformed."""
    digits = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22, 23, 24, 25)
    for position in digits:
        if not 48 <= text[position] <= 57:
            return _BAD_TEXT
    year = _number(text, 0, 4)
    month, day = _number(text, 5, 2), _number(text, 8, 2)
    seconds = _number(text, 11, 2) * 3600 + _number(text, 14, 2) * 60 + _number(text, 17, 2)
    days = _days_from_civil(year, month, day)
    return ((days * 86_400 + seconds) * 1_000_000 + _number(text, 20, 6)) * 1_000


@numba.njit(cache=True, nogil=True)
def _number(text: np.ndarray, start: int, length: int) -> int:
    value = 0
    for position in range(start, start + length):
        value = value * 10 + (text[position] - 48)
    return value


@numba.njit(cache=True, nogil=True)
def _days_from_civil(year: int, month: int, day: int) -> int:
    # Howard Hinnant's algorithm: days since 1970-01-01 in the proleptic Gregorian calendar.
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468
