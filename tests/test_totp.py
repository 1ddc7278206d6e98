"""One-time codes: read from messages, generated from secrets, fetched and pushed for tasks."""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pyotp
import pytest

from skyvern_core import ids
from skyvern_core.config import Settings
from skyvern_core.errors import TOTPError
from skyvern_core.models import (
    ClickAction,
    InputTextAction,
    Organization,
    Task,
    TaskRequest,
    TaskStatus,
    utcnow,
)
from skyvern_core.protocols import Store
from skyvern_core.testing.memory_store import MemoryStore
from skyvern_core.totp import (
    TOTP_PLACEHOLDER,
    TotpResolver,
    code_from_secret,
    extract_code,
    find_totp_secret,
    push_code,
    wants_code,
    with_code,
)
from skyvern_core.webhooks import verify

SECRET = "whsec-totp-test"

# --------------------------------------------------------------------------- extract_code

HTML_MAIL = """<!DOCTYPE html>
<html><head><style>
  .code { font-size: 32px; color: #333333; letter-spacing: 4px }
  td { padding: 24px }
</style></head>
<body><table width="600" cellpadding="0"><tr><td>
  <p>Hi Ada,</p>
  <p>Use the following code to finish signing in to Acme:</p>
  <div class="code" style="background:#f4f4f4">640215</div>
  <p>This code expires in 15 minutes. If you didn&rsquo;t try to sign in, ignore this e-mail.</p>
  <p style="color:#999999">&copy; 2024 Acme, Inc. &middot; 1 Market St, San Francisco, CA 94105</p>
</td></tr></table></body></html>"""

MESSAGES = [
    ("Your verification code is 123456. It expires in 10 minutes.", "123456"),
    ("G-123456 is your Google verification code.", "123456"),
    ("<#> 482913 is your Amazon OTP. Do not share it with anyone.\nFA+9qCX9VSu", "482913"),
    (
        "Your Microsoft account security code is 7391. If you didn't request it, "
        "call +1 (800) 642-7676.",
        "7391",
    ),
    (
        "Use 12345678 as your one-time passcode for Acme Bank. Never share this code. "
        "Reply STOP to 55512 to opt out.",
        "12345678",
    ),
    (HTML_MAIL, "640215"),
    ("Your login code for Slack is 482-913", "482913"),
    (
        "Dear customer, your OTP for the transaction of INR 5,000.00 at AMAZON on 12/05/2024 "
        "is 847261. Valid for 5 mins. Do not share it with anyone.",
        "847261",
    ),
    ("Código de verificación: 5309. No lo compartas.", "5309"),
    ("Acme: 918273 is your security code. Don't share it.", "918273"),
    (
        "Subject: Order #100234 confirmed\n\nHi Ada,\nYour sign-in code is 552901\n"
        "Sent on March 3, 2024 at 10:45.",
        "552901",
    ),
    ("Your PayPal code is 004217. Don't share it with anyone.", "004217"),
    ("482913", "482913"),
]

NO_CODE = [
    "",
    "   ",
    "Your order #48213 has shipped and will arrive on 2024-05-07. Total: $1234.56",
    "Call me back at 415-555-8888 tomorrow at 10:30.",
    "Meeting moved to 3pm, room 4120, see you there.",
    "Your verification code has expired. Please request a new one.",
    "Your statement for account ending 4821 is ready. Balance: $2,310.55 due 06/15/2024.",
    "Happy new year 2025 from all of us at Acme!",
    "Your parcel ships to 1 Market St, San Francisco, ZIP code 94105, on Monday.",
]


@pytest.mark.parametrize(("text", "code"), MESSAGES, ids=lambda v: str(v)[:30])
def test_extract_code_finds_the_code(text: str, code: str) -> None:
    assert extract_code(text) == code


@pytest.mark.parametrize("text", NO_CODE)
def test_extract_code_finds_nothing_where_there_is_no_code(text: str) -> None:
    assert extract_code(text) is None


MEGABYTE = 1_000_000
# Messages of about a megabyte (the largest request body the API takes) shaped to make a
# finder rescan the text from each of many places: numbers and keywords everywhere, numbers
# far from any keyword, tags, scripts and comments that never close.
HUGE = {
    "codes and keywords": ("verification code 12345, " * 45_000, "12345"),
    "references": ("Order no. 123456 code " * 45_000, "123456"),
    "numbers far from a keyword": ("code" + "x" * 300 + " 123456 y" * 111_000, None),
    "numbers without keywords": ("123456 x " * 111_000, None),
    "unclosed tags": ("<div>code 482913 " + "<a" * 500_000, "482913"),
    "unclosed scripts": ("<html><body>code 482913 " + "<script>x" * 110_000, "482913"),
    "unclosed comments": ("<html><body>code 482913 " + "<!--" * 250_000, "482913"),
}


@pytest.mark.parametrize("name", list(HUGE))
def test_extract_code_reads_a_megabyte_in_well_under_a_second(name: str) -> None:
    """The finder runs on the API's event loop: its work must grow linearly with the text
    (the quadratic one took 1.9 s on 56 KB; a megabyte would have taken hours). The work is
    counted as this thread's CPU time, which other processes on the machine do not inflate."""
    text, expected = HUGE[name]
    text = text[:MEGABYTE]
    started = time.thread_time()
    found = extract_code(text)
    spent = time.thread_time() - started
    assert spent < 1.0, f"{name}: {spent:.2f} s of CPU for {len(text)} characters"
    if expected is not None or "unclosed" not in name:
        assert found == expected


# --------------------------------------------------------------------------- secrets


def _rfc6238(key: bytes, at: int, digits: int = 6, digest: Any = hashlib.sha1) -> str:
    """The RFC's reference algorithm, written out independently of pyotp."""
    mac = hmac.new(key, struct.pack(">Q", at // 30), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def test_code_from_secret_matches_pyotp() -> None:
    secret = pyotp.random_base32()
    for at in (59, 1_111_111_109, 1_700_000_000, int(time.time())):
        assert code_from_secret(secret, at) == pyotp.TOTP(secret).at(at)
    moment = datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)
    assert code_from_secret(secret, moment) == pyotp.TOTP(secret).at(moment)
    # As people copy secrets: lower case, in groups of four.
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)).lower()
    assert code_from_secret(spaced, 59) == pyotp.TOTP(secret).at(59)
    now = pyotp.TOTP(secret)
    assert code_from_secret(secret) in {now.at(time.time() - 1), now.at(time.time())}


def test_code_from_an_otpauth_uri() -> None:
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret, digits=8, interval=60, digest=hashlib.sha256).provisioning_uri(
        name="ada@example.com", issuer_name="Acme Corp"
    )
    assert uri.startswith("otpauth://totp/")
    reference = pyotp.parse_uri(uri)
    assert isinstance(reference, pyotp.TOTP)
    for at in (59, 1_700_000_000):
        assert code_from_secret(uri, at) == reference.at(at)
        assert len(code_from_secret(uri, at)) == 8


def test_rfc_6238_vectors() -> None:
    seed = base32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
    uri = f"otpauth://totp/RFC?secret={seed}&digits=8"
    assert [code_from_secret(uri, t) for t in (59, 1111111109, 1234567890, 2000000000)] == [
        "94287082",
        "07081804",
        "89005924",
        "69279037",
    ]
    assert code_from_secret(base32, 59) == "287082"


def test_common_80_bit_secrets_work() -> None:
    # Many sites hand out 16-character secrets; pyotp alone refuses them.
    secret = "JBSWY3DPEHPK3PXP"
    key = bytes.fromhex("48656c6c6f21deadbeef")
    for at in (59, 1_700_000_000):
        assert code_from_secret(secret, at) == _rfc6238(key, at)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not base32 at all!", "not valid base32"),
        ("", "empty"),
        ("MFRGG===", "too short"),
        ("otpauth://hotp/Acme:ada?secret=JBSWY3DPEHPK3PXP&counter=1", "otpauth://totp/"),
        ("otpauth://totp/Acme:ada?issuer=Acme", "no secret"),
        ("otpauth://totp/Acme:ada?secret=JBSWY3DPEHPK3PXP&digits=4", "4 digits"),
        ("otpauth://totp/Acme:ada?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", "MD5"),
    ],
)
def test_unusable_secrets_say_why_without_the_secret(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        code_from_secret(value)
    assert "JBSWY3DPEHPK3PXP" not in str(info.value)


def test_find_totp_secret_in_navigation_payload() -> None:
    uri = "otpauth://totp/Acme:ada?secret=JBSWY3DPEHPK3PXP"
    assert find_totp_secret({"email": "ada@example.com", "totp_secret": "ABC"}) == "ABC"
    assert find_totp_secret({"login": {"MFA_Secret": {"$secret": "XYZ"}}}) == "XYZ"
    assert find_totp_secret({"2fa-secret": "Q"}) == "Q"
    assert find_totp_secret({"accounts": [{"name": "Acme", "authenticator": uri}]}) == uri
    assert find_totp_secret({"password": "hunter2", "otp": "123456"}) is None
    assert find_totp_secret(None) is None
    assert find_totp_secret("otpauth is not a dict") is None


# --------------------------------------------------------------------------- placeholders


def test_the_planner_types_a_placeholder_and_the_runner_the_code() -> None:
    action = InputTextAction(element_id="e4", text=TOTP_PLACEHOLDER)
    assert wants_code(action)
    assert with_code(action, "482913") == InputTextAction(element_id="e4", text="482913")
    # A model typing the secret's placeholder gets the code typed, never the secret.
    typed_secret = InputTextAction(element_id="e4", text="{{secret:login.totp_secret}}")
    assert wants_code(typed_secret)
    assert with_code(typed_secret, "482913") == InputTextAction(element_id="e4", text="482913")
    other = InputTextAction(element_id="e5", text="{{secret:password}}")
    assert not wants_code(other)
    assert with_code(other, "482913") == other
    assert not wants_code(ClickAction(element_id="e6"))


# --------------------------------------------------------------------------- resolving


class CodeServer:
    """A real HTTP server on 127.0.0.1 that plays a customer's totp_verification_url: it
    answers with the scripted JSON bodies in turn (the last one repeats)."""

    def __init__(self, *answers: tuple[int, Any]) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[dict[str, str], bytes, float]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                server.requests.append((dict(self.headers.items()), body, time.time()))
                status, answer = server.answers[min(len(server.requests), len(server.answers)) - 1]
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/two_factor_code?key=s3cr3t-query"

    def __enter__(self) -> CodeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "webhook_secret": SECRET,
        "totp_poll_interval": 0.02,
        "totp_timeout": 5.0,
    }
    return Settings(**(values | overrides))


@pytest.fixture
async def store() -> AsyncIterator[MemoryStore]:
    store = MemoryStore()
    await store.open()
    yield store
    await store.close()


async def _task(store: Store, **request: Any) -> Task:
    org = await store.get_or_create_organization("Acme")
    task = Task(
        task_id=ids.new_id("task"),
        organization_id=org.organization_id,
        status=TaskStatus.running,
        request=TaskRequest(
            url="https://bank.example.com/login", navigation_goal="Log in", **request
        ),
        max_steps=10,
    )
    return await store.create_task(task)


async def test_a_secret_in_the_payload_makes_the_code(store: MemoryStore, tmp_path: Path) -> None:
    secret = pyotp.random_base32()
    task = await _task(store, navigation_payload={"user": "ada", "totp_secret": secret})
    before = pyotp.TOTP(secret).now()
    code = await TotpResolver(store, _settings(tmp_path)).code_for(task)
    assert code in {before, pyotp.TOTP(secret).now()}


async def test_an_unusable_secret_fails_clearly(store: MemoryStore, tmp_path: Path) -> None:
    task = await _task(store, navigation_payload={"otp_secret": "not base32!"})
    with pytest.raises(TOTPError, match="TOTP secret in navigation_payload is unusable"):
        await TotpResolver(store, _settings(tmp_path)).code_for(task)


async def test_the_verification_url_is_asked_until_it_has_a_code(
    store: MemoryStore, tmp_path: Path
) -> None:
    answers: tuple[tuple[int, Any], ...] = (
        (200, {"verification_code": ""}),
        (200, {}),
        (503, {"detail": "busy"}),
        (200, {"verification_code": "482913"}),
    )
    with CodeServer(*answers) as server:
        task = await _task(
            store, totp_verification_url=server.url, totp_identifier="ada@example.com"
        )
        resolver = TotpResolver(store, _settings(tmp_path))
        assert await resolver.code_for(task) == "482913"
    assert len(server.requests) == 4
    for headers, body, received_at in server.requests:
        verify(SECRET, headers, body, now=received_at)  # signed like a webhook
        assert headers["content-type"] == "application/json"
        assert json.loads(body) == {"task_id": task.task_id, "totp_identifier": "ada@example.com"}


async def test_the_verification_url_may_answer_with_the_whole_message(
    store: MemoryStore, tmp_path: Path
) -> None:
    sms = "Your Acme verification code is 771205. It expires in 10 minutes."
    with CodeServer((200, {"verification_code": sms})) as server:
        task = await _task(store, totp_verification_url=server.url)
        assert await TotpResolver(store, _settings(tmp_path)).code_for(task) == "771205"
    assert json.loads(server.requests[0][1]) == {"task_id": task.task_id, "totp_identifier": None}


async def test_the_verification_url_times_out(store: MemoryStore, tmp_path: Path) -> None:
    with CodeServer((200, {"verification_code": None})) as server:
        task = await _task(store, totp_verification_url=server.url)
        resolver = TotpResolver(store, _settings(tmp_path, totp_timeout=0.3))
        started = time.monotonic()
        with pytest.raises(TOTPError) as info:
            await resolver.code_for(task)
        assert time.monotonic() - started < 10
    host, port = server.httpd.server_address[:2]
    assert str(info.value) == (
        f"no verification code from http://{host!s}:{port}/two_factor_code within 0.3 s "
        "(last answer: an empty verification_code)"
    )
    assert "s3cr3t-query" not in str(info.value)
    assert len(server.requests) >= 2


async def test_a_refusing_verification_url_fails_at_once(
    store: MemoryStore, tmp_path: Path
) -> None:
    with CodeServer((403, {"detail": "bad signature"})) as server:
        task = await _task(store, totp_verification_url=server.url)
        with pytest.raises(TOTPError, match="refused the verification code request: HTTP 403"):
            await TotpResolver(store, _settings(tmp_path)).code_for(task)
    assert len(server.requests) == 1


async def test_the_verification_url_is_not_asked_unsigned(
    store: MemoryStore, tmp_path: Path
) -> None:
    with CodeServer((200, {"verification_code": "123456"})) as server:
        task = await _task(store, totp_verification_url=server.url)
        resolver = TotpResolver(store, _settings(tmp_path, webhook_secret=None))
        with pytest.raises(TOTPError, match="no webhook signing secret configured"):
            await resolver.code_for(task)
    assert server.requests == []


async def test_a_pushed_code_is_taken_once(store: MemoryStore, tmp_path: Path) -> None:
    task = await _task(store, totp_identifier="Ada@Example.com")
    sms = "Acme Bank: 902817 is your verification code. It expires in 10 minutes."
    before = utcnow()
    expires_at = await push_code(store, task.organization_id, "ada@example.com ", sms)
    assert before + timedelta(minutes=10) <= expires_at <= utcnow() + timedelta(minutes=10)
    resolver = TotpResolver(store, _settings(tmp_path, totp_timeout=0.2))
    assert await resolver.code_for(task) == "902817"
    with pytest.raises(TOTPError, match="no one-time code was pushed for totp_identifier"):
        await resolver.code_for(task)  # used once: not given again
    assert await store.take_totp_code(task.organization_id, "ada@example.com", utcnow()) is None


async def test_the_resolver_waits_for_a_code_to_be_pushed(
    store: MemoryStore, tmp_path: Path
) -> None:
    task = await _task(store, totp_identifier="4155558888")
    resolver = TotpResolver(store, _settings(tmp_path))
    got: list[str] = []

    async def wait_for_code() -> None:
        got.append(await resolver.code_for(task))

    async with anyio.create_task_group() as group:
        group.start_soon(wait_for_code)
        await anyio.sleep(0.1)
        assert got == []
        await push_code(store, task.organization_id, "4155558888", "Your code: 3141")
    assert got == ["3141"]


async def test_an_expired_code_is_not_given(store: MemoryStore, tmp_path: Path) -> None:
    task = await _task(store, totp_identifier="ada@example.com")
    eleven_minutes_ago = utcnow() - timedelta(minutes=11)
    await push_code(
        store, task.organization_id, "ada@example.com", "Code 123456", now=eleven_minutes_ago
    )
    resolver = TotpResolver(store, _settings(tmp_path, totp_timeout=0.1))
    with pytest.raises(TOTPError):
        await resolver.code_for(task)
    # A shorter life, as a deployment may configure it.
    await push_code(store, task.organization_id, "ada@example.com", "Code 654321", ttl=0.05)
    await anyio.sleep(0.1)
    assert await store.take_totp_code(task.organization_id, "ada@example.com", utcnow()) is None


async def test_push_code_needs_a_code(store: MemoryStore) -> None:
    org = await store.create_organization(
        Organization(organization_id=ids.new_id("organization"), name="Globex")
    )
    with pytest.raises(ValueError, match="no one-time code found in content"):
        await push_code(store, org.organization_id, "ada@example.com", "Hello, how are you?")
    with pytest.raises(ValueError, match="totp_identifier"):
        await push_code(store, org.organization_id, "  ", "Your code is 123456")


async def test_a_task_with_no_way_to_get_a_code(store: MemoryStore, tmp_path: Path) -> None:
    task = await _task(store, navigation_payload={"user": "ada"})
    with pytest.raises(TOTPError, match="no totp_verification_url, no totp_identifier"):
        await TotpResolver(store, _settings(tmp_path)).code_for(task)


async def test_codes_and_secrets_are_not_logged(
    store: MemoryStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    secret = pyotp.random_base32()
    task = await _task(store, navigation_payload={"mfa_secret": secret}, totp_identifier="ada")
    code = await TotpResolver(store, _settings(tmp_path)).code_for(task)
    await push_code(store, task.organization_id, "ada", "Your code is 246810")
    pushed = await TotpResolver(store, _settings(tmp_path)).code_for(
        task.model_copy(
            update={"request": task.request.model_copy(update={"navigation_payload": None})}
        )
    )
    assert pushed == "246810"
    for value in (secret, code, pushed):
        assert value not in caplog.text


async def test_a_verification_url_the_deployment_refuses_is_not_asked(
    store: MemoryStore, tmp_path: Path
) -> None:
    with CodeServer((200, {"verification_code": "123456"})) as server:
        task = await _task(store, totp_verification_url=server.url)
        resolver = TotpResolver(store, _settings(tmp_path, refuse_private_networks=True))
        with pytest.raises(TOTPError, match="an address this deployment refuses"):
            await resolver.code_for(task)
    assert server.requests == []
