"""Counts of orders kept by the database itself, for the risk check of every new order.

The check of a new order needs how many of the account's orders are working and how many
were sent in the last minute. Counted row by row, both grew with the orders themselves: at
200 orders a second a minute holds 12,000 of them, and each count read that many index
entries (and, on PostgreSQL, their rows for visibility) per new order. Triggers on
``orders`` keep the figures instead, in the same transaction as the change they count, so
no path that writes an order (the API, deployments, reconciliation, a console) can leave
them behind:

- ``working_order_counts``: a user's working orders per mode (the statuses in which an
  order may still fill), moved by inserts, deletes and status changes;
- ``order_rates``: a user's orders per second of ``created_at``, moved by inserts and
  deletes. Each insert also drops the user's buckets older than two minutes, so the
  table holds about 120 rows per trading user. The last minute is the buckets after the
  second in which it starts, plus the orders of that second itself, counted exactly
  (:mod:`quantdesk.db.repositories.order_checks`).

An order's user, mode and ``created_at`` never change after it is stored; the triggers
rely on that. On PostgreSQL they are deferred to the commit: a counter row is one row per
user, and a trigger that updated it at the insert would hold its lock until the commit, a
client round trip later, so every concurrent order of the user queued behind it (seen as
most of the database's active time spent waiting on locks at 200 orders a second). At the
commit the lock lasts the commit itself. SQLite has one writer at a time and counts at once.

``create_all`` installs the triggers through :func:`install_triggers`; migration 0008
installs the same ones in a migrated database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Connection, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from quantdesk.db.base import Base, reference, unindexed_created_at
from quantdesk.trading.orders import OrderStatus

__all__ = ["RATE_BUCKETS_KEPT_SECONDS", "WORKING_STATUSES", "OrderRate", "WorkingOrderCount"]

WORKING_STATUSES = tuple(sorted(status.value for status in OrderStatus if status.is_working))
RATE_BUCKETS_KEPT_SECONDS = 120


class WorkingOrderCount(Base):
    """How many of a user's orders in one mode may still fill."""

    __tablename__ = "working_order_counts"
    __table_args__ = (UniqueConstraint("user_id", "mode"),)

    user_id: Mapped[int] = reference("users", index=False)
    mode: Mapped[str] = mapped_column(String(16))
    working: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = unindexed_created_at()


class OrderRate(Base):
    """How many orders a user created in one second (``epoch_second``, Unix time)."""

    __tablename__ = "order_rates"
    __table_args__ = (UniqueConstraint("user_id", "epoch_second"),)

    user_id: Mapped[int] = reference("users", index=False)
    epoch_second: Mapped[int] = mapped_column(BigInteger)
    orders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = unindexed_created_at()


_WORKING = ", ".join(f"'{status}'" for status in WORKING_STATUSES)
_KEPT = RATE_BUCKETS_KEPT_SECONDS


def _sqlite_second(row: str) -> str:
    return f"CAST(strftime('%s', {row}.created_at) AS INTEGER)"


_SQLITE_WORKING_UP = f"""INSERT INTO working_order_counts (user_id, mode, working)
    SELECT NEW.user_id, NEW.mode, 1 WHERE NEW.status IN ({_WORKING})
    ON CONFLICT (user_id, mode) DO UPDATE SET working = working + 1;"""
_SQLITE_WORKING_DOWN = f"""UPDATE working_order_counts SET working = working - 1
    WHERE user_id = OLD.user_id AND mode = OLD.mode AND OLD.status IN ({_WORKING});"""

SQLITE_TRIGGERS = {
    "orders_counted_on_insert": f"""AFTER INSERT ON orders
BEGIN
    {_SQLITE_WORKING_UP}
    INSERT INTO order_rates (user_id, epoch_second, orders)
    VALUES (NEW.user_id, {_sqlite_second("NEW")}, 1)
    ON CONFLICT (user_id, epoch_second) DO UPDATE SET orders = orders + 1;
    DELETE FROM order_rates
    WHERE user_id = NEW.user_id AND epoch_second < {_sqlite_second("NEW")} - {_KEPT};
END""",
    "orders_counted_on_status": f"""AFTER UPDATE OF status ON orders
WHEN (OLD.status IN ({_WORKING})) <> (NEW.status IN ({_WORKING}))
BEGIN
    {_SQLITE_WORKING_DOWN}
    {_SQLITE_WORKING_UP}
END""",
    "orders_counted_on_delete": f"""AFTER DELETE ON orders
BEGIN
    {_SQLITE_WORKING_DOWN}
    UPDATE order_rates SET orders = orders - 1
    WHERE user_id = OLD.user_id AND epoch_second = {_sqlite_second("OLD")};
END""",
}

_PG_SECOND = "floor(extract(epoch FROM {row}.created_at))::bigint"

POSTGRESQL_TRIGGERS = (
    f"""CREATE OR REPLACE FUNCTION count_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status IN ({_WORKING}) THEN
        UPDATE working_order_counts SET working = working - 1
        WHERE user_id = OLD.user_id AND mode = OLD.mode;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status IN ({_WORKING}) THEN
        INSERT INTO working_order_counts (user_id, mode, working)
        VALUES (NEW.user_id, NEW.mode, 1)
        ON CONFLICT (user_id, mode)
        DO UPDATE SET working = working_order_counts.working + 1;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO order_rates (user_id, epoch_second, orders)
        VALUES (NEW.user_id, {_PG_SECOND.format(row="NEW")}, 1)
        ON CONFLICT (user_id, epoch_second) DO UPDATE SET orders = order_rates.orders + 1;
        DELETE FROM order_rates
        WHERE user_id = NEW.user_id
          AND epoch_second < {_PG_SECOND.format(row="NEW")} - {_KEPT};
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE order_rates SET orders = orders - 1
        WHERE user_id = OLD.user_id AND epoch_second = {_PG_SECOND.format(row="OLD")};
    END IF;
    RETURN NULL;
END
$$""",
    "DROP TRIGGER IF EXISTS orders_counted ON orders",
    """CREATE CONSTRAINT TRIGGER orders_counted AFTER INSERT OR DELETE ON orders
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_orders()""",
    "DROP TRIGGER IF EXISTS orders_counted_on_status ON orders",
    f"""CREATE CONSTRAINT TRIGGER orders_counted_on_status AFTER UPDATE OF status ON orders
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
WHEN ((OLD.status IN ({_WORKING})) IS DISTINCT FROM (NEW.status IN ({_WORKING})))
EXECUTE FUNCTION count_orders()""",
)


def install_triggers(connection: Connection) -> None:
    """Create the counting triggers for the connection's dialect (after the tables)."""
    if connection.dialect.name == "postgresql":
        statements: tuple[str, ...] = POSTGRESQL_TRIGGERS
    else:
        statements = tuple(
            f"CREATE TRIGGER IF NOT EXISTS {name} {body}" for name, body in SQLITE_TRIGGERS.items()
        )
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_triggers(connection: Connection) -> None:
    """Drop the counting triggers; on PostgreSQL with their function, which outlives its table."""
    if connection.dialect.name == "postgresql":
        statements: tuple[str, ...] = ("DROP FUNCTION IF EXISTS count_orders() CASCADE",)
    else:
        statements = tuple(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS)
    for statement in statements:
        connection.exec_driver_sql(statement)


event.listen(
    Base.metadata, "after_create", lambda _target, connection, **_kw: install_triggers(connection)
)
event.listen(
    Base.metadata,
    "after_drop",
    lambda _target, connection, **_kw: drop_triggers(connection),
)
