"""Order counts kept by the database: working orders per user and mode, orders per second.

Triggers on ``orders`` keep both (see ``quantdesk.db.models.order_counts``), so the risk
check of a new order reads two small figures instead of counting the orders themselves.
The figures start from the orders already stored (the last two minutes' for the rates).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 23:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from quantdesk.db.models.order_counts import (
    RATE_BUCKETS_KEPT_SECONDS,
    WORKING_STATUSES,
    drop_triggers,
    install_triggers,
)

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _counter_table(name: str, key: sa.Column[object], value: str) -> None:
    op.create_table(
        name,
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        key,
        sa.Column(value, sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{name}_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("user_id", key.name, name=op.f(f"uq_{name}_user_id_{key.name}")),
    )


def upgrade() -> None:
    _counter_table(
        "working_order_counts", sa.Column("mode", sa.String(16), nullable=False), "working"
    )
    _counter_table(
        "order_rates", sa.Column("epoch_second", sa.BigInteger(), nullable=False), "orders"
    )
    bind = op.get_bind()
    working = ", ".join(f"'{status}'" for status in WORKING_STATUSES)
    bind.exec_driver_sql(
        "INSERT INTO working_order_counts (user_id, mode, working) "
        f"SELECT user_id, mode, count(*) FROM orders WHERE status IN ({working}) "
        "GROUP BY user_id, mode"
    )
    second = (
        "CAST(strftime('%s', created_at) AS INTEGER)"
        if bind.dialect.name == "sqlite"
        else "floor(extract(epoch FROM created_at))::bigint"
    )
    recent = sa.text(
        "INSERT INTO order_rates (user_id, epoch_second, orders) "
        f"SELECT user_id, {second}, count(*) FROM orders WHERE created_at > :since "
        f"GROUP BY user_id, {second}"
    ).bindparams(sa.bindparam("since", type_=sa.DateTime(timezone=True)))
    kept = timedelta(seconds=RATE_BUCKETS_KEPT_SECONDS)
    bind.execute(recent, {"since": datetime.now(UTC) - kept})
    install_triggers(bind)


def downgrade() -> None:
    drop_triggers(op.get_bind())
    op.drop_table("order_rates")
    op.drop_table("working_order_counts")
