"""What the offline planner reads of a page's fields, and the facts of a payload that fill them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from skyvern_core.models import Element, ElementOption, PageState
from skyvern_core.perception.serializer import PLACEHOLDER_TEXT, is_placeholder_option
from skyvern_core.planner.offline.words import _AUTOCOMPLETE, _CONCEPTS, _flat, _words
from skyvern_core.secrets import placeholder, split_secrets
from skyvern_core.totp import find_totp_secret
from skyvern_core.uploads import is_file_placeholder, split_files

__all__: list[str] = []


_REQUIRED_MARK = re.compile(r"\*\s*:?\s*$|:\s*\*|\(required\)", re.I)
_TEXT_ROLES = {"textbox", "searchbox", "spinbutton"}
_CHOICE_ROLES = {"select", "combobox", "listbox"}
_TOGGLE_ROLES = {"checkbox", "switch", "menuitemcheckbox"}
_CONSENT = re.compile(
    r"\b(consent|agree|accept|terms|privacy|confirm|acknowledge|certify|declare)", re.I
)
_MARKETING = re.compile(
    r"newsletter|marketing|promotion|offers|partners|mailing|updates|news\b|subscribe|"
    r"remember|keep me|stay signed|sms|texts?\b|advert",
    re.I,
)
_OTP_LABEL = re.compile(
    r"(verification|one[- ]?time|security|authenticat\w*|2fa|mfa|sms|login|access)\s*(code|pin)|"
    r"\botp\b|\bpasscode\b|^code$|\btotp\b",
    re.I,
)
_CLOSE = r"^(close|dismiss|no thanks|not now|maybe later|continue|\u00d7|\u2715|x)$"
_DISMISS = (
    (re.compile(r"^(accept|allow|agree|i agree|i accept|ok|okay|got it)\b", re.I), 3),
    (re.compile(r"\b(accept|agree|allow)\b", re.I), 2),
    (re.compile(_CLOSE, re.I), 1),
)
_SUBMIT = re.compile(
    r"\b(submit|apply|continue|next|send|get (my |a |your )?quote|sign ?in|log ?in|sign ?up|"
    r"register|create (my |an |your )?account|pay|place (my )?order|subscribe|verify|confirm|"
    r"finish|proceed|save|join|start|request|book|checkout|check out|search|go)\b",
    re.I,
)
# Words that go on only when nothing better shows (a site search is no form's submit).
_WEAK_SUBMIT = re.compile(r"(search|go|start|save|request|book|join)\W*", re.I)
_NOT_SUBMIT = re.compile(
    r"\b(back|previous|prev|cancel|clear|reset|remove|delete|resend|new code|customi[sz]e|"
    r"reject|decline|attach|upload|manually|forgot|sign ?out|log ?out|dropbox|google|facebook|"
    r"apple|github|microsoft|buy)\b",
    re.I,
)
_SUCCESS = re.compile(
    r"\b(thank(s| you)|confirmation|confirmed|received|welcome|your quote|quote is ready|"
    r"order (number|no|#)|success(ful(ly)?)?|submitted|on the list|subscribed|registered|"
    r"all set|reference number)\b",
    re.I,
)
_DATE_FORMAT = re.compile(r"\b(dd|mm|yyyy|yy)([/.\- ])(dd|mm|yyyy|yy)\2(dd|mm|yyyy|yy)\b", re.I)


def _clean_label(el: Element) -> str:
    label = re.sub(r"\s*\*\s*", " ", el.label).strip(" :")
    return label or el.attributes.get("name") or _element_id(el) or el.id


def _element_id(el: Element) -> str:
    if el.attributes.get("id"):
        return el.attributes["id"]
    last = re.split(r" >>> | \|> ", el.locator or "")[-1]
    found = re.search(r"#([A-Za-z][\w-]*)\s*$", last)
    return found.group(1) if found else ""


def _descriptors(el: Element) -> list[tuple[list[str], float]]:
    """What names a field, with how much each is trusted."""
    attrs = el.attributes
    out = [(_words(el.label), 1.0)]
    if attrs.get("name"):
        out.append((_words(attrs["name"]), 0.95))
    if _element_id(el):
        out.append((_words(_element_id(el)), 0.9))
    if attrs.get("placeholder"):
        out.append((_words(attrs["placeholder"]), 0.8))
    hint = _AUTOCOMPLETE.get((attrs.get("autocomplete") or "").split(" ")[-1].casefold())
    if hint:
        out.append((_words(_CONCEPTS[hint][0]), 1.0))
    if attrs.get("group"):
        group = _words(attrs["group"])
        out += [(group, 0.9), (group + _words(el.label), 0.95)]
    return out


_KINDS = {"file": "file", "radio": "radio", **dict.fromkeys(_TEXT_ROLES, "text")}
_KINDS |= {**dict.fromkeys(_CHOICE_ROLES, "choice"), **dict.fromkeys(_TOGGLE_ROLES, "toggle")}


def _kind(el: Element) -> str | None:
    """How a field is filled: text, file, choice, radio, toggle (None: not a field)."""
    kind = "file" if el.type == "file" else _KINDS.get(el.role)
    return None if kind == "text" and el.attributes.get("readonly") else kind


def _is_required(el: Element) -> bool:
    return el.required or bool(_REQUIRED_MARK.search(el.label))


def _is_empty(el: Element, page: PageState) -> bool:
    kind = _kind(el)
    if kind == "toggle":
        return not el.checked
    if kind == "radio":
        group = el.attributes.get("group")
        mates = [e for e in page.elements if group and e.attributes.get("group") == group]
        return not any(e.checked for e in mates or [el])
    if el.options:
        return not any(o.selected and not is_placeholder_option(o) for o in el.options)
    return not el.value or bool(kind == "choice" and PLACEHOLDER_TEXT.search(el.value.strip()))


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True, slots=True)
class _Fact:
    """One scalar (or list of scalars) of the payload; ``text`` is what may be typed."""

    path: str
    value: Any
    text: str
    secret: bool


def _facts(payload: Any) -> list[_Fact]:
    """The payload flattened to paths; secrets become placeholders, TOTP secrets are left
    out (only their codes are ever typed)."""
    try:
        payload = split_files(payload)[0]  # inline files as their {{file:...}} placeholders
    except ValueError:
        payload = None
    shown, secrets = split_secrets(payload)
    totp_secret = find_totp_secret(payload)
    facts: list[_Fact] = []

    def walk(value: Any, raw: Any, path: str) -> None:
        if isinstance(value, dict) and isinstance(raw, dict):
            for key, item in value.items():
                walk(item, raw.get(key), f"{path}.{key}" if path else str(key))
            return
        if path in secrets and is_file_placeholder(secrets[path]):
            # An inline file under a secret-looking key: its placeholder is no secret.
            facts.append(_Fact(path, secrets[path], secrets[path], False))
            return
        if path in secrets:
            if totp_secret is None or secrets[path].strip() != totp_secret:
                facts.append(_Fact(path, placeholder(path), placeholder(path), True))
            return
        if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
            facts.append(_Fact(path, value, ", ".join(str(v) for v in value), False))
        elif isinstance(value, list):
            for i, (item, raw_item) in enumerate(zip(value, raw, strict=False)):
                walk(item, raw_item, f"{path}[{i}]")
        elif value is not None and path and str(value).strip() != totp_secret:
            text = str(value) if not isinstance(value, float) else f"{value:g}"
            facts.append(_Fact(path, value, text, False))

    walk(shown, payload, "")
    return facts


_BOOLS = dict.fromkeys(("yes", "true", "on", "checked", "y", "1", "agree", "accept"), True)
_BOOLS.update(dict.fromkeys(("no", "false", "off", "unchecked", "n", "0"), False))


def _as_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else _BOOLS.get(_flat(str(value)))


def _looks_like_file(text: str) -> bool:
    if is_file_placeholder(text):
        return True
    return bool(re.match(r"https?://|[~/.]|[A-Za-z]:\\", text) or re.search(r"\.\w{2,5}$", text))


def _parse_date(text: str) -> date | None:
    # ISO first, then US order; day first where the first number cannot be a month, or
    # with dots (the European way).
    for form in ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%m-%d-%Y", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip()[:10], form).date()
        except ValueError:
            continue
    return None


def _date_text(fact_text: str, el: Element) -> str:
    """A date fact as the field wants it: ISO for a date input, else the format its label
    or placeholder shows (MM/DD/YYYY, DD.MM.YYYY...); other text is left as it is."""
    day = _parse_date(fact_text)
    if day is None:
        return fact_text
    if el.type == "date":
        return day.isoformat()
    hint = _DATE_FORMAT.search(f"{el.attributes.get('placeholder', '')} {el.label}")
    if not hint:
        return fact_text
    parts = {"dd": f"{day.day:02d}", "mm": f"{day.month:02d}", "yyyy": f"{day.year:04d}"}
    parts["yy"] = parts["yyyy"][2:]
    sep = hint[2]
    return sep.join(parts[hint[i].casefold()] for i in (1, 3, 4))


def _pick_option(value: Any, options: Sequence[ElementOption]) -> ElementOption | None:
    """The option a fact means: equal label or value, then label starting with it, then a
    label containing it as words, then a label the fact contains."""
    wants = [_flat(str(value))]
    if isinstance(value, bool) or _as_bool(value) is not None:
        wants = [*wants, *(("yes", "true") if _as_bool(value) else ("no", "false"))]
    real = [o for o in options if not is_placeholder_option(o)]
    for want in wants:
        if not want:
            continue
        boundary = re.compile(rf"(^|\W){re.escape(want)}(\W|$)")
        tests = (
            lambda o, w=want: _flat(o.label) == w or _flat(o.value) == w,
            lambda o, w=want: _flat(o.label).startswith(w),
            lambda o, b=boundary: bool(b.search(_flat(o.label))),
            lambda o, w=want: len(_flat(o.label)) >= 3 and _flat(o.label) in w,
        )
        for test in tests:
            found = next((o for o in real if test(o)), None)
            if found is not None:
                return found
    return None
