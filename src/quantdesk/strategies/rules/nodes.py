"""The typed tree a rule parses into: frozen dataclasses, compared and hashed by value.

Every node is either numeric (a float per bar, NaN while unknown) or a condition (true,
false or unknown per bar). Equal subtrees compare equal, so the evaluator computes a
repeated ``rsi(14)`` once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

Kind = Literal["number", "condition"]
PriceField = Literal["open", "high", "low", "close", "volume"]
PRICE_FIELDS: tuple[PriceField, ...] = ("open", "high", "low", "close", "volume")
ParameterValue = int | float | str
ArithmeticOperator = Literal["+", "-", "*", "/"]
ComparisonOperator = Literal["<", "<=", ">", ">=", "==", "!="]


@dataclass(frozen=True, slots=True)
class Number:
    """A constant."""

    value: float


@dataclass(frozen=True, slots=True)
class Price:
    """One of the bar's columns."""

    field: PriceField


@dataclass(frozen=True, slots=True)
class Indicator:
    """A registered indicator's output, with checked parameters and an optional source."""

    name: str
    parameters: tuple[tuple[str, ParameterValue], ...]
    output: str
    source: Node | None = None


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """``left op right`` for + - * /."""

    operator: ArithmeticOperator
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Negative:
    """``-operand``."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Extreme:
    """``highest(operand, bars)`` or ``lowest(operand, bars)``, this bar included."""

    function: Literal["highest", "lowest"]
    operand: Node
    bars: int


@dataclass(frozen=True, slots=True)
class Previous:
    """``prev(operand, bars)``: the value ``bars`` bars earlier; keeps the operand's kind."""

    operand: Node
    bars: int


@dataclass(frozen=True, slots=True)
class Comparison:
    """``left op right`` on two numbers; unknown while either side is NaN."""

    operator: ComparisonOperator
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Cross:
    """``crosses_above(left, right)`` or ``crosses_below(left, right)``."""

    direction: Literal["above", "below"]
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Logical:
    """``left and right`` or ``left or right`` on two conditions."""

    operator: Literal["and", "or"]
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Not:
    """``not operand``; unknown stays unknown."""

    operand: Node


Node: TypeAlias = (
    Number
    | Price
    | Indicator
    | Arithmetic
    | Negative
    | Extreme
    | Previous
    | Comparison
    | Cross
    | Logical
    | Not
)


def kind_of(node: Node) -> Kind:
    """Return whether ``node`` gives numbers or conditions."""
    if isinstance(node, Previous):
        return kind_of(node.operand)
    if isinstance(node, Comparison | Cross | Logical | Not):
        return "condition"
    return "number"
