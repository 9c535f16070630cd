"""Read committed SQLite rows straight into Arrow columns, through the ADBC SQLite driver.

Python's ``sqlite3`` builds a tuple and a Python object per value, which for a million
bars costs more than the query itself; ADBC's C driver fills Arrow buffers instead. It
opens its own connection to the same database file, so it sees what is committed (WAL
lets it read beside the application's writers) and never what the caller's transaction
has written but not yet committed: ``committed_file`` says when that is safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import adbc_driver_sqlite.dbapi as adbc_sqlite
import pyarrow as pa
from adbc_driver_sqlite import StatementOptions

BATCH_ROWS = 65_536


async def committed_file(driver: Any) -> str | None:
    """The database file a second connection can read, or None when it would see otherwise.

    ``driver`` is the session's aiosqlite connection. None when the database lives in
    memory, or when the session's transaction holds writes not yet committed (another
    connection could not see them).
    """
    if driver.in_transaction:
        return None
    databases: Any = await driver.execute_fetchall("PRAGMA database_list")
    files = [row[2] for row in databases if row[1] == "main"]
    return files[0] if files and files[0] else None


def select_table(path: str, sql: str, parameters: Sequence[Any]) -> pa.Table:
    """Run ``sql`` with ``?`` parameters on the file at ``path``; it blocks, so use a thread."""
    with adbc_sqlite.connect(path) as connection, connection.cursor() as cursor:
        cursor.adbc_statement.set_options(**{StatementOptions.BATCH_ROWS.value: str(BATCH_ROWS)})
        cursor.execute(sql, list(parameters) or None)
        return cursor.fetch_arrow_table()
