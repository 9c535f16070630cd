"""The ``rules`` strategy: entries and exits written as indicator conditions, no code."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from quantdesk.bars import Bars
from quantdesk.strategies.base import BoolArray, FloatArray, Signals, Strategy
from quantdesk.strategies.registry import register
from quantdesk.strategies.rules import (
    MAX_LENGTH,
    Evaluator,
    Kind,
    Node,
    RuleError,
    parse,
    warmup,
)

Expression = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]
CONDITIONS = ("entry", "exit", "short_entry", "short_exit")
LEVELS = ("stop_loss", "take_profit", "short_stop_loss", "short_take_profit")


class RulesParameters(BaseModel):
    """Expressions of the rules language; each is parsed when the parameters are built."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry: Expression = Field(
        "rsi(14) < 30 and close > sma(200)",
        description="Condition that opens a long position on the bar's close",
        examples=["crosses_above(ema(12), ema(26))"],
    )
    exit: Expression = Field(
        "rsi(14) > 70",
        description="Condition that closes a long position",
        examples=["close < lowest(prev(low), 10)"],
    )
    short_entry: Expression | None = Field(
        None,
        description="Condition that opens a short (used when the backtest allows shorts)",
        examples=["rsi(14) > 70 and close < sma(200)"],
    )
    short_exit: Expression | None = Field(
        None, description="Condition that closes a short", examples=["rsi(14) < 30"]
    )
    stop_loss: Expression | None = Field(
        None, description="Stop-loss price of a long entry", examples=["close - 2 * atr(14)"]
    )
    take_profit: Expression | None = Field(
        None, description="Take-profit price of a long entry", examples=["close + 3 * atr(14)"]
    )
    short_stop_loss: Expression | None = Field(
        None, description="Stop-loss price of a short entry", examples=["close + 2 * atr(14)"]
    )
    short_take_profit: Expression | None = Field(
        None, description="Take-profit price of a short entry", examples=["close - 3 * atr(14)"]
    )

    @field_validator(*CONDITIONS, *LEVELS)
    @classmethod
    def _parses(cls, text: str | None, info: ValidationInfo) -> str | None:
        if text is not None:
            try:
                parse(text, _kind(info.field_name or ""))
            except RuleError as error:
                raise ValueError(error.message) from None
        return text

    @model_validator(mode="after")
    def _short_side_complete(self) -> RulesParameters:
        stray = [
            name
            for name in ("short_exit", "short_stop_loss", "short_take_profit")
            if getattr(self, name) is not None
        ]
        if stray and self.short_entry is None:
            raise ValueError(f"{stray[0]} is set without short_entry; add short_entry or drop it")
        return self

    def tree(self, name: str) -> Node | None:
        """Return the parsed expression of the field ``name``, or None when it is empty."""
        text = getattr(self, name)
        return None if text is None else parse(text, _kind(name))


def _kind(name: str) -> Kind:
    return "number" if name in LEVELS else "condition"


@register
class Rules(Strategy[RulesParameters]):
    """Trade conditions written in the rules language, like ``rsi(14) < 30 and close > sma(200)``.

    Rules, on the close of bar *i*: ``entry`` true opens a long, ``exit`` true closes it;
    ``short_entry``/``short_exit`` do the same for shorts. ``stop_loss``/``take_profit``
    are price levels for a long entry, ``short_stop_loss``/``short_take_profit`` for a
    short one, read on the signal bar. A condition is true only where every value it
    reads is known, so nothing fires during an indicator's warm-up. Warm-up: the first
    bar on which ``entry`` (or ``short_entry``) can be true, from its indicators' periods.
    See docs/strategies.md for the grammar.

    Example:
        >>> Rules(entry="crosses_above(sma(10), sma(30))", exit="close < sma(30)").warmup
        30
    """

    name = "rules"
    Parameters = RulesParameters

    @property
    def warmup(self) -> int:
        """Return the first bar on which an entry condition can be true."""
        first = warmup(parse(self.params.entry))
        short = self.params.tree("short_entry")
        return first if short is None else min(first, warmup(short))

    def signals(self, bars: Bars) -> Signals:
        """Evaluate every expression over the whole history, sharing common subtrees."""
        evaluator = Evaluator(bars)
        short_entries = self._condition(evaluator, "short_entry")
        return Signals(
            entries=evaluator.condition(parse(self.params.entry)),
            exits=evaluator.condition(parse(self.params.exit)),
            short_entries=short_entries,
            short_exits=self._condition(evaluator, "short_exit"),
            stop_loss=self._level(evaluator, "stop_loss", short_entries),
            take_profit=self._level(evaluator, "take_profit", short_entries),
        )

    def _condition(self, evaluator: Evaluator, name: str) -> BoolArray | None:
        tree = self.params.tree(name)
        return None if tree is None else evaluator.condition(tree)

    def _level(
        self, evaluator: Evaluator, name: str, short_entries: BoolArray | None
    ) -> FloatArray | None:
        long_tree, short_tree = self.params.tree(name), self.params.tree(f"short_{name}")
        if long_tree is None and short_tree is None:
            return None
        missing = np.full(len(evaluator.bars), np.nan)
        long_level = missing if long_tree is None else evaluator.value(long_tree)
        if short_tree is None or short_entries is None:
            return long_level
        return np.where(short_entries, evaluator.value(short_tree), long_level)
