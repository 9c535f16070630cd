"""Indicators on stored bars: the registry for clients, values computed on demand, and storing.

Values are computed on the bars loaded for the request, so the first ``period``-ish values
are the indicator's warm-up NaNs (null in JSON); ask for an earlier ``start`` to fill them.
Stored values are keyed by a hash of the validated parameters (defaults included), so the
same settings always land on the same rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from quantdesk.db.repositories.bars import to_datetime
from quantdesk.db.repositories.indicator_values import IndicatorValueRepository
from quantdesk.errors import ValidationError
from quantdesk.indicators import registry
from quantdesk.indicators.registry import IndicatorSpec
from quantdesk.services import instruments, market_data
from quantdesk.services.context import ServiceContext

PERIOD_ALIAS = "period"
MAIN_PERIOD = "timeperiod"


@dataclass(frozen=True, slots=True)
class IndicatorSeries:
    """One indicator's outputs aligned to the bars' timestamps."""

    symbol: str
    timeframe: str
    spec: IndicatorSpec
    params: dict[str, Any]
    params_hash: str
    timestamps: np.ndarray
    outputs: dict[str, np.ndarray]
    stored: int


def list_indicators() -> list[IndicatorSpec]:
    """Every registered indicator, by name."""
    return registry.available()


def resolve_params(spec: IndicatorSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Map ``period`` to the main period parameter and validate against the registry.

    Raises:
        ValidationError: An unknown parameter (the message lists the valid ones) or a value
            out of bounds.
    """
    params = dict(raw)
    if PERIOD_ALIAS in params:
        if MAIN_PERIOD not in {parameter.name for parameter in spec.parameters}:
            valid = ", ".join(parameter.name for parameter in spec.parameters) or "none"
            raise ValidationError(
                f"{spec.name} has no period; it takes {valid}", details={"field": PERIOD_ALIAS}
            )
        params[MAIN_PERIOD] = params.pop(PERIOD_ALIAS)
    return spec.validate(params)


def params_hash(params: Mapping[str, Any]) -> str:
    """The sha256 of the parameters' canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def compute(
    ctx: ServiceContext,
    symbol: str,
    timeframe: str,
    name: str,
    raw_params: Mapping[str, Any],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
    store: bool = False,
) -> IndicatorSeries:
    """Compute indicator ``name`` on a symbol's bars; with ``store``, upsert the values.

    Raises:
        NotFoundError: Unknown indicator, symbol, or no bars at the timeframe.
        ValidationError: Unknown or out-of-bounds parameters.
    """
    spec = registry.get(name)
    params = resolve_params(spec, raw_params)
    bars = await market_data.load_bars(ctx, symbol, timeframe, start=start, end=end, limit=limit)
    outputs = registry.compute(name, bars.columns, **params) if len(bars) else _empty(spec)
    digest = params_hash(params)
    stored = 0
    if store:
        stored = await _store(ctx, bars.symbol, timeframe, name, digest, bars.timestamps, outputs)
    return IndicatorSeries(
        bars.symbol, timeframe, spec, params, digest, bars.timestamps, outputs, stored
    )


def _empty(spec: IndicatorSpec) -> dict[str, np.ndarray]:
    return {output: np.empty(0) for output in spec.outputs}


async def _store(
    ctx: ServiceContext,
    symbol: str,
    timeframe: str,
    name: str,
    digest: str,
    timestamps: np.ndarray,
    outputs: dict[str, np.ndarray],
) -> int:
    instrument = await instruments.resolve_instrument(ctx, symbol, None)
    columns = {key: json_values(values) for key, values in outputs.items()}
    rows = [
        (to_datetime(int(stamp)), {key: values[row] for key, values in columns.items()})
        for row, stamp in enumerate(timestamps)
    ]
    repository = IndicatorValueRepository(ctx.session)
    return await repository.upsert(instrument.id, timeframe, name, digest, rows)


def json_values(values: np.ndarray) -> list[float | None]:
    """Floats with NaN and infinities as None, which JSON can carry."""
    floats = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(floats)
    return [float(value) if ok else None for value, ok in zip(floats.tolist(), finite, strict=True)]
