"""Strategies: typed parameters in, signal arrays out, registered by name."""

from quantdesk.strategies import builtin, rules
from quantdesk.strategies.base import NoParameters, Signals, Strategy
from quantdesk.strategies.crossings import CrossParameters, MovingAverageCross, crossings
from quantdesk.strategies.lookahead import LookaheadReport, check_lookahead
from quantdesk.strategies.plugins import PluginError, discover
from quantdesk.strategies.registry import StrategyInfo, available, create, get, register

__all__ = [
    "CrossParameters",
    "LookaheadReport",
    "MovingAverageCross",
    "NoParameters",
    "PluginError",
    "Signals",
    "Strategy",
    "StrategyInfo",
    "available",
    "builtin",
    "check_lookahead",
    "create",
    "crossings",
    "discover",
    "get",
    "register",
    "rules",
]
