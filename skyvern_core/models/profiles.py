"""Browser profiles: what a named profile keeps of a browser between tasks, and its record.

A profile holds a :class:`StorageState` (cookies, and local storage per origin), in the
shape Playwright's ``storage_state`` uses, so either driver restores what the other saved.
The store keeps it sealed (encrypted, :mod:`skyvern_core.profiles`) in
:attr:`BrowserProfile.sealed_state`; nothing here is ever shown in a listing or a log.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from skyvern_core.models.status import utcnow

__all__ = [
    "PROFILE_NAME_PATTERN",
    "BrowserProfile",
    "OriginStorage",
    "StorageItem",
    "StorageState",
    "StoredCookie",
    "check_profile_name",
]

PROFILE_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
"""A profile's name: 1 to 64 letters, digits, ``-`` or ``_``."""
_NAME = re.compile(PROFILE_NAME_PATTERN)


def check_profile_name(name: str, field: str = "browser_profile") -> str:
    """``name`` if it is a valid profile name, else a ValueError naming ``field``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"{field} must be 1 to 64 letters, digits, '-' or '_', got {name!r}"
            if isinstance(name, str) and len(name) <= 100
            else f"{field} must be 1 to 64 letters, digits, '-' or '_'"
        )
    return name


class StoredCookie(BaseModel):
    """One cookie as a browser keeps it (``expires`` -1: a session cookie)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    name: str
    value: str
    domain: str
    path: str = "/"
    expires: float = -1
    http_only: bool = Field(default=False, alias="httpOnly")
    secure: bool = False
    same_site: Literal["Strict", "Lax", "None"] = Field(default="Lax", alias="sameSite")


class StorageItem(BaseModel):
    """One local storage entry."""

    name: str
    value: str


class OriginStorage(BaseModel):
    """The local storage of one origin (``https://example.com``)."""

    model_config = ConfigDict(populate_by_name=True)

    origin: str
    local_storage: list[StorageItem] = Field(default_factory=list, alias="localStorage")


class StorageState(BaseModel):
    """Cookies and local storage of a browser: what a profile restores and saves.

    ``model_dump(by_alias=True)`` is Playwright's ``storage_state`` shape.
    """

    model_config = ConfigDict(populate_by_name=True)

    cookies: list[StoredCookie] = Field(default_factory=list)
    origins: list[OriginStorage] = Field(default_factory=list)

    def playwright(self) -> dict[str, object]:
        """As Playwright's ``new_context(storage_state=...)`` takes it."""
        return self.model_dump(by_alias=True)


class BrowserProfile(BaseModel):
    """A named browser profile of one organization, as the store keeps it.

    ``sealed_state`` is the encrypted :class:`StorageState` (None until a task saved one);
    ``version`` counts the saves. While a task uses the profile, ``holder_task_id`` names
    it and ``lease_until`` is when its hold lapses if it never gives it back.
    """

    organization_id: str
    name: str
    sealed_state: str | None = Field(default=None, repr=False)
    version: int = Field(default=0, ge=0)
    size: int = Field(default=0, ge=0, description="Bytes of the sealed state.")
    saved_by_task_id: str | None = None
    holder_task_id: str | None = None
    lease_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    modified_at: datetime = Field(default_factory=utcnow)

    def held_by_other(self, holder: str, now: datetime) -> bool:
        """Whether a task other than ``holder`` holds the profile at ``now``."""
        return (
            self.holder_task_id is not None
            and self.holder_task_id != holder
            and self.lease_until is not None
            and self.lease_until > now
        )
