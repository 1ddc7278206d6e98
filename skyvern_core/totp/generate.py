"""Generating codes from a TOTP secret (RFC 6238), and finding the secret in a payload."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp

from skyvern_core.models import utcnow

__all__ = [
    "code_from_secret",
    "find_totp_secret",
]


class _TOTP(pyotp.TOTP):
    # Many sites still issue 80-bit secrets (16 base32 characters); pyotp's default floor
    # of 112 bits would refuse to make codes for them.
    min_secret_length_bits = 80


_ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def _base32(secret: str) -> str:
    cleaned = re.sub(r"[\s-]", "", secret).upper().rstrip("=")
    if not cleaned:
        raise ValueError("the TOTP secret is empty")
    try:
        decoded = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise ValueError(
            "the TOTP secret is not valid base32 (letters A-Z and digits 2-7) nor an otpauth:// URI"
        ) from None
    if len(decoded) * 8 < _TOTP.min_secret_length_bits:
        raise ValueError(
            f"the TOTP secret is too short ({len(decoded) * 8} bits; at least "
            f"{_TOTP.min_secret_length_bits} are needed)"
        )
    return cleaned


def _from_uri(uri: str) -> _TOTP:
    parts = urlsplit(uri.strip())
    if parts.netloc.lower() != "totp":
        raise ValueError(
            f"only otpauth://totp/ URIs can make codes here, not otpauth://{parts.netloc}/"
        )
    params = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
    if params.get("encoder"):
        raise ValueError(f"otpauth URI encoder {params['encoder']!r} is not supported")
    if "secret" not in params:
        raise ValueError("the otpauth URI has no secret parameter")
    try:
        digits = int(params.get("digits", 6))
        period = int(params.get("period", 30))
    except ValueError:
        raise ValueError("the otpauth URI has a non-numeric digits or period") from None
    if digits not in (6, 7, 8) or period < 1:
        raise ValueError(f"the otpauth URI asks for {digits} digits every {period} s")
    algorithm = params.get("algorithm", "SHA1").upper()
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"the otpauth URI algorithm {algorithm!r} is not SHA1/SHA256/SHA512")
    return _TOTP(
        _base32(unquote(params["secret"])),
        digits=digits,
        interval=period,
        digest=_ALGORITHMS[algorithm],
    )


def code_from_secret(secret_or_otpauth_uri: str, now: datetime | float | None = None) -> str:
    """Return the current RFC 6238 code of a TOTP secret (base32, or an ``otpauth://`` URI).

    ``now`` (a datetime or Unix seconds) picks another moment. Raises ``ValueError`` with
    what is wrong (never the secret) when the secret cannot make codes.
    """
    value = secret_or_otpauth_uri.strip()
    if value.lower().startswith("otpauth://"):
        totp = _from_uri(value)
    else:
        totp = _TOTP(_base32(value))
    if now is None:
        moment = utcnow().timestamp()
    elif isinstance(now, datetime):
        moment = now.timestamp()
    else:
        moment = float(now)
    return totp.at(int(moment))


_SECRET_KEYS = re.compile(r"^(t?otp|mfa|2fa)[_-]?secret$", re.IGNORECASE)


def find_totp_secret(payload: Any) -> str | None:
    """Return the TOTP secret in a ``navigation_payload``, or None.

    A secret is the value of a key named ``totp_secret``, ``otp_secret``, ``mfa_secret`` or
    ``2fa_secret`` (at any depth, any case, also wrapped as ``{"$secret": ...}``), or any
    string value starting with ``otpauth://``.
    """

    def walk(value: Any, key: str) -> str | None:
        if isinstance(value, dict):
            if set(value) == {"$secret"}:
                return walk(value["$secret"], key)
            for k, v in value.items():
                found = walk(v, str(k))
                if found:
                    return found
            return None
        if isinstance(value, list):
            for item in value:
                found = walk(item, key)
                if found:
                    return found
            return None
        if isinstance(value, str) and value.strip():
            if value.strip().lower().startswith("otpauth://") or _SECRET_KEYS.match(key):
                return value.strip()
        return None

    return walk(payload, "")
