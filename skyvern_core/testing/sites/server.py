"""A small HTTP server for the fixture websites, with a second origin for cross-origin frames.

:class:`FixtureSites` serves this folder twice, from two threaded stdlib servers:

- the main origin, ``http://127.0.0.1:<port>``, where every site lives;
- the other origin, ``http://127.0.0.2:<port>`` (or ``http://localhost:<port>`` where
  127.0.0.2 cannot be bound), which is a different *site* as well as a different origin, so
  Chromium puts its frames in another process, the way a Stripe card frame is.

Every POST either origin receives is recorded as a :class:`Submission` (path, fields,
uploaded file names and sizes), so a test asserts what the *site* got rather than what a
driver claims it typed. Some POST endpoints answer the way a real backend would: they issue a
reference (``JA-483920``), redirect to a confirmation page and render it from the submission.
Pages also call JSON APIs with GET (:data:`GET_ENDPOINTS`: a cart, an airport search); what
the bills, shop and travel sites' backends answer is in :mod:`.backends`.

The login site (``login/``, "Acme Bank") signs a user in with a password, then a 6-digit
one-time code. Its test users are :data:`LOGIN_USERS`; how the server checks a user's code
is set with :meth:`FixtureSites.expect_code` (a TOTP secret, or one fixed code).

Run ``python -m skyvern_core.testing.sites.server`` to browse the sites by hand.
"""

from __future__ import annotations

import email.parser
import email.policy
import hmac
import html
import http.cookies
import json
import mimetypes
import re
import secrets
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from skyvern_core.testing.sites import backends

__all__ = [
    "ENDPOINTS",
    "GET_ENDPOINTS",
    "LOGIN_USERS",
    "ROOT",
    "FixtureSites",
    "LoginUser",
    "Submission",
    "UploadedFile",
    "iter_sites",
]

ROOT = Path(__file__).resolve().parent
"""The folder served: one sub-folder per site."""

_PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z0-9_]+)\s*\}\}")


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file received in a multipart form: its name as sent, size and content type."""

    filename: str
    size: int
    content_type: str = "application/octet-stream"


@dataclass(slots=True)
class Submission:
    """One POST a fixture site received.

    ``fields`` keeps the first value of each form field (what a test nearly always wants);
    ``all_fields`` keeps every value, in order. ``origin`` is ``"main"`` or ``"other"``.
    ``reference`` is the number the site issued for it (confirmation, order, quote), if any.
    """

    path: str
    origin: str
    fields: dict[str, str] = field(default_factory=dict)
    all_fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    cookies: str = ""
    reference: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """How the server answers a POST to one path, beyond recording it."""

    prefix: str | None = None  # a reference number is issued with this prefix
    redirect: str | None = None  # then the browser is sent here (303) with ?ref=
    json_reply: Callable[[Submission, FixtureSites], dict[str, Any]] | None = None
    extras: Callable[[Submission, FixtureSites], dict[str, str]] | None = None
    # Decides where the browser goes next (and which cookies it gets), like a login backend.
    route: Callable[[Submission, FixtureSites], _Redirect] | None = None


@dataclass(frozen=True, slots=True)
class _Redirect:
    """A 303 answer chosen by an endpoint's ``route``: where to, and cookies to set."""

    location: str
    cookies: dict[str, str] = field(default_factory=dict)


def _insurance_price(sub: Submission, _sites: FixtureSites) -> dict[str, str]:
    """A deterministic premium, so the quote page shows a price that depends on the form."""
    f = sub.fields
    price = 780.0
    try:
        year = int(f.get("vehicle_year", "2015"))
    except ValueError:
        year = 2015
    price += max(0, year - 2010) * 21.5
    price += {"commute": 140.0, "business": 260.0}.get(f.get("usage", ""), 0.0)
    price *= {"basic": 0.8, "standard": 1.0, "premium": 1.35}.get(f.get("coverage", ""), 1.0)
    if f.get("roadside") == "yes":
        price += 48.0
    if f.get("rental") == "yes":
        price += 36.0
    return {"price": f"${price:,.2f}", "monthly": f"${price / 12:,.2f}"}


def _card_token(sub: Submission, sites: FixtureSites) -> dict[str, Any]:
    """The card frame's tokenization call: answer like a payment provider would."""
    digits = re.sub(r"\D", "", sub.fields.get("number", ""))
    if len(digits) < 13 or not _luhn_ok(digits):
        return {"error": {"message": "Your card number is invalid."}}
    token = "tok_" + secrets.token_hex(8)
    sub.reference = token
    sub.extra["last4"] = digits[-4:]
    return {"id": token, "card": {"last4": digits[-4:], "brand": _brand(digits)}}


def _order_extras(sub: Submission, sites: FixtureSites) -> dict[str, str]:
    """Resolve the card token the checkout page posted, as the shop's backend would."""
    token = sub.fields.get("card_token", "")
    card = next((s for s in sites.submissions if s.reference == token and token), None)
    last4 = card.extra.get("last4", "????") if card else "????"
    return {"last4": last4}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _brand(digits: str) -> str:
    return "Visa" if digits.startswith("4") else "Mastercard" if digits[0] == "5" else "Card"


# --------------------------------------------------------------------------- login site


@dataclass(frozen=True, slots=True)
class LoginUser:
    """A test account of the login site (Acme Bank).

    ``totp_secret`` is the account's authenticator secret (base32), used to check codes
    until a test calls :meth:`FixtureSites.expect_code`; ``code_boxes`` picks the 2FA page:
    six single-digit boxes instead of one code field.
    """

    username: str
    password: str
    name: str
    totp_secret: str
    code_boxes: bool = False


LOGIN_USERS: dict[str, LoginUser] = {
    user.username: user
    for user in (
        LoginUser(
            "ada.lovelace",
            "Analytical-Engine-1843",
            "Ada Lovelace",
            "MFRW2ZJNMJQW42ZNMFSGCLLUMVZXIIJB",
        ),
        LoginUser(
            "grace.hopper",
            "Harvard-Mark-I-1944",
            "Grace Hopper",
            "MFRW2ZJNMJQW42ZNM5ZGCY3FFV2GK43U",
            code_boxes=True,
        ),
    )
}
"""The login site's accounts (also listed in ``login/index.html``): ada.lovelace gets the
one-field 2FA page, grace.hopper the six-box one."""

_LOGIN_COOKIE = "acme_sid"
_LOGIN_AUTH = "acme_auth"
_TOTP_STEP = 30  # seconds; codes of the step before and after are accepted too (clock skew)


def _login_session(sub: Submission, sites: FixtureSites) -> _Redirect:
    """Step 1: check the password; a match opens a session that still needs the code."""
    user = LOGIN_USERS.get(sub.fields.get("username", "").strip().lower())
    password = sub.fields.get("password", "")
    if user is None or not hmac.compare_digest(password.encode(), user.password.encode()):
        sub.extra["result"] = "bad_credentials"
        return _Redirect("/login/?error=credentials")
    sid = secrets.token_urlsafe(16)
    with sites._lock:
        sites._login_sessions[sid] = user.username
    sub.extra.update(result="needs_code", username=user.username)
    page = "verify-boxes.html" if user.code_boxes else "verify.html"
    return _Redirect(f"/login/{page}", {_LOGIN_COOKIE: sid})


def _login_verify(sub: Submission, sites: FixtureSites) -> _Redirect:
    """Step 2: check the one-time code of the session's user; a match shows the account."""
    jar = http.cookies.SimpleCookie()
    try:
        jar.load(sub.cookies)
    except http.cookies.CookieError:
        pass
    sid = jar[_LOGIN_COOKIE].value if _LOGIN_COOKIE in jar else ""
    with sites._lock:
        username = sites._login_sessions.get(sid)
    if username is None:
        sub.extra["result"] = "no_session"
        return _Redirect("/login/?error=session")
    user = LOGIN_USERS[username]
    # One field posts "code"; the six boxes post six "digit" fields.
    code = sub.fields.get("code") or "".join(sub.all_fields.get("digit", []))
    code = re.sub(r"\s", "", code)
    sub.extra.update(username=username, code=code)
    page = "verify-boxes.html" if user.code_boxes else "verify.html"
    if not sites._code_is_valid(username, code):
        sub.extra["result"] = "bad_code"
        return _Redirect(f"/login/{page}?error=code")
    with sites._lock:
        sites._login_sessions.pop(sid, None)  # a session signs in once
    sub.reference = "SESS-" + str(secrets.randbelow(900000) + 100000)
    auth = secrets.token_urlsafe(16)
    with sites._lock:
        sites._login_signed_in[auth] = sub.reference
    account = "-".join(str(secrets.randbelow(9000) + 1000) for _ in range(3))
    sub.extra.update(
        result="signed_in",
        name=user.name,
        first_name=user.name.split()[0],
        account_number=account,
    )
    # Signed in: the browser keeps the bank's session cookie, and the sign-in page sends a
    # browser that has it straight to its accounts (no password, no code).
    return _Redirect(f"/login/account.html?ref={sub.reference}", {_LOGIN_AUTH: auth})


def _login_home(cookies: str, sites: FixtureSites) -> str | None:
    """The sign-in page, for a browser already signed in: where to send it instead."""
    jar = http.cookies.SimpleCookie()
    try:
        jar.load(cookies)
    except http.cookies.CookieError:
        return None
    auth = jar[_LOGIN_AUTH].value if _LOGIN_AUTH in jar else ""
    with sites._lock:
        ref = sites._login_signed_in.get(auth)
    return f"/login/account.html?ref={ref}" if ref else None


_CAPTCHA_PAGES = {
    "recaptcha_v2": "recaptcha.html",
    "recaptcha_v3": "recaptcha-v3.html",
    "hcaptcha": "hcaptcha.html",
    "turnstile": "turnstile.html",
    "image": "image.html",
}


def _captcha_check(sub: Submission, sites: FixtureSites) -> _Redirect:
    """The CAPTCHA pages' backend: a request goes through only with its challenge passed
    (see :mod:`skyvern_core.testing.captcha`), else back to its page with an error."""
    from skyvern_core.testing.captcha import check_submission

    kind = sub.fields.get("challenge", "")
    page = _CAPTCHA_PAGES.get(kind, "recaptcha.html")
    if not check_submission(kind, sub.fields):
        sub.extra["captcha"] = "failed"
        return _Redirect(f"/captcha/{page}?error=captcha")
    sub.extra["captcha"] = "passed"
    sub.reference = "CB-" + str(secrets.randbelow(900000) + 100000)
    return _Redirect(f"/captcha/done.html?ref={sub.reference}")


ENDPOINTS: dict[str, _Endpoint] = {
    "/jobs/apply": _Endpoint("JA-", "/jobs/confirmation.html"),
    "/shadow/register": _Endpoint("SR-", "/shadow/welcome.html"),
    "/checkout/tokens": _Endpoint(json_reply=_card_token),
    "/checkout/pay": _Endpoint("ORD-", "/checkout/complete.html", extras=_order_extras),
    "/cookies/subscribe": _Endpoint("NL-", "/cookies/thanks.html"),
    "/insurance/quote": _Endpoint("Q-", "/insurance/quote.html", extras=_insurance_price),
    "/legacy/submit": _Endpoint("REF", "/legacy/received.html"),
    "/widgets/book": _Endpoint("NW-", "/widgets/booked.html"),
    "/login/session": _Endpoint(route=_login_session),
    "/login/verify": _Endpoint(route=_login_verify),
    "/bills/pay": _Endpoint("PAY-", "/bills/paid.html", extras=backends.bill_payment),
    "/shop/api/cart": _Endpoint(json_reply=backends.cart_add),
    "/travel/book": _Endpoint("BK", "/travel/confirmation.html", extras=backends.travel_booking),
    "/permits/apply": _Endpoint("PP-", "/permits/confirmation.html"),
    "/captcha/submit": _Endpoint(route=_captcha_check),
}
"""POST endpoints with behaviour; a POST anywhere else is recorded and answered 204."""

GET_ENDPOINTS: dict[str, Callable[[dict[str, list[str]], str, FixtureSites], Any]] = {
    "/shop/api/cart": backends.cart_get,
    "/travel/api/cities": backends.cities,
    "/permits/api/zones": backends.zones,
}
"""JSON APIs the pages call with GET: ``(query, cookie header, sites) -> JSON value``."""

GET_REDIRECTS: dict[str, Callable[[str, FixtureSites], str | None]] = {
    "/login/": _login_home,
    "/login/index.html": _login_home,
}
"""Pages a server sends elsewhere by their cookies: ``(cookie header, sites) -> location``."""


class FixtureSites:
    """Serve the fixture websites on two local origins and record what they receive.

    Use as a context manager (or call :meth:`start` / :meth:`stop`)::

        with FixtureSites() as sites:
            page.goto(sites.url("jobs/"))
            ...
            assert sites.submissions[-1].fields["email"] == "ada@example.com"

    Starting takes a few milliseconds: two sockets and two threads.
    """

    def __init__(self, root: Path = ROOT, *, host: str = "127.0.0.1") -> None:
        self.root = root
        self.host = host
        self._lock = threading.Lock()
        self._submissions: list[Submission] = []
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self.main_origin = ""
        self.other_origin_base = ""
        self._login_sessions: dict[str, str] = {}  # session cookie -> username, before 2FA
        self._login_signed_in: dict[str, str] = {}  # auth cookie -> the sign-in's reference
        self._code_checks: dict[str, tuple[str, str]] = {}  # username -> ("code"|"secret", v)
        self._variants: dict[str, str] = {}  # site -> the sub-folder it is served from now

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FixtureSites:
        """Bind both origins on free ports and serve them from daemon threads."""
        if self._servers:
            return self
        main = self._serve(self.host, "main")
        self.main_origin = f"http://{self.host}:{main.server_address[1]}"
        # A second loopback address is another site to the browser (not merely another
        # port), which is what makes a card frame out-of-process like on a real shop.
        # macOS has no 127.0.0.2 by default: "localhost" is then a distinct site too.
        try:
            other = self._serve("127.0.0.2", "other")
            self.other_origin_base = f"http://127.0.0.2:{other.server_address[1]}"
        except OSError:
            other = self._serve(self.host, "other")
            self.other_origin_base = f"http://localhost:{other.server_address[1]}"
        return self

    def stop(self) -> None:
        """Shut both servers down and wait for their threads."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> FixtureSites:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, host: str, origin: str) -> _Server:
        handler = _make_handler(self, origin)
        server = _Server((host, 0), handler)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fixture-sites-{origin}",
            daemon=True,
        )
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        return server

    # ------------------------------------------------------------------ URLs

    def url(self, path: str = "") -> str:
        """The main-origin URL of ``path`` (e.g. ``"jobs/"``)."""
        return f"{self.main_origin}/{path.lstrip('/')}"

    def other_origin_url(self, path: str = "") -> str:
        """The URL of ``path`` on the second (cross-site) origin."""
        return f"{self.other_origin_base}/{path.lstrip('/')}"

    # ------------------------------------------------------------------ submissions

    @property
    def submissions(self) -> list[Submission]:
        """A copy of every POST received so far, oldest first."""
        with self._lock:
            return list(self._submissions)

    def submissions_to(self, path: str) -> list[Submission]:
        """The POSTs received at ``path`` (e.g. ``"/jobs/apply"``), oldest first."""
        return [s for s in self.submissions if s.path == path]

    def reset(self) -> None:
        """Forget every recorded submission."""
        with self._lock:
            self._submissions.clear()

    # ------------------------------------------------------------------ site variants

    def use_variant(self, site: str, variant: str | None) -> None:
        """Serve ``site`` as its ``variant`` from now on, at the same URLs, the way a real
        site changes overnight: the pages in the site's ``variant`` sub-folder (a
        redesign: ``permits/redesign``) replace the site's own, the others stay. None
        serves the site as it is again."""
        if variant is not None and not (self.root / site / variant).is_dir():
            raise KeyError(f"site {site!r} has no variant {variant!r}")
        with self._lock:
            if variant is None:
                self._variants.pop(site, None)
            else:
                self._variants[site] = variant

    def _variant_file(self, url_path: str) -> str | None:
        """The file of the site's current variant for ``url_path``, if it has one."""
        site, _, rest = url_path.lstrip("/").partition("/")
        with self._lock:
            variant = self._variants.get(site)
        if variant is None:
            return None
        candidate = (self.root / site / variant / (rest or "index.html")).resolve()
        inside = (self.root / site / variant).resolve() in candidate.parents
        return str(candidate) if inside and candidate.is_file() else None

    # ------------------------------------------------------------------ login site

    def expect_code(
        self, username: str, code: str | None = None, *, secret: str | None = None
    ) -> None:
        """Set how the login site checks the one-time code of ``username`` from now on.

        ``code``: only that code is accepted (like one texted to the user). ``secret``: the
        RFC 6238 code of that TOTP secret (base32 or ``otpauth://`` URI) is accepted, also
        the one of the 30-second step before or after. Neither: back to the account's own
        :attr:`LoginUser.totp_secret`. What the site received is in the ``/login/verify``
        submissions: ``extra["code"]`` and ``extra["result"]`` (``signed_in`` or
        ``bad_code``).
        """
        if username not in LOGIN_USERS:
            raise KeyError(f"no login site user {username!r}; see LOGIN_USERS")
        if code is not None and secret is not None:
            raise ValueError("give a code or a secret, not both")
        with self._lock:
            if code is not None:
                self._code_checks[username] = ("code", code)
            elif secret is not None:
                self._code_checks[username] = ("secret", secret)
            else:
                self._code_checks.pop(username, None)

    def _code_is_valid(self, username: str, code: str) -> bool:
        with self._lock:
            kind, value = self._code_checks.get(
                username, ("secret", LOGIN_USERS[username].totp_secret)
            )
        if not code:
            return False
        if kind == "code":
            return hmac.compare_digest(code.encode(), value.encode())
        # Imported here: the rest of the server needs nothing beyond the standard library.
        from skyvern_core.totp import code_from_secret

        now = time.time()
        return any(
            hmac.compare_digest(
                code.encode(), code_from_secret(value, now + k * _TOTP_STEP).encode()
            )
            for k in (-1, 0, 1)
        )

    def _record(self, submission: Submission) -> None:
        with self._lock:
            self._submissions.append(submission)

    def _by_reference(self, reference: str) -> Submission | None:
        with self._lock:
            return next((s for s in self._submissions if s.reference == reference), None)


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Parse an urlencoded, multipart or JSON body into fields and files."""
    fields: dict[str, list[str]] = {}
    files: dict[str, UploadedFile] = {}
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        # The email package parses MIME multipart bodies; cgi is gone from Python 3.13.
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            filename = part.get_filename()
            raw = part.get_payload(decode=True)
            payload = raw if isinstance(raw, bytes) else b""
            if filename is not None:
                # An empty file input still sends a part with filename="": not an upload.
                if filename or payload:
                    files[str(name)] = UploadedFile(
                        filename=filename,
                        size=len(payload),
                        content_type=part.get_content_type(),
                    )
                continue
            charset = part.get_content_charset() or "utf-8"
            fields.setdefault(str(name), []).append(payload.decode(charset, "replace"))
    elif ctype == "application/json":
        data = json.loads(body or b"{}")
        for key, value in data.items() if isinstance(data, dict) else []:
            fields.setdefault(str(key), []).append("" if value is None else str(value))
    else:
        for key, values in parse_qs(
            body.decode("utf-8", "replace"), keep_blank_values=True
        ).items():
            fields[key] = values
    return fields, files


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can take seconds on a
        # machine without DNS; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


def _make_handler(sites: FixtureSites, origin: str) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        """Static files, the config script, rendered confirmation pages and recorded POSTs."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(sites.root), **kwargs)

        def translate_path(self, path: str) -> str:
            """The file for a URL path: the site's current variant's, where it has one."""
            return sites._variant_file(urlsplit(path).path) or super().translate_path(path)

        # Quiet: test output should not fill with access logs.
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def end_headers(self) -> None:
            # Tests reload pages constantly; a cached page would hide a changed fixture.
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/favicon.ico":
                self._send(HTTPStatus.OK, b"", "image/x-icon")
                return
            if parts.path == "/__config.js":
                # Static pages learn the other origin from here (its port is chosen at start).
                config = {"mainOrigin": sites.main_origin, "otherOrigin": sites.other_origin_base}
                body = f"window.FIXTURE = {json.dumps(config)};\n".encode()
                self._send(HTTPStatus.OK, body, "text/javascript")
                return
            redirect = GET_REDIRECTS.get(parts.path)
            location = redirect(self.headers.get("Cookie", ""), sites) if redirect else None
            if location is not None:
                self.send_response(HTTPStatus.SEE_OTHER)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            query = parse_qs(parts.query)
            api = GET_ENDPOINTS.get(parts.path)
            if api is not None:
                reply = api(query, self.headers.get("Cookie", ""), sites)
                self._send(HTTPStatus.OK, json.dumps(reply).encode(), "application/json")
                return
            ref = (query.get("ref") or [""])[0]
            if ref and parts.path.endswith(".html"):
                self._render(parts.path, ref)
                return
            if "/downloads/" in parts.path:
                self._download(parts.path)
                return
            super().do_GET()

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fields, files = _parse_body(self.headers.get("Content-Type", ""), body)
            endpoint = ENDPOINTS.get(parts.path, _Endpoint())
            sub = Submission(
                path=parts.path,
                origin=origin,
                fields={k: v[0] for k, v in fields.items()},
                all_fields=fields,
                files=files,
                cookies=self.headers.get("Cookie", ""),
            )
            if endpoint.prefix:
                sub.reference = endpoint.prefix + str(secrets.randbelow(900000) + 100000)
            if endpoint.extras:
                sub.extra.update(endpoint.extras(sub, sites))
            reply = endpoint.json_reply(sub, sites) if endpoint.json_reply else None
            go = endpoint.route(sub, sites) if endpoint.route else None
            sites._record(sub)
            if go is not None:
                self.send_response(HTTPStatus.SEE_OTHER)
                self.send_header("Location", go.location)
                for name, value in go.cookies.items():
                    self.send_header(
                        "Set-Cookie", f"{name}={value}; Path=/; HttpOnly; SameSite=Lax"
                    )
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif reply is not None:
                status = HTTPStatus.PAYMENT_REQUIRED if "error" in reply else HTTPStatus.OK
                self._send(status, json.dumps(reply).encode(), "application/json")
            elif endpoint.redirect:
                # Post/Redirect/Get, like a real backend: reloading the result page is safe.
                self.send_response(HTTPStatus.SEE_OTHER)
                self.send_header("Location", f"{endpoint.redirect}?ref={sub.reference}")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._send(HTTPStatus.NO_CONTENT, b"", "text/plain")

        def _render(self, path: str, ref: str) -> None:
            """Serve an HTML template with ``{{ field }}`` filled from the submission."""
            file = (sites.root / path.lstrip("/")).resolve()
            sub = sites._by_reference(ref)
            if sites.root not in file.parents or not file.is_file() or sub is None:
                self._send(HTTPStatus.NOT_FOUND, b"<h1>Not found</h1>", "text/html")
                return
            values = {**sub.fields, **sub.extra, "reference": sub.reference or ""}
            text = _PLACEHOLDER.sub(
                lambda m: html.escape(values.get(m.group(1), "")), file.read_text("utf-8")
            )
            self._send(HTTPStatus.OK, text.encode(), "text/html; charset=utf-8")

        def _download(self, path: str) -> None:
            """Files under a downloads/ folder are sent as attachments, not shown."""
            file = (sites.root / path.lstrip("/")).resolve()
            if sites.root not in file.parents or not file.is_file():
                self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
                return
            data = file.read_bytes()
            ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Disposition", f'attachment; filename="{file.name}"')
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send(self, status: HTTPStatus, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

    return Handler


def iter_sites() -> Iterator[str]:
    """The names of the fixture sites (the folders holding an index.html)."""
    for child in sorted(ROOT.iterdir()):
        if (child / "index.html").is_file():
            yield child.name


if __name__ == "__main__":
    import time

    with FixtureSites() as running:
        print(f"main origin:  {running.url()}")
        print(f"other origin: {running.other_origin_url()}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
