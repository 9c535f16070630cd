"""Evaluate a parsed rule over whole bar arrays at once, with three-valued conditions.

Numbers are float arrays, NaN while unknown (an indicator's warm-up, a division by zero).
Conditions are float arrays too: 1 true, 0 false, NaN unknown. A comparison with an unknown
side is unknown, ``not`` keeps it unknown, ``and``/``or`` follow Kleene's logic (false and
unknown is false, true or unknown is true), and only a known true fires a signal, so
warm-up bars never signal, even under ``not``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from quantdesk.bars import Bars
from quantdesk.indicators import registry
from quantdesk.strategies.base import BoolArray, FloatArray
from quantdesk.strategies.crossings import crossings
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
    Previous,
    Price,
)
from quantdesk.strategies.series import highest, lowest, previous

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


class Evaluator:
    """Evaluate trees over one history, computing each distinct subtree once.

    Example:
        >>> from quantdesk.strategies.rules import parse
        >>> bars = Bars.from_arrays(range(4), *[[1.0, 3.0, 2.0, 4.0]] * 4, [1.0] * 4)
        >>> Evaluator(bars).condition(parse("close > prev(close)")).tolist()
        [False, True, False, True]
    """

    def __init__(self, bars: Bars) -> None:
        self.bars = bars
        self.memo: dict[Node, FloatArray] = {}

    def condition(self, node: Node) -> BoolArray:
        """Return where the condition is known to be true."""
        return np.asarray(self.value(node) == 1.0, dtype=np.bool_)

    def value(self, node: Node) -> FloatArray:
        """Return the node's values per bar (conditions as 1, 0 or NaN)."""
        cached = self.memo.get(node)
        if cached is None:
            cached = np.asarray(self._compute(node), dtype=np.float64)
            self.memo[node] = cached
        return cached

    def _compute(self, node: Node) -> FloatArray:
        match node:
            case Number(value):
                return np.full(len(self.bars), value)
            case Price(field):
                return np.asarray(getattr(self.bars, field), dtype=np.float64)
            case Indicator():
                return self._indicator(node)
            case Arithmetic(symbol, left, right):
                return _arithmetic(symbol, self.value(left), self.value(right))
            case Negative(operand) | Not(operand):
                sign = self.value(operand)
                return -sign if isinstance(node, Negative) else 1.0 - sign
            case Extreme(function, operand, bars):
                rolling = highest if function == "highest" else lowest
                return rolling(self.value(operand), bars)
            case Previous(operand, bars):
                return previous(self.value(operand), bars)
            case Comparison(symbol, left, right):
                return _compare(symbol, self.value(left), self.value(right))
            case Cross(direction, left, right):
                return _cross(direction, self.value(left), self.value(right))
            case Logical(symbol, left, right):
                return _logical(symbol, self.value(left), self.value(right))
        raise TypeError(f"not a rule node: {node!r}")

    def _indicator(self, node: Indicator) -> FloatArray:
        columns: dict[str, np.ndarray] = self.bars.columns
        if node.source is not None:
            columns = {registry.get(node.name).inputs[0]: self.value(node.source)}
        outputs = registry.compute(node.name, columns, **dict(node.parameters))
        return np.asarray(outputs[node.output], dtype=np.float64)


def _arithmetic(symbol: str, left: FloatArray, right: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = np.asarray(OPERATORS[symbol](left, right), dtype=np.float64)
    result[~np.isfinite(result)] = np.nan
    return result


def _compare(symbol: str, left: FloatArray, right: FloatArray) -> FloatArray:
    known = ~(np.isnan(left) | np.isnan(right))
    return np.where(known, OPERATORS[symbol](left, right), np.nan)


def _cross(direction: str, left: FloatArray, right: FloatArray) -> FloatArray:
    up, down = crossings(left, right)
    known = ~(np.isnan(left) | np.isnan(right))
    known[1:] &= known[:-1]
    known[:1] = False
    return np.where(known, up if direction == "above" else down, np.nan)


def _logical(symbol: str, left: FloatArray, right: FloatArray) -> FloatArray:
    unknown = np.isnan(left) | np.isnan(right)
    if symbol == "and":
        return np.where((left == 0.0) | (right == 0.0), 0.0, np.where(unknown, np.nan, 1.0))
    return np.where((left == 1.0) | (right == 1.0), 1.0, np.where(unknown, np.nan, 0.0))
