"""A fake CAPTCHA solver, and the tokens of the fixture site's challenges.

The fixture site's ``captcha/`` pages carry widgets that behave like the real ones: a
reCAPTCHA v2, hCaptcha or Turnstile box whose "I'm not a robot" check opens a picture
puzzle no planner passes, a hidden response field and a ``data-callback`` the widget calls
with its token; the site's backend accepts a form only with a token valid for its own site
key (as a real backend asks the provider's verify endpoint), and an image challenge only
with the characters its picture shows. :class:`FakeCaptchaSolver` answers them the way a
solving service would: a token made for the challenge's site key
(``fixture_token``), or the characters read from the picture.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from skyvern_core.captcha import CaptchaKind, CaptchaSolution, Challenge
from skyvern_core.models import PageState

__all__ = [
    "FIXTURE_SITEKEYS",
    "IMAGE_TEXT",
    "FakeCaptchaSolver",
    "check_submission",
    "fixture_token",
]

_SECRET = b"skyvern-core fixture CAPTCHA provider"

FIXTURE_SITEKEYS: dict[str, str] = {
    CaptchaKind.recaptcha_v2.value: "6LcFixtureRecaptchaV2SiteKey00000000000",
    CaptchaKind.recaptcha_v3.value: "6LcFixtureRecaptchaV3SiteKey00000000000",
    CaptchaKind.hcaptcha.value: "10000000-fixture-hcaptcha-sitekey-0001",
    CaptchaKind.turnstile.value: "0x4AAAAAAAFixtureTurnstileKey",
}
"""The site key of each widget on the fixture pages."""

IMAGE_TEXT = "K7WQ2"
"""The characters the fixture image challenge (``captcha/challenge.svg``) shows."""

_RESPONSE_FIELDS = {
    CaptchaKind.recaptcha_v2.value: "g-recaptcha-response",
    CaptchaKind.recaptcha_v3.value: "g-recaptcha-response",
    CaptchaKind.hcaptcha.value: "h-captcha-response",
    CaptchaKind.turnstile.value: "cf-turnstile-response",
}


def fixture_token(kind: str, sitekey: str) -> str:
    """The token the fixture provider issues for a passed ``kind`` challenge of
    ``sitekey`` (a solving service's answer)."""
    digest = hmac.new(_SECRET, f"{kind}|{sitekey}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}.{digest[:48]}"


def check_submission(kind: str, fields: dict[str, str]) -> bool:
    """Whether a form posted by a fixture page passed its challenge, as the site's backend
    decides: a token valid for the page's site key, the picture's characters, or (for the
    score-based reCAPTCHA v3) any token the page's own script issued."""
    if kind == CaptchaKind.image.value:
        return fields.get("captcha", "").strip().upper() == IMAGE_TEXT
    name = _RESPONSE_FIELDS.get(kind)
    if name is None:
        return False
    token = fields.get(name, "")
    if kind == CaptchaKind.recaptcha_v3.value:
        return token.startswith("v3.")
    expected = fixture_token(kind, FIXTURE_SITEKEYS[kind])
    return hmac.compare_digest(token.encode(), expected.encode())


def _read_svg_text(data: bytes) -> str | None:
    """The characters of an SVG picture's ``<text>`` elements, left to right."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    glyphs = re.findall(r"<text\b[^>]*\bx=\"([\d.]+)\"[^>]*>([^<]+)</text>", text)
    if not glyphs:
        return None
    return "".join(g for _, g in sorted(glyphs, key=lambda item: float(item[0]))).strip()


class FakeCaptchaSolver:
    """Answers challenges like a solving service, for tests: a token for the challenge's
    site key (``fixture_token``), or the characters of an SVG picture.

    ``calls`` keeps every challenge it was given. ``wrong=True`` answers with tokens and
    texts the fixture site refuses (to test a solver that fails); ``kinds`` limits what it
    takes.
    """

    def __init__(self, *, wrong: bool = False, kinds: set[CaptchaKind] | None = None) -> None:
        self.wrong = wrong
        self.kinds = kinds
        self.calls: list[Challenge] = []

    async def solve(self, page: PageState, challenge: Challenge) -> CaptchaSolution:
        """A token or text for ``challenge``; raises ``ValueError`` when there is nothing to
        read (an image that is not SVG, a widget without a site key)."""
        self.calls.append(challenge)
        if challenge.kind is CaptchaKind.image:
            read = _read_svg_text(challenge.image or b"")
            if read is None:
                raise ValueError("the challenge's picture could not be read")
            return CaptchaSolution(text="XXXXX" if self.wrong else read)
        if not challenge.sitekey:
            raise ValueError(f"the {challenge.kind.label} widget has no site key")
        token = fixture_token(challenge.kind.value, challenge.sitekey)
        return CaptchaSolution(token=token[::-1] if self.wrong else token)
