"""Instruments and the market data kept for them: bars and computed indicator values."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Double, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from quantdesk.db.base import Base, IdType, one_of, reference, unindexed_created_at

ASSET_CLASSES = (
    "equity",
    "etf",
    "index",
    "future",
    "option",
    "forex",
    "crypto",
    "bond",
    "commodity",
)


class Instrument(Base):
    """A tradable symbol on one exchange; ``exchange`` is empty when the source has none."""

    __tablename__ = "instruments"
    __table_args__ = (
        UniqueConstraint("symbol", "exchange"),
        one_of("asset_class", ASSET_CLASSES),
    )

    symbol: Mapped[str] = mapped_column(String(32), index=True)
    exchange: Mapped[str] = mapped_column(String(32), default="", server_default="")
    asset_class: Mapped[str] = mapped_column(String(16), default="equity", server_default="equity")
    currency: Mapped[str] = mapped_column(String(8), default="USD", server_default="USD")
    tick_size: Mapped[Decimal | None]
    lot_size: Mapped[Decimal | None]
    name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())


class Bar(Base):
    """One OHLCV bar. Floats, not decimals: market data is read in bulk, fast.

    The unique (instrument, timeframe, ts) key is also the lookup index, so ``created_at``
    carries no index of its own here: bars are written by the million. ``instrument_id`` is
    deliberately not a foreign key: PostgreSQL would run the check once per row, which
    more than halves the speed of a bulk COPY; the bars repository writes only ids it has
    just looked up, and deleting an instrument deletes its bars in the same transaction.
    """

    __tablename__ = "bars"
    __table_args__ = (UniqueConstraint("instrument_id", "timeframe", "ts"),)

    instrument_id: Mapped[int] = mapped_column(IdType)
    timeframe: Mapped[str] = mapped_column(String(8))
    ts: Mapped[datetime]
    open: Mapped[float] = mapped_column(Double)
    high: Mapped[float] = mapped_column(Double)
    low: Mapped[float] = mapped_column(Double)
    close: Mapped[float] = mapped_column(Double)
    volume: Mapped[float] = mapped_column(Double, default=0.0, server_default="0")
    created_at: Mapped[datetime] = unindexed_created_at()


class IndicatorValue(Base):
    """An indicator's output at one bar, for one parameter set (``params_hash``)."""

    __tablename__ = "indicator_values"
    __table_args__ = (UniqueConstraint("instrument_id", "timeframe", "name", "params_hash", "ts"),)

    instrument_id: Mapped[int] = reference("instruments", index=False)
    timeframe: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(64))
    params_hash: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime] = mapped_column(index=True)
    values: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = unindexed_created_at()
