"""Orders: indexes for the risk check's counts of working and recent orders per user.

Without them each order's check read every order the user ever sent.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_orders_user_status_mode", "orders", ["user_id", "status", "mode"])
    op.create_index("ix_orders_user_created_at", "orders", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_user_created_at", table_name="orders")
    op.drop_index("ix_orders_user_status_mode", table_name="orders")
