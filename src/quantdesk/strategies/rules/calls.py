"""Turn a parsed call into a node: a built-in function or a registered indicator.

Indicator parameters are constants, positional in the registry's order (the first is
the main period) or by name; ``source=`` feeds another series to a one-input indicator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from quantdesk.errors import NotFoundError, ValidationError
from quantdesk.indicators import registry
from quantdesk.strategies.rules.errors import RuleError
from quantdesk.strategies.rules.lexer import Token
from quantdesk.strategies.rules.nodes import (
    Cross,
    Extreme,
    Indicator,
    Node,
    Number,
    ParameterValue,
    Previous,
    kind_of,
)

MAX_BARS = 100_000
FUNCTIONS = ("crosses_above", "crosses_below", "prev", "highest", "lowest")


@dataclass(frozen=True, slots=True)
class Argument:
    """One argument as written: its keyword (if any), its value and where it starts."""

    keyword: str | None
    value: Node | str
    token: Token


def build_call(name: Token, arguments: Sequence[Argument], output: Token | None) -> Node:
    """Return the node for ``name(arguments)`` with ``.output`` if given."""
    builder = _BUILDERS.get(name.text)
    if builder is None:
        return _indicator(name, arguments, output)
    if output is not None:
        raise RuleError(output.column, f"{name.text}(...) has no outputs to pick from")
    return builder(name, arguments)


def _cross(name: Token, arguments: Sequence[Argument]) -> Node:
    left, right = _positional(name, arguments, ("a", "b"), required=2)
    direction: Literal["above", "below"] = "above" if name.text == "crosses_above" else "below"
    return Cross(direction, _series(name, left, "number"), _series(name, right, "number"))


def _previous(name: Token, arguments: Sequence[Argument]) -> Node:
    values = _positional(name, arguments, ("x", "n"), required=1)
    count = _count(name, values[1]) if len(values) > 1 else 1
    return Previous(_series(name, values[0], None), count)


def _extreme(name: Token, arguments: Sequence[Argument]) -> Node:
    operand, count = _positional(name, arguments, ("x", "n"), required=2)
    function: Literal["highest", "lowest"] = "highest" if name.text == "highest" else "lowest"
    return Extreme(function, _series(name, operand, "number"), _count(name, count))


_BUILDERS: dict[str, Callable[[Token, Sequence[Argument]], Node]] = {
    "crosses_above": _cross,
    "crosses_below": _cross,
    "prev": _previous,
    "highest": _extreme,
    "lowest": _extreme,
}


def _positional(
    name: Token, arguments: Sequence[Argument], names: tuple[str, ...], required: int
) -> list[Argument]:
    slots: dict[str, Argument] = {}
    for position, argument in enumerate(arguments):
        key = argument.keyword or (names[position] if position < len(names) else None)
        if key is None or key not in names:
            raise RuleError(
                argument.token.column,
                f"{name.text} takes {', '.join(names)}; got an extra argument",
            )
        if key in slots:
            raise RuleError(argument.token.column, f"{name.text} got {key} twice")
        slots[key] = argument
    missing = [key for key in names[:required] if key not in slots]
    if missing:
        raise RuleError(
            name.column, f"{name.text} needs {', '.join(names[:required])}; {missing[0]} is missing"
        )
    return [slots[key] for key in names if key in slots]


def _series(name: Token, argument: Argument, kind: str | None) -> Node:
    value = argument.value
    if isinstance(value, str):
        raise RuleError(argument.token.column, f"{name.text} takes series, not the text {value!r}")
    if kind is not None and kind_of(value) != kind:
        raise RuleError(
            argument.token.column,
            f"{name.text} compares numbers; got a condition (drop the comparison inside it)",
        )
    return value


def _count(name: Token, argument: Argument) -> int:
    value = argument.value
    if not isinstance(value, Number) or value.value != int(value.value):
        raise RuleError(argument.token.column, f"{name.text} needs a whole number of bars, like 5")
    if not 1 <= value.value <= MAX_BARS:
        raise RuleError(
            argument.token.column,
            f"{name.text} needs between 1 and {MAX_BARS} bars, got {value.value:g}",
        )
    return int(value.value)


def _indicator(name: Token, arguments: Sequence[Argument], output: Token | None) -> Node:
    spec = _spec(name)
    source: Node | None = None
    values: dict[str, ParameterValue] = {}
    order = [parameter.name for parameter in spec.parameters]
    positional = [argument for argument in arguments if argument.keyword is None]
    for argument in arguments:
        if argument.keyword == "source":
            source = _source(spec, name, argument)
            continue
        key = argument.keyword or _nth(spec, order, positional.index(argument), argument)
        if key in values:
            raise RuleError(argument.token.column, f"{spec.name} got {key} twice")
        values[key] = _constant(spec, argument)
    try:
        checked = spec.validate(values)
    except ValidationError as error:
        raise RuleError(name.column, error.message) from None
    parameters = tuple((key, checked[key]) for key in order)
    return Indicator(spec.name, parameters, _output(spec, name, output), source)


def _spec(name: Token) -> registry.IndicatorSpec:
    try:
        return registry.get(name.text)
    except NotFoundError:
        known = ", ".join(spec.name for spec in registry.available())
        raise RuleError(
            name.column,
            f"unknown function or indicator {name.text!r}; functions: {', '.join(FUNCTIONS)}; "
            f"indicators: {known}",
        ) from None


def _nth(spec: registry.IndicatorSpec, order: list[str], position: int, argument: Argument) -> str:
    if position >= len(order):
        takes = ", ".join(order) or "no parameters"
        raise RuleError(
            argument.token.column,
            f"{spec.name} takes at most {len(order)} positional parameter(s) ({takes})",
        )
    return order[position]


def _constant(spec: registry.IndicatorSpec, argument: Argument) -> ParameterValue:
    value = argument.value
    if isinstance(value, str):
        return value
    if isinstance(value, Number):
        return int(value.value) if value.value == int(value.value) else value.value
    raise RuleError(
        argument.token.column,
        f"parameters of {spec.name} are constants like 14; pass a series as source=, "
        f"e.g. {spec.name}(14, source=close)",
    )


def _source(spec: registry.IndicatorSpec, name: Token, argument: Argument) -> Node:
    if len(spec.inputs) != 1:
        raise RuleError(
            argument.token.column,
            f"source= applies to one-input indicators; {spec.name} reads {', '.join(spec.inputs)}",
        )
    return _series(name, argument, "number")


def _output(spec: registry.IndicatorSpec, name: Token, output: Token | None) -> str:
    if output is None:
        if len(spec.outputs) > 1:
            raise RuleError(
                name.column,
                f"{spec.name} gives {', '.join(spec.outputs)}; pick one, "
                f"e.g. {spec.name}(...).{spec.outputs[0]}",
            )
        return spec.outputs[0]
    if output.text not in spec.outputs:
        raise RuleError(
            output.column,
            f"{spec.name} has no output {output.text!r}; choose {', '.join(spec.outputs)}",
        )
    return output.text
