"""The declarative base every model shares: ids, timestamps, naming and portable types."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL (indexable, compact), plain JSON elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")

# BIGINT keys on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
IdType = BigInteger().with_variant(Integer(), "sqlite")

MONEY_PRECISION = 28
MONEY_SCALE = 10
_MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)
_MONEY_LIMIT = Decimal(10) ** (MONEY_PRECISION - MONEY_SCALE)
_MONEY_CONTEXT = Context(prec=MONEY_PRECISION, rounding=ROUND_HALF_EVEN)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that always comes back in UTC, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """An exact ``Numeric(28, 10)`` decimal for money, prices and quantities.

    PostgreSQL stores it as ``NUMERIC(28, 10)``. SQLite would round a NUMERIC to a
    15-digit double, so there the value is kept as its decimal text instead: exact, but
    ordered as text, so cast it before sorting or comparing numbers in SQL on SQLite.
    Floats are refused: they carry binary rounding error into the books.
    """

    impl = Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(MONEY_PRECISION + 2))
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = _to_money(value)
        return str(exact) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value) if isinstance(value, str) else _to_money(value)


def _to_money(value: Decimal | int) -> Decimal:
    if isinstance(value, float) or not isinstance(value, Decimal | int):
        raise TypeError(f"money columns take Decimal or int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{value} is not a finite number; store an actual amount")
    if abs(number) >= _MONEY_LIMIT:
        raise ValueError(f"{value} exceeds the 18 integer digits a money column holds")
    return number.quantize(_MONEY_QUANTUM, context=_MONEY_CONTEXT)


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """Limit ``column`` to ``values`` with a CHECK named after the column.

    A CHECK on a plain string column behaves the same on SQLite and PostgreSQL and, unlike
    a native enum type, a later migration widens it without touching a type.
    """
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


def reference(
    table: str, *, ondelete: str = "CASCADE", index: bool = True, **options: Any
) -> MappedColumn[Any]:
    """Declare an indexed foreign key to ``table.id``; nullability follows the annotation.

    Deleting the parent cascades by default: owned rows go with their owner. Pass
    ``ondelete="SET NULL"`` for a loose link, or ``"RESTRICT"`` to protect history.
    """
    target = ForeignKey(f"{table}.id", ondelete=ondelete)
    return mapped_column(IdType, target, index=index, **options)


def utcnow() -> datetime:
    return datetime.now(UTC)


def unindexed_created_at() -> MappedColumn[datetime]:
    """``created_at`` without the base's index, for tables written far more than searched
    by it: every index is written by each insert."""
    return mapped_column(UTCDateTime(), default=utcnow, server_default=func.now(), sort_order=100)


class Base(DeclarativeBase):
    """Every table has an integer ``id`` and ``created_at``/``updated_at`` in UTC."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        Decimal: Money(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        list[str]: JSONType,
    }

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True, sort_order=-100)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now(), index=True, sort_order=100
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.now(), sort_order=101
    )
