"""Finding the one-time code in a message: an SMS, an e-mail (text or HTML), or the code alone."""

from __future__ import annotations

import bisect
import html
import re

__all__ = [
    "extract_code",
]


_KEYWORDS = re.compile(
    r"verification|verify|code|c[oó]digo|otp|pass ?code|one[- ]?time|2fa|mfa|two[- ]factor|"
    r"\bpin\b|security|authenticat|log ?in|sign[- ]?in|confirm",
    re.IGNORECASE,
)
# Digit groups joined by single separators: a phone number, a date or an amount is one run
# of several groups, so a group inside it is never mistaken for a code.
_RUN = re.compile(r"[0-9]+(?:[ .\-][0-9]+)*")
_CURRENCY = "$€£¥₹"
_NEAR, _FAR, _CONTEXT = 40, 120, 250
_BARE_TEXT = 12  # non-space characters besides the code for a keyword-less message


# Every step below is linear in the text: a message of any size is read a bounded number of
# times (no pattern that rescans the rest of the text from each of many starting points).
_HTML_HINT = re.compile(r"<\s*(html|body|div|p|td|table|br|span)\b", re.I)
_HIDDEN_OPEN = re.compile(r"<(style|script|head)\b", re.I)
_TAG = re.compile(r"<[^<>]+>")  # a "<" with no ">" before the next "<" is left as text


def _drop_hidden(text: str) -> str:
    """Remove comments and <style>, <script> and <head> elements (their text is no message).

    Each search resumes where the last one stopped, so the text is read a bounded number
    of times however many unclosed tags it has.
    """
    out: list[str] = []
    pos = 0
    unclosed: set[str] = set()  # elements never closed after some point: none are later
    comment = text.find("<!--")
    opened = _HIDDEN_OPEN.search(text)
    while True:
        if 0 <= comment < pos:
            comment = text.find("<!--", pos)
        while opened is not None and (opened.start() < pos or opened.group(1).lower() in unclosed):
            opened = _HIDDEN_OPEN.search(text, max(pos, opened.end()))
        if comment < 0 and opened is None:
            break
        if opened is None or 0 <= comment < opened.start():
            out.append(text[pos:comment])
            close = text.find("-->", comment + 4)
            pos = len(text) if close < 0 else close + 3  # an unclosed comment runs to the end
            out.append(" ")
            continue
        name = opened.group(1).lower()
        closing = re.compile(rf"</{name}\s*>", re.I).search(text, opened.end())
        if closing is None:
            unclosed.add(name)
            continue
        out.append(text[pos : opened.start()])
        out.append(" ")
        pos = closing.end()
    out.append(text[pos:])
    return "".join(out)


def _plain_text(text: str) -> str:
    if "<" in text and _HTML_HINT.search(text):
        text = _TAG.sub(" ", _drop_hidden(text))
    return html.unescape(text)


_DIGITS = frozenset("0123456789")
_NOT_BEFORE = frozenset("+#/=_" + _CURRENCY)  # an id, a phone number, a path, a price
_NOT_AFTER = frozenset("%/_" + _CURRENCY)  # "600px", "20%", a date "12/05"
_REFERENCE_WORDS = ("order", "invoice", "ref", "account", "acct", "no", "no.")
_POSTAL_WORDS = ("zip", "postal", "post")
_TAIL = 64  # characters before a candidate read for "Order no." or "ZIP code"
_BEST_SCORE = 9.0  # six digits, a keyword within _NEAR, nothing against it


def _tail(before: str, marks: str) -> str:
    """``before`` without trailing spaces and one of ``marks`` (as in ``"Order no.: "``)."""
    tail = before.rstrip()
    if tail and tail[-1] in marks:
        tail = tail[:-1].rstrip()
    return tail.lower()


def _code_of(text: str, start: int, end: int) -> tuple[str, bool] | None:
    """The code a digit run at ``start:end`` would be, and whether it is split in two
    groups, or None when the run is no code by its shape or neighbours."""
    if end - start > 8:
        return None  # longer than any code, whatever its groups
    before = text[start - 1] if start else ""
    if before and (before.isalnum() or before in _NOT_BEFORE):
        return None  # part of a word, an id, a phone number, a path, a price
    before2 = text[start - 2 : start] if start >= 2 else ""
    if before == " " and before2[:1] in _CURRENCY and before2[:1]:
        return None
    after = text[end : end + 1]
    if after and (after.isalnum() or after in _NOT_AFTER):
        return None
    after2 = text[end : end + 2]
    if (len(after2) == 2 and after2[0] in ".,:" and after2[1] in _DIGITS) or (
        len(before2) == 2 and before2[0] in _DIGITS and before2[1] in ",:"
    ):
        return None  # "1,234", "10:30", a decimal
    run = text[start:end]
    if run.isdigit():
        return (run, False) if 4 <= len(run) <= 8 else None
    if len(run) == 7 and run[:3].isdigit() and run[4:].isdigit():
        return run[:3] + run[4:], True  # "123 456", "123-456"
    return None


def _score(
    text: str,
    start: int,
    end: int,
    code: str,
    split: bool,
    near_before: int | None,
    near_after: int | None,
    other_text: int,
) -> float | None:
    distances = [d for d in (near_before, near_after) if d is not None]
    nearest = min(distances) if distances else None
    if len(code) == 4 and 1900 <= int(code) <= 2099:
        if near_before is None or near_before > 15:
            return None  # "© 2024", "May 5, 2024"
    if nearest is None:
        if other_text - len(code) > _BARE_TEXT or split:
            return None
        score = 0.0
    elif nearest <= _NEAR:
        score = 6.0
    elif nearest <= _FAR:
        score = 3.0
    else:
        score = 1.0
    score += 3.0 if len(code) == 6 else 1.0
    if split:
        score -= 1.0
    before = text[max(0, start - _TAIL) : start]
    if _tail(before, ":#").endswith(_REFERENCE_WORDS):
        score -= 4.0
    postal = _tail(before, ":")
    if postal.endswith("code") and postal[:-4].rstrip().endswith(_POSTAL_WORDS):
        return None  # "ZIP code 94105" is near the word "code", and no one-time code
    return score


def extract_code(text: str) -> str | None:
    """Return the one-time code in an SMS or e-mail text (plain or HTML), or None.

    A code is 4 to 8 digits (or ``123 456`` / ``123-456``), taken as written (leading zeros
    kept). Among several numbers the one nearest to words like *code*, *verification*,
    *OTP* or *passcode* wins, and six digits beat other lengths; phone numbers, dates,
    times, years, prices and numbers inside words or links are never taken. A message
    without such words gives a code only when it says little else (``"482913"``).
    Its time grows linearly with the length of the text.
    """
    if not text or not text.strip():
        return None
    plain = re.sub(r"[ \t\r\f\v\xa0]+", " ", _plain_text(text))
    # The keywords are found once; a candidate looks up its nearest ones by bisection.
    spans = [m.span() for m in _KEYWORDS.finditer(plain)]
    starts = [s for s, _ in spans]
    ends = [e for _, e in spans]
    other_text = len(re.sub(r"\s", "", plain))
    if not spans and other_text > _BARE_TEXT + 8:
        return None  # no keyword, and too much else said for a bare code
    best: float | None = None
    found: str | None = None
    for match in _RUN.finditer(plain):
        start, end = match.span()
        shape = _code_of(plain, start, end)
        if shape is None:
            continue
        code, split = shape
        if best is not None:
            if best >= _BEST_SCORE:
                break  # no later candidate can beat it: the earlier of equals wins
            # The best this candidate could score (see _score): skip it if that is no better.
            if 6.0 + (3.0 if len(code) == 6 else 1.0) - (1.0 if split else 0.0) <= best:
                continue
        i = bisect.bisect_right(ends, start) - 1
        near_before = start - ends[i] if i >= 0 and starts[i] >= start - _CONTEXT else None
        j = bisect.bisect_left(starts, end)
        near_after = starts[j] - end if j < len(starts) and ends[j] <= end + _CONTEXT else None
        score = _score(plain, start, end, code, split, near_before, near_after, other_text)
        # The earlier of two equal candidates wins: messages state the code first.
        if score is not None and (best is None or score > best):
            best, found = score, code
    return found
