"""Initial schema: users, market data, strategies, trading, portfolio, backtests, jobs, ML.

Every table has id, created_at and updated_at. Enum-like columns are strings held to their
values by CHECK constraints (no native enum types to drop), money is NUMERIC(28, 10), and
flexible fields are JSONB on PostgreSQL, JSON elsewhere.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 23:29:48.276790
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("exchange", sa.String(length=32), server_default="", nullable=False),
        sa.Column("asset_class", sa.String(length=16), server_default="equity", nullable=False),
        sa.Column("currency", sa.String(length=8), server_default="USD", nullable=False),
        sa.Column(
            "tick_size",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "lot_size",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "asset_class IN ('equity', 'etf', 'index', 'future', 'option', 'forex', 'crypto', 'bond', 'commodity')",
            name=op.f("ck_instruments_asset_class"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
        sa.UniqueConstraint("symbol", "exchange", name=op.f("uq_instruments_symbol_exchange")),
    )
    op.create_index(op.f("ix_instruments_created_at"), "instruments", ["created_at"], unique=False)
    op.create_index(op.f("ix_instruments_symbol"), "instruments", ["symbol"], unique=False)
    op.create_table(
        "service_tasks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("schedule", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_duration_seconds", sa.Double(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "last_status IN ('running', 'succeeded', 'failed', 'skipped')",
            name=op.f("ck_service_tasks_last_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_tasks")),
        sa.UniqueConstraint("name", name=op.f("uq_service_tasks_name")),
    )
    op.create_index(
        op.f("ix_service_tasks_created_at"), "service_tasks", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_service_tasks_next_run_at"), "service_tasks", ["next_run_at"], unique=False
    )
    op.create_table(
        "users",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("hashed_password", sa.String(length=500), nullable=False),
        sa.Column("role", sa.String(length=20), server_default="user", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("token_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("role IN ('user', 'admin')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_created_at"), "users", ["created_at"], unique=False)
    op.create_table(
        "activity_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=True),
        sa.Column("resource_id", sa.String(length=64), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_activity_log_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_log")),
    )
    op.create_index(op.f("ix_activity_log_action"), "activity_log", ["action"], unique=False)
    op.create_index(
        op.f("ix_activity_log_created_at"), "activity_log", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_activity_log_resource_type_resource_id"),
        "activity_log",
        ["resource_type", "resource_id"],
        unique=False,
    )
    op.create_index(op.f("ix_activity_log_user_id"), "activity_log", ["user_id"], unique=False)
    op.create_table(
        "bars",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "instrument_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open", sa.Double(), nullable=False),
        sa.Column("high", sa.Double(), nullable=False),
        sa.Column("low", sa.Double(), nullable=False),
        sa.Column("close", sa.Double(), nullable=False),
        sa.Column("volume", sa.Double(), server_default="0", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bars")),
        sa.UniqueConstraint(
            "instrument_id", "timeframe", "ts", name=op.f("uq_bars_instrument_id_timeframe_ts")
        ),
    )
    op.create_table(
        "indicator_values",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "instrument_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("params_hash", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "values",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_indicator_values_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_values")),
        sa.UniqueConstraint(
            "instrument_id",
            "timeframe",
            "name",
            "params_hash",
            "ts",
            name=op.f("uq_indicator_values_instrument_id_timeframe_name_params_hash_ts"),
        ),
    )
    op.create_index(op.f("ix_indicator_values_ts"), "indicator_values", ["ts"], unique=False)
    op.create_table(
        "jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("progress", sa.Double(), server_default="0", nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("priority", sa.Integer(), server_default="0", nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker_id", sa.String(length=128), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_jobs_status"),
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 1", name=op.f("ck_jobs_progress_fraction")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_jobs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_created_at"), "jobs", ["created_at"], unique=False)
    op.create_index(op.f("ix_jobs_finished_at"), "jobs", ["finished_at"], unique=False)
    op.create_index(op.f("ix_jobs_heartbeat_at"), "jobs", ["heartbeat_at"], unique=False)
    op.create_index(op.f("ix_jobs_kind"), "jobs", ["kind"], unique=False)
    op.create_index(op.f("ix_jobs_scheduled_for"), "jobs", ["scheduled_for"], unique=False)
    op.create_index(
        op.f("ix_jobs_status_priority_scheduled_for"),
        "jobs",
        ["status", "priority", "scheduled_for"],
        unique=False,
    )
    op.create_index(op.f("ix_jobs_user_id"), "jobs", ["user_id"], unique=False)
    op.create_index(op.f("ix_jobs_worker_id"), "jobs", ["worker_id"], unique=False)
    op.create_table(
        "ml_models",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "symbols",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("timeframe", sa.String(length=8), nullable=True),
        sa.Column(
            "features",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "metrics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("artifact_path", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'training', 'ready', 'failed', 'archived')",
            name=op.f("ck_ml_models_status"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ml_models_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ml_models")),
        sa.UniqueConstraint(
            "user_id", "name", "version", name=op.f("uq_ml_models_user_id_name_version")
        ),
    )
    op.create_index(op.f("ix_ml_models_created_at"), "ml_models", ["created_at"], unique=False)
    op.create_table(
        "pnl_snapshots",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("mode", sa.String(length=16), server_default="paper", nullable=False),
        sa.Column("account", sa.String(length=64), server_default="default", nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "equity",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "cash",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "realized_pnl",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "unrealized_pnl",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "daily_pnl",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("mode IN ('paper', 'live')", name=op.f("ck_pnl_snapshots_mode")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_pnl_snapshots_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pnl_snapshots")),
        sa.UniqueConstraint(
            "user_id",
            "mode",
            "account",
            "ts",
            name=op.f("uq_pnl_snapshots_user_id_mode_account_ts"),
        ),
    )
    op.create_index(
        op.f("ix_pnl_snapshots_created_at"), "pnl_snapshots", ["created_at"], unique=False
    )
    op.create_index(op.f("ix_pnl_snapshots_ts"), "pnl_snapshots", ["ts"], unique=False)
    op.create_table(
        "positions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "instrument_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("mode", sa.String(length=16), server_default="paper", nullable=False),
        sa.Column("account", sa.String(length=64), server_default="default", nullable=False),
        sa.Column(
            "quantity",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "average_price",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "cost_basis",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "last_price",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "realized_pnl",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("mode IN ('paper', 'live')", name=op.f("ck_positions_mode")),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_positions_instrument_id_instruments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_positions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint(
            "user_id",
            "instrument_id",
            "mode",
            "account",
            name=op.f("uq_positions_user_id_instrument_id_mode_account"),
        ),
    )
    op.create_index(op.f("ix_positions_created_at"), "positions", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_positions_instrument_id"), "positions", ["instrument_id"], unique=False
    )
    op.create_table(
        "refresh_tokens",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("family", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("jti", name=op.f("uq_refresh_tokens_jti")),
    )
    op.create_index(
        op.f("ix_refresh_tokens_created_at"), "refresh_tokens", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_refresh_tokens_expires_at"), "refresh_tokens", ["expires_at"], unique=False
    )
    op.create_index(op.f("ix_refresh_tokens_family"), "refresh_tokens", ["family"], unique=False)
    op.create_index(
        op.f("ix_refresh_tokens_revoked_at"), "refresh_tokens", ["revoked_at"], unique=False
    )
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"], unique=False)
    op.create_table(
        "strategies",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "symbols",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("timeframe", sa.String(length=8), server_default="1d", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_strategies_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_strategies_user_id_name")),
    )
    op.create_index(op.f("ix_strategies_created_at"), "strategies", ["created_at"], unique=False)
    op.create_index(op.f("ix_strategies_type"), "strategies", ["type"], unique=False)
    op.create_table(
        "user_settings",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("broker_credentials_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("telegram_chat_id", sa.String(length=64), nullable=True),
        sa.Column("notifications_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "preferences",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_settings")),
    )
    op.create_index(
        op.f("ix_user_settings_created_at"), "user_settings", ["created_at"], unique=False
    )
    op.create_index(op.f("ix_user_settings_user_id"), "user_settings", ["user_id"], unique=True)
    op.create_table(
        "backtest_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "strategy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=16), server_default="backtest", nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("strategy_type", sa.String(length=64), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "symbols",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("progress", sa.Double(), server_default="0", nullable=False),
        sa.Column(
            "metrics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "equity_curve",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "trades",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "results",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("inputs", sa.LargeBinary(), nullable=True),
        sa.Column("artifact_path", sa.String(length=500), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_backtest_runs_status"),
        ),
        sa.CheckConstraint(
            "kind IN ('backtest', 'optimization')", name=op.f("ck_backtest_runs_kind")
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 1", name=op.f("ck_backtest_runs_progress_fraction")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_backtest_runs_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_backtest_runs_strategy_id_strategies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_backtest_runs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backtest_runs")),
    )
    op.create_index(
        op.f("ix_backtest_runs_created_at"), "backtest_runs", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_backtest_runs_finished_at"), "backtest_runs", ["finished_at"], unique=False
    )
    op.create_index(op.f("ix_backtest_runs_job_id"), "backtest_runs", ["job_id"], unique=False)
    op.create_index(op.f("ix_backtest_runs_kind"), "backtest_runs", ["kind"], unique=False)
    op.create_index(op.f("ix_backtest_runs_status"), "backtest_runs", ["status"], unique=False)
    op.create_index(
        op.f("ix_backtest_runs_strategy_id"), "backtest_runs", ["strategy_id"], unique=False
    )
    op.create_index(op.f("ix_backtest_runs_user_id"), "backtest_runs", ["user_id"], unique=False)
    op.create_table(
        "deployments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "strategy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "symbols",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("broker", sa.String(length=32), server_default="paper", nullable=False),
        sa.Column("mode", sa.String(length=16), server_default="paper", nullable=False),
        sa.Column("account", sa.String(length=64), server_default="default", nullable=False),
        sa.Column(
            "risk_profile",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("mode IN ('paper', 'live')", name=op.f("ck_deployments_mode")),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'paused', 'stopped', 'failed')",
            name=op.f("ck_deployments_status"),
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_deployments_strategy_id_strategies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_deployments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
    )
    op.create_index(op.f("ix_deployments_created_at"), "deployments", ["created_at"], unique=False)
    op.create_index(op.f("ix_deployments_status"), "deployments", ["status"], unique=False)
    op.create_index(
        op.f("ix_deployments_strategy_id"), "deployments", ["strategy_id"], unique=False
    )
    op.create_index(op.f("ix_deployments_user_id"), "deployments", ["user_id"], unique=False)
    op.create_table(
        "training_jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("model_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "metrics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_training_jobs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_training_jobs_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["ml_models.id"],
            name=op.f("fk_training_jobs_model_id_ml_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_jobs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_jobs")),
    )
    op.create_index(
        op.f("ix_training_jobs_created_at"), "training_jobs", ["created_at"], unique=False
    )
    op.create_index(op.f("ix_training_jobs_job_id"), "training_jobs", ["job_id"], unique=False)
    op.create_index(op.f("ix_training_jobs_model_id"), "training_jobs", ["model_id"], unique=False)
    op.create_index(op.f("ix_training_jobs_status"), "training_jobs", ["status"], unique=False)
    op.create_index(op.f("ix_training_jobs_user_id"), "training_jobs", ["user_id"], unique=False)
    op.create_table(
        "risk_locks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "deployment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "instrument_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), server_default="paper", nullable=False),
        sa.Column("account", sa.String(length=64), server_default="default", nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("mode IN ('paper', 'live')", name=op.f("ck_risk_locks_mode")),
        sa.CheckConstraint(
            "scope = 'account' OR instrument_id IS NOT NULL",
            name=op.f("ck_risk_locks_symbol_lock_has_instrument"),
        ),
        sa.CheckConstraint("scope IN ('symbol', 'account')", name=op.f("ck_risk_locks_scope")),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_risk_locks_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_risk_locks_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_risk_locks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_locks")),
    )
    op.create_index(op.f("ix_risk_locks_created_at"), "risk_locks", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_risk_locks_deployment_id"), "risk_locks", ["deployment_id"], unique=False
    )
    op.create_index(
        op.f("ix_risk_locks_instrument_id"), "risk_locks", ["instrument_id"], unique=False
    )
    op.create_index(op.f("ix_risk_locks_until"), "risk_locks", ["until"], unique=False)
    op.create_index(op.f("ix_risk_locks_user_id"), "risk_locks", ["user_id"], unique=False)
    op.create_table(
        "signals",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "strategy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "deployment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "instrument_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "price",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "stop_loss",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "take_profit",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "indicators",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("action IN ('BUY', 'SELL', 'HOLD')", name=op.f("ck_signals_action")),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'executed', 'expired')",
            name=op.f("ck_signals_status"),
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_signals_deployment_id_deployments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_signals_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_signals_strategy_id_strategies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_signals_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
    )
    op.create_index(op.f("ix_signals_created_at"), "signals", ["created_at"], unique=False)
    op.create_index(op.f("ix_signals_deployment_id"), "signals", ["deployment_id"], unique=False)
    op.create_index(op.f("ix_signals_expires_at"), "signals", ["expires_at"], unique=False)
    op.create_index(op.f("ix_signals_instrument_id"), "signals", ["instrument_id"], unique=False)
    op.create_index(op.f("ix_signals_status"), "signals", ["status"], unique=False)
    op.create_index(
        op.f("ix_signals_strategy_id_ts"), "signals", ["strategy_id", "ts"], unique=False
    )
    op.create_index(op.f("ix_signals_ts"), "signals", ["ts"], unique=False)
    op.create_index(op.f("ix_signals_user_id"), "signals", ["user_id"], unique=False)
    op.create_table(
        "strategy_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "strategy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "deployment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), server_default="info", nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "severity IN ('debug', 'info', 'warning', 'error', 'critical')",
            name=op.f("ck_strategy_events_severity"),
        ),
        sa.CheckConstraint(
            "strategy_id IS NOT NULL OR deployment_id IS NOT NULL",
            name=op.f("ck_strategy_events_has_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_strategy_events_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_strategy_events_strategy_id_strategies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_strategy_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_events")),
    )
    op.create_index(
        op.f("ix_strategy_events_created_at"), "strategy_events", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_strategy_events_deployment_id"), "strategy_events", ["deployment_id"], unique=False
    )
    op.create_index(
        op.f("ix_strategy_events_severity"), "strategy_events", ["severity"], unique=False
    )
    op.create_index(
        op.f("ix_strategy_events_strategy_id"), "strategy_events", ["strategy_id"], unique=False
    )
    op.create_index(op.f("ix_strategy_events_type"), "strategy_events", ["type"], unique=False)
    op.create_index(
        op.f("ix_strategy_events_user_id"), "strategy_events", ["user_id"], unique=False
    )
    op.create_table(
        "orders",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "deployment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "strategy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("signal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "instrument_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "parent_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("broker_order_id", sa.String(length=64), nullable=True),
        sa.Column("oco_group", sa.String(length=64), nullable=True),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=16), server_default="market", nullable=False),
        sa.Column("time_in_force", sa.String(length=16), server_default="DAY", nullable=False),
        sa.Column(
            "quantity",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "limit_price",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "stop_price",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "trail_amount",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "trail_percent",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=16), server_default="new", nullable=False),
        sa.Column(
            "filled_quantity",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "average_fill_price",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("mode", sa.String(length=16), server_default="paper", nullable=False),
        sa.Column("account", sa.String(length=64), server_default="default", nullable=False),
        sa.Column("broker", sa.String(length=32), server_default="paper", nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status_history",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("mode IN ('paper', 'live')", name=op.f("ck_orders_mode")),
        sa.CheckConstraint("side IN ('buy', 'sell')", name=op.f("ck_orders_side")),
        sa.CheckConstraint(
            "status IN ('new', 'accepted', 'partially_filled', 'filled', 'cancelled', 'rejected', "
            "'expired', 'unknown')",
            name=op.f("ck_orders_status"),
        ),
        sa.CheckConstraint(
            "time_in_force IN ('DAY', 'GTC', 'IOC', 'FOK')", name=op.f("ck_orders_time_in_force")
        ),
        sa.CheckConstraint(
            "type IN ('market', 'limit', 'stop', 'stop_limit', 'trailing_stop')",
            name=op.f("ck_orders_type"),
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_orders_deployment_id_deployments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_orders_instrument_id_instruments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["parent_order_id"],
            ["orders.id"],
            name=op.f("fk_orders_parent_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["signal_id"],
            ["signals.id"],
            name=op.f("fk_orders_signal_id_signals"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_orders_strategy_id_strategies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_orders_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "user_id", "client_order_id", name=op.f("uq_orders_user_id_client_order_id")
        ),
    )
    op.create_index(op.f("ix_orders_broker_order_id"), "orders", ["broker_order_id"], unique=False)
    op.create_index(op.f("ix_orders_created_at"), "orders", ["created_at"], unique=False)
    op.create_index(op.f("ix_orders_deployment_id"), "orders", ["deployment_id"], unique=False)
    op.create_index(op.f("ix_orders_filled_at"), "orders", ["filled_at"], unique=False)
    op.create_index(op.f("ix_orders_instrument_id"), "orders", ["instrument_id"], unique=False)
    op.create_index(op.f("ix_orders_oco_group"), "orders", ["oco_group"], unique=False)
    op.create_index(op.f("ix_orders_parent_order_id"), "orders", ["parent_order_id"], unique=False)
    op.create_index(op.f("ix_orders_signal_id"), "orders", ["signal_id"], unique=False)
    op.create_index(op.f("ix_orders_status"), "orders", ["status"], unique=False)
    op.create_index(op.f("ix_orders_strategy_id"), "orders", ["strategy_id"], unique=False)
    op.create_index(op.f("ix_orders_submitted_at"), "orders", ["submitted_at"], unique=False)
    op.create_table(
        "fills",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "quantity",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "price",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "commission",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column("liquidity", sa.String(length=16), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("broker_fill_id", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("liquidity IN ('maker', 'taker')", name=op.f("ck_fills_liquidity")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_fills_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
        sa.UniqueConstraint(
            "order_id", "broker_fill_id", name=op.f("uq_fills_order_id_broker_fill_id")
        ),
    )
    op.create_index(op.f("ix_fills_created_at"), "fills", ["created_at"], unique=False)
    op.create_index(op.f("ix_fills_executed_at"), "fills", ["executed_at"], unique=False)
    op.create_index(op.f("ix_fills_order_id"), "fills", ["order_id"], unique=False)
    op.create_table(
        "trading_configs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("mode", sa.String(length=16), server_default="paper", nullable=False),
        sa.Column("account", sa.String(length=64), server_default="default", nullable=False),
        sa.Column(
            "limits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "initial_cash",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            server_default="100000",
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("mode IN ('paper', 'live')", name=op.f("ck_trading_configs_mode")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_trading_configs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_configs")),
        sa.UniqueConstraint(
            "user_id", "mode", "account", name=op.f("uq_trading_configs_user_id_mode_account")
        ),
    )
    op.create_index(
        op.f("ix_trading_configs_created_at"), "trading_configs", ["created_at"], unique=False
    )
    op.create_table(
        "trades",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "instrument_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "strategy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "deployment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "entry_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "exit_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("mode", sa.String(length=16), server_default="paper", nullable=False),
        sa.Column("account", sa.String(length=64), server_default="default", nullable=False),
        sa.Column(
            "quantity",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=False,
        ),
        sa.Column("entry_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "entry_price",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=False,
        ),
        sa.Column("exit_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "exit_price",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "pnl",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "return_fraction",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "fees",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "stop_loss",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "take_profit",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column("exit_reason", sa.String(length=32), nullable=True),
        sa.Column(
            "market_context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("mode IN ('paper', 'live')", name=op.f("ck_trades_mode")),
        sa.CheckConstraint("side IN ('long', 'short')", name=op.f("ck_trades_side")),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_trades_status")),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_trades_deployment_id_deployments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["entry_order_id"],
            ["orders.id"],
            name=op.f("fk_trades_entry_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["exit_order_id"],
            ["orders.id"],
            name=op.f("fk_trades_exit_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_trades_instrument_id_instruments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_trades_strategy_id_strategies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_trades_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
    )
    op.create_index(op.f("ix_trades_created_at"), "trades", ["created_at"], unique=False)
    op.create_index(op.f("ix_trades_deployment_id"), "trades", ["deployment_id"], unique=False)
    op.create_index(op.f("ix_trades_entry_order_id"), "trades", ["entry_order_id"], unique=False)
    op.create_index(op.f("ix_trades_entry_time"), "trades", ["entry_time"], unique=False)
    op.create_index(op.f("ix_trades_exit_order_id"), "trades", ["exit_order_id"], unique=False)
    op.create_index(op.f("ix_trades_exit_time"), "trades", ["exit_time"], unique=False)
    op.create_index(op.f("ix_trades_instrument_id"), "trades", ["instrument_id"], unique=False)
    op.create_index(op.f("ix_trades_strategy_id"), "trades", ["strategy_id"], unique=False)
    op.create_index(op.f("ix_trades_user_id"), "trades", ["user_id"], unique=False)
    op.create_table(
        "targets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "position_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("trade_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "price",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "quantity",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "trail_amount",
            sa.Numeric(precision=28, scale=10).with_variant(sa.String(length=30), "sqlite"),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "kind IN ('stop_loss', 'take_profit', 'trailing_stop')", name=op.f("ck_targets_kind")
        ),
        sa.CheckConstraint(
            "status IN ('active', 'triggered', 'cancelled', 'expired')",
            name=op.f("ck_targets_status"),
        ),
        sa.CheckConstraint(
            "position_id IS NOT NULL OR trade_id IS NOT NULL", name=op.f("ck_targets_has_subject")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_targets_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["positions.id"],
            name=op.f("fk_targets_position_id_positions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name=op.f("fk_targets_trade_id_trades"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_targets_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
    )
    op.create_index(op.f("ix_targets_created_at"), "targets", ["created_at"], unique=False)
    op.create_index(op.f("ix_targets_order_id"), "targets", ["order_id"], unique=False)
    op.create_index(op.f("ix_targets_position_id"), "targets", ["position_id"], unique=False)
    op.create_index(op.f("ix_targets_status"), "targets", ["status"], unique=False)
    op.create_index(op.f("ix_targets_trade_id"), "targets", ["trade_id"], unique=False)
    op.create_index(op.f("ix_targets_triggered_at"), "targets", ["triggered_at"], unique=False)
    op.create_index(op.f("ix_targets_user_id"), "targets", ["user_id"], unique=False)


def downgrade() -> None:
    # Children before parents; each table takes its indexes and constraints with it.
    for table in (
        "trading_configs",
        "targets",
        "trades",
        "fills",
        "orders",
        "strategy_events",
        "signals",
        "risk_locks",
        "training_jobs",
        "deployments",
        "backtest_runs",
        "user_settings",
        "strategies",
        "refresh_tokens",
        "positions",
        "pnl_snapshots",
        "ml_models",
        "jobs",
        "indicator_values",
        "bars",
        "activity_log",
        "users",
        "service_tasks",
        "instruments",
    ):
        op.drop_table(table)
