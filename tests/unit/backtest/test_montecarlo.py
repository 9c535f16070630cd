"""Monte Carlo of trade sequences: ordered percentiles, seeded draws, shuffles keep the total."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from quantdesk.backtest import run
from quantdesk.backtest.montecarlo import PERCENTILES, monte_carlo, trade_returns
from quantdesk.errors import ValidationError
from tests.fixtures.backtest import synthetic_bars

RNG = np.random.default_rng(4)
RETURNS = RNG.normal(0.002, 0.02, 300)


@pytest.mark.parametrize("method", ["shuffle", "bootstrap"])
def test_monte_carlo_percentiles_are_ordered(method: Any) -> None:
    table = monte_carlo(RETURNS, simulations=500, method=method).percentiles()
    assert table.index.tolist() == list(PERCENTILES)
    for column in ("total_return", "max_drawdown"):
        assert np.all(np.diff(table[column].to_numpy()) >= 0.0)
    assert (table["max_drawdown"] <= 0.0).all()


@pytest.mark.parametrize("method", ["shuffle", "bootstrap"])
def test_monte_carlo_same_seed_same_draws_other_seed_other_draws(method: Any) -> None:
    first = monte_carlo(RETURNS, simulations=200, seed=1, method=method)
    again = monte_carlo(RETURNS, simulations=200, seed=1, method=method)
    other = monte_carlo(RETURNS, simulations=200, seed=2, method=method)
    np.testing.assert_array_equal(first.max_drawdowns, again.max_drawdowns)
    np.testing.assert_array_equal(first.total_returns, again.total_returns)
    assert not np.array_equal(first.max_drawdowns, other.max_drawdowns)


def test_monte_carlo_shuffle_keeps_the_sum_of_log_returns_and_varies_the_path() -> None:
    many = RNG.normal(0.0005, 0.01, 5_000)  # several blocks of simulations
    draws = monte_carlo(many, simulations=2_000, method="shuffle")
    logs = np.log1p(draws.total_returns)
    np.testing.assert_allclose(logs, np.sum(np.log1p(many)), rtol=1e-12, atol=1e-12)
    assert draws.observed_return == pytest.approx(np.expm1(np.sum(np.log1p(many))), rel=1e-12)
    assert np.std(draws.max_drawdowns) > 0.0
    assert draws.probability_of_loss in (0.0, 1.0)


def test_monte_carlo_bootstrap_varies_the_final_return() -> None:
    draws = monte_carlo(RETURNS, simulations=1_000, method="bootstrap")
    assert np.std(draws.total_returns) > 0.0
    assert draws.probability_of_loss == np.mean(draws.total_returns < 0.0)
    assert 0.0 < draws.probability_of_loss < 1.0


def test_monte_carlo_observed_drawdown_follows_the_history_order() -> None:
    draws = monte_carlo(np.array([0.1, -0.5, 0.2]), simulations=10)
    assert draws.observed_drawdown == pytest.approx(-0.5)
    assert draws.observed_return == pytest.approx(1.1 * 0.5 * 1.2 - 1.0)
    assert 0.0 <= draws.worse_drawdown_probability <= 1.0


def test_trade_returns_compound_to_the_realised_return_of_a_backtest() -> None:
    result = run(
        "sma_cross", synthetic_bars(3_000, seed=2), {"fast": 10, "slow": 40}, commission=0.001
    )
    returns = trade_returns(result)
    assert len(returns) == len(result.trades) > 10
    last_exit = int(result.trades["exit_index"].max())
    realised = result.equity[last_exit] / 10_000.0
    assert np.prod(1.0 + returns) == pytest.approx(realised, rel=1e-12)
    draws = monte_carlo(result, simulations=100)
    assert draws.observed_return == pytest.approx(realised - 1.0, rel=1e-9)


@pytest.mark.parametrize(
    ("values", "options", "fragment"),
    [
        (np.array([]), {}, "no closed trades to resample"),
        (np.array([0.1, -1.0]), {}, "above -1"),
        (RETURNS, {"method": "jackknife"}, "method must be"),
        (RETURNS, {"simulations": 0}, "simulations must be a whole number"),
    ],
)
def test_monte_carlo_bad_input_names_the_fix(
    values: np.ndarray, options: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ValidationError) as error:
        monte_carlo(values, **options)
    assert fragment in error.value.message
