"""What a CAPTCHA solver is given and answers: the challenge on a page, the solution."""

from __future__ import annotations

import base64
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field, model_validator

from skyvern_core.models import PageState

__all__ = [
    "CaptchaKind",
    "CaptchaSolution",
    "CaptchaSolver",
    "Challenge",
]


class CaptchaKind(StrEnum):
    """The challenges the page view detects."""

    recaptcha_v2 = "recaptcha_v2"
    recaptcha_v3 = "recaptcha_v3"
    hcaptcha = "hcaptcha"
    turnstile = "turnstile"
    image = "image"

    @property
    def label(self) -> str:
        """The challenge's name for people (in failure reasons)."""
        return {
            "recaptcha_v2": "reCAPTCHA v2",
            "recaptcha_v3": "reCAPTCHA v3",
            "hcaptcha": "hCaptcha",
            "turnstile": "Cloudflare Turnstile",
            "image": "image CAPTCHA",
        }[self.value]

    @property
    def blocking(self) -> bool:
        """Whether the page waits for a person to pass it (reCAPTCHA v3 does not, since it
        scores the visit in the background and the site decides on its own)."""
        return self is not CaptchaKind.recaptcha_v3


class Challenge(BaseModel):
    """One challenge found on a page by the detection script
    (:data:`~skyvern_core.captcha.guard.DETECT_SCRIPT`)."""

    kind: CaptchaKind
    page_url: str = Field(description="The page the challenge is on.")
    sitekey: str | None = Field(
        default=None, description="The widget's public site key (what solving services take)."
    )
    response_field: str | None = Field(
        default=None,
        description="The form field the widget puts its token in (g-recaptcha-response, ...).",
    )
    callback: str | None = Field(
        default=None, description="The page's function the widget calls with its token."
    )
    solved: bool = Field(default=False, description="Whether the page already holds an answer.")
    visible: bool = True
    image: bytes | None = Field(
        default=None, repr=False, description="An image challenge's picture, as served."
    )
    image_type: str | None = None
    image_src: str | None = None
    input_name: str | None = Field(
        default=None, description="An image challenge's answer field (its name)."
    )
    input_id: str | None = None

    @property
    def key(self) -> str:
        """What tells this challenge from another on the same task (kind and site key, or
        the image's address)."""
        return f"{self.kind.value}|{self.sitekey or self.image_src or ''}"

    def describe(self) -> str:
        """The challenge in words: ``reCAPTCHA v2 (site key 6Lc...)``."""
        if self.sitekey:
            return f"{self.kind.label} (site key {self.sitekey})"
        return self.kind.label

    @classmethod
    def from_script(cls, item: dict[str, Any], page_url: str) -> Challenge:
        """A challenge from one item of the detection script's answer."""
        image = item.get("imageBase64")
        return cls(
            kind=CaptchaKind(item["kind"]),
            page_url=page_url,
            sitekey=item.get("sitekey"),
            response_field=item.get("responseField"),
            callback=item.get("callback"),
            solved=bool(item.get("solved")),
            visible=bool(item.get("visible", True)),
            image=base64.b64decode(image) if image else None,
            image_type=item.get("imageType"),
            image_src=item.get("imageSrc"),
            input_name=item.get("inputName"),
            input_id=item.get("inputId"),
        )


class CaptchaSolution(BaseModel):
    """A solver's answer: a ``token`` for a widget (reCAPTCHA, hCaptcha, Turnstile), or the
    ``text`` of an image challenge, to type in its field."""

    token: str | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _one(self) -> CaptchaSolution:
        if not self.token and not self.text:
            raise ValueError("a CAPTCHA solution needs a token or a text")
        return self


@runtime_checkable
class CaptchaSolver(Protocol):
    """Solves CAPTCHA challenges for the runner (registered with the
    ``register_captcha_solvers`` hook, chosen with ``SKYVERN_CAPTCHA_SOLVER``).

    ``solve`` gets the page as the agent sees it and the challenge found on it, and
    answers with a token or a text; it raises (any exception, with a readable message) when
    it cannot. A solver may have ``kinds``, the :class:`CaptchaKind` values it takes; without
    it, it is asked about every blocking challenge.
    """

    async def solve(self, page: PageState, challenge: Challenge) -> CaptchaSolution:
        """Solve ``challenge`` on ``page``."""
