"""The look-ahead check: a strategy must not change its past signals when history grows.

Signals computed on a history cut after bar *k* must equal the first *k* signals computed
on the whole history. A strategy that reads a later bar (a shifted series, a centred
window, a normalisation over the whole array) breaks this on some bar, and backtests it
too well; the check finds the first such bar.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from quantdesk.bars import Bars
from quantdesk.errors import ValidationError
from quantdesk.strategies.base import Signals, Strategy
from quantdesk.strategies.registry import get

FIELDS = ("entries", "exits", "short_entries", "short_exits", "stop_loss", "take_profit")
EVERY_BAR_UP_TO = 300
DEFAULT_POINTS = 50


@dataclass(frozen=True, slots=True)
class Difference:
    """The first bar whose signal changed once later bars were known."""

    bar: int
    timestamp: int
    field: str
    cut: int
    full: float | bool
    truncated: float | bool


@dataclass(frozen=True, slots=True)
class LookaheadReport:
    """What the check compared and, if it failed, the earliest bar that differed."""

    strategy: str
    parameters: dict[str, Any]
    bars: int
    cuts: tuple[int, ...]
    difference: Difference | None

    @property
    def passed(self) -> bool:
        """Return whether every truncated history reproduced the full-history prefix."""
        return self.difference is None

    def summary(self) -> str:
        """Return one paragraph that says what was checked and what was found."""
        checked = f"{len(self.cuts)} truncated histories of {self.bars} bars"
        if self.difference is None:
            return (
                f"{self.strategy} passed the look-ahead check: signals on {checked} equal "
                "the signals of the full history on the same bars."
            )
        found = self.difference
        when = np.datetime64(found.timestamp, "ns").astype("datetime64[s]")
        return (
            f"{self.strategy} FAILED the look-ahead check: at bar {found.bar} ({when}) "
            f"{found.field} is {_show(found.full)} on the full history but "
            f"{_show(found.truncated)} on the history cut after bar {found.cut - 1} "
            f"({found.cut} bars), so bar {found.bar} depends on later bars ({checked})."
        )


def check_lookahead(
    strategy: str | Strategy[Any],
    bars: Bars,
    *,
    params: Mapping[str, Any] | None = None,
    points: int | None = None,
) -> LookaheadReport:
    """Compare signals on truncated histories with the prefix of the full-history signals.

    The history is cut at ``points`` positions spread evenly over it (default: after every
    bar up to 300 bars, else 50 cuts); each cut's signals must equal the full signals on
    the same bars, field by field (NaN levels equal NaN). Cost: one ``signals`` call per
    cut. The report names the earliest differing bar over all cuts.

    Example:
        >>> import numpy as np
        >>> close = 100 + np.sin(np.arange(200) / 7)
        >>> bars = Bars.from_arrays(np.arange(200), close, close, close, close, np.ones(200))
        >>> check_lookahead("sma_cross", bars, params={"fast": 3, "slow": 8}).passed
        True
    """
    instance = _instance(strategy, params)
    full = _checked(instance.signals(bars), len(bars))
    cuts = cut_positions(len(bars), points)
    found: Difference | None = None
    for cut in cuts:
        part = _checked(instance.signals(bars[:cut]), cut)
        difference = _first_difference(full, part, cut, bars.timestamps)
        if difference is not None and (found is None or difference.bar < found.bar):
            found = difference
    parameters = instance.params.model_dump(mode="json")
    return LookaheadReport(instance.name, parameters, len(bars), cuts, found)


def cut_positions(length: int, points: int | None = None) -> tuple[int, ...]:
    """Return the history lengths to test: ``points`` of them spread evenly up to ``length - 1``.

    Example:
        >>> cut_positions(1_000, 4)
        (1, 334, 666, 999)
    """
    if points is not None and points < 1:
        raise ValidationError(f"points must be 1 or more, got {points}")
    if length < 2:
        return ()
    wanted = points or (length - 1 if length <= EVERY_BAR_UP_TO else DEFAULT_POINTS)
    if wanted >= length - 1:
        return tuple(range(1, length))
    spread = np.linspace(1, length - 1, wanted)
    return tuple(int(cut) for cut in np.unique(np.rint(spread).astype(np.int64)))


def _instance(strategy: str | Strategy[Any], params: Mapping[str, Any] | None) -> Strategy[Any]:
    if isinstance(strategy, str):
        return get(strategy)(params)
    if params is not None:
        raise ValidationError(
            "params apply to a strategy name; set them on the Strategy instance instead"
        )
    return strategy


def _checked(signals: Signals, length: int) -> Signals:
    if len(signals) != length:
        raise ValidationError(
            f"the strategy returned {len(signals)} signals for {length} bars; "
            "signals must have one value per bar"
        )
    return signals


def _first_difference(
    full: Signals, part: Signals, cut: int, timestamps: np.ndarray
) -> Difference | None:
    found: Difference | None = None
    for field in FIELDS:
        expected, actual = _values(full, field, len(full))[:cut], _values(part, field, cut)
        same = (expected == actual) | (np.isnan(expected) & np.isnan(actual))
        if same.all():
            continue
        bar = int(np.argmin(same))
        if found is None or bar < found.bar:
            found = Difference(
                bar,
                int(timestamps[bar]),
                field,
                cut,
                _item(expected, bar, field),
                _item(actual, bar, field),
            )
    return found


def _values(signals: Signals, field: str, length: int) -> np.ndarray:
    values = getattr(signals, field)
    if values is None:
        # a missing flag array means never; a missing level means the backtest's option
        return np.full(length, np.nan if field in ("stop_loss", "take_profit") else 0.0)
    return np.asarray(values, dtype=np.float64)


def _item(values: np.ndarray, bar: int, field: str) -> float | bool:
    value = float(values[bar])
    return value if field in ("stop_loss", "take_profit") else bool(value)


def _show(value: float | bool) -> str:
    return str(value) if isinstance(value, bool) else f"{value:.10g}"
