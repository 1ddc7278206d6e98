"""The rules that check an action's effect, and the messages a failed action returns.

Pure functions of what the in-page scripts (:mod:`skyvern_core.browser.scripts`) read: the
action layer calls them, so every driver decides alike.
"""

from __future__ import annotations

from typing import Any

from skyvern_core.browser.elements import ActionFailed, is_on, list_labels
from skyvern_core.models import ActionResult
from skyvern_core.perception.matching import (
    AmbiguousOption,
    NoOptionMatch,
    OptionMatch,
    match_option,
    normalize_option,
)

__all__ = [
    "NO_PAGE_BACK",
    "check_checkable",
    "check_clickable",
    "check_text_field",
    "checked_result",
    "choose_option",
    "chosen_data",
    "covered",
    "custom_select_result",
    "element_scroll_result",
    "has_checked_state",
    "is_list",
    "native_select_result",
    "no_option_message",
    "page_scroll_result",
    "pick_suggestion",
    "suggestion_data",
    "typed_result",
    "widget_shows",
]

NO_PAGE_BACK = "there is no page to go back to"
"""The failure of a go-back with no page the task visited before."""


def covered(name: str, by: str) -> ActionFailed:
    """The failure of a click on an element under a modal or an interactive overlay."""
    return ActionFailed(
        f"element {name} is covered by {by}; close or answer it first", data={"covered_by": by}
    )


def check_clickable(info: dict[str, Any], name: str) -> None:
    """Raise :class:`ActionFailed` for a disabled element or a file input."""
    if info["disabled"]:
        raise ActionFailed(f"element {name} is disabled")
    if info["tag"] == "input" and info["type"] == "file":
        raise ActionFailed(f"element {name} is a file input: use upload_file with a path or a URL")


def is_list(info: dict[str, Any]) -> bool:
    """Whether text typed into the element is an option to choose instead."""
    return bool(
        info["tag"] == "select"
        or (info["role"] in ("combobox", "listbox") and (info["tag"] != "input"))
    )


def has_checked_state(info: dict[str, Any]) -> bool:
    """Whether the element is a checkbox, radio button or switch (native or ARIA)."""
    return info["type"] in ("checkbox", "radio") or info["role"] in ("checkbox", "switch", "radio")


def check_text_field(info: dict[str, Any], name: str) -> None:
    """Raise :class:`ActionFailed` when text cannot be typed into the element."""
    if info["disabled"]:
        raise ActionFailed(f"element {name} is disabled")
    if info["readonly"]:
        raise ActionFailed(f"element {name} is read-only")
    if info["type"] in ("checkbox", "radio", "file", "submit", "button", "image"):
        raise ActionFailed(f"element {name} is not a text field ({info['type']})")


def typed_result(kept: str, text: str, secret: bool, name: str) -> ActionResult:
    """Success when the field kept ``text``; else a failure (a password is not shown)."""
    if kept == text:
        return ActionResult(success=True, data={})
    shown = "••••" if secret and kept else kept
    raise ActionFailed(f"the field kept {shown!r} instead of the text typed into {name}")


def no_option_message(name: str, option: str, available: str) -> str:
    """The failure of choosing an option a list does not have."""
    return f"{name} has no option {option!r}; the options are: {available}"


def choose_option(wanted: str, options: list[dict[str, Any]], name: str) -> tuple[int, OptionMatch]:
    """The option (of :data:`NATIVE_OPTIONS` or :data:`LIST_OPTIONS`, disabled ones aside)
    that ``wanted`` means, by :func:`~skyvern_core.perception.matching.match_option`:
    its index in ``options`` and the match.

    Raises :class:`ActionFailed` naming the candidates (several fit) or the options (none
    does).
    """
    usable = [i for i, o in enumerate(options) if not o.get("disabled")]
    labels = [str(options[i].get("label") or "") for i in usable]
    values = [str(options[i].get("value") or "") for i in usable]
    try:
        match = match_option(wanted, labels, values)
    except AmbiguousOption as exc:
        raise ActionFailed(f"{name}: {exc}", data={"candidates": exc.candidates}) from None
    except NoOptionMatch:
        shown = [str(o.get("label") or "") for o in options if o.get("label")]
        raise ActionFailed(
            no_option_message(name, wanted, list_labels(shown) or "none appeared")
        ) from None
    return usable[match.index], match


def chosen_data(match: OptionMatch, value: str) -> dict[str, Any]:
    """What a select's result says of the option chosen (``chosen`` is its label)."""
    data: dict[str, Any] = {"chosen": match.label, "selected": match.label, "match": match.how}
    if value:
        data["value"] = value
    return data


def native_select_result(
    match: OptionMatch, value: str, chosen: list[str], name: str
) -> ActionResult:
    """Success when the ``<select>`` shows the option matched (its labels: ``chosen``)."""
    if match.label not in chosen:
        raise ActionFailed(f"{name} still shows {list_labels(chosen) or 'nothing'} after choosing")
    return ActionResult(success=True, data=chosen_data(match, value))


def _has_words(text: str, words: str) -> bool:
    return bool(words) and f" {words} " in f" {normalize_option(text)} "


def widget_shows(state: dict[str, Any], label: str, value: str = "") -> str | None:
    """Where a custom widget's state (:data:`WIDGET_STATE`) shows the option ``label`` (of
    value ``value``) as chosen: ``"shown"`` (its text), ``"selected option"``, ``"chip"``,
    ``"hidden input"``, ``"active option"``; None when it does not."""
    want = normalize_option(label)
    if not want:
        return None
    if _has_words(state.get("shown", ""), want):
        return "shown"
    if any(normalize_option(s) == want for s in state.get("selected", [])):
        return "selected option"
    if any(_has_words(c, want) for c in state.get("chips", [])):
        return "chip"
    for held in state.get("hidden", []):
        if (value and held == value) or normalize_option(held) == want:
            return "hidden input"
    if normalize_option(state.get("active", "")) == want:
        return "active option"
    return None


def _changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return any(before.get(k) != after.get(k) for k in ("shown", "hidden", "chips", "selected"))


def custom_select_result(
    match: OptionMatch,
    value: str,
    name: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> ActionResult:
    """After clicking an option of a custom list: success when the widget shows it (its
    text, a selected option, a chip or a hidden input; ``data["shown_by"]`` says which), or
    at least changed; a failure when it shows what it showed before."""
    where = widget_shows(after, match.label, value)
    data = chosen_data(match, value)
    if where is not None:
        return ActionResult(success=True, data={**data, "shown_by": where})
    if _changed(before, after):
        return ActionResult(success=True, data={**data, "shown": after.get("shown", "")})
    shown = after.get("shown") or "nothing"
    raise ActionFailed(f"{name} still shows {shown!r} after choosing {match.label!r}")


def suggestion_data(picked: OptionMatch | None, labels: list[str], reason: str) -> dict[str, Any]:
    """What ``input_text`` on an autocomplete says it did: picked a suggestion (``chosen``)
    or kept the typed text (``autocomplete == "typed"``, with why)."""
    if picked is not None:
        return {"autocomplete": "picked", "chosen": picked.label, "match": picked.how}
    data: dict[str, Any] = {"autocomplete": "typed", "why": reason}
    if labels:
        data["suggestions"] = labels[:10]
    return data


def pick_suggestion(
    text: str, options: list[dict[str, Any]]
) -> tuple[int, OptionMatch | None, str]:
    """Which suggestion typing ``text`` into an autocomplete picks: (its index, the match)
    or (-1, None, why the typed text is kept)."""
    usable = [i for i, o in enumerate(options) if not o.get("disabled") and o.get("label")]
    if not usable:
        return -1, None, "no suggestion appeared"
    labels = [str(options[i]["label"]) for i in usable]
    values = [str(options[i].get("value") or "") for i in usable]
    try:
        match = match_option(text, labels, values)
    except AmbiguousOption as exc:
        fits = ", ".join(repr(c) for c in exc.candidates[:5])
        return -1, None, f"several suggestions fit ({fits}): choose one with select_option"
    except NoOptionMatch:
        return -1, None, "no suggestion matched"
    return usable[match.index], match, ""


def check_checkable(info: dict[str, Any], name: str, checked: bool) -> ActionResult | None:
    """Before a check action: a failure, a result when nothing is to change, else None."""
    if info["disabled"]:
        raise ActionFailed(f"element {name} is disabled")
    native = info["tag"] == "input" and info["type"] in ("checkbox", "radio")
    aria = info["role"] in ("checkbox", "switch", "radio", "menuitemcheckbox")
    if not native and not aria:
        raise ActionFailed(f"element {name} is not a checkbox, radio button or switch")
    if not checked and (info["type"] == "radio" or info["role"] == "radio"):
        if not is_on(info["checked"]):
            return ActionResult(success=True, data={"checked": False, "changed": False})
        raise ActionFailed(f"{name} is a radio button: choose another option to clear it")
    if is_on(info["checked"]) == checked:
        return ActionResult(success=True, data={"checked": checked, "changed": False})
    return None


def checked_result(state: bool, checked: bool, name: str, data: dict[str, Any]) -> ActionResult:
    """After a check action's click: success when the state is the one asked for."""
    if state != checked:
        want = "checked" if checked else "unchecked"
        raise ActionFailed(f"{name} stayed {'checked' if state else 'unchecked'}, not {want}")
    return ActionResult(success=True, data={**data, "checked": state, "changed": True})


def element_scroll_result(hit: dict[str, Any], name: str) -> ActionResult:
    """After scrolling an element into view: success with what covers it, if anything."""
    if not hit.get("inView"):
        raise ActionFailed(f"element {name} could not be scrolled into view")
    return ActionResult(success=True, data={"covered_by": hit["by"]} if hit.get("by") else {})


def page_scroll_result(moved: bool, direction: str) -> ActionResult:
    """After :data:`SCROLL_PAGE`: success, noting when the page was already at its end."""
    if not moved:
        where = "bottom" if direction == "down" else "top"
        return ActionResult(success=True, data={"moved": False, "note": f"already at the {where}"})
    return ActionResult(success=True, data={"moved": True})
