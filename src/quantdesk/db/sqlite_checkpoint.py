"""WAL checkpoints for a SQLite file database, on a thread of their own.

SQLite copies the write-ahead log back into the database file (a checkpoint, with an
fsync) at the commit that takes the log past 1,000 pages. Statements of a file database
run on the event loop's thread (:mod:`quantdesk.db.sqlite_inline`), so that commit stalled
every request in flight: 20 ms every 0.3 s under 200 orders a second. The engine's
connections turn automatic checkpoints off and a :class:`WalCheckpointer` runs passive
ones from a thread instead: they wait for no reader or writer, and SQLite releases the GIL
while they copy and sync, so the loop goes on.

A passive checkpoint alone never lets the log start over: writers add to it while it runs,
so it is never found complete. Each round therefore ends with a restarting checkpoint of the
few pages written meanwhile, which holds the write lock for about a millisecond (a writer of
this process waits it out with ``await``, see :mod:`quantdesk.db.sqlite_inline`); the next
writer then writes the log from its beginning again.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import structlog

__all__ = ["JOURNAL_SIZE_LIMIT", "WalCheckpointer"]

logger = structlog.get_logger(__name__)

# the log restarts from its beginning after a full checkpoint; beyond this it is truncated
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024


class WalCheckpointer:
    """Checkpoint one database's log every ``interval`` seconds while started."""

    def __init__(self, path: str, interval: float = 0.5) -> None:
        self.path = path
        self.interval = interval
        self.runs = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether the thread is checkpointing."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread unless it runs already (the engine calls this per connection)."""
        with self._guard:
            if self.running:
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name=f"sqlite-checkpoint:{Path(self.path).name}", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread after one last checkpoint."""
        with self._guard:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None:
            thread.join(timeout=10)

    def _run(self) -> None:
        try:
            # read-write, never create: a database deleted meanwhile stays deleted
            uri = f"{Path(self.path).resolve().as_uri()}?mode=rw"
            connection = sqlite3.connect(uri, timeout=0, isolation_level=None, uri=True)
        except sqlite3.Error as error:
            logger.warning("sqlite_checkpoint_unavailable", error=str(error))
            return
        try:
            while not self._stop.wait(self.interval):
                if not Path(self.path).exists():
                    return
                self._checkpoint(connection)
            self._checkpoint(connection)
        finally:
            connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            # the bulk of the log with no lock; then what came meanwhile, and a restart
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
            self.runs += 1
        except sqlite3.Error as error:
            # a busy database is checkpointed next time; anything else is worth a line
            if "locked" not in str(error) and "busy" not in str(error):
                logger.warning("sqlite_checkpoint_failed", error=str(error))
