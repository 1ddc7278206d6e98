"""The option matcher both browser drivers use: a table of what a model asks for, what a
page lists, and what gets chosen (or the error naming the candidates)."""

from __future__ import annotations

import pytest

from skyvern_core.perception.matching import (
    AmbiguousOption,
    NoOptionMatch,
    match_option,
    normalize_option,
)

TITLES = ["Select...", "MR.", "MRS.", "MS.", "DR."]
COUNTRIES = [
    "Canada",
    "Côte d'Ivoire",
    "United Kingdom",
    "United States Minor Outlying Islands",
    "United States of America",
]
CABINS = ["Premium Economy", "Economy / Coach", "Business", "First"]
AIRPORTS = ["Paris Charles de Gaulle (CDG)", "Paris Orly (ORY)", "Beauvais (BVA)"]
CARS = ["Model S", "Model X", "Model Y"]
STATES = ["California", "Colorado", "Connecticut", "New York", "New Jersey"]


@pytest.mark.parametrize(
    ("wanted", "labels", "chosen", "how"),
    [
        ("MR.", TITLES, "MR.", "exact"),
        ("mr", TITLES, "MR.", "normalized"),
        ("Mr", TITLES, "MR.", "normalized"),
        ("mrs", TITLES, "MRS.", "normalized"),
        ("Dr", TITLES, "DR.", "normalized"),
        ("  Canada ", COUNTRIES, "Canada", "exact"),
        ("cote d'ivoire", COUNTRIES, "Côte d'Ivoire", "normalized"),
        ("Côte d\u2019Ivoire", COUNTRIES, "Côte d'Ivoire", "normalized"),
        ("united states", COUNTRIES, "United States of America", "synonym"),
        ("USA", COUNTRIES, "United States of America", "synonym"),
        ("U.S.", COUNTRIES, "United States of America", "synonym"),
        ("UK", COUNTRIES, "United Kingdom", "synonym"),
        (
            "United States",
            ["Mexico", "United States of America"],
            "United States of America",
            "synonym",
        ),
        ("Economy", CABINS, "Economy / Coach", "words"),
        ("economy/coach", CABINS, "Economy / Coach", "normalized"),
        ("Coach", CABINS, "Economy / Coach", "words"),
        ("premium economy", CABINS, "Premium Economy", "normalized"),
        ("Business class", CABINS, "Business", "words"),
        ("I am not a US citizen", ["US citizen", "Not a US citizen"], "Not a US citizen", "words"),
        ("Paris CDG", AIRPORTS, "Paris Charles de Gaulle (CDG)", "words"),
        ("orly", AIRPORTS, "Paris Orly (ORY)", "words"),
        ("Calif", STATES, "California", "prefix"),
        ("Californa", STATES, "California", "close"),
        ("New Yrok", STATES, "New York", "close"),
        ("e-mail", ["Phone", "Email", "Post"], "Email", "normalized"),
        ("Y", ["Yes", "No"], "Yes", "synonym"),
        ("Model X", CARS, "Model X", "exact"),
    ],
)
def test_chosen_option(wanted: str, labels: list[str], chosen: str, how: str) -> None:
    match = match_option(wanted, labels)
    assert (match.label, match.how) == (chosen, how)
    assert labels[match.index] == chosen


def test_by_value_after_the_label() -> None:
    labels, values = ["France", "Germany", "fr"], ["fr", "de", "x"]
    assert match_option("de", labels, values).label == "Germany"
    # A label written so wins over a value written so.
    assert match_option("fr", labels, values).label == "fr"
    assert match_option("DE", labels, values).how == "value"


@pytest.mark.parametrize(
    ("wanted", "labels", "candidates"),
    [
        ("United", COUNTRIES, COUNTRIES[2:]),
        ("Paris", AIRPORTS, ["Paris Charles de Gaulle (CDG)", "Paris Orly (ORY)"]),
        ("New", STATES, ["New York", "New Jersey"]),
        ("Co", ["Colorado", "Connecticut"], None),
        ("Paris, France", ["Paris", "France"], ["Paris", "France"]),
    ],
)
def test_ambiguity_names_the_candidates(
    wanted: str, labels: list[str], candidates: list[str] | None
) -> None:
    if candidates is None:
        # Too short to be a prefix of anything: no match, not a guess.
        with pytest.raises(NoOptionMatch):
            match_option(wanted, labels)
        return
    with pytest.raises(AmbiguousOption) as caught:
        match_option(wanted, labels)
    assert caught.value.candidates == candidates
    for label in candidates:
        assert repr(label) in str(caught.value)
    assert "give the option's full text" in str(caught.value)


@pytest.mark.parametrize(
    ("wanted", "labels"),
    [
        ("Mr", ["MRS.", "MS."]),  # "Mr" is a word of its own, never the start of "Mrs"
        ("Model 3", CARS),  # numbers must agree
        ("Model Z", CARS),  # so must a one-letter word
        ("Spain", ["France", "Germany"]),
        ("", ["France"]),
        ("...", ["France"]),
        ("2019", ["2017", "2018", "2020"]),
    ],
)
def test_no_match_lists_the_options(wanted: str, labels: list[str]) -> None:
    with pytest.raises(NoOptionMatch) as caught:
        match_option(wanted, labels)
    assert caught.value.options == labels
    assert str(caught.value).endswith("the options are: " + (", ".join(labels) or "none"))


def test_close_spellings_equally_close_are_ambiguous() -> None:
    with pytest.raises(AmbiguousOption) as caught:
        match_option("Austrai", ["Austria", "Austrib"])
    assert caught.value.candidates == ["Austria", "Austrib"]


def test_duplicate_labels_are_one_option() -> None:
    match = match_option("ECONOMY", ["Economy", "economy", "Business"])
    assert match.index == 0


def test_normalize() -> None:
    assert normalize_option("  Côte d\u2019Ivoire ") == "cote divoire"
    assert normalize_option("Economy / Coach") == "economy coach"
    assert normalize_option("MR.") == "mr"
    assert normalize_option("São Paulo \u2013 GRU") == "sao paulo gru"


# --------------------------------------------------------------------------- checking a choice


def _state(**kw: object) -> dict[str, object]:
    return {"shown": "", "hidden": [], "chips": [], "selected": [], "active": "", **kw}


@pytest.mark.parametrize(
    ("after", "where"),
    [
        (_state(shown="From Paris Orly (ORY)"), "shown"),
        (_state(selected=["paris orly (ory)"]), "selected option"),
        (_state(chips=["Paris Orly (ORY)"]), "chip"),
        (_state(hidden=["ORY"]), "hidden input"),
        (_state(active="Paris Orly (ORY)"), "active option"),
    ],
)
def test_a_custom_choice_is_confirmed_by_what_the_widget_shows(
    after: dict[str, object], where: str
) -> None:
    from skyvern_core.perception.browser_common import custom_select_result, widget_shows

    match = match_option("orly", ["Paris Orly (ORY)"])
    assert widget_shows(after, match.label, "ORY") == where
    result = custom_select_result(match, "ORY", "e4", _state(), after)
    assert result.data["chosen"] == "Paris Orly (ORY)"
    assert result.data["shown_by"] == where


def test_a_custom_choice_that_changed_nothing_fails() -> None:
    from skyvern_core.perception.browser_common import ActionFailed, custom_select_result

    match = match_option("orly", ["Paris Orly (ORY)"])
    before = _state(shown="Select...")
    # Changed, though not to the option's text (a trigger showing a code): a success.
    changed = custom_select_result(match, "", "e4", before, _state(shown="ORY ✈"))
    assert changed.success and changed.data["shown"] == "ORY ✈"
    # Nothing changed and nothing shows the option: a failure saying what it still shows.
    with pytest.raises(ActionFailed, match=r"still shows 'Select\.\.\.' after choosing"):
        custom_select_result(match, "", 'e4 (combobox "From")', before, before)
