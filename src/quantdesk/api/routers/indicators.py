"""The indicator registry and indicator values computed on a symbol's stored bars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Request

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.indicators import IndicatorRead, IndicatorValuesRead, ParameterRead
from quantdesk.indicators.registry import IndicatorSpec
from quantdesk.services import indicators
from quantdesk.services.indicators import IndicatorSeries

router = APIRouter(tags=["indicators"])

MAX_BARS = 100_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Query names the endpoint itself uses; every other name is an indicator parameter.
RESERVED = frozenset({"name", "timeframe", "period", "start", "end", "limit", "store"})


@router.get("/indicators", response_model=list[IndicatorRead], responses=documented(401))
async def list_indicators(_user: CurrentUser) -> list[IndicatorRead]:
    """List every indicator with its inputs, parameters, outputs and display."""
    return [_spec_read(spec) for spec in indicators.list_indicators()]


@router.get(
    "/market-data/{symbol}/indicators",
    response_model=IndicatorValuesRead,
    responses=documented(401, 404, 422),
)
async def compute_indicator(
    request: Request,
    ctx: ContextDep,
    _user: CurrentUser,
    symbol: str,
    name: Annotated[str, Query(description="Registry name, e.g. rsi.")],
    timeframe: str = "1d",
    period: Annotated[int | None, Query(description="The main period (timeperiod).")] = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_BARS)] = None,
    store: bool = False,
) -> IndicatorValuesRead:
    """Compute an indicator on stored bars; other parameters go by their registry names."""
    params: dict[str, object] = {
        key: value for key, value in request.query_params.items() if key not in RESERVED
    }
    if period is not None:
        params["period"] = period
    series = await indicators.compute(
        ctx, symbol, timeframe, name, params, start=start, end=end, limit=limit, store=store
    )
    return _values_read(series)


def _spec_read(spec: IndicatorSpec) -> IndicatorRead:
    return IndicatorRead(
        name=spec.name,
        description=spec.description,
        inputs=list(spec.inputs),
        parameters=[
            ParameterRead(
                name=item.name,
                type=item.type,
                default=item.default,
                minimum=item.minimum,
                maximum=item.maximum,
                choices=list(item.choices) if item.choices else None,
                description=item.description,
            )
            for item in spec.parameters
        ],
        outputs=list(spec.outputs),
        display="overlay" if spec.overlay else "pane",
    )


def _values_read(series: IndicatorSeries) -> IndicatorValuesRead:
    return IndicatorValuesRead(
        symbol=series.symbol,
        timeframe=series.timeframe,
        name=series.spec.name,
        params=series.params,
        params_hash=series.params_hash,
        timestamps=[
            _EPOCH + timedelta(microseconds=ns // 1000) for ns in series.timestamps.tolist()
        ],
        values={key: indicators.json_values(np.asarray(v)) for key, v in series.outputs.items()},
        stored=series.stored,
    )
