"""Signed, expiring artifact links: they open without an API key, for a limited time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

from skyvern_core.config import Settings
from skyvern_core.errors import ConfigurationError
from skyvern_core.keys import kept_key

__all__ = ["ArtifactLinks", "load_signing_key"]


def load_signing_key(settings: Settings) -> bytes:
    """The key that signs artifact links: the setting, else one kept in the data folder
    (so links stay valid across restarts; :func:`~skyvern_core.keys.kept_key`)."""
    if settings.artifact_signing_secret:
        return settings.artifact_signing_secret.encode()
    path = Path(settings.data_dir) / "artifact-key"
    text = kept_key(path, lambda: secrets.token_bytes(32).hex())
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ConfigurationError(
            f"{path} does not hold an artifact signing key (at least 32 hex digits); delete "
            "it to make a new one (links issued so far stop working) or set "
            "SKYVERN_ARTIFACT_SIGNING_SECRET"
        )
    return key


class ArtifactLinks:
    """Makes and checks ``/api/v1/artifacts/{id}?expires=...&signature=...`` links."""

    def __init__(self, key: bytes, ttl: float) -> None:
        self.key = key
        self.ttl = ttl

    def signature(self, artifact_id: str, expires: int) -> str:
        """The HMAC-SHA256 of the artifact id and expiry time."""
        message = f"{artifact_id}.{expires}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def url(self, base_url: str, artifact_id: str, *, now: float | None = None) -> str:
        """An absolute link to an artifact under ``base_url`` (where the app is mounted)."""
        expires = int((now if now is not None else time.time()) + self.ttl)
        query = urlencode({"expires": expires, "signature": self.signature(artifact_id, expires)})
        return f"{base_url.rstrip('/')}/api/v1/artifacts/{artifact_id}?{query}"

    def check(
        self, artifact_id: str, expires: int, signature: str, *, now: float | None = None
    ) -> str | None:
        """None if the link is good, else why it is not."""
        expected = self.signature(artifact_id, expires).encode()
        # Compared as bytes: compare_digest refuses str with characters beyond ASCII.
        if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
            return "the link's signature is not valid"
        if expires < (now if now is not None else time.time()):
            return "the link has expired"
        return None
