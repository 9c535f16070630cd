"""The indicator registry: name → function, parameters, inputs, outputs and display.

The API, strategies and the dashboard read this to list indicators, validate parameters
and know whether an indicator overlays price or needs a pane of its own. Each family
module registers its functions with ``@indicator(...)`` at import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np

from quantdesk.errors import NotFoundError, ValidationError

Input = Literal["open", "high", "low", "close", "volume", "timestamps"]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Parameter:
    """One tunable parameter with its type, default and inclusive bounds."""

    name: str
    type: Literal["int", "float", "str"]
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    description: str = ""

    def check(self, value: Any) -> Any:
        """Return the value coerced to the parameter's type, or raise naming the bound."""
        if self.type == "str":
            if self.choices and value not in self.choices:
                raise ValidationError(f"{self.name} must be one of {', '.join(self.choices)}")
            return str(value)
        try:
            number = int(value) if self.type == "int" else float(value)
        except (TypeError, ValueError):
            raise ValidationError(
                f"{self.name} must be a{'n int' if self.type == 'int' else ' float'}, got {value!r}"
            ) from None
        if self.type == "int" and number != value and not isinstance(value, str):
            raise ValidationError(f"{self.name} must be a whole number, got {value!r}")
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(f"{self.name} must be at least {self.minimum}, got {value!r}")
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(f"{self.name} must be at most {self.maximum}, got {value!r}")
        return number


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """Everything a caller needs to compute and display one indicator."""

    name: str
    function: Callable[..., Any]
    inputs: tuple[Input, ...]
    parameters: tuple[Parameter, ...]
    outputs: tuple[str, ...]
    overlay: bool
    description: str = ""
    talib: bool = field(default=True)

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults filled in, unknown names refused, each value checked against its bounds."""
        known = {parameter.name: parameter for parameter in self.parameters}
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise ValidationError(
                f"{self.name} has no parameter {', '.join(unknown)}; "
                f"it takes {', '.join(known) or 'none'}"
            )
        return {
            name: parameter.check(params[name]) if name in params else parameter.default
            for name, parameter in known.items()
        }


REGISTRY: dict[str, IndicatorSpec] = {}


def indicator(
    *,
    inputs: tuple[Input, ...],
    parameters: tuple[Parameter, ...] = (),
    outputs: tuple[str, ...] = ("value",),
    overlay: bool,
    talib: bool = True,
) -> Callable[[F], F]:
    """Register the decorated function under its own name."""

    def register(function: F) -> F:
        doc = (function.__doc__ or "").strip().splitlines()
        REGISTRY[function.__name__] = IndicatorSpec(
            name=function.__name__,
            function=function,
            inputs=inputs,
            parameters=parameters,
            outputs=outputs,
            overlay=overlay,
            description=doc[0].replace("``", "") if doc else "",
            talib=talib,
        )
        return function

    return register


def get(name: str) -> IndicatorSpec:
    """The spec registered under ``name``; unknown names raise ``NotFoundError``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise NotFoundError("indicator", name) from None


def available() -> list[IndicatorSpec]:
    """Every registered indicator, sorted by name (import ``quantdesk.indicators`` first)."""
    return sorted(REGISTRY.values(), key=lambda spec: spec.name)


def compute(name: str, columns: Mapping[str, np.ndarray], **params: Any) -> dict[str, np.ndarray]:
    """Compute a registered indicator from named input columns; every output by name."""
    spec = get(name)
    checked = spec.validate(params)
    missing = [column for column in spec.inputs if column not in columns]
    if missing:
        raise ValidationError(f"{name} needs the input column(s) {', '.join(missing)}")
    result = spec.function(*(columns[column] for column in spec.inputs), **checked)
    if len(spec.outputs) == 1:
        return {spec.outputs[0]: result}
    return {output: getattr(result, output) for output in spec.outputs}
