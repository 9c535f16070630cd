"""Reading committed SQLite bars in compiled code beside the application's own connection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import numpy as np

from quantdesk.db.repositories import sqlite_native

SELECT = "SELECT ts, open, high, low, close, volume FROM t WHERE open >= ? AND k = ? ORDER BY ts"
CREATE = "CREATE TABLE t (k TEXT, ts TEXT, open REAL, high REAL, low REAL, close REAL, volume REAL)"


def text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


async def test_committed_file_in_memory_database_is_none() -> None:
    async with aiosqlite.connect(":memory:") as connection:
        assert await sqlite_native.committed_file(connection) is None


async def test_committed_file_none_while_writes_are_pending(tmp_path: Path) -> None:
    path = tmp_path / "bars.db"
    async with aiosqlite.connect(path) as connection:
        await connection.execute(CREATE)
        await connection.commit()
        await connection.execute_fetchall("SELECT k FROM t")
        assert await sqlite_native.committed_file(connection) == str(path)
        await connection.execute("INSERT INTO t (k) VALUES ('a')")
        assert await sqlite_native.committed_file(connection) is None
        await connection.commit()
        assert await sqlite_native.committed_file(connection) == str(path)


async def test_select_bars_reads_committed_rows_of_a_wal_database(tmp_path: Path) -> None:
    path = tmp_path / "bars.db"
    moments = [
        datetime(1901, 3, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2024, 2, 29, 9, 30, 0, 123_456, tzinfo=UTC),
        *(datetime(2100, 1, 1, tzinfo=UTC).replace(microsecond=i) for i in range(100_000)),
    ]
    rows = [("a", text(m), i + 0.25, i + 1.5, i + 0.0, i + 1.0, 7.0) for i, m in enumerate(moments)]
    async with aiosqlite.connect(path) as connection:
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute(CREATE)
        await connection.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        await connection.commit()
        await connection.execute(
            "INSERT INTO t VALUES ('a', '2200-01-01 00:00:00.000000', 1, 1, 1, 1, 1)"
        )
        columns = sqlite_native.select_bars(str(path), SELECT, [0, "a"])
        await connection.rollback()
    assert columns is not None
    stamps, values = columns
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    expected = [(m - epoch) // timedelta(microseconds=1) * 1_000 for m in moments[:3]]
    assert stamps[:3].tolist() == expected
    assert len(stamps) == len(moments)
    np.testing.assert_array_equal(values[0], [row[2] for row in rows])
    np.testing.assert_array_equal(values[4], 7.0)


async def test_select_bars_unexpected_timestamp_text_is_none(tmp_path: Path) -> None:
    path = tmp_path / "bars.db"
    async with aiosqlite.connect(path) as connection:
        await connection.execute(CREATE)
        await connection.execute("INSERT INTO t VALUES ('a', '2024-01-02 09:30:00', 1, 1, 1, 1, 1)")
        await connection.commit()
    assert sqlite_native.select_bars(str(path), SELECT, [0, "a"]) is None
