"""Replays: recorded steps of flows, how each step was decided, replayed steps per task.

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-10

Adds the ``replay_entries`` table and two columns: ``steps.decided_by`` (NULL for the
steps recorded before this revision) and ``tasks.replayed_steps`` (0 for earlier tasks).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("replayed_steps", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("steps") as batch:
        batch.add_column(sa.Column("decided_by", sa.String(16), nullable=True))
    op.create_table(
        "replay_entries",
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("flow_key", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("start_url", sa.String(), nullable=False),
        sa.Column("goal", sa.String(), nullable=False),
        sa.Column("planner", sa.String(255), nullable=False),
        sa.Column("fingerprint", _json(), nullable=False),
        sa.Column("actions", _json(), nullable=False),
        sa.Column("reasoning", sa.String(), nullable=False),
        sa.Column("next_url_pattern", sa.String(), nullable=True),
        sa.Column("extraction", _json(), nullable=True),
        sa.Column("source_task_id", sa.String(64), nullable=True),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.Column("heals", sa.Integer(), nullable=False),
        sa.Column("heal_streak", sa.Integer(), nullable=False),
        sa.Column("demoted", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _ts("modified_at"),
        sa.PrimaryKeyConstraint("entry_id"),
        sa.UniqueConstraint(
            "organization_id",
            "flow_key",
            "position",
            name="uq_replay_entries_organization_id_flow_key_position",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.organization_id"],
            name="fk_replay_entries_organization_id",
        ),
    )


def downgrade() -> None:
    op.drop_table("replay_entries")
    with op.batch_alter_table("steps") as batch:
        batch.drop_column("decided_by")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("replayed_steps")
