"""The SQL schema of :class:`~skyvern_core.db.sqlstore.SQLStore`, as SQLModel tables.

One table per record of :mod:`skyvern_core.models`. Nested data (a task's request, a step's
actions...) is stored as JSON; every timestamp is stored as UTC and read back timezone-aware.
The migrations in ``skyvern_core/db/migrations`` create exactly these tables: change both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

__all__ = [
    "ApiKeyRow",
    "ArtifactRow",
    "BrowserProfileRow",
    "OrganizationRow",
    "ReplayEntryRow",
    "StepRow",
    "TaskRow",
    "TotpCodeRow",
    "UTCDateTime",
    "WebhookAttemptRow",
    "WebhookDeliveryRow",
    "json_type",
]


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite has no time zones: the value is stored as naive UTC and UTC is attached on read.
    A naive value given by a caller is taken to be UTC already.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Convert to UTC (naive on SQLite, so stored strings compare in time order)."""
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def json_type() -> sa.types.TypeEngine[Any]:
    """JSON on SQLite, JSONB on PostgreSQL; Python ``None`` is stored as SQL NULL."""
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def _fk(column: str, target: str, table: str) -> sa.ForeignKeyConstraint:
    # Named, so that a later batch migration on SQLite can find and alter it.
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}")


def _json(*, nullable: bool = True) -> Any:
    return Field(sa_column=sa.Column(json_type(), nullable=nullable))


class OrganizationRow(SQLModel, table=True):
    """A row of ``organizations``."""

    __tablename__ = "organizations"
    __table_args__ = (sa.UniqueConstraint("name", name="uq_organizations_name"),)

    organization_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=255)
    webhook_signing_secret: str | None = None
    max_steps: int | None = None
    created_at: datetime = _ts()
    max_cost_usd: float | None = None
    max_tokens: int | None = None


class ApiKeyRow(SQLModel, table=True):
    """A row of ``api_keys``: only the hash of a key is kept."""

    __tablename__ = "api_keys"
    __table_args__ = (_fk("organization_id", "organizations.organization_id", "api_keys"),)

    key_id: str = Field(primary_key=True, max_length=64)
    organization_id: str = Field(max_length=64)
    key_hash: str = Field(unique=True, index=True, max_length=255)
    created_at: datetime = _ts()


class TaskRow(SQLModel, table=True):
    """A row of ``tasks``; the artifact URLs and steps of a Task are not stored here."""

    __tablename__ = "tasks"
    __table_args__ = (
        # Serves newest-first listing by a backward scan; a DESC key would be an expression
        # index, which Alembic's autogenerate cannot compare and would report on every run.
        sa.Index("ix_tasks_organization_id_created_at", "organization_id", "created_at", "task_id"),
        sa.Index("ix_tasks_status_created_at", "status", "created_at", "task_id"),
        _fk("organization_id", "organizations.organization_id", "tasks"),
    )

    task_id: str = Field(primary_key=True, max_length=64)
    organization_id: str = Field(max_length=64)
    status: str = Field(max_length=32)
    request: dict[str, Any] = _json(nullable=False)
    max_steps: int
    attempt: int = 1
    # The request's webhook_callback_url, as a column: finishing writes the delivery in the
    # same transaction, and the sweeper finds tasks that have none without reading JSON.
    webhook_url: str | None = None
    extracted_information: Any = _json()
    failure_reason: str | None = None
    screenshot_artifact_id: str | None = Field(default=None, max_length=64)
    recording_artifact_id: str | None = Field(default=None, max_length=64)
    action_screenshot_artifact_ids: list[str] = _json(nullable=False)
    proxy_note: str | None = None
    input_token_count: int = 0
    output_token_count: int = 0
    cost: float | None = None
    replayed_steps: int = 0
    worker_id: str | None = Field(default=None, max_length=255)
    lease_expires_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    modified_at: datetime = _ts()
    started_at: datetime | None = _ts(nullable=True)
    finished_at: datetime | None = _ts(nullable=True)
    max_cost_usd: float | None = None
    max_tokens: int | None = None


class StepRow(SQLModel, table=True):
    """A row of ``steps``; actions and their results are JSON lists."""

    __tablename__ = "steps"
    __table_args__ = (_fk("task_id", "tasks.task_id", "steps"),)

    step_id: str = Field(primary_key=True, max_length=64)
    task_id: str = Field(index=True, max_length=64)
    organization_id: str = Field(max_length=64)
    status: str = Field(max_length=32)
    order: int
    retry_index: int = 0
    attempt: int = 1
    input_token_count: int = 0
    output_token_count: int = 0
    cost: float | None = None
    reasoning: str | None = None
    actions: list[dict[str, Any]] = _json(nullable=False)
    action_results: list[dict[str, Any]] = _json(nullable=False)
    failure_reason: str | None = None
    page_url: str | None = None
    is_last: bool = False
    decided_by: str | None = Field(default=None, max_length=16)
    created_at: datetime = _ts()
    modified_at: datetime = _ts()


class ArtifactRow(SQLModel, table=True):
    """A row of ``artifacts``: where an artifact file is, not its bytes."""

    __tablename__ = "artifacts"
    __table_args__ = (_fk("task_id", "tasks.task_id", "artifacts"),)

    artifact_id: str = Field(primary_key=True, max_length=64)
    task_id: str = Field(index=True, max_length=64)
    organization_id: str = Field(max_length=64)
    step_id: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=32)
    uri: str
    content_type: str = Field(default="application/octet-stream", max_length=255)
    size: int = 0
    created_at: datetime = _ts()


class WebhookDeliveryRow(SQLModel, table=True):
    """A row of ``webhook_deliveries``: one per task and callback URL."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("task_id", "url", name="uq_webhook_deliveries_task_id_url"),
        # Serves the retry loop's "pending and due" scan.
        sa.Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        _fk("task_id", "tasks.task_id", "webhook_deliveries"),
    )

    delivery_id: str = Field(primary_key=True, max_length=64)
    task_id: str = Field(max_length=64)
    organization_id: str = Field(max_length=64)
    url: str
    payload: str
    status: str = Field(max_length=32)
    attempts: int = 0
    next_attempt_at: datetime | None = _ts(nullable=True)
    last_error: str | None = None
    created_at: datetime = _ts()
    modified_at: datetime = _ts()


class WebhookAttemptRow(SQLModel, table=True):
    """A row of ``webhook_attempts``: one send attempt of a delivery."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (_fk("delivery_id", "webhook_deliveries.delivery_id", "webhook_attempts"),)

    delivery_id: str = Field(primary_key=True, max_length=64)
    attempt: int = Field(primary_key=True)
    at: datetime = _ts()
    http_status: int | None = None
    error: str | None = None
    duration_ms: float = 0.0


class TotpCodeRow(SQLModel, table=True):
    """A row of ``totp_codes``: a pushed one-time code and whether it was given out."""

    __tablename__ = "totp_codes"
    __table_args__ = (
        sa.Index(
            "ix_totp_codes_organization_id_totp_identifier_created_at",
            "organization_id",
            "totp_identifier",
            "created_at",
        ),
        _fk("organization_id", "organizations.organization_id", "totp_codes"),
    )

    totp_id: str = Field(primary_key=True, max_length=64)
    organization_id: str = Field(max_length=64)
    totp_identifier: str = Field(max_length=255)
    task_id: str | None = Field(default=None, max_length=64)
    code: str = Field(max_length=64)
    expires_at: datetime = _ts()
    source_text_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)


class ReplayEntryRow(SQLModel, table=True):
    """A row of ``replay_entries``: one recorded step of a flow of one organization."""

    __tablename__ = "replay_entries"
    __table_args__ = (
        sa.UniqueConstraint(
            "organization_id",
            "flow_key",
            "position",
            name="uq_replay_entries_organization_id_flow_key_position",
        ),
        _fk("organization_id", "organizations.organization_id", "replay_entries"),
    )

    entry_id: str = Field(primary_key=True, max_length=64)
    organization_id: str = Field(max_length=64)
    flow_key: str = Field(max_length=255)
    position: int
    start_url: str
    goal: str
    planner: str = Field(max_length=255)
    fingerprint: dict[str, Any] = _json(nullable=False)
    actions: list[dict[str, Any]] = _json(nullable=False)
    reasoning: str
    next_url_pattern: str | None = None
    extraction: dict[str, Any] | None = _json()
    source_task_id: str | None = Field(default=None, max_length=64)
    replays: int = 0
    heals: int = 0
    heal_streak: int = 0
    demoted: bool = False
    created_at: datetime = _ts()
    modified_at: datetime = _ts()


class BrowserProfileRow(SQLModel, table=True):
    """A row of ``browser_profiles``: one named browser profile of one organization, its
    state sealed (encrypted before it reaches the store)."""

    __tablename__ = "browser_profiles"
    __table_args__ = (_fk("organization_id", "organizations.organization_id", "browser_profiles"),)

    organization_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(primary_key=True, max_length=64)
    sealed_state: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    version: int = 0
    size: int = 0
    saved_by_task_id: str | None = Field(default=None, max_length=64)
    holder_task_id: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    modified_at: datetime = _ts()
