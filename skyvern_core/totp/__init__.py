"""One-time (2FA) codes: finding them in messages, generating them, and getting one for a task.

A task that meets a one-time-code prompt gets its code, in this order of preference:

1. a TOTP secret in ``navigation_payload`` (a key named ``totp_secret``, ``otp_secret``,
   ``mfa_secret`` or ``2fa_secret``, or any value starting with ``otpauth://``): the code is
   generated locally (RFC 6238);
2. ``totp_verification_url``: it is POSTed ``{"task_id", "totp_identifier"}``, signed like a
   webhook, until it answers ``{"verification_code": "..."}``;
3. ``totp_identifier``: a code pushed for that identifier (``POST /api/v1/totp``, or
   :func:`push_code`) is taken from the store, once, before it expires.

Ways 2 and 3 wait up to ``Settings.totp_timeout``, asking every ``totp_poll_interval``; then
:class:`~skyvern_core.errors.TOTPError` says why there is no code. Codes and secrets are
never logged.

The planner asks for a code by typing :data:`TOTP_PLACEHOLDER` (``{{totp_code}}``); the runner
replaces it just before the browser acts (:func:`wants_code`, :func:`with_code`), so the
recorded step keeps the placeholder.
"""

from __future__ import annotations

from skyvern_core.totp.extract import extract_code
from skyvern_core.totp.generate import code_from_secret, find_totp_secret
from skyvern_core.totp.placeholders import TOTP_PLACEHOLDER, wants_code, with_code
from skyvern_core.totp.resolver import CodeStore, TotpResolver, normalize_identifier, push_code

__all__ = [
    "TOTP_PLACEHOLDER",
    "CodeStore",
    "TotpResolver",
    "code_from_secret",
    "extract_code",
    "find_totp_secret",
    "normalize_identifier",
    "push_code",
    "wants_code",
    "with_code",
]
