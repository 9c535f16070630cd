"""The data-quality report of a symbol's stored bars."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.quality import FindingRead, QualityRead
from quantdesk.quality import Calendar, QualityReport
from quantdesk.services import quality

router = APIRouter(prefix="/market-data", tags=["market-data"])


@router.get("/{symbol}/quality", response_model=QualityRead, responses=documented(401, 404, 422))
async def check_quality(
    ctx: ContextDep,
    _user: CurrentUser,
    symbol: str,
    timeframe: str = "1d",
    calendar: Calendar = "24/7",
    jump_threshold: Annotated[float, Query(gt=0, le=100)] = quality.DEFAULT_JUMP_THRESHOLD,
    start: datetime | None = None,
    end: datetime | None = None,
    exchange: str | None = None,
) -> QualityRead:
    """Report missing, duplicate, stale, jumping and inconsistent bars of a symbol."""
    report = await quality.check(
        ctx,
        symbol,
        timeframe,
        calendar=calendar,
        jump_threshold=jump_threshold,
        start=start,
        end=end,
        exchange=exchange,
    )
    return quality_read(report)


def quality_read(report: QualityReport) -> QualityRead:
    """The response body of a report."""
    return QualityRead(
        symbol=report.symbol,
        timeframe=report.timeframe,
        calendar=report.calendar,
        jump_threshold=report.jump_threshold,
        bars=report.bars,
        expected=report.expected,
        coverage=report.coverage,
        start=report.start,
        end=report.end,
        clean=report.clean,
        findings={
            name: FindingRead(count=item.count, first=list(item.first))
            for name, item in report.findings.items()
        },
    )
