"""Strategies by name: what the API lists, the dashboard renders and a backtest runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from quantdesk.errors import ConflictError, NotFoundError
from quantdesk.strategies.base import Strategy

S = TypeVar("S", bound=type[Strategy[Any]])

REGISTRY: dict[str, type[Strategy[Any]]] = {}


@dataclass(frozen=True, slots=True)
class StrategyInfo:
    """A registered strategy as listings show it: name, one-line description, JSON schema."""

    name: str
    description: str
    parameters: dict[str, Any]


def register(cls: S) -> S:
    """Register the decorated strategy class under its ``name``; names must be unique."""
    existing = REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise ConflictError(
            f"a strategy named {cls.name} is already registered; choose another name"
        )
    REGISTRY[cls.name] = cls
    return cls


def get(name: str) -> type[Strategy[Any]]:
    """Return the class registered under ``name``; unknown names raise ``NotFoundError``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise NotFoundError("strategy", name) from None


def create(name: str, params: Mapping[str, Any] | None = None) -> Strategy[Any]:
    """Build the named strategy with validated parameters."""
    return get(name)(params)


def available() -> list[StrategyInfo]:
    """List every registered strategy, sorted by name, with its parameter schema."""
    return [
        StrategyInfo(name, cls.description(), cls.parameter_schema())
        for name, cls in sorted(REGISTRY.items())
    ]
