"""The initial schema: organizations, api_keys, tasks, steps, artifacts.

Revision ID: 0001
Revises:
Create Date: 2024-11-29

Written out by hand (and frozen): later schema changes go in new revisions.
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


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("webhook_signing_secret", sa.String(), nullable=True),
        sa.Column("max_steps", sa.Integer(), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("organization_id"),
        sa.UniqueConstraint("name", name="uq_organizations_name"),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(255), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("key_id"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.organization_id"],
            name="fk_api_keys_organization_id",
        ),
    )
    op.create_index("ix_api_keys_key_hash", "api_keys", ["key_hash"], unique=True)
    op.create_table(
        "tasks",
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("request", _json(), nullable=False),
        sa.Column("max_steps", sa.Integer(), nullable=False),
        sa.Column("extracted_information", _json(), nullable=True),
        sa.Column("failure_reason", sa.String(), nullable=True),
        sa.Column("screenshot_artifact_id", sa.String(64), nullable=True),
        sa.Column("recording_artifact_id", sa.String(64), nullable=True),
        sa.Column("action_screenshot_artifact_ids", _json(), nullable=False),
        sa.Column("proxy_note", sa.String(), nullable=True),
        sa.Column("input_token_count", sa.Integer(), nullable=False),
        sa.Column("output_token_count", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("worker_id", sa.String(255), nullable=True),
        _ts("lease_expires_at", nullable=True),
        _ts("created_at"),
        _ts("modified_at"),
        _ts("started_at", nullable=True),
        _ts("finished_at", nullable=True),
        sa.PrimaryKeyConstraint("task_id"),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.organization_id"], name="fk_tasks_organization_id"
        ),
    )
    op.create_index(
        "ix_tasks_organization_id_created_at", "tasks", ["organization_id", "created_at", "task_id"]
    )
    op.create_index("ix_tasks_status_created_at", "tasks", ["status", "created_at", "task_id"])
    op.create_table(
        "steps",
        sa.Column("step_id", sa.String(64), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("retry_index", sa.Integer(), nullable=False),
        sa.Column("input_token_count", sa.Integer(), nullable=False),
        sa.Column("output_token_count", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("reasoning", sa.String(), nullable=True),
        sa.Column("actions", _json(), nullable=False),
        sa.Column("action_results", _json(), nullable=False),
        sa.Column("failure_reason", sa.String(), nullable=True),
        sa.Column("page_url", sa.String(), nullable=True),
        sa.Column("is_last", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _ts("modified_at"),
        sa.PrimaryKeyConstraint("step_id"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.task_id"], name="fk_steps_task_id"),
    )
    op.create_index("ix_steps_task_id", "steps", ["task_id"])
    op.create_table(
        "artifacts",
        sa.Column("artifact_id", sa.String(64), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("step_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("uri", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("artifact_id"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.task_id"], name="fk_artifacts_task_id"),
    )
    op.create_index("ix_artifacts_task_id", "artifacts", ["task_id"])


def downgrade() -> None:
    op.drop_table("artifacts")
    op.drop_table("steps")
    op.drop_table("tasks")
    op.drop_table("api_keys")
    op.drop_table("organizations")
