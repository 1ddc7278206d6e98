"""Which option of a list a requested text means: one rule for every driver and widget.

A model asks for ``"mr"`` where the page lists ``"MR."``, for ``"united states"`` where it
lists ``"United States of America"``, for ``"Economy"`` where it lists ``"Economy / Coach"``.
:func:`match_option` decides, in this order, stopping at the first rule that finds
something:

1. ``exact``: the label as written (white space aside), then the option's value as written;
2. ``normalized``: equal once case, accents, punctuation and spacing are ignored
   (``"MR."`` = ``"mr"``, ``"Côte d'Ivoire"`` = ``"cote divoire"``), label then value;
3. ``synonym``: a common other name (:data:`SYNONYMS`: ``"USA"`` for United States of
   America, ``"UK"``, ``"Y"`` for Yes), compared the same way;
4. ``words``: the words asked for lead the option's words (``"United States"`` ⊂
   ``"United States of America"``), then appear in a row within them (``"Coach"`` ⊂
   ``"Economy / Coach"``), then the option's words all appear in what was asked
   (``"Paris, France"`` → ``"Paris"``; of several, the one with the most words), then
   every word asked for is among the option's (``"Paris CDG"`` → ``"Paris Charles de
   Gaulle (CDG)"``). Whole words only, so ``"Mr"`` never means ``"MRS."``;
5. ``prefix`` / ``contains``: the normalized text starts or holds what was asked
   (3 characters at least: ``"Calif"`` → ``"California"``);
6. ``close``: a close spelling (:data:`CLOSE_RATIO`, ``difflib`` ratio of the normalized
   texts), for 4 characters or more, the same numbers and the same short words, and well
   ahead of the next best.

Two options equally good at the first rule that finds any is an :class:`AmbiguousOption`
naming them; none at all is a :class:`NoOptionMatch` listing the options.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "CLOSE_LEAD",
    "CLOSE_RATIO",
    "SYNONYMS",
    "AmbiguousOption",
    "NoOptionMatch",
    "OptionMatch",
    "match_option",
    "normalize_option",
]

CLOSE_RATIO = 0.85
"""The least ``difflib`` ratio of a close spelling ("Untied States" ~ "United States")."""
CLOSE_LEAD = 0.05
"""How far a close spelling must be ahead of the next best to be taken."""
_MIN_PARTIAL = 3
"""The fewest characters a prefix or substring match is tried with."""
_MIN_CLOSE = 4
"""The fewest characters a close-spelling match is tried with."""

# Groups of names for one thing, normalized. Kept to names that mean one thing wherever a
# form lists them: countries by their common short names and codes, and yes/no answers.
_SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("united states", "united states of america", "usa", "us", "u s", "u s a", "america"),
    (
        "united kingdom",
        "united kingdom of great britain and northern ireland",
        "uk",
        "u k",
        "great britain",
        "gb",
        "britain",
    ),
    ("united arab emirates", "uae"),
    ("south korea", "korea republic of", "republic of korea", "korea south"),
    ("russia", "russian federation"),
    ("netherlands", "the netherlands", "holland"),
    ("czech republic", "czechia"),
    ("yes", "y"),
    ("no", "n"),
)
SYNONYMS: dict[str, frozenset[str]] = {
    name: frozenset(group) - {name} for group in _SYNONYM_GROUPS for name in group
}
"""Other names of an option (normalized text -> the other normalized names)."""


def normalize_option(text: str) -> str:
    """``text`` without case, accents or punctuation, words separated by one space.

    ``"  Côte d'Ivoire "`` -> ``"cote divoire"``; ``"MR."`` -> ``"mr"``;
    ``"Economy / Coach"`` -> ``"economy coach"``. Apostrophes join (``d'Ivoire`` is one
    word); other punctuation separates words.
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = re.sub("['`\u2019\u00b4]", "", plain)
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


@dataclass(frozen=True, slots=True)
class OptionMatch:
    """The option chosen for a requested text: its index and label, and by which rule."""

    index: int
    label: str
    how: str
    """``exact``, ``value``, ``normalized``, ``synonym``, ``words``, ``prefix``,
    ``contains`` or ``close``."""
    score: float = 1.0
    """1.0 but for a close spelling, where it is the ratio."""

    @property
    def exact(self) -> bool:
        """Whether the option is the text asked for, as written."""
        return self.how in ("exact", "value")


class NoOptionMatch(ValueError):
    """No option fits the text asked for; ``options`` are the labels there were."""

    def __init__(self, wanted: str, options: Sequence[str]) -> None:
        self.wanted = wanted
        self.options = list(options)
        shown = ", ".join(self.options[:30]) or "none"
        super().__init__(f"no option {wanted!r}; the options are: {shown}")


class AmbiguousOption(ValueError):
    """Several options fit the text asked for equally well; ``candidates`` are their labels."""

    def __init__(self, wanted: str, candidates: Sequence[str]) -> None:
        self.wanted = wanted
        self.candidates = list(candidates)
        shown = ", ".join(repr(c) for c in self.candidates[:10])
        super().__init__(f"{wanted!r} fits several options: {shown}; give the option's full text")


def _digits(text: str) -> list[str]:
    return re.findall(r"\d+", text)


def _contiguous(needle: Sequence[str], hay: Sequence[str]) -> int:
    """Where the words ``needle`` appear in a row in ``hay`` (-1: they do not)."""
    n = len(needle)
    for i in range(len(hay) - n + 1):
        if list(hay[i : i + n]) == list(needle):
            return i
    return -1


def _pick(wanted: str, labels: Sequence[str], found: list[int], how: str) -> OptionMatch:
    """One of ``found`` (indexes of equally ranked options): alone, or the same label."""
    distinct = {normalize_option(labels[i]) for i in found}
    if len(distinct) > 1:
        raise AmbiguousOption(wanted, [labels[i] for i in found])
    return OptionMatch(found[0], labels[found[0]], how)


def _most_words(
    wanted: str, labels: Sequence[str], found: list[tuple[int, int]], how: str
) -> OptionMatch:
    """Of ``(index, words)``, the option with the most words, if alone in that."""
    most = max(n for _, n in found)
    best = [i for i, n in found if n == most]
    if len({normalize_option(labels[i]) for i in best}) > 1:
        raise AmbiguousOption(wanted, [labels[i] for i in best])
    return OptionMatch(best[0], labels[best[0]], how)


def match_option(
    wanted: str,
    labels: Sequence[str],
    values: Sequence[str | None] | None = None,
) -> OptionMatch:
    """The option of ``labels`` (with ``values``, the same length, where they exist) meant
    by ``wanted``, by the rules of this module.

    Raises :class:`AmbiguousOption` (naming the candidates) or :class:`NoOptionMatch`
    (listing the options).
    """
    vals: list[str] = [str(v or "") for v in (values or [])]
    vals += [""] * (len(labels) - len(vals))
    text = " ".join((wanted or "").split())
    # 1. exact: the label, then the value, as written.
    found = [i for i, label in enumerate(labels) if " ".join(label.split()) == text]
    if found:
        return OptionMatch(found[0], labels[found[0]], "exact")
    found = [i for i, value in enumerate(vals) if value and value.strip() == text]
    if found:
        return _pick(wanted, labels, found, "value")
    want = normalize_option(text)
    if not want:
        raise NoOptionMatch(wanted, labels)
    norms = [normalize_option(label) for label in labels]
    compact = want.replace(" ", "")
    # 2. normalized: label, then value (spaces aside too: "e-mail" = "email").
    found = [i for i, n in enumerate(norms) if n == want]
    found = found or [i for i, n in enumerate(norms) if n and n.replace(" ", "") == compact]
    if found:
        return _pick(wanted, labels, found, "normalized")
    found = [i for i, v in enumerate(vals) if v and normalize_option(v) == want]
    if found:
        return _pick(wanted, labels, found, "value")
    # 3. another common name of the same thing.
    others = SYNONYMS.get(want, frozenset())
    found = [i for i, n in enumerate(norms) if n in others]
    if found:
        return _pick(wanted, labels, found, "synonym")
    # 4. whole words.
    words = want.split()
    option_words = [n.split() for n in norms]
    found = [i for i, ow in enumerate(option_words) if ow[: len(words)] == words]
    found = found or [i for i, ow in enumerate(option_words) if _contiguous(words, ow) > 0]
    if found:
        return _pick(wanted, labels, found, "words")
    # The option's words within what was asked ("Paris, France" -> "Paris"): the longest,
    # so that "I am not a US citizen" means "Not a US citizen" rather than "US citizen".
    within = [
        (i, len(ow)) for i, ow in enumerate(option_words) if ow and _contiguous(ow, words) >= 0
    ]
    if within:
        return _most_words(wanted, labels, within, "words")
    if len(words) > 1:
        found = [i for i, ow in enumerate(option_words) if set(words) <= set(ow)]
        if found:
            return _pick(wanted, labels, found, "words")
    # 5. part of a word.
    if len(compact) >= _MIN_PARTIAL:
        found = [i for i, n in enumerate(norms) if n.startswith(want)]
        if found:
            return _pick(wanted, labels, found, "prefix")
        found = [i for i, n in enumerate(norms) if want in n]
        if found:
            return _pick(wanted, labels, found, "contains")
    # 6. a close spelling.
    if len(compact) >= _MIN_CLOSE:
        close = _close(wanted, want, labels, norms)
        if close is not None:
            index, ratio = close
            return OptionMatch(index, labels[index], "close", round(ratio, 3))
    raise NoOptionMatch(wanted, labels)


def _close(
    wanted: str, want: str, labels: Sequence[str], norms: Sequence[str]
) -> tuple[int, float] | None:
    """The option spelled closest to ``want``, if close enough and clearly the closest.

    Numbers must be the same and so must short words (``"Model 3"`` is not
    ``"Model S"``, nor ``"Type A"`` ``"Type B"``): a slip of the keyboard changes a long
    word, not a one- or two-letter one.
    """
    digits = _digits(want)
    short = {w for w in want.split() if len(w) <= 2}
    scored: list[tuple[float, int]] = []
    for i, n in enumerate(norms):
        if not n or _digits(n) != digits or not short <= set(n.split()):
            continue
        ratio = difflib.SequenceMatcher(None, want, n, autojunk=False).ratio()
        scored.append((ratio, i))
    scored.sort(reverse=True)
    if not scored or scored[0][0] < CLOSE_RATIO:
        return None
    if len(scored) > 1 and scored[0][0] - scored[1][0] < CLOSE_LEAD:
        near = [labels[i] for i in sorted(i for ratio, i in scored if ratio >= CLOSE_RATIO)]
        if len(near) > 1:
            raise AmbiguousOption(wanted, near)
        return None
    return scored[0][1], scored[0][0]
