"""API keys and organizations: keys are random, shown once, and stored only as a hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from skyvern_core.ids import new_id
from skyvern_core.models import Organization
from skyvern_core.storage import OrganizationStore

__all__ = [
    "NewOrganization",
    "create_organization",
    "hash_api_key",
    "keys_match",
    "new_api_key",
    "resolve_key",
]

KEY_PREFIX = "sk_"


def new_api_key() -> str:
    """A new random API key (256 bits), to be shown to its owner once."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """The hash kept at rest. Keys are 256-bit random, so a plain SHA-256 cannot be
    brute-forced and lets the store look a key up by its hash."""
    return hashlib.sha256(key.encode()).hexdigest()


def keys_match(key: str, key_hash: str) -> bool:
    """Compare a presented key with a stored hash in constant time."""
    return hmac.compare_digest(hash_api_key(key), key_hash)


@dataclass(frozen=True, slots=True)
class NewOrganization:
    """A new organization with its clear-text API key and webhook signing secret."""

    organization: Organization
    api_key: str
    webhook_signing_secret: str


async def create_organization(
    store: OrganizationStore,
    name: str,
    *,
    max_steps: int | None = None,
    max_cost_usd: float | None = None,
    max_tokens: int | None = None,
) -> NewOrganization:
    """Create an organization with one API key and a webhook signing secret (and, if given,
    its own step, cost and token limits per task)."""
    secret = secrets.token_hex(32)
    org = await store.create_organization(
        Organization(
            organization_id=new_id("organization"),
            name=name,
            webhook_signing_secret=secret,
            max_steps=max_steps,
            max_cost_usd=max_cost_usd,
            max_tokens=max_tokens,
        )
    )
    key = new_api_key()
    await store.add_api_key(org.organization_id, hash_api_key(key))
    return NewOrganization(org, key, secret)


async def resolve_key(store: OrganizationStore, key: str | None) -> str | None:
    """The organization id an API key belongs to, or None for a missing or unknown key."""
    if not key:
        return None
    return await store.find_api_key(hash_api_key(key))
