"""Shapes every area shares: the page of a list, its query parameters, and item ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

ItemT = TypeVar("ItemT")

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50

MAX_OFFSET = 10**9
MAX_ID = 2**63 - 1  # the largest BIGINT, and SQLite's INTEGER

Limit = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description="How many items to return, at most.")
]
Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description="How many items to skip from the start.")
]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="The item's id.")]


class Page(BaseModel, Generic[ItemT]):
    """One page of a list, with the size of the whole list so clients can page through it."""

    model_config = ConfigDict(from_attributes=True)

    items: Sequence[ItemT]
    total: int = Field(ge=0, description="Items in the whole list, not only this page.")
    limit: int = Field(ge=1, description="The page size that was asked for.")
    offset: int = Field(ge=0, description="How many items were skipped.")
