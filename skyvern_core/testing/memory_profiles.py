"""The browser profiles of :class:`~skyvern_core.testing.memory_store.MemoryStore`."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio

from skyvern_core.errors import LostProfileError, NotFoundError, ProfileInUseError
from skyvern_core.models import BrowserProfile, Organization, utcnow
from skyvern_core.storage import next_modified

__all__ = ["MemoryProfiles"]


def _copy(profile: BrowserProfile, *, state: bool = True) -> BrowserProfile:
    data = profile.model_dump()
    for key in ("lease_until", "created_at", "modified_at"):
        value = data[key]
        if isinstance(value, datetime):
            data[key] = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not state:
        data["sealed_state"] = None
    return BrowserProfile.model_validate(data)


class MemoryProfiles:
    """Browser profiles in a dictionary, keyed by (organization, name)."""

    _lock: anyio.Lock
    _orgs: dict[str, Organization]
    _profiles: dict[tuple[str, str], BrowserProfile]

    async def claim_profile(
        self, organization_id: str, name: str, holder: str, *, now: datetime, until: datetime
    ) -> BrowserProfile:
        """Take the hold of a profile for ``holder`` (creating an empty one)."""
        async with self._lock:
            if organization_id not in self._orgs:
                raise NotFoundError(f"organization {organization_id!r} not found")
            key = (organization_id, name)
            profile = self._profiles.get(key)
            if profile is None:
                profile = BrowserProfile(organization_id=organization_id, name=name)
            elif profile.held_by_other(holder, now):
                raise ProfileInUseError(name, profile.holder_task_id or "")
            profile = profile.model_copy(update={"holder_task_id": holder, "lease_until": until})
            self._profiles[key] = profile
            return _copy(profile)

    async def save_profile(
        self, organization_id: str, name: str, holder: str, sealed_state: str, *, now: datetime
    ) -> BrowserProfile:
        """Write the sealed state and end ``holder``'s hold."""
        async with self._lock:
            key = (organization_id, name)
            profile = self._profiles.get(key)
            if profile is None or profile.holder_task_id is None:
                raise LostProfileError(name, holder)
            if profile.holder_task_id != holder:
                raise ProfileInUseError(name, profile.holder_task_id)
            if profile.lease_until is None or profile.lease_until <= now:
                raise LostProfileError(name, holder)
            saved = profile.model_copy(
                update={
                    "sealed_state": sealed_state,
                    "size": len(sealed_state),
                    "version": profile.version + 1,
                    "saved_by_task_id": holder,
                    "holder_task_id": None,
                    "lease_until": None,
                    "modified_at": next_modified(profile.modified_at),
                }
            )
            self._profiles[key] = saved
            return _copy(saved)

    async def release_profile(self, organization_id: str, name: str, holder: str) -> bool:
        """End ``holder``'s hold without saving."""
        async with self._lock:
            key = (organization_id, name)
            profile = self._profiles.get(key)
            if profile is None or profile.holder_task_id != holder:
                return False
            self._profiles[key] = profile.model_copy(
                update={"holder_task_id": None, "lease_until": None}
            )
            return True

    async def get_profile(self, organization_id: str, name: str) -> BrowserProfile:
        """Return a profile with its sealed state."""
        profile = self._profiles.get((organization_id, name))
        if profile is None:
            raise NotFoundError(f"browser profile {name!r} not found")
        return _copy(profile)

    async def list_profiles(self, organization_id: str) -> list[BrowserProfile]:
        """Return an organization's profiles by name, without their state."""
        found = [p for (org, _), p in self._profiles.items() if org == organization_id]
        return [_copy(p, state=False) for p in sorted(found, key=lambda p: p.name)]

    async def delete_profile(
        self, organization_id: str, name: str, *, now: datetime | None = None
    ) -> None:
        """Delete a profile no task holds."""
        async with self._lock:
            key = (organization_id, name)
            profile = self._profiles.get(key)
            if profile is None:
                raise NotFoundError(f"browser profile {name!r} not found")
            if profile.held_by_other("", now or utcnow()):
                raise ProfileInUseError(name, profile.holder_task_id or "")
            del self._profiles[key]
