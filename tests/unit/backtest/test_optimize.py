"""Optuna search: reproducible per seed, trial values equal single backtests, refusals pruned."""

from __future__ import annotations

from typing import Any

import optuna
import pytest

from quantdesk.backtest.optimize import optimize
from quantdesk.backtest.sweep import METRICS
from quantdesk.errors import ValidationError
from tests.fixtures.backtest import synthetic_bars
from tests.fixtures.sweeps import Momentum, single_metrics

BARS = synthetic_bars(2_000, seed=11)
SPACE = {"fast": (2, 30), "slow": (10, 80, 5)}


def test_optimize_same_seed_gives_same_trials() -> None:
    first = optimize("sma_cross", BARS, SPACE, trials=15, seed=3)
    second = optimize("sma_cross", BARS, SPACE, trials=15, seed=3)
    assert first.trials.equals(second.trials)
    assert first.best == second.best


def test_optimize_other_seed_explores_other_parameters() -> None:
    first = optimize("sma_cross", BARS, SPACE, trials=8, seed=1, sampler="random")
    second = optimize("sma_cross", BARS, SPACE, trials=8, seed=2, sampler="random")
    assert first.trials[["fast", "slow"]].values.tolist() != (
        second.trials[["fast", "slow"]].values.tolist()
    )


def test_optimize_best_is_the_best_complete_trial_and_equals_a_run() -> None:
    result = optimize("sma_cross", BARS, SPACE, trials=20, commission=0.0005)
    complete = result.trials[result.trials["state"] == "COMPLETE"]
    assert result.best_value == complete["sharpe"].max()
    expected = single_metrics("sma_cross", BARS, result.best, commission=0.0005)
    row = complete.loc[complete["sharpe"].idxmax()]
    for name in METRICS:
        assert row[name] == pytest.approx(expected[name], rel=1e-9, abs=1e-9, nan_ok=True)


def test_optimize_refused_parameters_are_pruned_with_the_reason() -> None:
    result = optimize("sma_cross", BARS, {"fast": (20, 60), "slow": (10, 40)}, trials=25)
    pruned = result.trials[result.trials["state"] == "PRUNED"]
    assert len(pruned) > 0
    assert (pruned["fast"] >= pruned["slow"]).all()
    complete = result.trials[result.trials["state"] == "COMPLETE"]
    assert (complete["fast"] < complete["slow"]).all()
    refused = result.study.trials[int(pruned["number"].iloc[0])].user_attrs["refused"]
    assert "must be below slow" in refused


def test_optimize_minimise_picks_the_smallest_value() -> None:
    result = optimize(
        "sma_cross", BARS, SPACE, trials=12, metric="annual_volatility", maximize=False
    )
    complete = result.trials[result.trials["state"] == "COMPLETE"]
    assert result.best_value == complete["annual_volatility"].min()


def test_optimize_float_ranges_and_choices_stay_inside_the_space() -> None:
    space: dict[str, Any] = {"lookback": [5, 10, 20], "threshold": (0.0005, 0.004)}
    result = optimize(Momentum, BARS, space, trials=12, metric="total_return")
    assert set(result.trials["lookback"]) <= {5, 10, 20}
    assert result.trials["threshold"].between(0.0005, 0.004).all()
    assert isinstance(result.best["threshold"], float)


def test_optimize_progress_counts_every_trial() -> None:
    calls: list[tuple[int, int]] = []
    optimize("sma_cross", BARS, SPACE, trials=6, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(done, 6) for done in range(1, 7)]


def test_optimize_leaves_optuna_logging_as_it_was() -> None:
    optuna.logging.set_verbosity(optuna.logging.INFO)
    try:
        optimize("sma_cross", BARS, SPACE, trials=2)
        assert optuna.logging.get_verbosity() == optuna.logging.INFO
    finally:
        optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_optimize_no_finite_metric_raises() -> None:
    with pytest.raises(ValidationError, match="none of the 3 trials produced a finite sharpe"):
        optimize("sma_cross", BARS[:50], {"fast": (2, 5), "slow": (60, 90)}, trials=3)


@pytest.mark.parametrize(
    ("space", "options", "fragment"),
    [
        ({"fsat": (2, 5)}, {}, "'fsat' is not a parameter of sma_cross"),
        ({"fast": (9, 3)}, {}, "needs low below high"),
        ({"fast": 5}, {}, "must be (low, high), (low, high, step) or a list"),
        ({"fast": ("a", "b")}, {}, "must be numbers"),
        ({}, {}, "space must map parameter names"),
        (SPACE, {"sampler": "grid"}, "sampler must be one of tpe, random"),
        (SPACE, {"trials": 0}, "trials must be a whole number"),
    ],
)
def test_optimize_bad_input_names_the_fix(
    space: dict[str, Any], options: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ValidationError) as error:
        optimize("sma_cross", BARS, space, **options)
    assert fragment in error.value.message
