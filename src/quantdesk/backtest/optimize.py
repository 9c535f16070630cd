"""Parameter search with Optuna, for spaces too large to sweep as a grid.

Each trial is one backtest evaluated exactly as a sweep row (same engine, same metrics), so
a trial's value equals ``sweep`` and ``run`` for its parameters. Trials run one after the
other in this process: with a fixed ``seed`` the same trials come out every time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quantdesk.backtest._evaluation import (
    Evaluator,
    StrategyRef,
    backtest_options,
    base_parameters,
    check_metric,
    check_parameter,
    from_columns,
    plain,
    strategy_class,
    to_columns,
)
from quantdesk.backtest._summary import SUMMARY_COLUMNS
from quantdesk.bars import Bars
from quantdesk.errors import ValidationError
from quantdesk.strategies.base import Strategy

if TYPE_CHECKING:
    import optuna
    import pandas as pd

Space = Mapping[str, tuple[Any, ...] | list[Any]]
Params = dict[str, Any]
SAMPLERS = ("tpe", "random")


@dataclass(frozen=True, eq=False)
class OptimizeResult:
    """The outcome of :func:`optimize`: the best parameters and every trial.

    ``trials`` has one row per trial in the order they ran: ``number``, ``state``
    (``COMPLETE``, or ``PRUNED`` for parameters the strategy refused or a metric that
    came out NaN), one column per searched parameter and the metrics of a sweep row.
    ``study`` is the Optuna study, for its plots and analyses.
    """

    best: Params
    best_value: float
    trials: pd.DataFrame
    metric: str
    maximize: bool
    parameters: tuple[str, ...]
    seconds: float
    study: optuna.Study


def optimize(
    strategy: StrategyRef | Strategy[Any],
    bars: Bars | Mapping[str, Bars],
    space: Space,
    *,
    metric: str = "sharpe",
    maximize: bool = True,
    trials: int = 100,
    seed: int = 0,
    sampler: str = "tpe",
    timeout: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    **run_options: Any,
) -> OptimizeResult:
    """Search ``space`` with Optuna for the parameters that maximise (or minimise) ``metric``.

    ``space`` maps each parameter to a range or a list of choices: ``(low, high)`` or
    ``(low, high, step)`` is an integer range when the bounds are integers and a float
    range otherwise (both ends included); a list is a set of categorical choices.
    ``sampler`` is ``"tpe"`` (Bayesian, the default) or ``"random"``; both take ``seed``.
    ``timeout`` stops the search after that many seconds even if fewer than ``trials``
    ran. ``progress(done, trials)`` is called after every trial. Backtest options pass
    through ``run_options`` as in :func:`quantdesk.backtest.run`. Optuna's own logging is
    silenced while the search runs.

    Example:
        >>> import numpy as np
        >>> from quantdesk.bars import Bars
        >>> close = 100 + np.sin(np.arange(600) / 15) * 10
        >>> bars = Bars.from_arrays(np.arange(600) * 86_400 * 10**9, close, close + 1,
        ...                         close - 1, close, np.ones(600), symbol="DEMO")
        >>> found = optimize("sma_cross", bars, {"fast": (2, 20), "slow": (21, 80)}, trials=20)
        >>> 2 <= found.best["fast"] <= 20 and len(found.trials) == 20
        True
    """
    import optuna

    started = time.perf_counter()
    check_metric(metric)
    cls = strategy_class(strategy)
    suggest = _suggesters(cls, space)
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValidationError(f"trials must be a whole number of at least 1, got {trials!r}")
    options = backtest_options(run_options)
    evaluate = Evaluator(cls, from_columns(to_columns(bars)), options)
    objective = _Objective(cls, base_parameters(strategy), suggest, evaluate, metric)
    with _quiet(optuna):
        study = optuna.create_study(
            direction="maximize" if maximize else "minimize", sampler=_sampler(sampler, seed)
        )
        callbacks = [] if progress is None else [lambda s, _: progress(len(s.trials), trials)]
        study.optimize(objective, n_trials=trials, timeout=timeout, callbacks=callbacks)
    return _result(study, tuple(space), metric, maximize, time.perf_counter() - started)


class _Objective:
    """One trial: suggest, validate, backtest (once per distinct parameter set), score."""

    def __init__(
        self,
        cls: type[Strategy[Any]],
        base: Params,
        suggest: dict[str, Callable[[optuna.Trial], Any]],
        evaluate: Evaluator,
        metric: str,
    ) -> None:
        self._cls, self._base, self._suggest = cls, base, suggest
        self._evaluate, self._metric = evaluate, metric
        self._seen: dict[tuple[tuple[str, Any], ...], dict[str, float]] = {}

    def __call__(self, trial: optuna.Trial) -> float:
        import optuna

        params = {**self._base, **{name: pick(trial) for name, pick in self._suggest.items()}}
        try:
            self._cls.validate(params)
        except ValidationError as error:
            trial.set_user_attr("refused", error.message)
            raise optuna.TrialPruned(error.message) from None
        key = tuple(sorted(params.items()))
        if key not in self._seen:
            row = self._evaluate(params).tolist()
            self._seen[key] = dict(zip(SUMMARY_COLUMNS, row, strict=True))
        row = self._seen[key]
        for name, value in row.items():
            trial.set_user_attr(name, value)
        value = row[self._metric]
        if math.isnan(value):
            raise optuna.TrialPruned(f"{self._metric} is NaN for these parameters")
        return value


def _suggesters(cls: type[Strategy[Any]], space: Space) -> dict[str, Callable[[Any], Any]]:
    if not isinstance(space, Mapping) or not space:
        raise ValidationError(
            "space must map parameter names to ranges or choices, e.g. {'fast': (5, 50)}"
        )
    suggest = {}
    for name, bounds in space.items():
        check_parameter(cls, name, "space")
        suggest[name] = _suggester(name, bounds)
    return suggest


def _suggester(name: str, bounds: Any) -> Callable[[Any], Any]:
    if isinstance(bounds, list) and bounds:
        choices = [plain(choice) for choice in bounds]
        return lambda trial: trial.suggest_categorical(name, choices)
    if not isinstance(bounds, tuple) or len(bounds) not in (2, 3):
        raise ValidationError(
            f"space of {name!r} must be (low, high), (low, high, step) or a list of choices, "
            f"got {bounds!r}"
        )
    low, high, *rest = (plain(bound) for bound in bounds)
    if not all(isinstance(b, int | float) and not isinstance(b, bool) for b in (low, high, *rest)):
        raise ValidationError(f"space bounds of {name!r} must be numbers, got {bounds!r}")
    if not low < high:
        raise ValidationError(f"space of {name!r} needs low below high, got {bounds!r}")
    if all(isinstance(b, int) for b in (low, high, *rest)):
        step = rest[0] if rest else 1
        return lambda trial: trial.suggest_int(name, low, high, step=step)
    step_or_none = float(rest[0]) if rest else None
    return lambda trial: trial.suggest_float(name, float(low), float(high), step=step_or_none)


def _sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    import optuna

    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValidationError(f"sampler must be one of {', '.join(SAMPLERS)}, got {name!r}")


@contextmanager
def _quiet(optuna: Any) -> Iterator[None]:
    # trial-by-trial INFO lines would drown the caller's own output
    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)


def _result(
    study: optuna.Study,
    names: tuple[str, ...],
    metric: str,
    maximize: bool,
    seconds: float,
) -> OptimizeResult:
    import optuna

    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        raise ValidationError(
            f"none of the {len(study.trials)} trials produced a finite {metric}; "
            "widen the space, lengthen the history or choose another metric"
        )
    best = study.best_trial
    return OptimizeResult(
        best={name: best.params[name] for name in names},
        best_value=float(best.value if best.value is not None else math.nan),
        trials=_trials_table(study, names),
        metric=metric,
        maximize=maximize,
        parameters=names,
        seconds=seconds,
        study=study,
    )


def _trials_table(study: optuna.Study, names: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    rows = [
        {
            "number": trial.number,
            "state": trial.state.name,
            **{name: trial.params.get(name) for name in names},
            **{column: trial.user_attrs.get(column, math.nan) for column in SUMMARY_COLUMNS},
        }
        for trial in study.get_trials(deepcopy=False)
    ]
    return pd.DataFrame(rows, columns=["number", "state", *names, *SUMMARY_COLUMNS])
