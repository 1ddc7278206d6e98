"""A seam for CAPTCHA solvers: the page's challenges detected, a solver asked, or the task
stopped.

- :mod:`skyvern_core.captcha.challenge`: :class:`Challenge`, :class:`CaptchaKind`,
  :class:`CaptchaSolution` and the :class:`CaptchaSolver` protocol;
- ``detect.js`` (:data:`DETECT_SCRIPT`): a small in-page script that finds reCAPTCHA v2 and
  v3 badges, hCaptcha, Cloudflare Turnstile and plain image challenges in the top document;
- :mod:`skyvern_core.captcha.guard`: what the runner does with them each step.

A solver is a plugin (the ``register_captcha_solvers`` hook) chosen with
``SKYVERN_CAPTCHA_SOLVER``, or an instance given as ``Agent(captcha_solver=...)``;
:class:`skyvern_core.testing.FakeCaptchaSolver` answers the fixture site's challenges.
"""

from __future__ import annotations

from skyvern_core.captcha.challenge import CaptchaKind, CaptchaSolution, CaptchaSolver, Challenge
from skyvern_core.captcha.guard import (
    APPLY_SCRIPT,
    DETECT_SCRIPT,
    SOLVE_ATTEMPTS,
    CaptchaGuard,
    CaptchaOutcome,
    detect_challenges,
    page_evaluator,
)

__all__ = [
    "APPLY_SCRIPT",
    "DETECT_SCRIPT",
    "SOLVE_ATTEMPTS",
    "CaptchaGuard",
    "CaptchaKind",
    "CaptchaOutcome",
    "CaptchaSolution",
    "CaptchaSolver",
    "Challenge",
    "detect_challenges",
    "page_evaluator",
]
