"""The held-out benchmark's harness (``bench/unseen_eval.py``) on a tiny page of its own with
its own truth: what it counts as named and bound, as misnamed, as bound to another node, and
as an unusable control offered without a flag."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from skyvern_core.perception import serialize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import unseen_eval as ue

browser = pytest.mark.browser

PAGE = """<!doctype html><html><head><title>Harness</title>
<style>
  body { margin: 0; font: 16px sans-serif }
  #veil { position: fixed; left: 0; top: 300px; width: 100%; height: 200px;
    background: #fff; z-index: 5 }
  .gap { height: 160px }
</style></head><body>
<p><label for="first">First name</label> <input id="first"></p>
<p><label for="phone">Phone number</label> <input id="phone"></p>
<p><label>Email <input id="email-a"></label></p>
<p><input id="email-b" aria-label="Work address"></p>
<div class="gap"></div>
<button id="subscribe">Subscribe</button>
<div id="veil">Our summer sale is on</div>
</body></html>"""

CONTROLS: list[dict[str, Any]] = [
    {"name": "First name", "find": "document.querySelector('#first')", "frame": None},
    {"name": "Telephone", "find": "document.querySelector('#phone')", "frame": None},
    {"name": "Email", "find": "document.querySelector('#email-b')", "frame": None},
    {"name": "Subscribe", "find": "document.querySelector('#subscribe')", "frame": None},
]


@pytest.fixture
async def opened(driver: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """A session on the harness page, served by the benchmark's own static server."""
    (tmp_path / "site" / "harness").mkdir(parents=True)
    (tmp_path / "site" / "harness" / "index.html").write_text(PAGE, encoding="utf-8")
    server, base = ue.serve(tmp_path / "site")
    session = await ue.open_page(driver, f"{base}/harness/", tmp_path, "harness")
    try:
        yield session
    finally:
        await session.close()
        server.shutdown()


def _wording(session_page_words: frozenset[str]) -> ue.PageWords:
    return ue.PageWords(session_page_words, tuple(c["name"] for c in CONTROLS))


@browser
async def test_named_misnamed_and_wrong_node(opened: Any) -> None:
    """A control whose line has the words and whose element is its node counts; one whose
    bound line lacks the words does not; words on another node's line do not either."""
    _, listed, _ = await ue.our_side(opened)
    wording = _wording(await ue.page_vocabulary(opened.page))
    verdicts, found = await ue.judge(opened.page, CONTROLS, listed)
    assert found == [True, True, True, True]
    results = {c.name: c for c in ue.score_controls(CONTROLS, listed, verdicts, found, wording)}

    assert results["First name"].status == "ok"
    assert results["First name"].bound and results["First name"].bound[0].endswith("(same)")
    # The phone field is listed and bound, but its line says "Phone number".
    assert results["Telephone"].status == "lacking"
    assert results["Telephone"].lacks == ["telephone"]
    # "Email" is on the line of the other field, not on the truth node's own line.
    assert results["Email"].status == "lacking"
    assert results["Email"].lines[0].endswith('textbox "Work address"')
    assert results["Email"].elsewhere[0].endswith('textbox "Email"')
    assert results["Subscribe"].status == "ok"
    assert sum(c.status == "ok" for c in results.values()) == 2


@browser
async def test_covered_control_without_a_flag_is_unusable(opened: Any) -> None:
    """The button under the banner is offered with "(covered)": not counted. The same
    listing with the flag taken away counts it, with what covers it."""
    _, listed, state = await ue.our_side(opened)
    button = next(x for x in listed if '"Subscribe"' in x.line)
    assert "(covered)" in button.line and button.flag == "covered"
    verdicts, _ = await ue.judge(opened.page, CONTROLS, listed)
    bad, away = ue.unusable(listed, verdicts)
    assert bad == [] and away == []

    element = state.element(button.key)
    assert element is not None
    element.visibility = "visible"
    unflagged = ue.ours_listing(opened, state, serialize(state))
    verdicts, _ = await ue.judge(opened.page, CONTROLS, unflagged)
    bad, _ = ue.unusable(unflagged, verdicts)
    assert len(bad) == 1
    assert bad[0].startswith(f'{button.key} button "Subscribe"')
    assert "covered by div#veil" in bad[0]


@browser
async def test_an_xpath_listing_binds_through_a_label(opened: Any) -> None:
    """A browser-use style entry (highlight index -> xpath) that lists the ``<label>`` of a
    field is bound to the field; one whose xpath leads elsewhere is not."""
    frame = opened.page.main_frame
    label = ue.Listed(
        key="[0]",
        line="[0]<label >First name />",
        flag="",
        frame=frame,
        spec={"kind": "theirs", "scopes": [], "xpath": "html/body/p[1]/label"},
    )
    stray = ue.Listed(
        key="[1]",
        line="[1]<label >Telephone />",
        flag="",
        frame=frame,
        spec={"kind": "theirs", "scopes": [], "xpath": "html/body/p[1]/label"},
    )
    verdicts, found = await ue.judge(opened.page, CONTROLS, [label, stray])
    results = ue.score_controls(CONTROLS, [label, stray], verdicts, found)
    assert results[0].status == "ok" and results[0].bound == ["[0] (label)", "[1] (label)"]
    # "Telephone" is written on an element whose node is the first name's label.
    assert results[1].status == "elsewhere"


def test_naming_rule() -> None:
    """Descriptors and function words are not asked for; row identity and stems are."""
    assert ue.names('e9 button "Remote" checked', "Remote filter")
    assert ue.names('e3 link "Accounts"', "Account")
    assert not ue.names('e23 checkbox "Select row"', "Select INV-2085")
    assert ue.names('e23 checkbox "Select INV-2085"', "Select INV-2085")
    assert not ue.names('e23 checkbox "Select INV-20850"', "Select INV-2085")
    assert ue.names('e1 link "Home"', "Home")  # nothing but a descriptor: kept
    page = ue.PageWords(frozenset(ue.words("Date of birth Very difficult")), ())
    assert ue.names('e2 radio "Very difficult"', "Q1: Very difficult", page)
    both = ue.PageWords(page.vocabulary, ("Date of birth: day", "Date of birth: month"))
    assert not ue.names('e13 textbox "Date of birth"', "Date of birth: month", both)


def test_coherence() -> None:
    """A record is coherent on a line holding all its values and no other whole record."""
    records = [
        {"fields": {"n": "INV-1", "amount": "$1.00"}},
        {"fields": {"n": "INV-2", "amount": "$2.00"}},
    ]
    assert ue.coherence("| INV-1 | $1.00 |\n| INV-2 | $2.00 |", records) == [True, True]
    assert ue.coherence("INV-1\n$1.00\n| INV-2 | $2.00 |", records) == [False, True]
    assert ue.coherence("INV-1 $1.00 INV-2 $2.00", records) == [False, False]
