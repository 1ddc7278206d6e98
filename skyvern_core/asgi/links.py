"""Signed, expiring artifact links: they open without an API key, for a limited time."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

from skyvern_core.config import Settings

__all__ = ["ArtifactLinks", "load_signing_key"]


def load_signing_key(settings: Settings) -> bytes:
    """The key that signs artifact links: the setting, else one kept in the data folder
    (so links stay valid across restarts)."""
    if settings.artifact_signing_secret:
        return settings.artifact_signing_secret.encode()
    path = Path(settings.data_dir) / "artifact-key"
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    # Created 0600 and written whole, so a concurrent reader never sees half a key.
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
    os.replace(tmp, path)
    return bytes.fromhex(path.read_text().strip())


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
