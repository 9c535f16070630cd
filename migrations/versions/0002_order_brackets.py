"""Order brackets: each order's role in a bracket, and the entry's stop-loss and take-profit.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _money() -> sa.types.TypeEngine[Decimal]:
    return sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bracket", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("stop_loss", _money(), nullable=True))
        batch_op.add_column(sa.Column("take_profit", _money(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_orders_bracket"), "bracket IN ('entry', 'stop_loss', 'take_profit')"
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_bracket"), type_="check")
        batch_op.drop_column("take_profit")
        batch_op.drop_column("stop_loss")
        batch_op.drop_column("bracket")
