"""The offline planner: a deterministic planner that fills forms from ``navigation_payload``.

It calls no model. Each step it reads the page state the driver reports and decides by rules:

1. an element *covered* by a dialog or banner → click that overlay's accept/close button;
2. the page shows success (thank you, confirmation, your quote...) and nothing is left to
   fill → complete;
3. fill each field a fact of the payload matches (key ↔ label, name, id, autocomplete,
   placeholder; synonyms, nested paths), choose options, tick required consents (never a
   marketing opt-in unless a fact says so), type secrets as ``{{secret:<path>}}`` and
   one-time codes as ``{{totp_code}}``;
4. a required field no fact fills → terminate, naming it;
5. click the button that goes on (submit, continue, next, sign in, pay...), one form step
   at a time; nothing to fill and no such button → terminate;
6. the same actions on the same page for :data:`STUCK_STEPS` steps → terminate.

The same page and payload always give the same decision. Extraction reads label/value pairs
and "Label: value" lines of :attr:`PageState.content` and, where the session read the whole
page (:attr:`ExtractContext.document`), of every line of it; a list of objects in the schema
is read from the page's tables, one item per row (each property from the column its name
matches, or the column whose cells fit its ``pattern``). Values are held to the task's
``extracted_information_schema`` (types, ``pattern``). Usage is always zero: it is free.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from skyvern_core.config import Settings
from skyvern_core.models import (
    Action,
    CheckAction,
    ClickAction,
    CompleteAction,
    Decision,
    Element,
    ElementOption,
    Extraction,
    InputTextAction,
    PageState,
    SelectOptionAction,
    Step,
    TerminateAction,
    UploadFileAction,
    Usage,
)
from skyvern_core.perception.document import DocumentTable, read_tables
from skyvern_core.perception.serializer import PLACEHOLDER_TEXT, is_placeholder_option
from skyvern_core.planner.loops import STUCK_STEPS, repeated_steps, same_document
from skyvern_core.protocols import ExtractContext, PlanContext
from skyvern_core.secrets import placeholder, redact, split_secrets
from skyvern_core.totp import TOTP_PLACEHOLDER, find_totp_secret
from skyvern_core.uploads import is_file_placeholder, split_files

__all__ = ["MATCH_THRESHOLD", "STUCK_STEPS", "OfflinePlanner", "match_score"]

MATCH_THRESHOLD = 0.6
"""The least score at which a payload key is taken to name a field."""


_FREE = Usage(input_tokens=0, output_tokens=0, cost=0.0)

_Failed = set[tuple[str, str]]
"""(action type, element id) pairs that failed on the current page."""

# --------------------------------------------------------------------------- words

# Prefixes of old-style field names (txtSurname, selCounty) and filler words of labels.
_NOISE = {"txt", "sel", "rdo", "chk", "inp", "fld", "the", "a", "an", "your", "of", "please"}
_ABBREVIATIONS = {"no": "number", "nr": "number", "num": "number", "addr": "address"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _words(text: str) -> list[str]:
    """Lower-case words of a key or label: snake, camel and kebab case split, plurals cut."""
    words = []
    for word in re.findall(r"[a-z0-9]+", _CAMEL.sub(" ", text).casefold()):
        word = _ABBREVIATIONS.get(word, word)
        if word in _NOISE:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return words


def _flat(text: str) -> str:
    """Case- and space-insensitive form of a value or option label."""
    return " ".join(str(text).split()).casefold().strip(" *:")


def _same_word(a: str, b: str) -> bool:
    # A shared stem of five letters ties "monthly" to "month", "authorized" to
    # "authorization"; shorter words must be equal.
    if a == b:
        return True
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= 5


# Synonym groups. The longest phrase found in a text names its concept, so "Email address"
# is an email (not an address) and "First name" a first name (not a full name).
_CONCEPTS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "given name", "forename", "firstname", "fname"),
    "last_name": ("last name", "surname", "family name", "lastname", "lname"),
    "full_name": ("name", "full name", "your name", "cardholder name", "name on card"),
    "email": ("email", "e mail", "email address", "mail"),
    "phone": ("phone", "telephone", "mobile", "tel", "phone number", "cell phone"),
    "zip": ("zip", "zip code", "postal code", "postcode", "post code", "zipcode"),
    "dob": ("dob", "date of birth", "birthday", "birth date", "birthdate"),
    "address": ("address", "street", "street address", "address line 1", "address1"),
    "address2": ("address line 2", "address2", "apartment", "suite"),
    "city": ("city", "town"),
    "state": ("state", "county", "region", "province"),
    "country": ("country", "country or region"),
    "company": ("company", "employer", "organization", "organisation", "company name"),
    "linkedin": ("linkedin", "linkedin profile", "linkedin url"),
    "resume": ("resume", "cv", "resume cv", "curriculum vitae"),
    "card_number": ("card number", "credit card number", "cc number", "debit card number"),
    "cvc": ("cvc", "cvv", "cvc cvv", "security code", "card code"),
    "expiry": ("expiry", "expiration", "expiration date", "expiry date", "exp date"),
    "username": ("username", "user name", "login", "user id"),
    "password": ("password", "passphrase"),
    "one_time_code": ("otp", "one time code", "verification code", "passcode", "2fa code"),
}
# A second address line often has no label of its own: it repeats "Address".
_RELATED = {("address2", "address"): MATCH_THRESHOLD + 0.05}
_PHRASES = sorted(
    ((tuple(_words(p)), concept) for concept, ps in _CONCEPTS.items() for p in ps),
    key=lambda item: -len(item[0]),
)
# The autocomplete tokens of the HTML standard, by concept.
_AUTOCOMPLETE = dict(
    pair.split("=")
    for pair in """given-name=first_name family-name=last_name name=full_name cc-name=full_name
    email=email tel=phone tel-national=phone postal-code=zip bday=dob street-address=address
    address-line1=address address-line2=address2 address-level2=city address-level1=state
    country=country country-name=country organization=company cc-number=card_number
    cc-csc=cvc cc-exp=expiry username=username current-password=password
    new-password=password""".split()
)


def _concept(words: Sequence[str]) -> str | None:
    for phrase, concept in _PHRASES:
        n = len(phrase)
        if any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1)):
            return concept
    return None


def _phrase_score(key: Sequence[str], text: Sequence[str]) -> float:
    """How well the words of a key name a text: all key words in a short text → near 1."""
    if not key or not text:
        return 0.0
    if list(key) == list(text):
        return 1.0
    matched = sum(1 for k in key if any(_same_word(k, t) for t in text))
    if not matched:
        return 0.0
    covered = sum(1 for t in text if any(_same_word(k, t) for k in key))
    # Short of an exact name, a match is never quite certain: 0.95 at most.
    return 0.95 * (matched / len(key)) * (0.7 + 0.3 * covered / len(text))


def match_score(key: str, texts: Iterable[tuple[str, float]]) -> float:
    """Score (0..1) of a payload key (``vehicle.make``) naming a field described by
    ``texts`` — (label, name, id, placeholder...; weight) pairs.

    A concept both sides name (first name / given name / forename...) scores 1, two
    different concepts 0; otherwise the share of the key's words found in the text,
    with the last path segment and parent + last segment both tried.
    """
    return _score(_key_phrases(key), [(_words(t), w) for t, w in texts])


def _key_phrases(key: str) -> list[list[str]]:
    parts = [p for p in re.split(r"[.\[\]]", key) if p and not p.isdigit()]
    phrases = [_words(parts[-1])] if parts else []
    if len(parts) > 1:
        phrases.append(_words(" ".join(parts[-2:])))
    return [p for p in phrases if p]


def _score(phrases: list[list[str]], descriptors: list[tuple[list[str], float]]) -> float:
    if not phrases:
        return 0.0
    key_concept = _concept(phrases[0])
    best = 0.0
    for words, weight in descriptors:
        if not words:
            continue
        concept = _concept(words)
        if key_concept and concept:
            score = 1.0 if key_concept == concept else _RELATED.get((key_concept, concept), 0.0)
        else:
            score = max(_phrase_score(p, words) for p in phrases)
        best = max(best, score * weight)
    return best


# --------------------------------------------------------------------------- page reading

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


# --------------------------------------------------------------------------- extraction

_MONEY = re.compile(r"[-+]?[$€£¥₹]\s?\d[\d,]*(?:\.\d+)?|[-+]?\d[\d,]*(?:\.\d+)?\s?(?:€|EUR|USD)")
_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")
_MONEY_NAME = re.compile(r"price|premium|cost|total|amount|fee|balance|salary|charge|due")
_ID_NAME = re.compile(r"number|\bid\b|code|reference|\bref\b|\bno\b")
_CONNECTORS = re.compile(r"^(?:[:#=\-\u2013\u2014]|\bis\b|\bwas\b|\bare\b|\bof\b|\s)+", re.I)


def _text_lines(page: PageState) -> list[str]:
    lines: list[str] = []
    for line in [*page.text.splitlines(), *page.content.splitlines()]:
        line = " ".join(line.split())
        if line and line not in lines:
            lines.append(line)
    return lines


_LIST_MARK = re.compile(r"^\s*(?:#{1,6} |- |\d+\. )")
_FIELD_VALUE = re.compile(r"(:\s)\[([^\]]*)\]")


def _document_lines(document: str) -> list[str]:
    """The lines of the whole page for reading values: marks of headings and list items
    taken off, a field's ``Label: [value]`` as ``Label: value``; a table's rows read as
    ``name: value`` only where the table holds one record (two columns without a header
    line, or one row under one)."""
    lines: list[str] = []
    raw = document.split("\n")
    for line in raw:
        line = line.strip()
        if not line or line.startswith("|"):
            continue
        line = _FIELD_VALUE.sub(r"\1\2", _LIST_MARK.sub("", line))
        lines.append(" ".join(line.split()))
    for table in read_tables(document):
        if len(table.rows) == 1:
            for name, value in zip(table.header, table.rows[0], strict=False):
                if name and value:
                    lines.append(f"{name}: {value}")
    for line in raw:
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if line.strip().startswith("|") and len(cells) == 2 and all(cells):
            lines.append(f"{cells[0].rstrip(':')}: {cells[1]}")
    return lines


def _label_like(line: str) -> bool:
    return len(line.split()) <= 5 and not re.search(r"\d|[.!?,;$€£]", line)


def _pairs(page: PageState, lines: list[str]) -> list[tuple[str, str]]:
    """Label/value pairs: "Label: value" lines, a label line with its value on the next
    line (definition lists, table cells; not a header row of labels), fields with values."""
    pairs: list[tuple[str, str]] = []
    for i, line in enumerate(lines):
        m = re.match(r"^([^:]{1,60}?)\s*:\s*(\S.*)$", line)
        if m and not m[2].startswith("//"):
            pairs.append((m[1], m[2]))
        elif i + 1 < len(lines) and _label_like(line) and not _label_like(lines[i + 1]):
            pairs.append((line.rstrip(":"), lines[i + 1]))
    for el in page.elements:
        value = el.value
        if el.options:
            value = ", ".join(o.label for o in el.options if o.selected)
        if el.label and value and el.type != "password":
            pairs.append((el.label, value))
    return pairs


def _fits(text: str, schema: dict[str, Any], name: str) -> list[Any]:
    """The values in ``text`` that fit a property's schema, best first."""
    types = schema.get("type", "string")
    types = types if isinstance(types, list) else [types]
    pattern = schema.get("pattern")
    if "number" in types or "integer" in types:
        if _MONEY_NAME.search(name):
            text = " ".join(m.group() for m in _MONEY.finditer(text))
        integer = "integer" in types and "number" not in types
        found = [m.group() for m in _MONEY.finditer(text)] or _NUMBER.findall(text)
        numbers = [_to_number(m, integer) for m in found]
        return [v for v in numbers if v is not None]
    if "boolean" in types:
        value = _as_bool(text)
        return [] if value is None else [value]
    tokens = [t.strip(",.;:()[]\"'") for t in text.split()]
    if pattern:
        found = [t for t in tokens if t and re.search(pattern, t)]
        return found or ([text.strip()] if re.search(pattern, text.strip()) else [])
    if _MONEY_NAME.search(name):
        return [m.group().strip() for m in _MONEY.finditer(text)]
    if _ID_NAME.search(name) and any(re.search(r"\d", t) for t in tokens):
        return [t for t in tokens if re.search(r"\d", t)]
    whole = text.strip().rstrip(".,;")
    return [whole] if whole else []


def _to_number(text: str, integer: bool) -> float | int | None:
    digits = re.sub(r"[^\d.\-+]", "", text.replace(",", ""))
    try:
        number = float(digits)
    except ValueError:
        return None
    if integer:
        return int(number) if number.is_integer() else None
    return int(number) if number.is_integer() and "." not in digits else number


def _candidates(name: str, lines: list[str], pairs: list[tuple[str, str]]) -> list[str]:
    """Texts that may hold a property's value, the best-named first."""
    key = _words(name)
    scored: list[tuple[float, int, str]] = []
    for order, (label, value) in enumerate(pairs):
        score = _phrase_score(key, _words(label))
        if score >= MATCH_THRESHOLD:
            scored.append((score + 0.05, order, value))
    for order, line in enumerate(lines, start=len(pairs)):
        tokens = list(re.finditer(r"\S+", line))
        hits = [
            i
            for i, t in enumerate(tokens)
            if any(_same_word(k, w) for k in key for w in _words(t.group()))
        ]
        if not hits:
            continue
        share = len({w for w in key if any(_same_word(w, x) for x in _words(line))}) / len(key)
        if share < 0.5:
            continue
        after = _CONNECTORS.sub("", line[tokens[hits[-1]].end() :])
        before = line[: tokens[hits[0]].start()]
        scored += [(share, order, after), (share - 0.1, order, before)]
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [text for _, _, text in scored if text.strip()]


def _column(prop: str, schema: dict[str, Any], table: DocumentTable) -> int | None:
    """The column of a table that holds a property: the one its name matches best, else
    the one whose cells fit the property's ``pattern`` most often."""
    scores = [(match_score(prop, [(name, 1.0)]), i) for i, name in enumerate(table.header)]
    best = max(scores, default=(0.0, -1))
    if best[0] >= MATCH_THRESHOLD:
        return best[1]
    pattern = schema.get("pattern")
    if not pattern:
        return None
    fits = [
        (sum(1 for row in table.rows if i < len(row) and re.search(pattern, row[i])), i)
        for i in range(len(table.header))
    ]
    count, index = max(fits, default=(0, -1))
    return index if count * 2 > len(table.rows) else None


def _table_items(items: dict[str, Any], tables: Sequence[DocumentTable]) -> list[Any] | None:
    """One object per row of the tables that have a column for each required property (or
    for every property, when none is required); None when no table has."""
    props: dict[str, Any] = items.get("properties") or {}
    needed = set(items.get("required") or props)
    found: list[Any] = []
    matched = False
    for table in tables:
        where = {}
        for prop, sub in props.items():
            column = _column(prop, sub if isinstance(sub, dict) else {}, table)
            if column is not None:
                where[prop] = column
        if not where or not needed <= set(where):
            continue
        matched = True
        for row in table.rows:
            item: dict[str, Any] = {}
            for prop, column in where.items():
                cell = row[column].split(" · ")[0] if column < len(row) else ""
                sub = props[prop] if isinstance(props[prop], dict) else {}
                plain = sub.get("type", "string") == "string" and "pattern" not in sub
                if plain and not (_MONEY_NAME.search(prop) or _ID_NAME.search(prop)):
                    values = [cell.strip()] if cell.strip() else []  # the cell as it is
                else:
                    values = _fits(cell, sub, prop) if cell else []
                if values:
                    item[prop] = values[0]
            if needed <= set(item):
                found.append(item)
    return found if matched else None


def _extract_property(
    name: str,
    schema: Any,
    lines: list[str],
    pairs: list[tuple[str, str]],
    skip: Any,
    tables: Sequence[DocumentTable] = (),
) -> Any:
    schema = schema if isinstance(schema, dict) else {}
    if schema.get("type") == "object" or "properties" in schema:
        return _extract_object(schema, lines, pairs, skip if isinstance(skip, dict) else {}, tables)
    if schema.get("type") == "array":
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        if items.get("properties"):
            rows = _table_items(items, tables)
            if rows is not None:
                return rows
        values: list[Any] = []
        for text in _candidates(name, lines, pairs):
            values += [v for v in _fits(text, items, name) if v not in values]
        return values
    # Without a label, only a value the schema pins down (a pattern, a number, an amount)
    # may be taken from anywhere on the page; any other line would be a guess.
    pinned = "pattern" in schema or schema.get("type") in ("number", "integer")
    anywhere = lines if pinned or _MONEY_NAME.search(name) else []
    for text in [*_candidates(name, lines, pairs), *anywhere]:
        for value in _fits(text, schema, name):
            if value != skip:
                return value
    return None


def _extract_object(
    schema: dict[str, Any],
    lines: list[str],
    pairs: list[tuple[str, str]],
    skip: dict[str, Any],
    tables: Sequence[DocumentTable] = (),
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, sub in (schema.get("properties") or {}).items():
        value = _extract_property(name, sub, lines, pairs, skip.get(name), tables)
        if value is not None:
            data[name] = value
    return data


def _rejected(previous: Any, errors: list[str]) -> Any:
    """The previous answer's values the schema errors name (all of them when the errors
    name none): a correction round offers the next candidate instead."""
    if not isinstance(previous, dict):
        return previous
    named = {
        k: v for k, v in previous.items() if any(f"at {k}" in e or repr(k) in e for e in errors)
    }
    return named or previous


# --------------------------------------------------------------------------- the planner


class OfflinePlanner:
    """The offline planner: decides steps and extracts data by rules, without a model.

    Deterministic (same page and payload, same decision) and free (usage is zero). It fills
    forms from ``navigation_payload``, follows multi-step forms, completes on a success
    page and terminates with a reason when it cannot go on; see the module docstring.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    async def decide(self, context: PlanContext) -> Decision:
        """Return this step's actions, or complete / terminate with the reason."""
        page, request = context.page, context.task.request
        failed, typed = _history(context.history, page.url)
        overlay = _dismiss_button(page, failed)
        if overlay is not None:
            why = f"offline planner: a dialog covers the page; clicking {overlay.label!r}"
            return self._go(context, why, [ClickAction(element_id=overlay.id, reasoning=why)])
        has_totp = bool(
            find_totp_secret(request.navigation_payload)
            or request.totp_verification_url
            or request.totp_identifier
        )
        facts = _facts(request.navigation_payload)
        plan = _plan_fills(page, facts, has_totp, typed, failed)
        fields = any(_kind(e) and e.visibility != "hidden" for e in page.elements)
        if not plan.actions and not plan.missing and _shows_success(page, fields):
            why = "offline planner: the page shows success and nothing is left to fill"
            return self._decision(why, [CompleteAction(reasoning=why)])
        if plan.missing:
            names = ", ".join(repr(_clean_label(e)) for e in plan.missing)
            return self._stop(
                f"offline planner: the page needs {names} and navigation_payload has nothing for it"
            )
        actions = list(plan.actions)
        why = f"offline planner: {len(actions)} field(s) to fill"
        # A field that waits on another (a model select enabled by the make) is filled next
        # step; going on now would only meet the form's own validation.
        if not plan.waiting:
            last = max((i for i, e in enumerate(page.elements) if e.id in plan.handled), default=0)
            button = _submit_button(page, failed, last)
            if button is not None:
                why += f", then go on with {button.label!r}"
                actions.append(ClickAction(element_id=button.id, reasoning=why))
        if not actions and context.errors:
            return self._stop(
                f"offline planner: the last attempt failed ({'; '.join(context.errors)}) "
                "and there is no other candidate to try"
            )
        if not actions:
            return self._stop(
                "offline planner: nothing left to fill on this page and no button to go on"
            )
        return self._go(context, why, actions)

    def _go(self, context: PlanContext, why: str, actions: list[Action]) -> Decision:
        """The actions, unless the latest steps took exactly them on this page already."""
        if repeated_steps(context.history, context.page.url, actions) >= STUCK_STEPS - 1:
            said = "; ".join(context.page.text.splitlines()[-3:])
            return self._stop(
                f"offline planner: the page stayed the same after {STUCK_STEPS} steps of the "
                f"same actions (the page says: {said or 'nothing'})"
            )
        return self._decision(why, actions)

    async def extract(self, context: ExtractContext) -> Extraction:
        """Return the values the schema asks for, read from the page's text and fields."""
        page = context.page
        lines = _text_lines(page)
        tables: list[DocumentTable] = []
        if context.document:
            # What is in view first (the page state's own reading), then the rest of the page.
            lines += [x for x in _document_lines(context.document) if x and x not in lines]
            tables = read_tables(redact(context.document, context.secrets))
        lines = [redact(line, context.secrets) for line in lines]
        pairs = [(k, redact(v, context.secrets)) for k, v in _pairs(page, lines)]
        schema = context.task.request.extracted_information_schema
        skip = _rejected(context.previous, context.errors) if context.errors else None
        if not isinstance(schema, dict) or not schema:
            data: Any = {"text": lines}
            if pairs:
                data["fields"] = {label.strip(" :*"): value for label, value in pairs}
            return Extraction(data=data, usage=_FREE.model_copy())
        if schema.get("type") == "object" or "properties" in schema:
            data = _extract_object(
                schema, lines, pairs, skip if isinstance(skip, dict) else {}, tables
            )
        else:
            goal = context.task.request.data_extraction_goal or "value"
            data = _extract_property(goal, schema, lines, pairs, skip, tables)
        source = "document" if context.document is not None else "page"
        return Extraction(data=data, usage=_FREE.model_copy(), source=source)

    @staticmethod
    def _decision(reasoning: str, actions: list[Action]) -> Decision:
        return Decision(reasoning=reasoning, actions=actions, usage=_FREE.model_copy())

    def _stop(self, reason: str) -> Decision:
        return self._decision(reason, [TerminateAction(reason=reason, reasoning=reason)])
