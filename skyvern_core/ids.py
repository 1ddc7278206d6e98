"""Prefixed, unique IDs that sort by creation time.

An ID is a prefix (``tsk``, ``stp``, ``o``...), an underscore, then 26 characters of Crockford
base32: 48 bits of milliseconds since the epoch followed by 80 bits that are random for the
first ID of a millisecond and incremented for the next ones, so IDs made by one process
are strictly increasing and sort as text in creation order.
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["PREFIXES", "id_timestamp", "new_id"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: i for i, c in enumerate(_ALPHABET)}

PREFIXES = {
    "task": "tsk",
    "step": "stp",
    "organization": "o",
    "api_key": "key",
    "artifact": "art",
    "delivery": "whd",
    "totp": "otp",
    "replay": "rpl",
}

_lock = threading.Lock()
_last_ms = -1
_last_rand = 0


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(kind: str) -> str:
    """Return a new ID for an object of ``kind`` (a key of :data:`PREFIXES`)."""
    global _last_ms, _last_rand
    prefix = PREFIXES[kind]
    with _lock:
        now = time.time_ns() // 1_000_000
        if now <= _last_ms:
            # Same (or earlier, if the clock stepped back) millisecond: stay monotonic.
            now = _last_ms
            rand = _last_rand + 1
        else:
            rand = int.from_bytes(os.urandom(10), "big") >> 1
        _last_ms, _last_rand = now, rand
    return f"{prefix}_{_encode(now, 10)}{_encode(rand, 16)}"


def id_timestamp(value: str) -> float:
    """Return the creation time (Unix seconds) encoded in an ID made by :func:`new_id`."""
    body = value.split("_", 1)[1]
    ms = 0
    for char in body[:10]:
        ms = ms * 32 + _DECODE[char]
    return ms / 1000
