"""Webhook deliveries with their attempts, and pushed one-time (2FA) codes.

Revision ID: 0002
Revises: 0001
Create Date: 2024-12-06

Only adds tables: the rows of 0001 are left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.String(64), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("payload", sa.String(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at", nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        _ts("created_at"),
        _ts("modified_at"),
        sa.PrimaryKeyConstraint("delivery_id"),
        sa.UniqueConstraint("task_id", "url", name="uq_webhook_deliveries_task_id_url"),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.task_id"], name="fk_webhook_deliveries_task_id"
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_status_next_attempt_at",
        "webhook_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("delivery_id", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        _ts("at"),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", "attempt"),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.delivery_id"],
            name="fk_webhook_attempts_delivery_id",
        ),
    )
    op.create_table(
        "totp_codes",
        sa.Column("totp_id", sa.String(64), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("totp_identifier", sa.String(255), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        _ts("expires_at"),
        sa.Column("source_text_hash", sa.String(64), nullable=True),
        _ts("created_at"),
        _ts("used_at", nullable=True),
        sa.PrimaryKeyConstraint("totp_id"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.organization_id"],
            name="fk_totp_codes_organization_id",
        ),
    )
    op.create_index(
        "ix_totp_codes_organization_id_totp_identifier_created_at",
        "totp_codes",
        ["organization_id", "totp_identifier", "created_at"],
    )


def downgrade() -> None:
    op.drop_table("totp_codes")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
