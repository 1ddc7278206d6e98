"""Browser profiles: a task's cookies and local storage, kept under a name between tasks.

A task that names a profile (``browser_profile``) takes the profile's hold when it starts,
so no other task uses it meanwhile; its browser starts with the profile's cookies and local
storage, and when the task ends (whatever its status) what the browser then holds is saved
back and the hold is given up. A second task naming a profile in use waits for it
(``Settings.profile_wait`` seconds at most) and then starts from what the first one saved.

The state is sealed before it reaches the store: encrypted and authenticated with Fernet
(AES-128-CBC and HMAC-SHA256) under the deployment's key (``Settings.profile_key``, else a
key kept in ``data_dir/profile-key``). The store, its backups and a listing see only the
name, sizes, versions and who holds it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio

from skyvern_core.config import Settings
from skyvern_core.errors import ConfigurationError, ProfileInUseError
from skyvern_core.keys import kept_key
from skyvern_core.models import BrowserProfile, StorageState, utcnow
from skyvern_core.storage import ProfileStore

__all__ = [
    "ProfileHold",
    "ProfileUnavailable",
    "ProfileVault",
    "main_delete",
    "main_list",
    "merge_states",
    "new_profile_key",
    "take_profile",
]

log = logging.getLogger(__name__)

HOLD_MARGIN = 60.0
"""Seconds a hold outlasts the task's lease. The hold is renewed with the lease, so a worker
that died gives its profiles up about a minute after its lease ran out (and the task that
held it, recovered by another worker, takes it again at once)."""
RETRY_EVERY = 0.5
"""Seconds between two tries to take a profile another task holds."""


class ProfileUnavailable(Exception):
    """The task cannot have its profile: another task kept it past the wait, or no key of
    this deployment opens it. The task fails with this reason."""


def new_profile_key() -> str:
    """A new random key for ``SKYVERN_PROFILE_KEY``."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


class ProfileVault:
    """Seals and opens profile states with the deployment's keys (the first seals, any
    opens, so keys can be rotated)."""

    def __init__(self, keys: list[str]) -> None:
        from cryptography.fernet import Fernet, MultiFernet

        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                "profile_key must be Fernet keys (32 url-safe base64-encoded bytes each, "
                "comma-separated); `skyvern-core profiles key` prints a new one"
            ) from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> ProfileVault:
        """The vault of the setting's keys, else of the key kept in the data folder."""
        if settings.profile_key:
            keys = [k.strip() for k in settings.profile_key.split(",") if k.strip()]
        else:
            path = Path(settings.data_dir) / "profile-key"
            keys = [kept_key(path, new_profile_key)]
            if not keys[0]:
                raise ConfigurationError(
                    f"{path} does not hold a browser profile key; delete it to make a new one "
                    "(profiles saved so far cannot be opened then) or set SKYVERN_PROFILE_KEY"
                )
        return cls(keys)

    def seal(self, state: StorageState, organization_id: str, name: str) -> str:
        """The state of profile ``name`` of ``organization_id``, encrypted and
        authenticated. The sealed text names its profile, so that a copy of it put in
        another profile's row (another organization's, say) does not open there."""
        envelope = {
            "organization_id": organization_id,
            "name": name,
            "state": state.model_dump(mode="json", by_alias=True),
        }
        return self._fernet.encrypt(json.dumps(envelope).encode()).decode()

    def open(self, sealed: str, organization_id: str, name: str) -> StorageState:
        """The state a :meth:`seal` gave for this very profile; a clear error if no key of
        this deployment sealed it, or it was sealed for another profile."""
        from cryptography.fernet import InvalidToken

        try:
            raw = self._fernet.decrypt(sealed.encode())
        except InvalidToken:
            raise ProfileUnavailable(
                f"Browser profile {name!r} cannot be opened: it was sealed with another key "
                "(every process must have the same SKYVERN_PROFILE_KEY)"
            ) from None
        try:
            envelope = json.loads(raw)
            owner = (envelope["organization_id"], envelope["name"])
            state = StorageState.model_validate(envelope["state"])
        except (ValueError, TypeError, KeyError):
            raise ProfileUnavailable(f"Browser profile {name!r} is damaged in the store") from None
        if owner != (organization_id, name):
            # Only someone who can write the store moves a sealed state between rows: the
            # state of one profile never opens as another's.
            log.warning(
                "browser profile %r of %s holds the sealed state of another profile: refused",
                name,
                organization_id,
            )
            raise ProfileUnavailable(
                f"Browser profile {name!r} holds the state of another profile: refused"
            )
        return state


def merge_states(restored: StorageState, captured: StorageState) -> StorageState:
    """What to save: the browser's cookies as they are now, and the local storage of each
    origin it read at the end, with the restored local storage of the origins it did not."""
    seen = {origin.origin for origin in captured.origins}
    kept = [origin for origin in restored.origins if origin.origin not in seen]
    origins = [origin for origin in captured.origins if origin.local_storage] + kept
    return StorageState(cookies=captured.cookies, origins=origins)


@dataclass
class ProfileHold:
    """A task's hold on a profile: what it restored, and how to give the profile back."""

    store: ProfileStore
    vault: ProfileVault
    organization_id: str
    name: str
    task_id: str
    restored: StorageState
    max_bytes: int
    hold_seconds: float
    # A renewal must not land after the save or release that ended the hold, or the
    # profile would stay held by a task that has finished.
    _lock: anyio.Lock = field(default_factory=anyio.Lock, init=False, repr=False)
    _ended: bool = field(default=False, init=False, repr=False)

    async def renew(self) -> None:
        """Hold the profile ``hold_seconds`` longer (called with each renewal of the task's
        lease); a hold that lapsed and went to another task is logged, not fought for."""
        async with self._lock:
            if self._ended:
                return
            now = utcnow()
            try:
                await self.store.claim_profile(
                    self.organization_id,
                    self.name,
                    self.task_id,
                    now=now,
                    until=now + timedelta(seconds=self.hold_seconds),
                )
            except ProfileInUseError as exc:
                log.warning(
                    "task %s lost its hold on browser profile %r to task %s",
                    self.task_id,
                    self.name,
                    exc.holder_task_id,
                )
            except Exception:
                log.warning(
                    "could not renew the hold on browser profile %r", self.name, exc_info=True
                )

    async def save(self, captured: dict[str, Any]) -> BrowserProfile:
        """Seal what the browser holds now (merged with what was restored) and give the
        profile back."""
        state = merge_states(self.restored, StorageState.model_validate(captured))
        size = len(state.model_dump_json(by_alias=True).encode())
        if size > self.max_bytes:
            # A site (or a tenant) filling storage must not fill the store.
            raise ValueError(
                f"its cookies and local storage are {size:,} bytes, over max_profile_bytes "
                f"({self.max_bytes:,}); the profile keeps what it had"
            )
        sealed = self.vault.seal(state, self.organization_id, self.name)
        async with self._lock:
            saved = await self.store.save_profile(
                self.organization_id, self.name, self.task_id, sealed, now=utcnow()
            )
            self._ended = True
        return saved

    async def release(self) -> None:
        """Give the profile back unchanged."""
        async with self._lock:
            self._ended = True
            try:
                await self.store.release_profile(self.organization_id, self.name, self.task_id)
            except Exception:
                log.warning("could not give back browser profile %r", self.name, exc_info=True)


async def take_profile(
    store: ProfileStore, settings: Settings, organization_id: str, name: str, task_id: str
) -> ProfileHold:
    """Take the hold of profile ``name`` for ``task_id`` (waiting up to
    ``settings.profile_wait`` while another task holds it) and open its state.
    ProfileUnavailable when it stays in use, or cannot be opened."""
    vault = ProfileVault.from_settings(settings)
    hold_seconds = settings.lease_seconds + HOLD_MARGIN
    hold_for = timedelta(seconds=hold_seconds)
    with anyio.move_on_after(settings.profile_wait) as waited:
        while True:
            now = utcnow()
            try:
                profile = await store.claim_profile(
                    organization_id, name, task_id, now=now, until=now + hold_for
                )
                break
            except ProfileInUseError as exc:
                holder = exc.holder_task_id
            await anyio.sleep(RETRY_EVERY)
    if waited.cancelled_caught:
        raise ProfileUnavailable(
            f"Browser profile {name!r} is in use by task {holder} "
            f"(waited {settings.profile_wait:g} s)"
        )
    try:
        restored = (
            vault.open(profile.sealed_state, organization_id, name)
            if profile.sealed_state
            else StorageState()
        )
    except BaseException:
        await store.release_profile(organization_id, name, task_id)
        raise
    return ProfileHold(
        store,
        vault,
        organization_id,
        name,
        task_id,
        restored,
        settings.max_profile_bytes,
        hold_seconds,
    )


# ---------------------------------------------------------------------- the command line


def main_list(organization_id: str | None, *, as_json: bool) -> int:
    """``skyvern-core profiles list``: the profiles of the configured store (never their
    state)."""
    from skyvern_core.replay.admin import with_configured_store

    async def work(store: ProfileStore, org: str) -> list[BrowserProfile]:
        return await store.list_profiles(org)

    found: list[BrowserProfile] = anyio.run(with_configured_store, organization_id, work)
    if as_json:
        shown = [p.model_dump(mode="json", exclude={"sealed_state"}) for p in found]
        print(json.dumps(shown, indent=2))
        return 0
    if not found:
        print("No browser profiles.")
        return 0
    for p in found:
        held = f", in use by {p.holder_task_id}" if p.holder_task_id else ""
        print(
            f"{p.name}  saved {p.version} time{'s' if p.version != 1 else ''}"
            f" (last by {p.saved_by_task_id or '-'}, {p.modified_at:%Y-%m-%d %H:%M} UTC),"
            f" {p.size:,} bytes{held}"
        )
    return 0


def main_delete(organization_id: str | None, name: str) -> int:
    """``skyvern-core profiles delete NAME``: forget a profile (not while a task uses it)."""
    from skyvern_core.replay.admin import with_configured_store

    async def work(store: ProfileStore, org: str) -> None:
        await store.delete_profile(org, name)

    anyio.run(with_configured_store, organization_id, work)
    print(f"Deleted browser profile {name!r}.")
    return 0
