"""What every repository shares: a session, lookups by id, and paged listing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quantdesk.db.base import Base

ModelT = TypeVar("ModelT", bound=Base)
ItemT = TypeVar("ItemT")


@dataclass(frozen=True, slots=True)
class Paged(Generic[ItemT]):
    """One page of a listing and the size of the whole listing."""

    items: Sequence[ItemT]
    total: int
    limit: int
    offset: int


class Repository(Generic[ModelT]):
    """Queries for one model; subclasses add the area's own lookups."""

    model: type[ModelT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, row_id: int) -> ModelT | None:
        """The row with this id, or None."""
        return await self.session.get(self.model, row_id)

    async def add(self, row: ModelT) -> ModelT:
        """Insert a row and flush, so its id and defaults are filled in."""
        self.session.add(row)
        await self.session.flush()
        return row

    async def flush(self) -> None:
        """Send pending changes, so constraint violations surface inside the service."""
        await self.session.flush()

    async def page(self, statement: Select[ModelT], *, limit: int, offset: int) -> Paged[ModelT]:
        """Run a select for one page, counting every row it would return."""
        count: Select[Any] = select(func.count()).select_from(statement.order_by(None).subquery())
        total = (await self.session.execute(count)).scalar_one()
        rows = await self.session.scalars(statement.limit(limit).offset(offset))
        return Paged(items=list(rows), total=total, limit=limit, offset=offset)
