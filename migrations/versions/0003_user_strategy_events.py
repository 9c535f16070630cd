"""Strategy events of a user: reconciliation differences of manual orders have no subject.

A difference found at the broker for an order or position that no deployment owns is still
worth keeping; the event then names only its user, so the check that a strategy or a
deployment is set goes. Going down deletes those user-level events, since the old check
refuses them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBJECT = "strategy_id IS NOT NULL OR deployment_id IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("strategy_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_strategy_events_has_subject"), type_="check")


def downgrade() -> None:
    op.execute(f"DELETE FROM strategy_events WHERE NOT ({SUBJECT})")  # noqa: S608
    with op.batch_alter_table("strategy_events", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_strategy_events_has_subject"), SUBJECT)
