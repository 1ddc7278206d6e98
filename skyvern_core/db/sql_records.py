"""Organizations and keys, steps, artifact records and one-time codes on SQL."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from skyvern_core import ids
from skyvern_core.db.sqlbase import (
    CAS_ATTEMPTS,
    SQLBase,
    _artifacts,
    _keys,
    _merge,
    _model,
    _orgs,
    _row_values,
    _steps,
    _totp,
)
from skyvern_core.errors import NotFoundError, StoreError
from skyvern_core.models import (
    Artifact,
    Organization,
    Step,
    TotpCode,
    check_step_transition,
    utcnow,
)
from skyvern_core.storage import StepUpdate, next_modified

__all__ = ["SQLRecordStore"]


class SQLRecordStore(SQLBase):
    """The smaller concerns of the SQL store: :class:`~skyvern_core.storage.OrganizationStore`,
    :class:`~skyvern_core.storage.StepStore`, :class:`~skyvern_core.storage.ArtifactRecordStore`
    and :class:`~skyvern_core.storage.TotpStore`."""

    # ------------------------------------------------------------------ organizations

    async def create_organization(self, organization: Organization) -> Organization:
        """Store a new organization (its id and name must be unused)."""
        async with self._tx("create the organization", write=True) as conn:
            row = await conn.execute(
                _orgs.insert().values(_row_values(organization, _orgs)).returning(*_orgs.c)
            )
            return _model(Organization, row.one())

    async def get_organization(self, organization_id: str) -> Organization:
        """Return an organization or raise NotFoundError."""
        async with self._tx("read the organization") as conn:
            row = await conn.execute(
                sa.select(_orgs).where(_orgs.c.organization_id == organization_id)
            )
            found = row.first()
        if found is None:
            raise NotFoundError(f"organization {organization_id!r} not found")
        return _model(Organization, found)

    async def get_or_create_organization(self, name: str) -> Organization:
        """Return the organization named ``name``, creating it if needed (race-safe)."""
        by_name = sa.select(_orgs).where(_orgs.c.name == name)
        async with self._tx("get or create the organization", write=True) as conn:
            found = (await conn.execute(by_name)).first()
            if found is not None:
                return _model(Organization, found)
            organization = Organization(organization_id=ids.new_id("organization"), name=name)
            try:
                # A savepoint, so that losing the race to another writer leaves the
                # transaction usable for reading the winner's row.
                async with conn.begin_nested():
                    await conn.execute(_orgs.insert().values(_row_values(organization, _orgs)))
                return organization
            except IntegrityError:
                found = (await conn.execute(by_name)).first()
                if found is None:
                    raise
                return _model(Organization, found)

    async def add_api_key(self, organization_id: str, key_hash: str) -> str:
        """Store a hashed API key of an existing organization; return the key record's id."""
        key_id = ids.new_id("api_key")
        async with self._tx("add the API key", write=True) as conn:
            await self._require_org(conn, organization_id)
            await conn.execute(
                _keys.insert().values(
                    key_id=key_id,
                    organization_id=organization_id,
                    key_hash=key_hash,
                    created_at=utcnow(),
                )
            )
        return key_id

    async def find_api_key(self, key_hash: str) -> str | None:
        """Return the organization id owning that hashed key, or None."""
        async with self._tx("look up the API key") as conn:
            result = await conn.execute(
                sa.select(_keys.c.organization_id).where(_keys.c.key_hash == key_hash)
            )
            return result.scalar_one_or_none()

    # ------------------------------------------------------------------ steps

    async def create_step(self, step: Step) -> Step:
        """Store a new step of an existing task of the step's organization."""
        async with self._tx("create the step", write=True) as conn:
            await self._select_task(conn, step.task_id, step.organization_id)
            row = await conn.execute(
                _steps.insert().values(_row_values(step, _steps)).returning(*_steps.c)
            )
            return _model(Step, row.one())

    async def update_step(self, step_id: str, update: StepUpdate) -> Step:
        """Write the fields ``update`` gives; a status change is compare-and-set against the
        lifecycle."""
        fields = StepUpdate.of(update, doing="update_step").changes()
        status = fields.get("status")
        for _ in range(CAS_ATTEMPTS):
            async with self._tx("update the step", write=True) as conn:
                found = (
                    await conn.execute(sa.select(_steps).where(_steps.c.step_id == step_id))
                ).first()
                if found is None:
                    raise NotFoundError(f"step {step_id!r} not found")
                current = _model(Step, found)
                changes = dict(fields)
                query = _steps.update().where(_steps.c.step_id == step_id)
                if status is not None:
                    check_step_transition(current.status, status)
                    query = query.where(_steps.c.status == current.status.value)
                changes["modified_at"] = next_modified(current.modified_at)
                values = _row_values(_merge(current, changes), _steps, set(changes))
                row = (await conn.execute(query.values(values).returning(*_steps.c))).first()
                if row is not None:
                    return _model(Step, row)
        raise StoreError(f"step {step_id!r} kept changing; gave up after {CAS_ATTEMPTS} attempts")

    async def list_steps(self, task_id: str, organization_id: str | None = None) -> list[Step]:
        """Return a task's steps by order, then retry_index (NotFoundError if no such task)."""
        query = (
            sa.select(_steps)
            .where(_steps.c.task_id == task_id)
            .order_by(_steps.c.attempt, _steps.c.order, _steps.c.retry_index, _steps.c.created_at)
        )
        async with self._tx("list steps") as conn:
            await self._select_task(conn, task_id, organization_id)
            return [_model(Step, row) for row in await conn.execute(query)]

    # ------------------------------------------------------------------ artifacts

    async def add_artifact(self, artifact: Artifact) -> Artifact:
        """Record an artifact of an existing task of the artifact's organization."""
        async with self._tx("record the artifact", write=True) as conn:
            await self._select_task(conn, artifact.task_id, artifact.organization_id)
            row = await conn.execute(
                _artifacts.insert()
                .values(_row_values(artifact, _artifacts))
                .returning(*_artifacts.c)
            )
            return _model(Artifact, row.one())

    async def get_artifact(self, artifact_id: str) -> Artifact:
        """Return an artifact record or raise NotFoundError."""
        async with self._tx("read the artifact") as conn:
            found = (
                await conn.execute(
                    sa.select(_artifacts).where(_artifacts.c.artifact_id == artifact_id)
                )
            ).first()
        if found is None:
            raise NotFoundError(f"artifact {artifact_id!r} not found")
        return _model(Artifact, found)

    async def list_artifacts(self, task_id: str) -> list[Artifact]:
        """Return a task's artifacts in creation order."""
        query = (
            sa.select(_artifacts)
            .where(_artifacts.c.task_id == task_id)
            .order_by(_artifacts.c.created_at, _artifacts.c.artifact_id)
        )
        return await self._rows("list artifacts", Artifact, query)

    # ------------------------------------------------------------------ one-time codes

    async def add_totp_code(
        self,
        organization_id: str,
        totp_identifier: str,
        code: str,
        expires_at: datetime,
        source_text_hash: str | None = None,
        task_id: str | None = None,
    ) -> TotpCode:
        """Store a pushed one-time code for an identifier of an existing organization."""
        record = TotpCode(
            totp_id=ids.new_id("totp"),
            organization_id=organization_id,
            totp_identifier=totp_identifier,
            task_id=task_id,
            code=code,
            expires_at=expires_at,
            source_text_hash=source_text_hash,
        )
        async with self._tx("store the one-time code", write=True) as conn:
            await self._require_org(conn, organization_id)
            row = await conn.execute(
                _totp.insert().values(_row_values(record, _totp)).returning(*_totp.c)
            )
            return _model(TotpCode, row.one())

    async def take_totp_code(
        self,
        organization_id: str,
        totp_identifier: str,
        now: datetime,
        not_before: datetime | None = None,
        task_id: str | None = None,
    ) -> str | None:
        """Mark the newest usable code of the identifier used and return it (once)."""
        candidates = _totp.alias("candidates")
        unbound = candidates.c.task_id.is_(None)
        pick = sa.select(candidates.c.totp_id).where(
            candidates.c.organization_id == organization_id,
            candidates.c.totp_identifier == totp_identifier,
            candidates.c.used_at.is_(None),
            candidates.c.expires_at > now,
            unbound if task_id is None else sa.or_(unbound, candidates.c.task_id == task_id),
        )
        if not_before is not None:
            pick = pick.where(candidates.c.created_at >= not_before)
        pick = pick.order_by(candidates.c.created_at.desc(), candidates.c.totp_id.desc()).limit(1)
        if self.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        query = (
            _totp.update()
            .where(_totp.c.totp_id == pick.scalar_subquery(), _totp.c.used_at.is_(None))
            .values(used_at=now)
            .returning(_totp.c.code)
        )
        async with self._tx("take a one-time code", write=True) as conn:
            return (await conn.execute(query)).scalar_one_or_none()
