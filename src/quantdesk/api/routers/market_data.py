"""Market data: import files, generate synthetic bars, and read bars as JSON, CSV or Arrow."""

from __future__ import annotations

import io
from typing import Annotated, Any

import numpy as np
import pydantic
from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.market_data import (
    DEFAULT_BARS_LIMIT,
    MAX_BARS_LIMIT,
    BarsFormat,
    BarsRead,
    ImportForm,
    ImportSummaryRead,
    SyntheticCreate,
    Timeframe,
    UtcDateTime,
)
from quantdesk.api.uploads import read_upload
from quantdesk.bars import Bars
from quantdesk.services import market_data

router = APIRouter(prefix="/market-data", tags=["market-data"])

ARROW_MEDIA_TYPE = "application/vnd.apache.arrow.stream"
CSV_MEDIA_TYPE = "text/csv"
_UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "symbol", "timeframe"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        **ImportForm.model_json_schema()["properties"],
                    },
                }
            }
        },
    }
}
_BARS_CONTENT = {
    "content": {
        CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
        ARROW_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
    }
}


@router.post(
    "/import",
    response_model=ImportSummaryRead,
    status_code=status.HTTP_201_CREATED,
    responses=documented(401, 404, 413, 415, 422),
    openapi_extra=_UPLOAD_SCHEMA,
)
async def import_file(request: Request, ctx: ContextDep, _user: CurrentUser) -> ImportSummaryRead:
    """Import a CSV or Parquet file of bars for one symbol; all rows or none are stored."""
    upload = await read_upload(request, file_field="file", max_bytes=ctx.config.max_upload_bytes)
    form = _form(upload.fields)
    data = bytes(upload.data)
    if market_data.detect_format(upload.filename, data[:4]) is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"{upload.filename!r} is neither CSV nor Parquet; upload a .csv or .parquet file",
        )
    options = market_data.FileOptions(
        filename=upload.filename,
        timeframe=form.timeframe,
        timezone=form.timezone,
        adjusted=form.adjusted,
        symbol=form.symbol,
    )
    summary = await market_data.import_file(
        ctx, data, options, symbol=form.symbol, exchange=form.exchange
    )
    return ImportSummaryRead.model_validate(summary)


def _form(fields: dict[str, str]) -> ImportForm:
    try:
        return ImportForm.model_validate(fields)
    except pydantic.ValidationError as error:
        raise RequestValidationError(
            [{**item, "loc": ("body", *item["loc"])} for item in error.errors()]
        ) from None


@router.post(
    "/synthetic",
    response_model=ImportSummaryRead,
    status_code=status.HTTP_201_CREATED,
    responses=documented(401, 422),
)
async def create_synthetic(
    ctx: ContextDep, _user: CurrentUser, body: SyntheticCreate
) -> ImportSummaryRead:
    """Generate seeded synthetic bars (GBM with volatility regimes) and store them."""
    spec = market_data.SyntheticSpec(
        symbol=body.symbol,
        timeframe=body.timeframe,
        start=body.start,
        bars=body.bars,
        seed=body.seed,
        initial_price=body.initial_price,
        drift=body.drift,
        volatility=body.volatility,
        regimes=tuple(body.regimes),
    )
    summary = await market_data.store_synthetic(ctx, spec, exchange=body.exchange)
    return ImportSummaryRead.model_validate(summary)


@router.get(
    "/{symbol}/bars",
    response_model=BarsRead,
    status_code=status.HTTP_200_OK,
    responses={200: _BARS_CONTENT, **documented(401, 404, 422)},
)
async def read_bars(
    ctx: ContextDep,
    _user: CurrentUser,
    symbol: Annotated[str, Path(min_length=1, max_length=32)],
    timeframe: Timeframe = "1d",
    start: Annotated[UtcDateTime | None, Query(description="ISO 8601; naive is UTC.")] = None,
    end: Annotated[UtcDateTime | None, Query(description="ISO 8601, included.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_BARS_LIMIT)] = DEFAULT_BARS_LIMIT,
    exchange: Annotated[str | None, Query(max_length=32)] = None,
    output: Annotated[
        BarsFormat | None,
        Query(alias="format", description="json, csv or arrow; overrides Accept."),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    """Read bars oldest first; a coarser timeframe than stored is resampled on the fly."""
    bars = await market_data.load_bars(
        ctx, symbol, timeframe, start=start, end=end, limit=limit, exchange=exchange
    )
    chosen = output or _from_accept(accept)
    if chosen == "csv":
        return Response(_csv(bars), media_type=CSV_MEDIA_TYPE)
    if chosen == "arrow":
        return Response(_arrow(bars), media_type=ARROW_MEDIA_TYPE)
    return _json(bars)


def _from_accept(accept: str | None) -> BarsFormat:
    if accept and ARROW_MEDIA_TYPE in accept:
        return "arrow"
    if accept and CSV_MEDIA_TYPE in accept:
        return "csv"
    return "json"


def _iso(bars: Bars) -> list[str]:
    text = np.datetime_as_string(bars.timestamps.view("datetime64[ns]"), unit="s")
    return [f"{value}Z" for value in text.tolist()]


def _json(bars: Bars) -> BarsRead:
    return BarsRead(
        symbol=bars.symbol,
        timeframe=bars.timeframe,
        count=len(bars),
        time=(bars.timestamps // 10**9).tolist(),
        timestamps=_iso(bars),
        open=bars.open.tolist(),
        high=bars.high.tolist(),
        low=bars.low.tolist(),
        close=bars.close.tolist(),
        volume=bars.volume.tolist(),
    )


def _csv(bars: Bars) -> bytes:
    frame = bars.to_frame().set_axis(_iso(bars), axis=0)
    return frame.to_csv(index_label="timestamp").encode()


def _arrow(bars: Bars) -> bytes:
    import pyarrow as pa

    columns = {
        "timestamp": pa.array(bars.timestamps.view("datetime64[ns]"), pa.timestamp("ns", "UTC"))
    }
    columns |= {
        name: pa.array(values) for name, values in bars.columns.items() if name != "timestamps"
    }
    table = pa.table(columns, metadata={"symbol": bars.symbol, "timeframe": bars.timeframe})
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()
