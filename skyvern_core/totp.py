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

import base64
import binascii
import bisect
import contextlib
import hashlib
import html
import json
import logging
import re
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import anyio
import httpx
import pyotp

from skyvern_core.clock import SYSTEM_CLOCK, Clock
from skyvern_core.config import Settings
from skyvern_core.errors import TOTPError
from skyvern_core.models import Action, InputTextAction, Task, utcnow
from skyvern_core.netpolicy import BlockedURLError, UnresolvedHostError
from skyvern_core.outbound import OutboundClient, OutboundError
from skyvern_core.storage import OrganizationStore, TotpStore
from skyvern_core.webhooks import SecretLookup, signed_headers, signing_secret

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

log = logging.getLogger(__name__)

TOTP_PLACEHOLDER = "{{totp_code}}"
"""What a planner types where the one-time code goes; the runner puts the code in."""

# --------------------------------------------------------------------------- extract_code

_KEYWORDS = re.compile(
    r"verification|verify|code|c[oó]digo|otp|pass ?code|one[- ]?time|2fa|mfa|two[- ]factor|"
    r"\bpin\b|security|authenticat|log ?in|sign[- ]?in|confirm",
    re.IGNORECASE,
)
# Digit groups joined by single separators: a phone number, a date or an amount is one run
# of several groups, so a group inside it is never mistaken for a code.
_RUN = re.compile(r"[0-9]+(?:[ .\-][0-9]+)*")
_CURRENCY = "$€£¥₹"
_NEAR, _FAR, _CONTEXT = 40, 120, 250
_BARE_TEXT = 12  # non-space characters besides the code for a keyword-less message


# Every step below is linear in the text: a message of any size is read a bounded number of
# times (no pattern that rescans the rest of the text from each of many starting points).
_HTML_HINT = re.compile(r"<\s*(html|body|div|p|td|table|br|span)\b", re.I)
_HIDDEN_OPEN = re.compile(r"<(style|script|head)\b", re.I)
_TAG = re.compile(r"<[^<>]+>")  # a "<" with no ">" before the next "<" is left as text


def _drop_hidden(text: str) -> str:
    """Remove comments and <style>, <script> and <head> elements (their text is no message).

    Each search resumes where the last one stopped, so the text is read a bounded number
    of times however many unclosed tags it has.
    """
    out: list[str] = []
    pos = 0
    unclosed: set[str] = set()  # elements never closed after some point: none are later
    comment = text.find("<!--")
    opened = _HIDDEN_OPEN.search(text)
    while True:
        if 0 <= comment < pos:
            comment = text.find("<!--", pos)
        while opened is not None and (opened.start() < pos or opened.group(1).lower() in unclosed):
            opened = _HIDDEN_OPEN.search(text, max(pos, opened.end()))
        if comment < 0 and opened is None:
            break
        if opened is None or 0 <= comment < opened.start():
            out.append(text[pos:comment])
            close = text.find("-->", comment + 4)
            pos = len(text) if close < 0 else close + 3  # an unclosed comment runs to the end
            out.append(" ")
            continue
        name = opened.group(1).lower()
        closing = re.compile(rf"</{name}\s*>", re.I).search(text, opened.end())
        if closing is None:
            unclosed.add(name)
            continue
        out.append(text[pos : opened.start()])
        out.append(" ")
        pos = closing.end()
    out.append(text[pos:])
    return "".join(out)


def _plain_text(text: str) -> str:
    if "<" in text and _HTML_HINT.search(text):
        text = _TAG.sub(" ", _drop_hidden(text))
    return html.unescape(text)


_DIGITS = frozenset("0123456789")
_NOT_BEFORE = frozenset("+#/=_" + _CURRENCY)  # an id, a phone number, a path, a price
_NOT_AFTER = frozenset("%/_" + _CURRENCY)  # "600px", "20%", a date "12/05"
_REFERENCE_WORDS = ("order", "invoice", "ref", "account", "acct", "no", "no.")
_POSTAL_WORDS = ("zip", "postal", "post")
_TAIL = 64  # characters before a candidate read for "Order no." or "ZIP code"
_BEST_SCORE = 9.0  # six digits, a keyword within _NEAR, nothing against it


def _tail(before: str, marks: str) -> str:
    """``before`` without trailing spaces and one of ``marks`` (as in ``"Order no.: "``)."""
    tail = before.rstrip()
    if tail and tail[-1] in marks:
        tail = tail[:-1].rstrip()
    return tail.lower()


def _code_of(text: str, start: int, end: int) -> tuple[str, bool] | None:
    """The code a digit run at ``start:end`` would be, and whether it is split in two
    groups, or None when the run is no code by its shape or neighbours."""
    if end - start > 8:
        return None  # longer than any code, whatever its groups
    before = text[start - 1] if start else ""
    if before and (before.isalnum() or before in _NOT_BEFORE):
        return None  # part of a word, an id, a phone number, a path, a price
    before2 = text[start - 2 : start] if start >= 2 else ""
    if before == " " and before2[:1] in _CURRENCY and before2[:1]:
        return None
    after = text[end : end + 1]
    if after and (after.isalnum() or after in _NOT_AFTER):
        return None
    after2 = text[end : end + 2]
    if (len(after2) == 2 and after2[0] in ".,:" and after2[1] in _DIGITS) or (
        len(before2) == 2 and before2[0] in _DIGITS and before2[1] in ",:"
    ):
        return None  # "1,234", "10:30", a decimal
    run = text[start:end]
    if run.isdigit():
        return (run, False) if 4 <= len(run) <= 8 else None
    if len(run) == 7 and run[:3].isdigit() and run[4:].isdigit():
        return run[:3] + run[4:], True  # "123 456", "123-456"
    return None


def _score(
    text: str,
    start: int,
    end: int,
    code: str,
    split: bool,
    near_before: int | None,
    near_after: int | None,
    other_text: int,
) -> float | None:
    distances = [d for d in (near_before, near_after) if d is not None]
    nearest = min(distances) if distances else None
    if len(code) == 4 and 1900 <= int(code) <= 2099:
        if near_before is None or near_before > 15:
            return None  # "© 2024", "May 5, 2024"
    if nearest is None:
        if other_text - len(code) > _BARE_TEXT or split:
            return None
        score = 0.0
    elif nearest <= _NEAR:
        score = 6.0
    elif nearest <= _FAR:
        score = 3.0
    else:
        score = 1.0
    score += 3.0 if len(code) == 6 else 1.0
    if split:
        score -= 1.0
    before = text[max(0, start - _TAIL) : start]
    if _tail(before, ":#").endswith(_REFERENCE_WORDS):
        score -= 4.0
    postal = _tail(before, ":")
    if postal.endswith("code") and postal[:-4].rstrip().endswith(_POSTAL_WORDS):
        return None  # "ZIP code 94105" is near the word "code", and no one-time code
    return score


def extract_code(text: str) -> str | None:
    """Return the one-time code in an SMS or e-mail text (plain or HTML), or None.

    A code is 4 to 8 digits (or ``123 456`` / ``123-456``), taken as written (leading zeros
    kept). Among several numbers the one nearest to words like *code*, *verification*,
    *OTP* or *passcode* wins, and six digits beat other lengths; phone numbers, dates,
    times, years, prices and numbers inside words or links are never taken. A message
    without such words gives a code only when it says little else (``"482913"``).
    Its time grows linearly with the length of the text.
    """
    if not text or not text.strip():
        return None
    plain = re.sub(r"[ \t\r\f\v\xa0]+", " ", _plain_text(text))
    # The keywords are found once; a candidate looks up its nearest ones by bisection.
    spans = [m.span() for m in _KEYWORDS.finditer(plain)]
    starts = [s for s, _ in spans]
    ends = [e for _, e in spans]
    other_text = len(re.sub(r"\s", "", plain))
    if not spans and other_text > _BARE_TEXT + 8:
        return None  # no keyword, and too much else said for a bare code
    best: float | None = None
    found: str | None = None
    for match in _RUN.finditer(plain):
        start, end = match.span()
        shape = _code_of(plain, start, end)
        if shape is None:
            continue
        code, split = shape
        if best is not None:
            if best >= _BEST_SCORE:
                break  # no later candidate can beat it: the earlier of equals wins
            # The best this candidate could score (see _score): skip it if that is no better.
            if 6.0 + (3.0 if len(code) == 6 else 1.0) - (1.0 if split else 0.0) <= best:
                continue
        i = bisect.bisect_right(ends, start) - 1
        near_before = start - ends[i] if i >= 0 and starts[i] >= start - _CONTEXT else None
        j = bisect.bisect_left(starts, end)
        near_after = starts[j] - end if j < len(starts) and ends[j] <= end + _CONTEXT else None
        score = _score(plain, start, end, code, split, near_before, near_after, other_text)
        # The earlier of two equal candidates wins: messages state the code first.
        if score is not None and (best is None or score > best):
            best, found = score, code
    return found


# --------------------------------------------------------------------------- secrets


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


# --------------------------------------------------------------------------- placeholders

_SECRET_PLACEHOLDER = re.compile(r"\{\{\s*secret:([A-Za-z0-9_.\-\[\]]+)\s*\}\}")


def _is_totp_secret_path(path: str) -> bool:
    last = re.split(r"[.\[\]]", path.rstrip("]"))[-1]
    return bool(_SECRET_KEYS.match(last))


def wants_code(action: Action) -> bool:
    """Whether the action types a one-time code: :data:`TOTP_PLACEHOLDER`, or the
    placeholder of a TOTP secret (the secret itself must never be typed, only its code)."""
    if not isinstance(action, InputTextAction):
        return False
    if TOTP_PLACEHOLDER in action.text:
        return True
    return any(_is_totp_secret_path(m.group(1)) for m in _SECRET_PLACEHOLDER.finditer(action.text))


def with_code(action: Action, code: str) -> Action:
    """A copy of ``action`` with the one-time code in place of its placeholders."""
    if not isinstance(action, InputTextAction):
        return action

    def secret(match: re.Match[str]) -> str:
        return code if _is_totp_secret_path(match.group(1)) else match.group(0)

    text = _SECRET_PLACEHOLDER.sub(secret, action.text.replace(TOTP_PLACEHOLDER, code))
    return action.model_copy(update={"text": text})


# --------------------------------------------------------------------------- pushed codes


def normalize_identifier(totp_identifier: str) -> str:
    """The form identifiers are stored and looked up in: trimmed, case-folded (e-mail
    addresses differ in case between senders)."""
    return totp_identifier.strip().casefold()


async def push_code(
    store: TotpStore,
    organization_id: str,
    totp_identifier: str,
    content: str,
    now: datetime | None = None,
    *,
    ttl: float = 600.0,
    task_id: str | None = None,
) -> datetime:
    """Store the one-time code found in ``content`` (a code, or a whole SMS or e-mail) for an
    identifier; it can be taken once until it expires, ``ttl`` seconds after ``now``
    (pass ``Settings.totp_code_ttl``). With ``task_id`` only that task can take it (two
    tasks waiting on one identifier then never take each other's code); without, any task
    of the organization waiting on the identifier can. Returns when it expires (not the
    code, so a caller cannot echo it by accident).

    Raises ``ValueError`` when ``content`` holds no code, or the identifier is empty.
    """
    identifier = normalize_identifier(totp_identifier or "")
    if not identifier:
        raise ValueError("totp_identifier must not be empty")
    code = extract_code(content or "")
    if code is None:
        raise ValueError(
            "no one-time code found in content (expected 4 to 8 digits, "
            "e.g. 'Your verification code is 123456')"
        )
    now = now or utcnow()
    stored = await store.add_totp_code(
        organization_id,
        identifier,
        code,
        now + timedelta(seconds=ttl),
        source_text_hash=hashlib.sha256(content.encode("utf-8")).hexdigest(),
        task_id=task_id,
    )
    return stored.expires_at


# --------------------------------------------------------------------------- resolver


def _shown(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


_CODE_VALUE = re.compile(r"[A-Za-z0-9]{4,12}")
_RETRY_STATUSES = frozenset({404, 408, 425, 429})
_ANSWER_BYTES = 64 * 1024  # a code comes in a few bytes; a larger answer is refused


class CodeStore(TotpStore, OrganizationStore, Protocol):
    """The parts of a store the resolver uses: pushed codes, and the organizations whose
    secrets sign a request to a task's ``totp_verification_url``."""


class TotpResolver:
    """Gets the one-time code a task needs now (see the module docstring for the ways).

    ``http`` is the client that asks ``totp_verification_url`` (default: one per call);
    ``secret_for_org`` looks up the secret that signs those requests, as for webhooks;
    ``clock`` is what the waits for pushed codes sleep on.
    """

    def __init__(
        self,
        store: CodeStore,
        settings: Settings,
        http: OutboundClient | None = None,
        *,
        secret_for_org: SecretLookup | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.store = store
        self.settings = settings
        self.http = http
        self.secret_for_org = secret_for_org
        self.clock = clock

    async def code_for(self, task: Task) -> str:
        """Return a one-time code for ``task``, waiting for one if it must.

        Raises :class:`~skyvern_core.errors.TOTPError` when the task has no way to get a
        code, its TOTP secret is unusable, or no code came within ``totp_timeout``.
        """
        request = task.request
        secret = find_totp_secret(request.navigation_payload)
        if secret is not None:
            try:
                return code_from_secret(secret)
            except ValueError as exc:
                raise TOTPError(
                    f"the TOTP secret in navigation_payload is unusable: {exc}"
                ) from None
        if request.totp_verification_url:
            return await self._from_url(task, request.totp_verification_url)
        if request.totp_identifier:
            return await self._from_store(task, request.totp_identifier)
        raise TOTPError(
            "the page asks for a one-time code, but the task has no totp_verification_url, "
            "no totp_identifier and no TOTP secret in navigation_payload"
        )

    async def _from_url(self, task: Task, url: str) -> str:
        secret = await signing_secret(
            self.store, self.settings, task.organization_id, self.secret_for_org
        )
        if secret is None:
            raise TOTPError(
                f"cannot ask {_shown(url)} for a verification code: no webhook signing secret "
                "configured to sign the request"
            )
        body = _json_body(
            {"task_id": task.task_id, "totp_identifier": task.request.totp_identifier}
        )
        timeout = self.settings.totp_timeout
        last = "no answer yet"
        async with self._client() as client:
            with anyio.move_on_after(timeout):
                while True:
                    try:
                        # The URL policy holds for the connection itself, at each ask.
                        response = await client.request(
                            "POST",
                            url,
                            content=body,
                            headers=signed_headers(secret, body),
                            time_limit=min(self.settings.webhook_timeout, timeout),
                            max_bytes=_ANSWER_BYTES,
                            field="totp_verification_url",
                        )
                    except UnresolvedHostError as exc:
                        last = str(exc)
                    except BlockedURLError as exc:
                        raise TOTPError(str(exc)) from exc
                    except OutboundError as exc:
                        last = str(exc)
                    else:
                        code, last = self._read_answer(url, response)
                        if code is not None:
                            log.info(
                                "task %s: got a verification code from %s",
                                task.task_id,
                                _shown(url),
                            )
                            return code
                    await anyio.sleep(self.settings.totp_poll_interval)
        raise TOTPError(
            f"no verification code from {_shown(url)} within {timeout:g} s (last answer: {last})"
        )

    def _read_answer(self, url: str, response: httpx.Response) -> tuple[str | None, str]:
        status = response.status_code
        if status != 200:
            if status in _RETRY_STATUSES or status >= 500:
                return None, f"HTTP {status}"
            raise TOTPError(
                f"{_shown(url)} refused the verification code request: HTTP {status} "
                f"{response.reason_phrase}".rstrip()
            )
        try:
            data = response.json()
        except ValueError:
            raise TOTPError(
                f"{_shown(url)} answered 200 without JSON; expected "
                '{"verification_code": "123456"}'
            ) from None
        value = data.get("verification_code") if isinstance(data, dict) else None
        if value is None or (isinstance(value, str) and not value.strip()):
            return None, "an empty verification_code"
        text = str(value).strip()
        if _CODE_VALUE.fullmatch(text):
            return text, "a code"
        code = extract_code(text)
        if code is None:
            raise TOTPError(f"{_shown(url)} answered a verification_code with no code in it")
        return code, "a code"

    def _client(self) -> contextlib.AbstractAsyncContextManager[OutboundClient]:
        if self.http is not None:
            return contextlib.nullcontext(self.http)  # the caller's client: not closed here
        return OutboundClient(self.settings)

    async def _from_store(self, task: Task, totp_identifier: str) -> str:
        identifier = normalize_identifier(totp_identifier)
        timeout = self.settings.totp_timeout
        deadline = self.clock.monotonic() + timeout
        while True:
            # A code pushed before the task was created cannot be meant for it.
            code = await self.store.take_totp_code(
                task.organization_id,
                identifier,
                self.clock.now(),
                not_before=task.created_at,
                task_id=task.task_id,
            )
            if code is not None:
                log.info("task %s: took a pushed one-time code", task.task_id)
                return code
            left = deadline - self.clock.monotonic()
            if left <= 0:
                break
            await self.clock.sleep(min(self.settings.totp_poll_interval, left))
        raise TOTPError(
            f"no one-time code was pushed for totp_identifier {totp_identifier!r} within "
            f"{timeout:g} s"
        )


def _json_body(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode("utf-8")
