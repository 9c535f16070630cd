"""Shared pieces of the indicator families: input checks, kernel decorator, output tuples.

Every public indicator converts its inputs once with :func:`as_series`, checks its
parameters with :func:`check_period` / :func:`check_finite`, and hands contiguous
float64 arrays to a Numba kernel compiled with :func:`kernel`. Like TA-Lib, leading NaNs in
the inputs are skipped (:func:`first_valid`), so indicators chain: ``sma(rsi(close), 5)``
starts where ``rsi`` has its first value. A NaN *inside* the data is not skipped: recursive
indicators (the EMA family, ATR, RSI, KAMA) stay NaN from there on, as TA-Lib's do;
windowed ones kept as running sums (``sma``, ``wma``, ``bbands``, ``vwap``) stay NaN until
their next exact re-sum (every 1,024 bars) after the NaN has left the window. Clean the
data first (``Bars.validate`` names the rows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar, cast

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from quantdesk.errors import ValidationError

F = TypeVar("F", bound=Callable[..., Any])
FloatArray = np.ndarray[tuple[int], np.dtype[np.float64]]
ArrayLike = Any


def kernel(function: F) -> F:
    """Compile a hot loop the one way the library allows.

    ``fastmath`` stays off: it would reorder sums (breaking agreement with TA-Lib to 1e-9)
    and assume no NaNs. ``cache=True`` keeps the compiled code on disk between runs.
    """
    return cast(F, njit(cache=True, nogil=True, fastmath=False)(function))


def inline_kernel(function: F) -> F:
    """Compile a small helper that Numba pastes into each kernel calling it.

    Calls between separately compiled kernels are not always inlined; inside a hot loop
    that call costs more than the helper's arithmetic.
    """
    return cast(F, njit(cache=True, nogil=True, fastmath=False, inline="always")(function))


def as_series(values: ArrayLike, name: str = "values") -> FloatArray:
    """Return ``values`` as a contiguous 1-D float64 array, copying only when needed."""
    try:
        array = np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be an array of numbers") from None
    if array.ndim != 1:
        raise ValidationError(f"{name} must be one-dimensional, got shape {array.shape}")
    return cast(FloatArray, array)


def as_columns(names: tuple[str, ...], *values: ArrayLike) -> tuple[FloatArray, ...]:
    """Convert several inputs at once and require them to have the same length."""
    arrays = tuple(as_series(value, name) for name, value in zip(names, values, strict=True))
    lengths = {len(array) for array in arrays}
    if len(lengths) > 1:
        sizes = ", ".join(f"{name}={len(a)}" for name, a in zip(names, arrays, strict=True))
        raise ValidationError(f"inputs must have the same length, got {sizes}")
    return arrays


def check_period(value: int, name: str = "timeperiod", minimum: int = 2) -> int:
    """Return ``value`` as an int, refusing anything below ``minimum`` (TA-Lib's bounds)."""
    if isinstance(value, bool) or int(value) != value:
        raise ValidationError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        raise ValidationError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_finite(value: float, name: str) -> float:
    """Return ``value`` as a float, refusing NaN and infinities."""
    number = float(value)
    if not np.isfinite(number):
        raise ValidationError(f"{name} must be a finite number, got {value!r}")
    return number


@intrinsic
def _fma(typing_context: Any, a: Any, b: Any, c: Any) -> Any:
    signature = types.float64(types.float64, types.float64, types.float64)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.fma(*args)

    return signature, codegen


fma = cast(Callable[[float, float, float], float], _fma)
"""Fused ``a * b + c`` with one rounding; callable only inside kernels.

TA-Lib's FMA builds contract their multiply-adds the same way, so using it keeps results
bit-identical where TA-Lib's order is followed, and shortens the dependency chain of
recursive averages where a faster form is chosen.
"""


@kernel
def first_valid(values: FloatArray) -> int:
    """Index of the first non-NaN value, or ``len - 1`` when there is none (TA-Lib's rule)."""
    for i in range(values.shape[0]):
        if values[i] == values[i]:
            return i
    return max(values.shape[0] - 1, 0)


@kernel
def first_valid_all(a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray) -> int:
    """Index of the first row where all four arrays are non-NaN (pass one array twice for fewer)."""
    for i in range(a.shape[0]):
        if a[i] == a[i] and b[i] == b[i] and c[i] == c[i] and d[i] == d[i]:
            return i
    return max(a.shape[0] - 1, 0)


@kernel
def nan_head(out: FloatArray, count: int) -> None:
    """Fill the first ``count`` slots of ``out`` with NaN (clipped to its length)."""
    for i in range(min(count, out.shape[0])):
        out[i] = np.nan


class Bands(NamedTuple):
    """An envelope around price: Bollinger, Donchian and Keltner bands."""

    upper: FloatArray
    middle: FloatArray
    lower: FloatArray


class MACD(NamedTuple):
    """MACD line, its signal line and their difference (TA-Lib's macdhist)."""

    macd: FloatArray
    signal: FloatArray
    histogram: FloatArray


class Stochastic(NamedTuple):
    """%K and its smoothed %D, for the stochastic oscillator and stochastic RSI."""

    k: FloatArray
    d: FloatArray


class Supertrend(NamedTuple):
    """Supertrend line and direction (+1 up, -1 down, NaN during warm-up)."""

    value: FloatArray
    direction: FloatArray


class Ichimoku(NamedTuple):
    """The five Ichimoku lines, each aligned to the bar it is plotted on."""

    tenkan: FloatArray
    kijun: FloatArray
    senkou_a: FloatArray
    senkou_b: FloatArray
    chikou: FloatArray
