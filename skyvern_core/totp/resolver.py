"""Pushed codes and the resolver that gets a task its code: from a secret, a URL or the store."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
from datetime import datetime, timedelta
from typing import Any, Protocol

import anyio
import httpx

from skyvern_core.clock import SYSTEM_CLOCK, Clock
from skyvern_core.config import Settings
from skyvern_core.errors import TOTPError
from skyvern_core.models import Task, utcnow
from skyvern_core.netpolicy import BlockedURLError, UnresolvedHostError
from skyvern_core.outbound import OutboundClient, OutboundError, shown_url
from skyvern_core.storage import OrganizationStore, TotpStore
from skyvern_core.totp.extract import extract_code
from skyvern_core.totp.generate import code_from_secret, find_totp_secret
from skyvern_core.webhooks import SecretLookup, signed_headers, signing_secret

__all__ = [
    "CodeStore",
    "TotpResolver",
    "normalize_identifier",
    "push_code",
]


log = logging.getLogger(__name__)
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


_CODE_VALUE = re.compile(r"[A-Za-z0-9]{4,12}")
_RETRY_STATUSES = frozenset({404, 408, 425, 429})
_ANSWER_BYTES = 64 * 1024  # a code comes in a few bytes; a larger answer is refused


class CodeStore(TotpStore, OrganizationStore, Protocol):
    """The parts of a store the resolver uses: pushed codes, and the organizations whose
    secrets sign a request to a task's ``totp_verification_url``."""


class TotpResolver:
    """Gets the one-time code a task needs now (see ``skyvern_core.totp`` for the ways).

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
                f"cannot ask {shown_url(url)} for a verification code: no webhook signing secret "
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
                                shown_url(url),
                            )
                            return code
                    await anyio.sleep(self.settings.totp_poll_interval)
        raise TOTPError(
            f"no verification code from {shown_url(url)} within {timeout:g} s (last answer: {last})"
        )

    def _read_answer(self, url: str, response: httpx.Response) -> tuple[str | None, str]:
        status = response.status_code
        if status != 200:
            if status in _RETRY_STATUSES or status >= 500:
                return None, f"HTTP {status}"
            raise TOTPError(
                f"{shown_url(url)} refused the verification code request: HTTP {status} "
                f"{response.reason_phrase}".rstrip()
            )
        try:
            data = response.json()
        except ValueError:
            raise TOTPError(
                f"{shown_url(url)} answered 200 without JSON; expected "
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
            raise TOTPError(f"{shown_url(url)} answered a verification_code with no code in it")
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
