"""The ``optimization`` job kind: grid sweeps in parallel chunks, Optuna search, walk-forward.

Payload: ``backtest_run_id``, ``database`` (see ``_inputs``), ``method`` (``grid``,
``optuna`` or ``walk_forward``), ``strategy_type``, ``parameters`` (defaults the search
overrides), ``grid`` or ``space``, ``metric``, ``maximize``, ``trials``, ``seed``,
``train_bars``, ``test_bars``, ``heatmap`` (two grid parameters), ``chunks`` and ``options``.

A grid is split into ``chunks`` payloads of parameter sets that run in parallel, each with
:func:`quantdesk.backtest.sweep_chunk`; :func:`combine_results` sorts their rows exactly as
:func:`quantdesk.backtest.sweep` does and keeps the best ``TOP_ROWS`` with a heat map. Optuna
and walk-forward run as one chunk. The ``optimization`` completion hook stores the result.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from quantdesk.backtest import BacktestOptions, optimize, sweep_chunk, walk_forward
from quantdesk.backtest.sweep import METRICS, expand
from quantdesk.errors import ValidationError
from quantdesk.jobs.handlers._inputs import json_ready, read_inputs
from quantdesk.jobs.registry import ProgressReporter, handler
from quantdesk.strategies import create, get

KIND = "optimization"
TOP_ROWS = 100
DEFAULT_CHUNKS = 4
_BATCHES = 10  # progress reports per grid chunk
_NS_PER_MS = 1_000_000

Payload = dict[str, Any]


def split_grid(payload: Payload) -> list[Payload]:
    """Cut a grid into chunks of valid parameter sets; other methods run as one chunk."""
    if payload["method"] != "grid":
        return [payload]
    names, combos, skipped = admitted(
        payload["strategy_type"], payload.get("parameters") or {}, payload["grid"]
    )
    size = math.ceil(len(combos) / max(1, int(payload.get("chunks") or DEFAULT_CHUNKS)))
    common = {key: value for key, value in payload.items() if key != "grid"}
    common |= {"names": list(names), "skipped": skipped, "combinations": len(combos)}
    return [
        {**common, "combos": combos[start : start + size]} for start in range(0, len(combos), size)
    ]


def admitted(
    strategy_type: str, base: dict[str, Any], grid: dict[str, list[Any]]
) -> tuple[tuple[str, ...], list[Payload], int]:
    """Every grid combination the strategy accepts, in grid order, and how many it refused."""
    cls = get(strategy_type)
    names, combinations = expand(cls, grid)
    valid: list[Payload] = []
    for combination in combinations:
        params = {**base, **combination}
        try:
            cls.validate(params)
        except ValidationError:
            continue
        valid.append(params)
    return names, valid, len(combinations) - len(valid)


def combine_results(results: list[Payload]) -> Payload:
    """Merge grid chunks into one table sorted by the metric; other methods pass through."""
    first = results[0]
    if first["method"] != "grid":
        return first
    names = first["names"]
    rows = [row for part in results for row in part["rows"]]
    frame = pd.DataFrame.from_records(rows, columns=[*names, *METRICS])
    frame[list(METRICS)] = frame[list(METRICS)].astype(np.float64)
    ordered = frame.sort_values(
        first["metric"], ascending=not first["maximize"], na_position="last", kind="stable"
    ).reset_index(drop=True)
    return {
        "method": "grid",
        "metric": first["metric"],
        "combinations": first["combinations"],
        "skipped": first["skipped"],
        **_best(ordered, names, first["metric"]),
        "rows": _records(ordered.head(TOP_ROWS)),
        "heatmap": _heatmap(ordered, names, first),
    }


@handler(KIND, split=split_grid, combine=combine_results)
def run_optimization(payload: Payload, progress: ProgressReporter) -> Payload:
    """Run one grid chunk, an Optuna search or a walk-forward analysis."""
    series = read_inputs(payload["database"], int(payload["backtest_run_id"]))
    progress.update(0.1, "bars loaded")
    if payload["method"] == "grid":
        return _grid_chunk(payload, series, progress)
    if payload["method"] == "optuna":
        return _optuna(payload, series, progress)
    return _walk_forward(payload, series, progress)


def _grid_chunk(payload: Payload, series: dict[str, Any], progress: ProgressReporter) -> Payload:
    combos, names = payload["combos"], payload["names"]
    options = BacktestOptions(**payload["options"])
    columns, step = _columns(series), max(1, math.ceil(len(combos) / _BATCHES))
    rows: list[Payload] = []
    for start in range(0, len(combos), step):
        batch = sweep_chunk(
            payload["strategy_type"], columns, combos[start : start + step], options
        )
        rows.extend({key: row[key] for key in (*names, *METRICS)} for row in batch)
        progress.update(0.1 + 0.9 * len(rows) / len(combos), f"{len(rows)} of {len(combos)} sets")
    keep = ("method", "metric", "maximize", "names", "skipped", "combinations", "heatmap")
    return {**{key: payload.get(key) for key in keep}, "rows": json_ready(rows)}


def _optuna(payload: Payload, series: dict[str, Any], progress: ProgressReporter) -> Payload:
    trials = int(payload["trials"])
    found = optimize(
        create(payload["strategy_type"], payload.get("parameters") or {}),
        series,
        {name: _bounds(spec) for name, spec in payload["space"].items()},
        metric=payload["metric"],
        maximize=payload["maximize"],
        trials=trials,
        seed=int(payload.get("seed") or 0),
        progress=lambda done, total: progress.update(0.1 + 0.9 * done / total, f"trial {done}"),
        **payload["options"],
    )
    table = found.trials[found.trials["state"] == "COMPLETE"]
    ordered = table.sort_values(payload["metric"], ascending=not payload["maximize"], kind="stable")
    columns = ["number", *found.parameters, *METRICS]
    return {
        "method": "optuna",
        "metric": payload["metric"],
        "trials": len(found.trials),
        "best": json_ready(found.best),
        "best_value": json_ready(found.best_value),
        "rows": _records(ordered[columns].head(TOP_ROWS)),
    }


def _walk_forward(payload: Payload, series: dict[str, Any], progress: ProgressReporter) -> Payload:
    (bars,) = series.values()
    found = walk_forward(
        create(payload["strategy_type"], payload.get("parameters") or {}),
        bars,
        payload["grid"],
        train_bars=int(payload["train_bars"]),
        test_bars=int(payload["test_bars"]),
        metric=payload["metric"],
        maximize=payload["maximize"],
        workers=1,
        **payload["options"],
    )
    progress.update(1.0, f"{len(found.windows)} windows")
    return {
        "method": "walk_forward",
        "metric": payload["metric"],
        "best": json_ready(found.windows[-1].params),
        "efficiency": json_ready(found.efficiency),
        "metrics": json_ready(found.metrics.to_dict()),
        "windows": _records(found.table()),
        "equity": {
            "timestamps": (found.timestamps // _NS_PER_MS).tolist(),
            "equity": json_ready(found.equity.tolist()),
        },
    }


def _columns(series: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        symbol: {**bars.columns, "timeframe": bars.timeframe} for symbol, bars in series.items()
    }


def _bounds(spec: dict[str, Any]) -> tuple[Any, ...] | list[Any]:
    if "choices" in spec:
        return list(spec["choices"])
    step = spec.get("step")
    return (spec["low"], spec["high"]) if step is None else (spec["low"], spec["high"], step)


def _best(ordered: pd.DataFrame, names: list[str], metric: str) -> Payload:
    finite = np.flatnonzero(np.isfinite(ordered[metric].to_numpy(np.float64)))
    if len(finite) == 0:
        return {"best": None, "best_value": None}
    row = ordered.iloc[int(finite[0])]
    return {
        "best": json_ready({name: row[name] for name in names}),
        "best_value": json_ready(row[metric]),
    }


def _heatmap(ordered: pd.DataFrame, names: list[str], first: Payload) -> Payload | None:
    axes = first.get("heatmap") or names[:2]
    if len(names) < 2 or len(axes) != 2:
        return None
    x, y = axes
    pivot = ordered.pivot_table(
        index=y, columns=x, values=first["metric"],
        aggfunc="max" if first["maximize"] else "min", dropna=False,
    )  # fmt: skip
    return {
        "x": x,
        "y": y,
        "x_values": json_ready(pivot.columns.tolist()),
        "y_values": json_ready(pivot.index.tolist()),
        "values": json_ready(pivot.to_numpy(np.float64).tolist()),
    }


def _records(frame: pd.DataFrame) -> list[Payload]:
    return [json_ready(record) for record in frame.to_dict(orient="records")]
