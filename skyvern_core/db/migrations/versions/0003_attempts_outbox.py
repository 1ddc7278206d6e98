"""Attempts of a task, the webhook outbox column, and one-time codes bound to a task.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

Adds columns only. ``tasks.webhook_url`` is filled from each stored request, so tasks
finished before this revision are known to the webhook sweeper too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("webhook_url", sa.String(), nullable=True))
    with op.batch_alter_table("steps") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("totp_codes") as batch:
        batch.add_column(sa.Column("task_id", sa.String(64), nullable=True))

    tasks = sa.table(
        "tasks",
        sa.column("task_id", sa.String()),
        sa.column("request", sa.JSON()),
        sa.column("webhook_url", sa.String()),
    )
    bind = op.get_bind()
    for task_id, request in bind.execute(sa.select(tasks.c.task_id, tasks.c.request)).all():
        if isinstance(request, str):
            request = json.loads(request)
        url = (request or {}).get("webhook_callback_url")
        if url:
            bind.execute(
                tasks.update().where(tasks.c.task_id == task_id).values(webhook_url=url)
            )


def downgrade() -> None:
    with op.batch_alter_table("totp_codes") as batch:
        batch.drop_column("task_id")
    with op.batch_alter_table("steps") as batch:
        batch.drop_column("attempt")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("webhook_url")
        batch.drop_column("attempt")
