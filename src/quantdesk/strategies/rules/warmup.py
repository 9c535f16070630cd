"""How many leading bars a rule can never be true on, from its tree alone.

Each indicator's NaN head depends on its parameters, never on the prices, so it is
measured once on a synthetic probe history and cached. The rest follows from the tree:
a comparison waits for both sides, ``or`` for the earlier one, a crossing one bar more
than its inputs, ``prev(x, n)`` ``n`` bars more than ``x``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from quantdesk.indicators import registry
from quantdesk.strategies.rules.nodes import (
    Arithmetic,
    Comparison,
    Cross,
    Extreme,
    Indicator,
    Logical,
    Negative,
    Node,
    Not,
    Number,
    ParameterValue,
    Previous,
    Price,
)

MAX_PROBE = 1 << 21


def warmup(node: Node) -> int:
    """Return the index of the first bar on which ``node`` can be known (and so true).

    Example:
        >>> from quantdesk.strategies.rules import parse
        >>> warmup(parse("crosses_above(close, sma(20))"))
        20
    """
    match node:
        case Number() | Price():
            return 0
        case Indicator(name, parameters, output, source):
            start = warmup(source) if source is not None else 0
            return start + _head(name, parameters, output)
        case Arithmetic(_, left, right) | Comparison(_, left, right):
            return max(warmup(left), warmup(right))
        case Logical(symbol, left, right):
            pick = max if symbol == "and" else min
            return pick(warmup(left), warmup(right))
        case Cross(_, left, right):
            return max(warmup(left), warmup(right)) + 1
        case Negative(operand) | Not(operand):
            return warmup(operand)
        case Extreme(_, operand, bars):
            return warmup(operand) + bars - 1
        case Previous(operand, bars):
            return warmup(operand) + bars
    raise TypeError(f"not a rule node: {node!r}")


@lru_cache(maxsize=256)
def _head(name: str, parameters: tuple[tuple[str, ParameterValue], ...], output: str) -> int:
    numbers = [int(value) for _, value in parameters if isinstance(value, int | float)]
    length = 4 * max([1, *numbers]) + 64
    while length <= MAX_PROBE:
        values = registry.compute(name, _probe(length), **dict(parameters))[output]
        known = np.flatnonzero(~np.isnan(values))
        if known.size:
            return int(known[0])
        length *= 2
    return MAX_PROBE


def _probe(length: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, length)))
    open_ = np.concatenate(([100.0], close[:-1]))
    spread = 1.0 + rng.uniform(0.001, 0.01, length)
    return {
        "timestamps": np.arange(length, dtype=np.int64) * 60_000_000_000,
        "open": open_,
        "high": np.maximum(open_, close) * spread,
        "low": np.minimum(open_, close) / spread,
        "close": close,
        "volume": rng.uniform(1_000.0, 2_000.0, length),
    }
