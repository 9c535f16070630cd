"""Read OHLCV bars from CSV and Parquet files, naming every row that cannot be used.

Column names are matched loosely: case, spaces, underscores and dashes are ignored, so
``Date``, ``Datetime``, ``timestamp``, ``Open``, ``open``, ``Adj Close`` and ``adj_close`` are
all recognised. The time column may hold ISO dates or date-times (with or without an
offset), or epoch numbers in seconds, milliseconds, microseconds or nanoseconds. Naive
date-times are read in ``FileOptions.timezone``; date-only values are days and stay at
00:00 UTC. CSV delimiters (comma, semicolon, tab) are sniffed; numbers use a decimal point.

Prices are the raw ``Close`` even when an ``Adj Close`` column exists; with
``adjusted=True`` open, high, low and close are scaled by ``Adj Close / Close``.

Errors list ``{row, column, problem}`` with rows numbered as in the file: in a CSV the
header is row 1 and the first bar row 2; in a Parquet file the first bar is row 1.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from quantdesk.bars import COLUMNS, PRICE_COLUMNS, Bars, timeframe_ns
from quantdesk.errors import ValidationError

FileFormat = Literal["csv", "parquet"]

MAX_PROBLEMS = 1_000
_SHOWN = 5
_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_ALIASES = {
    "timestamp": ("timestamp", "datetime", "date", "time", "dateandtime", "opentime", "ts"),
    "open": ("open", "o", "openprice"),
    "high": ("high", "h", "highprice"),
    "low": ("low", "l", "lowprice"),
    "close": ("close", "c", "closeprice", "last"),
    "adj_close": ("adjclose", "adjustedclose", "closeadj", "adjustedcloseprice"),
    "volume": ("volume", "vol", "v", "qty", "quantity"),
}
_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"
_DATE_ONLY = r"\d{4}-\d{2}-\d{2}"
_COMPACT_DATE = r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"
_NOT_A_TIME = "timestamp is not a date or time; write it like 2024-03-01 09:30:00"


@dataclass(frozen=True, slots=True)
class FileOptions:
    """How to read a file: its name (for the format), timeframe and time zone."""

    filename: str
    timeframe: str
    timezone: str = "UTC"
    adjusted: bool = False
    symbol: str = ""


def detect_format(filename: str, head: bytes = b"") -> FileFormat | None:
    """The file's format from its suffix or, failing that, its first bytes; None if unknown."""
    suffix = Path(filename).suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    if head.startswith(b"PAR1"):
        return "parquet"
    return None


def read_bars(data: bytes, options: FileOptions) -> Bars:
    """Parse a whole CSV or Parquet file into validated ``Bars``, sorted by time.

    Raises:
        ValidationError: The format is unknown, a column is missing, or rows are malformed;
            ``details`` lists ``{row, column, problem}`` for up to 1,000 problems.
    """
    timeframe_ns(options.timeframe)
    zone = _zone(options.timezone)
    kind = detect_format(options.filename, data[:4])
    if kind is None:
        raise ValidationError(
            f"{options.filename!r} is neither CSV nor Parquet; name it .csv or .parquet",
            details={"field": "file"},
        )
    frame, first_row = (_read_csv(data), 2) if kind == "csv" else (_read_parquet(data), 1)
    return _to_bars(frame, first_row, zone, options)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"timezone {name[:64]!r} is unknown; use an IANA name such as America/New_York",
            details={"field": "timezone"},
        ) from None


def _read_csv(data: bytes) -> pd.DataFrame:
    text = _decode(data)
    if not text.strip():
        raise ValidationError("the file is empty; it needs a header row and bar rows")
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=_delimiter(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, ValueError) as error:
        first_line = str(error).splitlines()[0][:200]
        line = re.search(r"line (\d+)", first_line)
        details = (
            [{"row": int(line.group(1)), "column": None, "problem": first_line}] if line else None
        )
        raise ValidationError(
            f"the CSV cannot be read: {first_line}; check the delimiter and quoting of that row",
            details=details,
        ) from None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        header = sample.splitlines()[0]
        return max(",;\t", key=header.count)


def _read_parquet(data: bytes) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as error:  # pyarrow raises many kinds for a bad file
        raise ValidationError(
            f"the Parquet file cannot be read ({type(error).__name__}); check that it is "
            "a complete Parquet file"
        ) from None
    if isinstance(frame.index, pd.DatetimeIndex):
        frame = frame.reset_index()
    return frame.reset_index(drop=True)


def _columns(frame: pd.DataFrame) -> dict[str, Any]:
    found: dict[str, Any] = {}
    keys = {re.sub(r"[\s_\-./]", "", str(column).lower()): column for column in frame.columns}
    for role, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in keys:
                found[role] = keys[alias]
                break
    missing = [role for role in ("timestamp", *PRICE_COLUMNS) if role not in found]
    if missing:
        names = ", ".join(map(str, frame.columns))
        raise ValidationError(
            f"the file lacks the column(s) {', '.join(missing)}; it has {names or 'none'}. "
            "Name them Date (or timestamp), Open, High, Low, Close and optionally Volume",
            details=[
                {"row": 1, "column": role, "problem": "column is missing"} for role in missing
            ],
        )
    return found


class _Problems:
    """Row problems gathered across columns, reported together in file order."""

    def __init__(self, file_rows: np.ndarray) -> None:
        self.file_rows = file_rows
        self.items: list[tuple[int, str, str]] = []

    def add(self, mask: np.ndarray, column: str, problem: str) -> None:
        for position in np.flatnonzero(mask)[:MAX_PROBLEMS]:
            self.items.append((int(self.file_rows[position]), column, problem))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        self.items.sort()
        rows = sorted({row for row, _, _ in self.items})
        shown = ", ".join(map(str, rows[:_SHOWN]))
        more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
        row, column, problem = self.items[0]
        raise ValidationError(
            f"{len(rows)} row(s) of the file are invalid, at row(s) {shown}{more}; "
            f"row {row}, {column}: {problem}. Fix them and import again; nothing was stored",
            details=[
                {"row": r, "column": c, "problem": p} for r, c, p in self.items[:MAX_PROBLEMS]
            ],
        )


def _to_bars(frame: pd.DataFrame, first_row: int, zone: ZoneInfo, options: FileOptions) -> Bars:
    columns = _columns(frame)
    blank = _blank_rows(frame)
    frame = frame.loc[~blank]
    file_rows = np.flatnonzero(~blank) + first_row
    if not len(frame):
        raise ValidationError("the file has a header but no bars; add rows below it")
    problems = _Problems(file_rows)
    timestamps = _timestamps(frame[columns["timestamp"]], zone, problems, "timestamp")
    values = {
        name: _numbers(frame[columns[name]], problems, name, required=name != "volume")
        if name in columns
        else np.zeros(len(frame))
        for name in COLUMNS
    }
    if options.adjusted:
        _adjust(frame, columns, values, problems)
    problems.raise_if_any()
    return _sorted_bars(timestamps, values, file_rows, options)


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    if frame.empty:
        return np.zeros(0, dtype=bool)
    cells = frame.astype(str).apply(lambda column: column.str.strip())
    return np.asarray((cells.isin(["", "nan", "None", "NaT"])).all(axis=1))


def _numbers(series: pd.Series, problems: _Problems, name: str, *, required: bool) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        empty = np.isnan(values)
    else:
        text = series.astype(str).str.strip()
        empty = np.asarray(text == "")
        values = pd.to_numeric(text.where(~empty, "nan"), errors="coerce").to_numpy(np.float64)
        unreadable = np.isnan(values) & ~empty & np.asarray(text.str.lower() != "nan")
        problems.add(unreadable, name, f"{name} is not a number; use a decimal point, like 101.25")
    if required:
        problems.add(empty, name, f"{name} is empty")
    else:
        values = np.where(empty, 0.0, values)
    return values


def _timestamps(series: pd.Series, zone: ZoneInfo, problems: _Problems, column: str) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        parsed = pd.DatetimeIndex(series)
        index = parsed.tz_localize(zone) if parsed.tz is None else parsed
        problems.add(np.asarray(index.isna()), column, "timestamp is empty")
        return _utc_ns(index)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return _epoch(series.to_numpy(dtype=np.float64, na_value=np.nan), problems, column)
    text = series.astype(str).str.strip()
    if text.str.fullmatch(_COMPACT_DATE).all():
        return _utc_ns(pd.DatetimeIndex(pd.to_datetime(text, format="%Y%m%d")).tz_localize("UTC"))
    if text.str.fullmatch(r"\d+(\.\d+)?").all():
        return _epoch(pd.to_numeric(text).to_numpy(np.float64), problems, column)
    return _parse_text(text, zone, problems, column)


def _parse_text(text: pd.Series, zone: ZoneInfo, problems: _Problems, column: str) -> np.ndarray:
    empty = np.asarray(text == "")
    problems.add(empty, column, "timestamp is empty")
    if text.str.contains(_OFFSET, regex=True).any():
        aware = pd.DatetimeIndex(pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True))
        problems.add(np.asarray(aware.isna()) & ~empty, column, _NOT_A_TIME)
        return _utc_ns(aware)
    parsed = pd.Series(pd.to_datetime(text, errors="coerce", format="ISO8601"), index=text.index)
    retry = np.asarray(parsed.isna()) & ~empty
    if retry.any():
        parsed[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed")
    naive = pd.DatetimeIndex(parsed)
    problems.add(np.asarray(naive.isna()) & ~empty, column, _NOT_A_TIME)
    if text[~empty].str.fullmatch(_DATE_ONLY).all():
        return _utc_ns(naive.tz_localize("UTC"))
    local = naive.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    problems.add(
        np.asarray(local.isna()) & ~np.asarray(naive.isna()),
        column,
        f"time does not exist or is ambiguous in {zone.key} (a daylight-saving change); "
        "give it an offset such as +01:00",
    )
    return _utc_ns(local)


def _utc_ns(index: pd.DatetimeIndex) -> np.ndarray:
    stamps: np.ndarray = index.tz_convert("UTC").as_unit("ns").asi8
    return stamps.astype(np.int64)


def _epoch(values: np.ndarray, problems: _Problems, column: str) -> np.ndarray:
    problems.add(np.isnan(values), column, "timestamp is empty")
    magnitude = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 0.0
    scale = 10**9 if magnitude < 1e11 else 10**6 if magnitude < 1e14 else 10**3
    if magnitude >= 1e17:
        scale = 1
    whole = np.nan_to_num(values)
    if np.array_equal(whole, np.floor(whole)):
        stamps: np.ndarray = whole.astype(np.int64) * scale
    else:
        stamps = np.round(whole * (scale / 1_000)).astype(np.int64) * 1_000
    return stamps


def _adjust(
    frame: pd.DataFrame,
    columns: dict[str, Any],
    values: dict[str, np.ndarray],
    problems: _Problems,
) -> None:
    if "adj_close" not in columns:
        raise ValidationError(
            "adjusted prices were asked for but the file has no Adj Close column; "
            "import without adjusted or add the column",
            details={"field": "adjusted"},
        )
    adjusted = _numbers(frame[columns["adj_close"]], problems, "adj_close", required=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = adjusted / values["close"]
    problems.add(~np.isfinite(factor) & np.isfinite(adjusted), "adj_close", "close is zero")
    for name in PRICE_COLUMNS:
        values[name] = values[name] * factor


def _sorted_bars(
    timestamps: np.ndarray,
    values: dict[str, np.ndarray],
    file_rows: np.ndarray,
    options: FileOptions,
) -> Bars:
    order = np.argsort(timestamps, kind="stable")
    bars = Bars.from_arrays(
        timestamps[order],
        *(values[name][order] for name in COLUMNS),
        symbol=options.symbol,
        timeframe=options.timeframe,
    )
    try:
        return bars.validate()
    except ValidationError as error:
        problems = _Problems(file_rows[order])
        for detail in error.details or []:
            column = str(detail["problem"]).split(" ", 1)[0]
            problems.items.append(
                (int(problems.file_rows[detail["row"]]), column, detail["problem"])
            )
        problems.raise_if_any()
        raise
