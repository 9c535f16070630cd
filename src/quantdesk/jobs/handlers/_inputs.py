"""How backtest jobs get their bars: a compressed snapshot in the run's row, read by the worker.

The service loads the bars when the job is submitted (so a symbol without bars is refused
at once) and stores them, compressed, in ``backtest_runs.inputs``. The worker process, a
local pool process or a Dask worker on another machine, reads that one value back over its
own short-lived connection. The job payload names the database without its password; the
worker takes the password from its own environment (``QUANTDESK_DATABASE_URL`` or
``DATABASE_URL`` naming the same server and user, else ``PGPASSWORD`` or ``~/.pgpass``).
"""

from __future__ import annotations

import asyncio
import io
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from quantdesk.bars import COLUMNS, Bars

_URL_SETTINGS = ("QUANTDESK_DATABASE_URL", "DATABASE_URL")
_SAME_SERVER = ("drivername", "username", "host", "port", "database")


def pack_bars(series: Mapping[str, Bars]) -> bytes:
    """Compress bars per symbol into one value: timestamps and OHLCV arrays, no pickles."""
    arrays: dict[str, np.ndarray] = {"symbols": np.array(list(series), dtype=np.str_)}
    for index, bars in enumerate(series.values()):
        arrays[f"{index}.timeframe"] = np.array(bars.timeframe or "", dtype=np.str_)
        for name, values in bars.columns.items():
            arrays[f"{index}.{name}"] = values
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def unpack_bars(blob: bytes) -> dict[str, Bars]:
    """Rebuild the bars per symbol that :func:`pack_bars` stored, in their order."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
        return {
            str(symbol): Bars.from_arrays(
                stored[f"{index}.timestamps"],
                *(stored[f"{index}.{name}"] for name in COLUMNS),
                symbol=str(symbol),
                timeframe=str(stored[f"{index}.timeframe"]),
            )
            for index, symbol in enumerate(stored["symbols"])
        }


def public_url(url: str | URL) -> str:
    """The database URL without its password, safe to keep in a job payload."""
    return make_url(url)._replace(password=None).render_as_string(hide_password=False)


def read_inputs(database: str, run_id: int) -> dict[str, Bars]:
    """Read run ``run_id``'s bar snapshot from ``database`` (a URL without password)."""
    blob = asyncio.run(_read_blob(_with_password(make_url(database)), run_id))
    if blob is None:
        raise LookupError(
            f"backtest run {run_id} has no stored bars (deleted, or already finished); "
            "submit the run again"
        )
    return unpack_bars(blob)


async def _read_blob(url: URL, run_id: int) -> bytes | None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            statement = text("SELECT inputs FROM backtest_runs WHERE id = :run_id")
            value = (await connection.execute(statement, {"run_id": run_id})).scalar()
    finally:
        await engine.dispose()
    return bytes(value) if value is not None else None


def _with_password(url: URL) -> URL:
    for name in _URL_SETTINGS:
        configured = os.environ.get(name)
        if not configured:
            continue
        candidate = make_url(configured)
        same = all(getattr(candidate, part) == getattr(url, part) for part in _SAME_SERVER)
        if same and candidate.password:
            return url.set(password=candidate.password)
    return url


def json_ready(value: Any) -> Any:
    """Turn NumPy scalars into Python values and NaN or infinity into None, recursively."""
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
