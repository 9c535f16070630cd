"""The ``rules`` language: indicator conditions written as text, parsed, never executed.

An expression such as ``rsi(14) < 30 and close > sma(200)`` is split into tokens, parsed
into a tree of frozen dataclasses (:mod:`~quantdesk.strategies.rules.nodes`) and type-checked
(conditions where conditions belong, numbers where numbers do). The tree is evaluated over
whole arrays with the indicator registry; no Python is ever run from the text.
"""

from quantdesk.strategies.rules.errors import RuleError
from quantdesk.strategies.rules.evaluator import Evaluator
from quantdesk.strategies.rules.lexer import MAX_LENGTH
from quantdesk.strategies.rules.nodes import Kind, Node, kind_of
from quantdesk.strategies.rules.parser import MAX_DEPTH, MAX_NODES, parse
from quantdesk.strategies.rules.warmup import warmup

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "Evaluator",
    "Kind",
    "Node",
    "RuleError",
    "kind_of",
    "parse",
    "warmup",
]
