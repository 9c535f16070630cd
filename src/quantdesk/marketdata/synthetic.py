"""Synthetic bars: seeded geometric Brownian motion whose volatility switches between regimes.

Useful for demos, tests and benchmarks: any amount of plausible data, the same every time
for the same seed. Prices follow GBM with an annualised ``drift`` and ``volatility``; the
volatility is multiplied by one of ``regimes`` at a time, switching on average every
``regime_length`` bars, so there are calm and stormy stretches. Bars run back to back
(no nights or weekends, like a crypto market) from ``start`` rounded down to the timeframe,
and are always valid: high is the highest and low the lowest price of each bar.

Example:
    >>> from datetime import datetime, UTC
    >>> spec = SyntheticSpec("DEMO", "1h", datetime(2024, 1, 1, tzinfo=UTC), bars=3, seed=1)
    >>> len(synthetic_bars(spec))
    3
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from quantdesk.bars import Bars, timeframe_ns
from quantdesk.errors import NotFoundError, ValidationError

NAME = "synthetic"
YEAR_NS = 365 * 86_400 * 10**9
MAX_BARS = 5_000_000
MIN_PRICE, MAX_PRICE = 1e-6, 1e9
MAX_VOLATILITY = 5.0
MAX_DRIFT = 5.0
MAX_REGIME = 10.0
DEFAULT_REGIMES = (0.5, 1.0, 2.5)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_NS, _MAX_NS = -(2**63) + 1, 2**63 - 1


@dataclass(frozen=True, slots=True)
class SyntheticSpec:
    """What to generate; every field but ``symbol``, ``timeframe`` and ``start`` has a default."""

    symbol: str
    timeframe: str
    start: datetime
    bars: int = 1_000
    seed: int = 0
    initial_price: float = 100.0
    drift: float = 0.05
    volatility: float = 0.25
    regimes: tuple[float, ...] = DEFAULT_REGIMES
    regime_length: int = 200

    def check(self) -> None:
        """Raise naming the first field that cannot produce valid bars."""
        timeframe_ns(self.timeframe)
        checks = (
            ("bars", 1 <= self.bars <= MAX_BARS, f"between 1 and {MAX_BARS:,}"),
            (
                "initial_price",
                MIN_PRICE <= self.initial_price <= MAX_PRICE,
                f"between {MIN_PRICE:g} and {MAX_PRICE:g}",
            ),
            (
                "volatility",
                0 <= self.volatility <= MAX_VOLATILITY,
                f"between 0 and {MAX_VOLATILITY:g} ({MAX_VOLATILITY:.0%} a year)",
            ),
            ("drift", abs(self.drift) <= MAX_DRIFT, f"between -{MAX_DRIFT:g} and {MAX_DRIFT:g}"),
            (
                "regimes",
                bool(self.regimes) and all(0 < r <= MAX_REGIME for r in self.regimes),
                f"multipliers above 0 and at most {MAX_REGIME:g}",
            ),
            ("regime_length", self.regime_length >= 1, "at least 1"),
            ("seed", self.seed >= 0, "zero or more"),
        )
        for field, ok, rule in checks:
            if not ok:
                raise ValidationError(f"{field} must be {rule}", details={"field": field})


def synthetic_bars(spec: SyntheticSpec) -> Bars:
    """Generate ``spec.bars`` bars; the same spec always yields the same bars.

    Raises:
        ValidationError: A field is out of bounds, or the path would leave what a float
            price holds (details name ``drift`` or ``volatility``, whichever drives it).
    """
    spec.check()
    step = timeframe_ns(spec.timeframe)
    timestamps = _timestamps(spec, step)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        columns = _prices(np.random.default_rng(spec.seed), spec, step)
    if not all(np.isfinite(column).all() and (column > 0).all() for column in columns[:4]):
        field = _driving_field(spec)
        raise ValidationError(
            f"these parameters drive prices past what a float holds; lower {field}, the "
            "regimes or bars",
            details={"field": field},
        )
    return Bars.from_arrays(timestamps, *columns, symbol=spec.symbol, timeframe=spec.timeframe)


def _driving_field(spec: SyntheticSpec) -> str:
    """Drift pushes the log-price one way; volatility drags it down by half its square."""
    drag = 0.5 * (spec.volatility * max(spec.regimes)) ** 2
    return "drift" if abs(spec.drift) > drag else "volatility"


def _prices(rng: np.random.Generator, spec: SyntheticSpec, step: int) -> list[np.ndarray]:
    sigma = spec.volatility * _regime_multipliers(rng, spec) * np.sqrt(step / YEAR_NS)
    mu = (spec.drift * step / YEAR_NS) - 0.5 * sigma**2
    close = spec.initial_price * np.exp(np.cumsum(mu + sigma * rng.standard_normal(spec.bars)))
    previous = np.concatenate(([spec.initial_price], close[:-1]))
    open_ = previous * np.exp(0.1 * sigma * rng.standard_normal(spec.bars))
    high = np.maximum(open_, close) * np.exp(np.abs(0.5 * sigma * rng.standard_normal(spec.bars)))
    low = np.minimum(open_, close) * np.exp(-np.abs(0.5 * sigma * rng.standard_normal(spec.bars)))
    volume = np.round(rng.lognormal(10.0, 0.5, spec.bars) * sigma / max(sigma.mean(), 1e-12))
    return [open_, high, low, close, volume]


def _timestamps(spec: SyntheticSpec, step: int) -> np.ndarray:
    aware = spec.start if spec.start.tzinfo is not None else spec.start.replace(tzinfo=UTC)
    moment = (aware - _EPOCH) // timedelta(microseconds=1) * 1_000
    first = moment - moment % step
    if not _MIN_NS <= first <= first + spec.bars * step <= _MAX_NS:
        raise ValidationError(
            "start and bars reach outside the years 1678 to 2262 that timestamps hold; "
            "start nearer today or generate fewer bars",
            details={"field": "start"},
        )
    return first + np.arange(spec.bars, dtype=np.int64) * step


def _regime_multipliers(rng: np.random.Generator, spec: SyntheticSpec) -> np.ndarray:
    lengths = rng.geometric(1.0 / spec.regime_length, size=spec.bars // spec.regime_length + 2)
    while lengths.sum() < spec.bars:
        lengths = np.concatenate((lengths, lengths))
    choices = rng.integers(0, len(spec.regimes), size=len(lengths))
    return np.repeat(np.asarray(spec.regimes, dtype=np.float64)[choices], lengths)[: spec.bars]


class SyntheticProvider:
    """A market-data provider that invents bars: the same symbol always gets the same series.

    The seed comes from the symbol, and each timeframe's series is the ``bars`` bars that
    end at ``until``, so any window of it is a slice of one fixed history and fetching it
    again stores nothing new.
    """

    name = NAME

    def __init__(
        self, *, until: datetime | None = None, bars: int = 10_000, symbols: set[str] | None = None
    ) -> None:
        self.until = _key(until) or datetime(2025, 1, 1, tzinfo=UTC)
        self.bars = bars
        self.symbols = {symbol.upper() for symbol in symbols} if symbols else None

    async def fetch(
        self, symbol: str, timeframe: str, start: datetime | None, end: datetime | None
    ) -> Bars:
        """Return the symbol's synthetic bars in ``[start, end]``."""
        symbol = symbol.upper()
        if self.symbols is not None and symbol not in self.symbols:
            raise NotFoundError("Symbol", symbol)
        step = timedelta(microseconds=timeframe_ns(timeframe) // 1_000)
        origin = self.until - step * self.bars
        spec = SyntheticSpec(symbol, timeframe, origin, bars=self.bars, seed=seed_of(symbol))
        bars = synthetic_bars(spec)
        return bars[_key(start) : _key(end)]

    async def close(self) -> None:
        """Release nothing: the provider holds no connection."""


def seed_of(symbol: str) -> int:
    """A stable seed for a symbol (CRC-32 of its name), the same on every machine."""
    return zlib.crc32(symbol.upper().encode())


def _key(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
