"""The viewer's session: a signed cookie, and the CSRF tokens bound to it.

The cookie holds a random session id, the organization signed in (if any), the hash of
the API key used (so a key that stops resolving ends its sessions) and an expiry time,
signed with HMAC-SHA256. It is sent HttpOnly and SameSite=Strict, and never appears in a
URL. A state-changing form carries a token derived from the session id; a request without
the right one is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

__all__ = ["COOKIE", "Session", "Sessions"]

COOKIE = "skyvern_viewer"
"""The session cookie's name."""


@dataclass(frozen=True, slots=True)
class Session:
    """One browser's session: ``organization_id`` and ``key_hash`` are set once signed in."""

    session_id: str
    expires: int
    organization_id: str | None = None
    key_hash: str | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Issues and reads signed session cookies and checks CSRF tokens.

    ``key`` is the app's signing key (the one that signs artifact links); the cookies and
    tokens are signed with keys derived from it, so a value of one kind never passes for
    another.
    """

    def __init__(self, key: bytes, ttl: float) -> None:
        self._cookie_key = hmac.new(key, b"skyvern-core viewer session", hashlib.sha256).digest()
        self._csrf_key = hmac.new(key, b"skyvern-core viewer csrf", hashlib.sha256).digest()
        self.ttl = ttl

    def new(self, organization_id: str | None = None, key_hash: str | None = None) -> Session:
        """A fresh session (a new id each time: signing in never keeps the id from before)."""
        return Session(
            session_id=secrets.token_urlsafe(24),
            expires=int(time.time() + self.ttl),
            organization_id=organization_id,
            key_hash=key_hash,
        )

    def dump(self, session: Session) -> str:
        """The cookie value of a session."""
        body = _b64(
            json.dumps(
                {
                    "sid": session.session_id,
                    "exp": session.expires,
                    "org": session.organization_id,
                    "kh": session.key_hash,
                },
                separators=(",", ":"),
            ).encode()
        )
        mac = hmac.new(self._cookie_key, body.encode(), hashlib.sha256).digest()
        return f"{body}.{_b64(mac)}"

    def load(self, value: str | None, *, now: float | None = None) -> Session | None:
        """The session of a cookie value, or None if it is missing, forged or expired."""
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        expected = _b64(hmac.new(self._cookie_key, body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected.encode(), mac.encode("utf-8", "replace")):
            return None
        try:
            data = json.loads(_unb64(body))
            session = Session(
                session_id=str(data["sid"]),
                expires=int(data["exp"]),
                organization_id=data.get("org"),
                key_hash=data.get("kh"),
            )
        except (ValueError, KeyError, TypeError):
            return None
        if session.expires < (now if now is not None else time.time()):
            return None
        return session

    def csrf_token(self, session: Session) -> str:
        """The token a form of this session must send back."""
        return hmac.new(self._csrf_key, session.session_id.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        """Whether ``token`` is this session's CSRF token."""
        if not token:
            return False
        expected = self.csrf_token(session).encode()
        return hmac.compare_digest(expected, token.encode("utf-8", "replace"))
