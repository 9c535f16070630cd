"""Orders: drop the indexes no query reads, which every new order had to write.

Orders are found by user and client order id, by user and status, by user and time, by
id, and through their foreign keys; the single-column indexes on ``created_at``,
``submitted_at``, ``filled_at``, ``broker_order_id`` and ``oco_group`` served none of them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNREAD = ("created_at", "submitted_at", "filled_at", "broker_order_id", "oco_group")


def upgrade() -> None:
    for column in UNREAD:
        op.drop_index(f"ix_orders_{column}", table_name="orders")


def downgrade() -> None:
    for column in UNREAD:
        op.create_index(f"ix_orders_{column}", "orders", [column])
