"""What the runner does when a page shows a CAPTCHA: ask the solver, or stop.

At each step, after the snapshot, :class:`CaptchaGuard` runs the detection script in the
top document. A blocking challenge without an answer goes to the configured solver, whose
token or text is put into the page as the widget would (then the page is seen afresh);
without a solver the task is terminated at once with a reason naming the challenge, rather
than left to loop on a widget no planner can pass. A challenge the solver failed on
:data:`SOLVE_ATTEMPTS` times terminates the task too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skyvern_core.captcha.challenge import CaptchaSolution, CaptchaSolver, Challenge
from skyvern_core.models import PageState

__all__ = [
    "APPLY_SCRIPT",
    "DETECT_SCRIPT",
    "SOLVE_ATTEMPTS",
    "CaptchaGuard",
    "CaptchaOutcome",
    "detect_challenges",
    "page_evaluator",
]

log = logging.getLogger(__name__)

DETECT_SCRIPT = Path(__file__).with_name("detect.js").read_text(encoding="utf-8")
"""The detection script, a function expression resolving to the challenges of the top
document."""

APPLY_SCRIPT = Path(__file__).with_name("apply.js").read_text(encoding="utf-8")
"""The script that puts a solution into the page, a function expression of
``{challenge, token, text}``."""

SOLVE_ATTEMPTS = 2
"""Times one challenge is given to the solver in a task before the task is terminated."""

Evaluate = Callable[[str, Any], Awaitable[Any]]


def page_evaluator(session: Any) -> Evaluate | None:
    """How to run a script in the session's top document: its ``evaluate_page`` (the
    built-in drivers' sessions have one); None for a session that runs no scripts (a fake
    one), whose pages are not checked."""
    own = getattr(session, "evaluate_page", None)
    return own if callable(own) else None


async def detect_challenges(evaluate: Evaluate, page_url: str) -> list[Challenge]:
    """The challenges the top document shows (an empty list when the script fails: a page
    that cannot be read is not a CAPTCHA)."""
    try:
        items = await evaluate(DETECT_SCRIPT, None)
    except Exception as exc:
        log.debug("CAPTCHA detection failed on %s: %s", page_url, exc)
        return []
    challenges = []
    for item in items or []:
        try:
            challenges.append(Challenge.from_script(item, page_url))
        except Exception:  # an unknown kind or a malformed item: skip it
            log.debug("CAPTCHA detection gave an unreadable item: %r", item)
    return challenges


@dataclass(slots=True)
class CaptchaOutcome:
    """What the guard did on a page: ``terminate`` (the reason) when the task must end,
    ``solved`` the challenges answered, ``seen`` every challenge found."""

    terminate: str | None = None
    solved: list[Challenge] | None = None
    seen: list[Challenge] | None = None


class CaptchaGuard:
    """Checks each step's page for challenges, for one run of a task."""

    def __init__(self, solver: CaptchaSolver | None, *, solver_name: str | None = None) -> None:
        self.solver = solver
        self.solver_name = solver_name or (type(solver).__name__ if solver else None)
        self._attempts: dict[str, int] = {}

    def _takes(self, challenge: Challenge) -> bool:
        kinds = getattr(self.solver, "kinds", None)
        return self.solver is not None and (kinds is None or challenge.kind in kinds)

    async def check(self, session: Any, page: PageState) -> CaptchaOutcome:
        """Detect the page's challenges and deal with the blocking ones (see the module)."""
        evaluate = page_evaluator(session)
        if evaluate is None:
            return CaptchaOutcome()
        challenges = await detect_challenges(evaluate, page.url)
        outcome = CaptchaOutcome(seen=challenges, solved=[])
        for challenge in challenges:
            if not challenge.kind.blocking or challenge.solved:
                continue
            if not self._takes(challenge):
                why = (
                    "no CAPTCHA solver is configured (SKYVERN_CAPTCHA_SOLVER)"
                    if self.solver is None
                    else f"the CAPTCHA solver {self.solver_name!r} does not take it"
                )
                outcome.terminate = (
                    f"The page {page.url} shows a {challenge.describe()} challenge and {why}; "
                    "stopped rather than try to pass it"
                )
                return outcome
            tries = self._attempts.get(challenge.key, 0)
            if tries >= SOLVE_ATTEMPTS:
                outcome.terminate = (
                    f"The page {page.url} still shows a {challenge.describe()} challenge after "
                    f"{tries} answers from the CAPTCHA solver {self.solver_name!r}; stopped"
                )
                return outcome
            self._attempts[challenge.key] = tries + 1
            assert self.solver is not None
            try:
                solution = await self.solver.solve(page, challenge)
                if not isinstance(solution, CaptchaSolution):
                    raise TypeError(f"solve() returned {type(solution).__name__}")
            except Exception as exc:
                text = str(exc).strip() or type(exc).__name__
                outcome.terminate = (
                    f"The CAPTCHA solver {self.solver_name!r} could not solve the "
                    f"{challenge.describe()} challenge on {page.url}: {text}"
                )
                return outcome
            applied = await evaluate(
                APPLY_SCRIPT,
                {
                    "challenge": {
                        "kind": challenge.kind.value,
                        "sitekey": challenge.sitekey,
                        "responseField": challenge.response_field,
                        "callback": challenge.callback,
                        "inputName": challenge.input_name,
                        "inputId": challenge.input_id,
                    },
                    "token": solution.token,
                    "text": solution.text,
                },
            )
            if not (isinstance(applied, dict) and applied.get("applied")):
                outcome.terminate = (
                    f"The answer of the CAPTCHA solver {self.solver_name!r} to the "
                    f"{challenge.describe()} challenge on {page.url} could not be put into "
                    "the page (no field for it)"
                )
                return outcome
            log.info("solved a %s challenge on %s", challenge.describe(), page.url)
            outcome.solved = [*(outcome.solved or []), challenge]
        return outcome
