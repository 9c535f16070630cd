"""Strategies: typed parameters in, signal arrays out, registered by name."""

from quantdesk.strategies import builtin
from quantdesk.strategies.base import NoParameters, Signals, Strategy
from quantdesk.strategies.crossings import CrossParameters, MovingAverageCross, crossings
from quantdesk.strategies.registry import StrategyInfo, available, create, get, register

__all__ = [
    "CrossParameters",
    "MovingAverageCross",
    "NoParameters",
    "Signals",
    "Strategy",
    "StrategyInfo",
    "available",
    "builtin",
    "create",
    "crossings",
    "get",
    "register",
]
