"""All-in sizing in Decimal: what a deployment buys, the backtest's AllIn to the unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from quantdesk.backtest import AllIn, BacktestOptions, Commission, run_signals
from quantdesk.errors import ValidationError
from quantdesk.trading.fills import FillRules
from quantdesk.trading.money import as_decimal
from quantdesk.trading.sizing import size_all_in
from tests.fixtures.backtest import price_bars, signals_at


def test_size_all_in_pays_the_fees_out_of_the_cash() -> None:
    rules = FillRules(commission=Commission(0.01, fixed=10.0))
    quantity = size_all_in(Decimal(1_010), Decimal(10), rules)
    assert quantity == Decimal("99.0099009900")  # 1000 / 1.01 / 10, floored to ten places
    assert quantity * 10 + rules.fees(quantity, Decimal(10)) <= 1_010


def test_size_all_in_rounds_down_to_the_lot_size() -> None:
    assert size_all_in(Decimal(1_000), Decimal(7), FillRules(), Decimal(10)) == 140
    assert size_all_in(Decimal(1_000), Decimal(7), FillRules(), Decimal(1)) == 142


def test_size_all_in_without_cash_for_the_fee_is_zero() -> None:
    rules = FillRules(commission=Commission(0.0, fixed=5.0))
    assert size_all_in(Decimal(4), Decimal(1), rules) == 0


def test_size_all_in_non_positive_price_raises() -> None:
    with pytest.raises(ValidationError, match="price must be above 0"):
        size_all_in(Decimal(100), Decimal(0), FillRules())


@settings(max_examples=60, deadline=None)
@given(
    cash=st.floats(100.0, 1e6),
    price=st.floats(0.5, 5_000.0),
    fraction=st.sampled_from([0.0, 0.0005, 0.001, 0.01]),
    fixed=st.sampled_from([0.0, 1.0]),
)
def test_size_all_in_buys_what_the_backtest_all_in_buys(
    cash: float, price: float, fraction: float, fixed: float
) -> None:
    exact = (as_decimal(cash) - as_decimal(fixed)) / (1 + as_decimal(fraction)) / as_decimal(price)
    # within a float's rounding of a whole unit the float engine and Decimal may part by one
    assume(abs(exact - exact.to_integral_value()) > Decimal("1e-6"))
    commission = Commission(fraction, fixed=fixed)
    options = BacktestOptions(
        initial_cash=cash, fill="close", size=AllIn(), whole_units=True, commission=commission
    )
    positions = run_signals(price_bars([price] * 3), signals_at(3, entries=[1]), options).positions
    expected = int(positions[0]["quantity"]) if len(positions) else 0
    rules = FillRules(commission=commission)
    assert size_all_in(as_decimal(cash), as_decimal(price), rules, Decimal(1)) == expected
