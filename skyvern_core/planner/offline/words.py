"""How the offline planner tells that a payload key names a field: words, synonyms, scores."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = ["MATCH_THRESHOLD", "match_score"]


MATCH_THRESHOLD = 0.6
"""The least score at which a payload key is taken to name a field."""

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
