"""The offline planner's fill plan: which fact goes in which field, which button goes on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from skyvern_core.models import (
    Action,
    CheckAction,
    Element,
    ElementOption,
    InputTextAction,
    PageState,
    SelectOptionAction,
    Step,
    UploadFileAction,
)
from skyvern_core.planner.loops import same_document
from skyvern_core.planner.offline.fields import (
    _CONSENT,
    _DISMISS,
    _MARKETING,
    _NOT_SUBMIT,
    _OTP_LABEL,
    _SUBMIT,
    _SUCCESS,
    _WEAK_SUBMIT,
    _as_bool,
    _clean_label,
    _date_text,
    _descriptors,
    _Fact,
    _is_empty,
    _is_required,
    _kind,
    _looks_like_file,
    _pick_option,
)
from skyvern_core.planner.offline.words import MATCH_THRESHOLD, _flat, _key_phrases, _score, _words
from skyvern_core.totp import TOTP_PLACEHOLDER
from skyvern_core.uploads import is_file_placeholder

__all__: list[str] = []


_Failed = set[tuple[str, str]]
"""(action type, element id) pairs that failed on the current page."""

# --------------------------------------------------------------------------- fill plan


@dataclass(slots=True)
class _Plan:
    """What one page needs: actions, fields waiting for others, fields nothing fills."""

    actions: list[Action] = field(default_factory=list)
    waiting: list[Element] = field(default_factory=list)
    missing: list[Element] = field(default_factory=list)
    handled: set[str] = field(default_factory=set)


def _proposal(fact: _Fact, el: Element, kind: str) -> Action | None:
    """The action that puts ``fact`` into ``el`` — None if the fact cannot go there."""
    why = f"offline planner: {_clean_label(el)!r} from navigation_payload.{fact.path}"
    if kind == "text":
        if isinstance(fact.value, bool | list) or is_file_placeholder(fact.text):
            return None
        return InputTextAction(element_id=el.id, text=_date_text(fact.text, el), reasoning=why)
    if kind == "file":
        if fact.secret or not _looks_like_file(fact.text):
            return None
        return UploadFileAction(element_id=el.id, file=fact.text, reasoning=why)
    if kind == "choice":
        if el.options and not el.disabled:
            option = _pick_option(fact.value, el.options)
            if option is None:
                return None
            return SelectOptionAction(element_id=el.id, option=option.label, reasoning=why)
        if isinstance(fact.value, list) or fact.secret:
            return None
        return SelectOptionAction(element_id=el.id, option=fact.text, reasoning=why)
    if kind == "radio":
        if fact.value is False or isinstance(fact.value, list):
            return None
        return CheckAction(element_id=el.id, reasoning=why)
    if kind == "toggle":
        wanted = _as_bool(fact.value)
        if isinstance(fact.value, list):
            # A list names the boxes of a group to tick: this one if its label is listed.
            listed = [ElementOption(label=str(v), value=str(v)) for v in fact.value]
            wanted = _pick_option(el.label, listed) is not None
        if wanted is None:
            return None
        return CheckAction(element_id=el.id, checked=wanted, reasoning=why)
    return None


def _already(el: Element, action: Action, typed: dict[str, str]) -> bool:
    """Whether the element holds what the action would put there already."""
    if isinstance(action, InputTextAction):
        if _flat(el.value or "") == _flat(action.text):
            return True
        # The site may have reformatted what an earlier step typed (upper case, spaces):
        # typing it again would loop. A field emptied since lost it, so it is typed again.
        return typed.get(el.id) == action.text and bool(el.value)
    if isinstance(action, SelectOptionAction):
        chosen = [o.label for o in el.options or [] if o.selected] or [el.value or ""]
        return any(_pick_option(action.option, [ElementOption(label=c, value=c)]) for c in chosen)
    if isinstance(action, CheckAction):
        return bool(el.checked) == action.checked
    if isinstance(action, UploadFileAction):
        name = re.split(r"[/\\]", action.file.rstrip("/"))[-1]
        return bool(el.value) and name in (el.value or "")
    return False


def _plan_fills(
    page: PageState, facts: list[_Fact], has_totp: bool, typed: dict[str, str], failed: _Failed
) -> _Plan:
    plan = _Plan()
    usable = [
        (i, el, kind)
        for i, el in enumerate(page.elements)
        if el.visibility in ("visible", "offscreen") and (kind := _kind(el)) is not None
    ]
    # One-time code fields take the code the runner fetches, never a payload value.
    for _, el, kind in usable:
        hint = el.attributes.get("autocomplete", "")
        if kind == "text" and has_totp and ("one-time-code" in hint or _OTP_LABEL.search(el.label)):
            plan.handled.add(el.id)
            if not el.value and ("input_text", el.id) not in failed:
                plan.actions.append(
                    InputTextAction(
                        element_id=el.id,
                        text=TOTP_PLACEHOLDER,
                        reasoning="offline planner: the one-time code goes here",
                    )
                )
    pairs: list[tuple[float, int, int, str, Element, Action]] = []
    for i, el, kind in usable:
        if el.id in plan.handled:
            continue
        descriptors = _descriptors(el)
        for j, fact in enumerate(facts):
            action = _proposal(fact, el, kind)
            if action is None or (action.type, el.id) in failed:
                continue
            score = _score(_key_phrases(fact.path), descriptors)
            if kind == "radio":
                score = _radio_score(fact, el, score)
            if score >= MATCH_THRESHOLD:
                unit = el.attributes.get("group", el.id) if kind == "radio" else el.id
                pairs.append((score, i, j, unit, el, action))
    # Greedy one-to-one: the best pair first; ties go to the earlier field, then fact.
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    used_facts: set[int] = set()
    used_units: set[str] = set()
    for _, _, j, unit, el, action in pairs:
        if j in used_facts or unit in used_units:
            continue
        used_facts.add(j)
        used_units.add(unit)
        plan.handled.add(el.id)
        if el.attributes.get("group") and el.role == "radio":
            plan.handled.update(e.id for e in page.elements if e.attributes.get("group") == unit)
        if _already(el, action, typed):
            continue
        if el.disabled:
            plan.waiting.append(el)
        else:
            plan.actions.append(action)
    for _, el, kind in usable:
        if el.id in plan.handled or el.disabled:
            continue
        if kind == "toggle" and not el.checked and _CONSENT.search(el.label):
            if not _MARKETING.search(el.label) and ("check", el.id) not in failed:
                plan.actions.append(
                    CheckAction(
                        element_id=el.id,
                        reasoning=f"offline planner: ticks the consent {_clean_label(el)!r}",
                    )
                )
                continue
        if _is_required(el) and _is_empty(el, page):
            plan.missing.append(el)
    # Top to bottom, as a person fills a form (and as forms whose fields unlock others expect).
    order = {el.id: i for i, el in enumerate(page.elements)}
    plan.actions.sort(key=lambda a: order.get(getattr(a, "element_id", ""), 0))
    return plan


def _radio_score(fact: _Fact, el: Element, score: float) -> float:
    """A radio is chosen by its group naming the key and its label the value, or (a boolean
    fact) by its label naming the key. A value its label starts with is enough on its own,
    just above the threshold (a real key match wins), unless it is a bare yes/no."""
    if isinstance(fact.value, bool):
        return score if fact.value else 0.0
    if _pick_option(fact.value, [ElementOption(label=el.label, value=el.label)]) is None:
        return 0.0
    group = el.attributes.get("group")
    by_group = _score(_key_phrases(fact.path), [(_words(group), 1.0)]) if group else 0.0
    if by_group >= MATCH_THRESHOLD:
        return by_group
    if _as_bool(fact.value) is None and _flat(el.label).startswith(_flat(fact.text)):
        return MATCH_THRESHOLD + 0.05
    return 0.0


# --------------------------------------------------------------------------- buttons


def _dismiss_button(page: PageState, failed: _Failed) -> Element | None:
    """The overlay's accept or close button, when something is covered."""
    if not any(e.visibility == "covered" for e in page.elements):
        return None
    best: tuple[int, int] | None = None
    found = None
    for i, el in enumerate(page.elements):
        usable = el.visibility == "visible" and not el.disabled and ("click", el.id) not in failed
        if not usable or el.role not in ("button", "link"):
            continue
        label = " ".join(el.label.split())
        rank = next((r for pattern, r in _DISMISS if pattern.search(label)), 0)
        if rank and (best is None or (rank, -i) > best):
            best, found = (rank, -i), el
    return found


def _submit_button(page: PageState, failed: _Failed, after: int) -> Element | None:
    """The button that goes on: submit vocabulary, ``type=submit`` and a button (not a link)
    count; of equals, the first after the fields being filled (the form's own)."""
    best: tuple[float, int, int] | None = None
    found = None
    for i, el in enumerate(page.elements):
        label = " ".join(el.label.split())
        if el.role not in ("button", "link") or el.visibility not in ("visible", "offscreen"):
            continue
        if el.disabled or ("click", el.id) in failed or not _SUBMIT.search(label):
            continue
        if _NOT_SUBMIT.search(label):
            continue
        score = (1.0 if _WEAK_SUBMIT.fullmatch(label) else 2.0) + (el.type == "submit")
        score += 0.5 if el.role == "button" else 0.0
        key = (score, 1 if i >= after else 0, -i)
        if best is None or key > best:
            best, found = key, el
    return found


# --------------------------------------------------------------------------- history


def _history(history: Sequence[Step], url: str) -> tuple[_Failed, dict[str, str]]:
    """On this page in earlier steps: (type, element id) of the actions that failed, and
    what was typed into each field."""
    failed: _Failed = set()
    typed: dict[str, str] = {}
    for step in history:
        if not same_document(step.page_url, url):
            continue
        for action, result in zip(step.actions, step.action_results, strict=False):
            element_id = getattr(action, "element_id", None)
            if not result.success and element_id:
                failed.add((action.type, element_id))
            elif isinstance(action, InputTextAction) and result.success:
                typed[action.element_id] = action.text
    return failed, typed


def _shows_success(page: PageState, fields: bool) -> bool:
    """Headings and messages that say it worked; the body text too on a page without
    fields (an old page puts "Thank you" in bold, not in a heading)."""
    if any(_SUCCESS.search(line) for line in page.text.splitlines()):
        return True
    return not fields and any(_SUCCESS.search(line) for line in page.content.splitlines())
