"""Metrics against empyrical-reloaded, plus drawdown, trade and calendar arithmetic."""

from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd
import pytest

from quantdesk.backtest import run
from quantdesk.backtest.metrics import (
    calendar_returns,
    equity_returns,
    infer_periods_per_year,
    performance,
)
from quantdesk.bars import Bars
from quantdesk.errors import ValidationError
from tests.fixtures.backtest import DAY_NS
from tests.fixtures.market_data import START_NS, real_ohlcv


@pytest.fixture(scope="module")
def goog() -> Bars:
    return Bars.from_arrays(**real_ohlcv("GOOG"), symbol="GOOG", timeframe="1d")


def test_metrics_match_empyrical(goog: Bars) -> None:
    result = run("sma_cross", goog, {"fast": 10, "slow": 30}, commission=0.001)
    metrics = result.metrics
    per_year = metrics.periods_per_year
    returns = equity_returns(result.equity, 10_000.0)
    got = metrics.performance
    assert got.total_return == pytest.approx(empyrical.cum_returns_final(returns), rel=1e-9)
    assert got.cagr == pytest.approx(empyrical.cagr(returns, annualization=per_year), rel=1e-9)
    assert got.annual_volatility == pytest.approx(
        empyrical.annual_volatility(returns, annualization=per_year), rel=1e-9
    )
    assert got.sharpe == pytest.approx(
        empyrical.sharpe_ratio(returns, annualization=per_year), rel=1e-9
    )
    assert got.sortino == pytest.approx(
        empyrical.sortino_ratio(returns, annualization=per_year), rel=1e-9
    )
    assert got.max_drawdown == pytest.approx(empyrical.max_drawdown(returns), rel=1e-9)
    assert got.calmar == pytest.approx(
        empyrical.calmar_ratio(returns, annualization=per_year), rel=1e-9
    )


def test_benchmark_is_buy_and_hold_on_same_bars(goog: Bars) -> None:
    metrics = run("sma_cross", goog).metrics
    assert metrics.benchmark.total_return == pytest.approx(
        goog.close[-1] / goog.close[0] - 1, rel=1e-12
    )
    returns = equity_returns(goog.close / goog.close[0] * 10_000, 10_000.0)
    expected = empyrical.sharpe_ratio(returns, annualization=metrics.periods_per_year)
    assert metrics.benchmark.sharpe == pytest.approx(expected, rel=1e-9)


def test_periods_per_year_counts_daily_equity_bars_near_252(goog: Bars) -> None:
    assert 245 < infer_periods_per_year(goog.timestamps) < 256


def test_periods_per_year_needs_two_timestamps() -> None:
    with pytest.raises(ValidationError, match="pass periods_per_year"):
        infer_periods_per_year(np.array([START_NS]))


def test_drawdown_duration_counts_longest_stretch_under_peak() -> None:
    equity = np.array([110.0, 100.0, 105.0, 111.0, 90.0, 95.0])
    timestamps = START_NS + np.arange(6) * DAY_NS
    metrics = performance(equity, 100.0, timestamps, 252.0)
    assert metrics.max_drawdown == pytest.approx(90 / 111 - 1)
    assert metrics.max_drawdown_bars == 2
    assert metrics.max_drawdown_days == 3.0  # first stretch: peak on day 0, recovered on day 3


def test_flat_equity_has_no_drawdown_and_undefined_ratios() -> None:
    timestamps = START_NS + np.arange(5) * DAY_NS
    metrics = performance(np.full(5, 100.0), 100.0, timestamps, 252.0)
    assert (metrics.total_return, metrics.max_drawdown, metrics.max_drawdown_bars) == (0.0, 0.0, 0)
    assert np.isnan(metrics.sharpe)
    assert np.isnan(metrics.calmar)


def test_calendar_returns_match_pandas_resample(goog: Bars) -> None:
    result = run("sma_cross", goog)
    series = pd.Series(result.equity, index=pd.to_datetime(goog.timestamps))
    month_end = series.resample("ME").last().dropna()
    expected = month_end.pct_change()
    expected.iloc[0] = month_end.iloc[0] / 10_000 - 1
    monthly = result.metrics.monthly_returns
    assert list(monthly) == [stamp.strftime("%Y-%m") for stamp in month_end.index]
    np.testing.assert_allclose(list(monthly.values()), expected.to_numpy(), rtol=1e-12)
    yearly = calendar_returns(result.equity, 10_000.0, goog.timestamps, "Y")
    assert np.prod([1 + r for r in yearly.values()]) == pytest.approx(result.equity[-1] / 10_000)


def test_trade_metrics_follow_closed_trades(goog: Bars) -> None:
    result = run("ema_cross", goog, {"fast": 5, "slow": 20})
    trades = result.trades
    stats = result.metrics.trades
    wins, losses = trades["pnl"][trades["pnl"] > 0], trades["pnl"][trades["pnl"] < 0]
    assert stats.number_of_trades == len(trades) > 10
    assert stats.win_rate == pytest.approx(len(wins) / len(trades))
    assert stats.profit_factor == pytest.approx(wins.sum() / -losses.sum())
    assert stats.expectancy == pytest.approx(trades["pnl"].mean())
    assert (stats.best_trade, stats.worst_trade) == (trades["return"].max(), trades["return"].min())
    assert stats.average_bars_held == pytest.approx(trades["bars_held"].mean())
    assert 0.0 < stats.exposure < 1.0


def test_metrics_to_dict_is_flat_with_benchmark(goog: Bars) -> None:
    data = run("sma_cross", goog).metrics.to_dict()
    assert {"sharpe", "win_rate", "exposure", "benchmark", "monthly_returns"} <= set(data)
    assert "sharpe" in data["benchmark"]
