"""The rules language: parsing, positioned errors, limits, evaluation and the strategy."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantdesk.backtest import run
from quantdesk.errors import ValidationError
from quantdesk.indicators import atr, bbands, macd, rsi, sma
from quantdesk.strategies import crossings, get
from quantdesk.strategies.rules import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    Evaluator,
    RuleError,
    parse,
    warmup,
)
from quantdesk.strategies.rules.nodes import Arithmetic, Indicator, Logical, Number, Price
from tests.fixtures.backtest import price_bars
from tests.fixtures.strategies import RULE_EXAMPLES, random_bars


@pytest.fixture(scope="module")
def bars() -> Any:
    return random_bars(1_500, seed=21)


def _condition(bars: Any, text: str) -> np.ndarray:
    return Evaluator(bars).condition(parse(text))


def _number(bars: Any, text: str) -> np.ndarray:
    return Evaluator(bars).value(parse(text, "number"))


def test_parse_and_binds_tighter_than_or() -> None:
    tree = parse("close > 1 or close > 2 and close > 3")
    assert isinstance(tree, Logical)
    assert tree.operator == "or"
    assert isinstance(tree.right, Logical)
    assert tree.right.operator == "and"


def test_parse_product_binds_tighter_than_sum() -> None:
    assert parse("1 + 2 * close", "number") == Arithmetic(
        "+", Number(1.0), Arithmetic("*", Number(2.0), Price("close"))
    )


def test_parse_fills_indicator_defaults_so_equal_calls_compare_equal() -> None:
    assert parse("rsi()", "number") == parse("rsi(14)", "number")
    assert parse("rsi(timeperiod=14)", "number") == Indicator("rsi", (("timeperiod", 14),), "value")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("close > sma(20", "column 15: expected ')' after arguments of sma"),
        ("close > sma(20 30)", "column 16: expected ')' after arguments of sma, found '30'"),
        ("rsi(14) <", "column 10: expected a number, a price field"),
        ("(close > 1", "column 11: expected ')' to close the '(' at column 1"),
        ("close > 1 close", "column 11: unexpected 'close' after a complete expression"),
        ("close $ 1", "column 7: unexpected character '$'"),
        ("price > 1", "column 1: unknown name 'price'; use a price field"),
        ("1 < close < 3", "column 11: comparisons do not chain"),
        ("rsi(14)", "column 1: the expression must be a condition"),
        ("close > 1 and 2", "column 11: each side of 'and' must be a condition"),
        ("not close", "column 1: the operand of 'not' must be a condition"),
        ("-(close > 1) < 0", "column 1: the operand of '-' must be a number"),
        ("close + (close > 1) > 0", "column 7: each side of '+' must be a number"),
    ],
)
def test_parse_errors_name_column_and_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)):
        parse(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo(3) > 1", "unknown function or indicator 'foo'; functions: crosses_above"),
        ("foo(3) > 1", "; indicators: adx, atr, bbands, cci,"),
        ("sma(period=3) > 1", "column 1: sma has no parameter period; it takes timeperiod"),
        ("sma(20, 3) > 1", "column 9: sma takes at most 1 positional parameter"),
        ("sma(1) > 1", "column 1: timeperiod must be at least 2"),
        ("sma(close, 200) > 1", "column 5: parameters of sma are constants like 14"),
        ("bbands(20) > close", "column 1: bbands gives upper, middle, lower; pick one"),
        ("bbands(20).upperband > 1", "column 12: bbands has no output 'upperband'; choose upper"),
        ("atr(14, source=close) > 1", "source= applies to one-input indicators; atr reads"),
        ("prev(close, 0) > 1", "column 13: prev needs between 1 and 100000 bars, got 0"),
        ("prev(close, 2.5) > 1", "column 13: prev needs a whole number of bars"),
        ("highest(close) > 1", "column 1: highest needs x, n; n is missing"),
        ("crosses_above(close)", "column 1: crosses_above needs a, b; b is missing"),
        ("crosses_above(close, 1, 2)", "column 25: crosses_above takes a, b; got an extra"),
        ("crosses_above(close > 1, 1)", "column 15: crosses_above compares numbers"),
        ("sma(20).value.value > 1", "column 14: unexpected '.'"),
        ("prev(close).x > 1", "column 13: prev(...) has no outputs to pick from"),
    ],
)
def test_call_errors_name_the_valid_choices(text: str, message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)):
        parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "close.__class__ > 1",
        "eval('1') > 0",
        "[c for c in close] > 1",
        "lambda: 1",
    ],
)
def test_python_text_is_refused_not_run(text: str) -> None:
    with pytest.raises(RuleError):
        parse(text)


def test_deep_nesting_is_refused_with_the_limit() -> None:
    text = "(" * (MAX_DEPTH + 1) + "close" + ")" * (MAX_DEPTH + 1) + " > 1"
    with pytest.raises(RuleError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse(text)


def test_long_chains_are_refused_by_the_part_limit() -> None:
    with pytest.raises(RuleError, match=f"more than {MAX_NODES} parts"):
        parse(" + ".join(["close"] * (MAX_NODES + 1)) + " > 1")


def test_overlong_text_is_refused_before_parsing() -> None:
    with pytest.raises(RuleError, match=f"longer than {MAX_LENGTH} characters"):
        parse("close > " + "1" * MAX_LENGTH)


def test_evaluation_matches_direct_indicator_arithmetic(bars: Any) -> None:
    got = _condition(bars, "rsi(14) < 40 and close > sma(50) - 0.5 * atr(14)")
    with np.errstate(invalid="ignore"):
        expected = (rsi(bars.close) < 40) & (
            bars.close > sma(bars.close, 50) - 0.5 * atr(bars.high, bars.low, bars.close)
        )
    np.testing.assert_array_equal(got, expected)
    assert got.any()


def test_multi_output_indicators_pick_their_line(bars: Any) -> None:
    lines = macd(bars.close, 12, 26, 9)
    got = _condition(bars, "crosses_above(macd(12, 26, 9).macd, macd(12, 26, 9).signal)")
    np.testing.assert_array_equal(got, crossings(lines.macd, lines.signal)[0])
    upper = _number(bars, "bbands(20, 2, 2).upper")
    np.testing.assert_array_equal(upper, bbands(bars.close, 20, 2.0, 2.0).upper)


def test_source_feeds_another_series_to_an_indicator(bars: Any) -> None:
    got = _number(bars, "sma(5, source=rsi(14))")
    np.testing.assert_allclose(got, sma(rsi(bars.close), 5), equal_nan=True)


def test_prev_highest_lowest_read_only_the_past() -> None:
    bars = price_bars([5.0, 3.0, 4.0, 1.0, 2.0])
    assert _number(bars, "prev(close, 2)").tolist()[2:] == [5.0, 3.0, 4.0]
    assert _number(bars, "highest(close, 3)").tolist()[2:] == [5.0, 4.0, 4.0]
    assert _number(bars, "lowest(close, 2)").tolist()[1:] == [3.0, 3.0, 1.0, 1.0]


def test_warmup_never_signals_even_under_not(bars: Any) -> None:
    assert not _condition(bars, "not (rsi(14) < 30)")[:14].any()
    assert _condition(bars, "not (rsi(14) < 30)")[14:].any()


def test_or_is_true_when_one_side_is_known_true(bars: Any) -> None:
    assert _condition(bars, "close > 0 or rsi(14) < 30").all()
    assert not _condition(bars, "close < 0 and rsi(14) < 30").any()


def test_not_equal_is_unknown_during_warmup(bars: Any) -> None:
    assert not _condition(bars, "sma(20) != close")[:19].any()


def test_division_by_zero_is_unknown(bars: Any) -> None:
    assert not _condition(bars, "close / (close - close) > 0").any()
    assert not _condition(bars, "not (close / (close - close) > 0)").any()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("close > 1", 0),
        ("close > sma(20)", 19),
        ("crosses_above(close, sma(20))", 20),
        ("rsi(14) < 30", 14),
        ("macd(12, 26, 9).signal > 0", 33),
        ("prev(close, 5) > sma(3)", 5),
        ("highest(rsi(10), 5) > 70", 14),
        ("sma(20) > 1 and rsi(14) < 30", 19),
        ("sma(20) > 1 or rsi(14) < 30", 14),
        ("sma(5, source=rsi(14)) > 50", 18),
    ],
)
def test_warmup_is_the_first_bar_that_can_be_known(text: str, expected: int) -> None:
    assert warmup(parse(text)) == expected


@settings(max_examples=40, deadline=None)
@given(example=st.sampled_from(RULE_EXAMPLES), seed=st.integers(0, 10_000))
def test_rules_strategy_has_no_entry_or_trade_before_warmup(
    example: dict[str, Any], seed: int
) -> None:
    strategy = get("rules")(example)
    bars = random_bars(400, seed=seed)
    signals = strategy.signals(bars)
    assert not signals.entries[: strategy.warmup].any()
    if signals.short_entries is not None:
        assert not signals.short_entries[: strategy.warmup].any()
    result = run(strategy, bars, allow_short=True)
    entered = np.concatenate((result.trades["entry_index"], result.positions["entry_index"]))
    assert (entered > strategy.warmup).all()


def test_rules_parameters_name_the_bad_expression() -> None:
    with pytest.raises(ValidationError, match="rules parameter exit: column 9: expected") as info:
        get("rules")(entry="rsi(14) < 30", exit="close > ")
    assert info.value.details["parameter"] == "exit"


def test_rules_level_expressions_must_be_numbers() -> None:
    with pytest.raises(
        ValidationError, match=r"parameter stop_loss: column 1: .* must be a number"
    ):
        get("rules")(stop_loss="close > 1")


def test_rules_short_fields_need_short_entry() -> None:
    with pytest.raises(ValidationError, match="short_exit is set without short_entry"):
        get("rules")(short_exit="close > 1")


def test_rules_schema_carries_expressions_for_the_builder() -> None:
    schema = get("rules").parameter_schema()
    entry = schema["properties"]["entry"]
    assert entry["type"] == "string"
    assert entry["maxLength"] == MAX_LENGTH
    assert entry["default"] == "rsi(14) < 30 and close > sma(200)"
    assert set(schema["properties"]) >= {"short_entry", "stop_loss", "short_take_profit"}


def test_rules_strategy_levels_follow_the_side_of_each_entry(bars: Any) -> None:
    strategy = get("rules")(RULE_EXAMPLES[1])
    signals = strategy.signals(bars)
    assert signals.stop_loss is not None
    assert signals.short_entries is not None
    longs, shorts = signals.entries, signals.short_entries & ~signals.entries
    assert longs.any()
    assert shorts.any()
    assert (signals.stop_loss[longs] < bars.close[longs]).all()
    assert (signals.stop_loss[shorts] > bars.close[shorts]).all()
    assert signals.take_profit is None


def test_rules_strategy_without_shorts_leaves_them_empty(bars: Any) -> None:
    signals = get("rules")(entry="close > sma(10)", exit="close < sma(10)").signals(bars)
    assert signals.short_entries is None
    assert signals.stop_loss is None
    assert signals.entries.any()
