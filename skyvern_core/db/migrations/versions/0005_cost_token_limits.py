"""Cost and token limits: per organization, and the limits each task runs under.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Adds nullable columns only: organizations and tasks stored before it have no limit.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("organizations", "tasks"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("max_cost_usd", sa.Float(), nullable=True))
            batch.add_column(sa.Column("max_tokens", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in ("tasks", "organizations"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("max_tokens")
            batch.drop_column("max_cost_usd")
