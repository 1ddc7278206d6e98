"""One run's replay: which steps run from their recording, which are healed, what is kept.

:func:`open_replay` gives the run's :class:`FlowReplay` (or :class:`NoReplay` for a task
whose replay mode is ``off``: the planner decides every step, as without this package).
The step executor asks it for each step's decision, hands it the outcome, and lets it
run the extraction; the runner tells it when the task completed, and the flow is then
recorded.

A replayed step's actions settle quickly: once the page has loaded and no request is in
flight, without the quiet moment an action otherwise waits for (see
:attr:`~skyvern_core.browser.session.PrimitiveSession.quiet_window`). The page that
follows must match its recording to be replayed in turn; one that does not is given the
full settle and looked at again before it counts as different (:meth:`FlowReplay.look`),
so the planner, and a heal's comparison, see the page as settled as ever.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from skyvern_core.ids import new_id
from skyvern_core.models import (
    ActionResult,
    DecidedBy,
    Decision,
    PageFingerprint,
    PageState,
    ReplayEntry,
    ReplayExtraction,
    ReplayMode,
    Step,
    Usage,
    utcnow,
)
from skyvern_core.protocols import SettlingSession
from skyvern_core.replay.fingerprint import differences, page_fingerprint
from skyvern_core.replay.keys import flow_key, normalize_url, planner_signature, url_pattern
from skyvern_core.replay.locate import NoMatch
from skyvern_core.replay.record import (
    NotRecordable,
    describe_entry,
    recorded_actions,
    replayed_actions,
)
from skyvern_core.replay.templates import (
    MissingValueError,
    fill,
    payload_values,
    shown_payload,
    template,
)
from skyvern_core.secrets import redact
from skyvern_core.storage import ReplayStore

__all__ = ["FlowReplay", "NoReplay", "Plan", "open_replay", "replay_mode"]

log = logging.getLogger("skyvern_core.replay")

Plan = Callable[[str | None], Awaitable[Decision]]
"""Asks the planner for this step; the argument is what the recorded step meant to do
(None: nothing recorded fits)."""

Extract = Callable[[], Awaitable[tuple[Any, dict[str, Any]]]]


def replay_mode(task: Any, settings: Any) -> ReplayMode:
    """The task's replay mode: its own, else the deployment's ``replay_mode``."""
    return ReplayMode(task.request.replay or settings.replay_mode)


class NoReplay:
    """A run without replay: every step goes to the planner, nothing is recorded."""

    replayed = 0

    @contextlib.contextmanager
    def acting(self, session: Any, replayed: bool) -> Iterator[None]:
        """Actions settle as usual."""
        yield

    async def look(self, step: Step, session: Any) -> PageState:
        """The page's snapshot."""
        page: PageState = await session.snapshot()
        return page

    async def settle(self, session: Any) -> None:
        """Nothing to wait for: actions settled fully."""

    async def decide(
        self, step: Step, page: PageState, errors: list[str], plan: Plan
    ) -> tuple[Decision, DecidedBy]:
        """The planner's decision."""
        return await plan(None), DecidedBy.model

    async def extraction(
        self, page: PageState, document: str | None, live: Extract
    ) -> tuple[Any, dict[str, Any]]:
        """The live extraction."""
        return await live()

    async def after_step(
        self, step: Step, ok: bool, decision: Decision | None, results: list[ActionResult]
    ) -> None:
        """Nothing to keep."""

    async def completed(self) -> None:
        """Nothing to record."""


@dataclass
class _Trace:
    """What one attempt of a step saw and did, for recording the flow."""

    step: Step
    page: PageState
    fingerprint: PageFingerprint
    decided_by: DecidedBy = DecidedBy.model
    entry: ReplayEntry | None = None  # the entry replayed
    hint: ReplayEntry | None = None  # the entry a healed step was told about
    decision: Decision | None = None
    results: list[ActionResult] = field(default_factory=list)
    ok: bool = False
    extraction: ReplayExtraction | None = None


class FlowReplay:
    """The replay of one run of a task in ``auto`` or ``only`` mode.

    ``entries`` are the flow's recorded steps as stored when the run began; ``expected``
    is the position the next step should match (the steps of a flow are tried in order,
    and a run goes on from wherever a page matches again).
    """

    def __init__(
        self,
        *,
        mode: ReplayMode,
        store: ReplayStore,
        task: Any,
        key: str,
        planner: str,
        entries: list[ReplayEntry],
        secrets: dict[str, str],
        demote_after: int,
        fail: Callable[[str], Exception],
    ) -> None:
        self.mode = mode
        self.store = store
        self.task = task
        self.key = key
        self.planner = planner
        self.entries = entries
        self.secrets = secrets  # the run's own dict: a one-time code joins it when resolved
        self.demote_after = demote_after
        self._fail = fail
        self.values = payload_values(shown_payload(task.request.navigation_payload))
        self.expected = 0
        self.replayed = 0
        self.traces: list[_Trace] = []
        self._trace: _Trace | None = None
        self._failed: dict[int, set[str]] = {}
        # The last actions settled quickly: the page has loaded, but its quiet moment
        # was not waited for.
        self._unsettled = False

    # ------------------------------------------------------------------ deciding

    def _nearest(self, entries: list[ReplayEntry]) -> ReplayEntry:
        """Of the entries that fit, the next one in the flow (else the closest before)."""
        return min(
            entries, key=lambda e: (e.position < self.expected, abs(e.position - self.expected))
        )

    def _related(self, fingerprint: PageFingerprint) -> ReplayEntry | None:
        """The recorded step this page stands for, when it does not match: one recorded on
        the same URL pattern, else the one expected next."""
        same_url = [e for e in self.entries if e.fingerprint.url_pattern == fingerprint.url_pattern]
        if same_url:
            return self._nearest(same_url)
        return next((e for e in self.entries if e.position == self.expected), None)

    def _where(self, step: Step, page: PageState) -> str:
        return f"step {step.order + 1} ({url_pattern(page.url)})"

    # ------------------------------------------------------------------ settling

    @contextlib.contextmanager
    def acting(self, session: Any, replayed: bool) -> Iterator[None]:
        """Carry out actions on ``session``: a replayed step's (``replayed``; also the
        opening of the start URL when steps are recorded) settle quickly, others as
        usual. A session that does not say how it settles settles as usual."""
        quick = replayed and bool(self.entries) and isinstance(session, SettlingSession)
        self._unsettled = quick
        if not quick:
            yield
            return
        window = session.quiet_window
        session.quiet_window = 0.0
        try:
            yield
        finally:
            session.quiet_window = window

    async def look(self, step: Step, session: Any) -> PageState:
        """The page to decide ``step`` on. While steps are recorded, it is first seen
        without a screenshot (nobody looks at it when the step is replayed); a page that
        cannot be replayed is seen again in full, once it has settled fully if the last
        actions settled quickly, so the planner sees it as it always does."""
        if not self.entries or not isinstance(session, SettlingSession):
            page: PageState = await session.snapshot()
            return page
        page = await session.snapshot(screenshot=False)
        if self._replayable(step, page):
            return page
        await self.settle(session)
        return await session.snapshot()

    async def settle(self, session: Any) -> None:
        """Settle fully before the page is read for extraction, if the last actions
        settled quickly."""
        if self._unsettled and isinstance(session, SettlingSession):
            self._unsettled = False
            await session.settle()

    def _fits(
        self, step: Step, page: PageState
    ) -> tuple[PageFingerprint, set[str], list[ReplayEntry]]:
        """The page's fingerprint, the entries that failed at this step, and the others
        recorded on a page with the same fingerprint."""
        fingerprint = page_fingerprint(page, self.values)
        failed = self._failed.get(step.order, set())
        fits = [
            e
            for e in self.entries
            if e.fingerprint.digest == fingerprint.digest and e.entry_id not in failed
        ]
        return fingerprint, failed, fits

    def _replayable(self, step: Step, page: PageState) -> bool:
        """Whether :meth:`decide` would replay ``step`` on ``page``."""
        _, failed, fits = self._fits(step, page)
        if not fits or (failed and self.mode is ReplayMode.only):
            return False
        entry = self._nearest(fits)
        if entry.demoted:
            return False
        try:
            replayed_actions(entry, page, self.values)
        except NoMatch:
            return False
        return True

    async def decide(
        self, step: Step, page: PageState, errors: list[str], plan: Plan
    ) -> tuple[Decision, DecidedBy]:
        """This step's decision: the recorded actions where the page matches its entry and
        every element is found once; else the planner's, told what the recorded step
        meant to do (``only``: the task fails instead, saying what differed)."""
        fingerprint, failed, fits = self._fits(step, page)
        trace = self._trace = _Trace(step=step, page=page, fingerprint=fingerprint)
        if failed and self.mode is ReplayMode.only:
            raise self._fail(
                f"Replay only: {self._where(step, page)} ran its recorded actions and they "
                f"failed their check: {'; '.join(errors) or 'no reason given'}"
            )
        hint: ReplayEntry | None = None
        if fits:
            entry = self._nearest(fits)
            if entry.demoted:
                hint = entry
                reason = f"its recorded step was demoted after {entry.heal_streak} heals in a row"
            else:
                try:
                    actions = replayed_actions(entry, page, self.values)
                except NoMatch as exc:
                    hint, reason = entry, str(exc)
                else:
                    return self._replay(trace, entry, actions), DecidedBy.replay
        else:
            hint = self._related(fingerprint)
            if hint is not None and hint.entry_id in failed:
                reason = f"replaying it failed: {'; '.join(errors) or 'no reason given'}"
            elif hint is not None:
                reason = differences(hint.fingerprint, fingerprint) or "the page differs"
            elif self.entries:
                reason = f"no step of this flow was recorded on {fingerprint.url_pattern}"
            else:
                reason = "nothing is recorded for this flow yet"
        if self.mode is ReplayMode.only:
            raise self._fail(
                f"Replay only: {self._where(step, page)} does not match its recording: {reason}"
            )
        told = None
        if hint is not None:
            told = (
                describe_entry(hint, self.values)
                + f" It cannot be replayed now: {reason}. Decide this step for the page as "
                "it is now; where the recorded step still fits, do what it did."
            )
            self.expected = hint.position + 1
        decided_by = DecidedBy.healed if hint is not None and not hint.demoted else DecidedBy.model
        log.info(
            "task %s: %s goes to the planner (%s): %s",
            self.task.task_id,
            self._where(step, page),
            decided_by.value,
            reason,
        )
        decision = await plan(told)
        trace.decided_by, trace.hint = decided_by, hint
        return decision, decided_by

    def _replay(self, trace: _Trace, entry: ReplayEntry, actions: list[Any]) -> Decision:
        trace.decided_by, trace.entry = DecidedBy.replay, entry
        self.expected = entry.position + 1
        try:
            why = fill(entry.reasoning, self.values) or ""
        except MissingValueError:
            why = entry.reasoning
        reasoning = f"Replayed step {entry.position + 1} of the recorded flow. {why}".strip()
        log.info("task %s: step %d replayed", self.task.task_id, trace.step.order + 1)
        return Decision(reasoning=reasoning, actions=actions, usage=Usage(cost=0.0))

    # ------------------------------------------------------------------ extraction

    async def extraction(
        self, page: PageState, document: str | None, live: Extract
    ) -> tuple[Any, dict[str, Any]]:
        """The extraction of a replayed step whose page content is the recorded one, again;
        otherwise the live extraction (``only``: the task fails, since it would need the
        model)."""
        content = document if document is not None else page.content
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        trace = self._trace
        entry = trace.entry if trace is not None else None
        if entry is not None and entry.extraction and entry.extraction.content_digest == digest:
            if trace is not None:
                trace.extraction = entry.extraction
            return entry.extraction.data, {"extraction": {"replayed": True}}
        if self.mode is ReplayMode.only:
            raise self._fail(
                "Replay only: the page to extract from is not the recorded one, and "
                "extracting from it needs the model"
            )
        data, record = await live()
        if trace is not None:
            trace.extraction = ReplayExtraction(content_digest=digest, data=data)
        return data, record

    # ------------------------------------------------------------------ outcomes

    async def after_step(
        self, step: Step, ok: bool, decision: Decision | None, results: list[ActionResult]
    ) -> None:
        """Take the outcome of the step just recorded: a failed replay is healed at the
        retry; a healed step whose actions all verified replaces its entry at once."""
        trace, self._trace = self._trace, None
        if trace is None or trace.step.step_id != step.step_id:
            return
        trace.decision, trace.results = decision, list(results)
        trace.ok = ok and all(r.success for r in results)
        self.traces.append(trace)
        if trace.decided_by is DecidedBy.replay:
            if trace.ok:
                self.replayed += 1
            elif trace.entry is not None:
                self._failed.setdefault(step.order, set()).add(trace.entry.entry_id)
            return
        hint = trace.hint
        if (
            trace.ok
            and trace.decided_by is DecidedBy.healed
            and hint is not None
            and hint.fingerprint.url_pattern == trace.fingerprint.url_pattern
        ):
            healed = self._entry(trace, hint.position)
            if healed is None:
                return
            try:
                await self.store.put_replay_entry(healed)
            except Exception:
                log.warning(
                    "task %s: the healed step was not kept", self.task.task_id, exc_info=True
                )
                return
            self.entries = [e for e in self.entries if e.position != hint.position] + [healed]

    async def completed(self) -> None:
        """The task completed: its verified steps become the flow's entries, in order."""
        entries: list[ReplayEntry] = []
        for trace in self.traces:
            if not trace.ok:
                continue
            entry = self._entry(trace, len(entries))
            if entry is not None:
                entries.append(entry)
        try:
            await self.store.save_replay_flow(self.task.organization_id, self.key, entries)
        except Exception:
            log.warning("task %s: its flow was not recorded", self.task.task_id, exc_info=True)
            return
        log.info(
            "task %s: %d steps recorded for flow %s", self.task.task_id, len(entries), self.key
        )

    def _entry(self, trace: _Trace, position: int) -> ReplayEntry | None:
        """The entry a verified step leaves at ``position`` (None: it cannot be kept)."""
        now = utcnow()
        if trace.decided_by is DecidedBy.replay and trace.entry is not None:
            return trace.entry.model_copy(
                update={
                    "position": position,
                    "replays": trace.entry.replays + 1,
                    "heal_streak": 0,
                    "demoted": False,
                    "extraction": trace.extraction or trace.entry.extraction,
                    "modified_at": now,
                }
            )
        decision = trace.decision
        if decision is None:
            return None
        try:
            actions = recorded_actions(decision.actions, trace.results, trace.page, self.values)
        except NotRecordable as exc:
            log.info(
                "task %s: step %d not recorded: %s", self.task.task_id, trace.step.order + 1, exc
            )
            return None
        before = trace.hint
        healed = trace.decided_by is DecidedBy.healed
        streak = before.heal_streak + 1 if healed and before is not None else 0
        went = next(
            (r.data["url"] for r in reversed(trace.results) if isinstance(r.data.get("url"), str)),
            None,
        )
        went_to = url_pattern(went) if went else None
        request = self.task.request
        entry = ReplayEntry(
            entry_id=new_id("replay"),
            organization_id=self.task.organization_id,
            flow_key=self.key,
            position=position,
            start_url=normalize_url(request.url),
            goal=template(request.navigation_goal or "", self.values),
            planner=self.planner,
            fingerprint=trace.fingerprint,
            actions=actions,
            reasoning=template(redact(decision.reasoning, self.secrets), self.values),
            next_url_pattern=went_to if went_to != trace.fingerprint.url_pattern else None,
            extraction=trace.extraction,
            source_task_id=self.task.task_id,
            replays=before.replays if before is not None else 0,
            heals=before.heals + (1 if healed else 0) if before is not None else 0,
            heal_streak=streak,
            demoted=streak >= self.demote_after,
            created_at=before.created_at if before is not None else now,
            modified_at=now,
        )
        text = entry.model_dump_json()
        shown = {k: v for k, v in self.secrets.items() if v}
        if shown and redact(text, shown) != text:
            log.warning(
                "task %s: step %d not recorded: it would hold a secret's value",
                self.task.task_id,
                trace.step.order + 1,
            )
            return None
        return entry


async def open_replay(ctx: Any, fail: Callable[[str], Exception]) -> FlowReplay | NoReplay:
    """The replay of a run (``ctx``: its :class:`~skyvern_core.run.context.RunContext`).

    ``fail`` makes the exception that ends the task at once, for ``only`` when nothing
    fits and for a store that keeps no replay entries.
    """
    mode = replay_mode(ctx.task, ctx.s)
    if mode is ReplayMode.off:
        return NoReplay()
    store = ctx.store
    if not isinstance(store, ReplayStore):
        raise fail(
            f"replay {mode.value!r} needs a store that keeps replay entries; "
            f"{type(store).__name__} does not"
        )
    planner = planner_signature(ctx.r.planner)
    key = flow_key(ctx.task.request, planner)
    entries = await store.list_replay_entries(ctx.task.organization_id, key)
    if mode is ReplayMode.only and not entries:
        raise fail(
            f"Replay only: nothing is recorded for this flow yet (key {key}); run it once "
            "with replay 'auto'"
        )
    return FlowReplay(
        mode=mode,
        store=store,
        task=ctx.task,
        key=key,
        planner=planner,
        entries=entries,
        secrets=ctx.secrets,
        demote_after=ctx.s.replay_demote_after,
        fail=fail,
    )
