"""Deployments: the feed a deployment listens to gets its own column, out of risk_profile.

Each deployment's ``risk_profile["feed"]`` moves to ``feed`` (a replay at speed 1 from the
start of the stored bars when a profile has none); going down puts it back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_FEED = {"kind": "replay", "speed": 1.0, "start": None}
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
DEPLOYMENTS = sa.table(
    "deployments",
    sa.column("id", sa.Integer),
    sa.column("risk_profile", JSON),
    sa.column("feed", JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed", JSON, nullable=True))
    for row in _rows():
        profile = dict(row.risk_profile or {})
        feed = profile.pop("feed", None) or DEFAULT_FEED
        _update(row.id, risk_profile=profile, feed=feed)
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.alter_column("feed", existing_type=JSON, nullable=False)


def downgrade() -> None:
    for row in _rows():
        profile = dict(row.risk_profile or {})
        _update(row.id, risk_profile={**profile, "feed": row.feed or DEFAULT_FEED})
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_column("feed")


def _rows() -> Sequence[Any]:
    columns = (DEPLOYMENTS.c.id, DEPLOYMENTS.c.risk_profile, DEPLOYMENTS.c.feed)
    return op.get_bind().execute(sa.select(*columns)).all()


def _update(deployment_id: int, **values: Any) -> None:
    statement = sa.update(DEPLOYMENTS).where(DEPLOYMENTS.c.id == deployment_id)
    op.get_bind().execute(statement.values(**values))
