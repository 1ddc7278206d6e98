"""What the agent sees: snapshot.js on real pages in Chromium, the serializer, the token count
and the ``skyvern-core scrape`` command."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from skyvern_core.models import (
    ClickAction,
    Element,
    ElementOption,
    InputTextAction,
    PageState,
    PageText,
)
from skyvern_core.perception import (
    SNAPSHOT_SCRIPT,
    build_page_state,
    count_tokens,
    serialize,
    to_json,
)
from skyvern_core.testing.prompt import PromptElement, prompt_elements
from skyvern_plugins.playwright.driver import (
    PlaywrightSession,
)

# A missing Chromium fails these tests (it never skips them): CI must install one.
browser = pytest.mark.browser

# --------------------------------------------------------------------------- a tiny web


class _Handler(BaseHTTPRequestHandler):
    pages: dict[str, str] = {}

    def do_GET(self) -> None:
        body = self.pages.get(urlsplit(self.path).path)
        if body is None:
            self.send_error(404)
            return
        data = body.replace("{CROSS}", self.server.cross_base).encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


COUNTRIES = [f"Country {i:02d}" for i in range(45)]

LABELS_PAGE = """<!doctype html><html><head><title>Perception</title>
<style>
  #file-real { display: none }
  .upload-btn { display: inline-block; padding: 4px; border: 1px solid #999 }
  [role=switch] { display: inline-block; width: 40px; height: 20px; background: #ccc }
  .spacer { height: 3000px }
  .sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden;
    clip: rect(0 0 0 0); opacity: 0 }
</style></head><body>
<h1>Account settings</h1>
<div role="alert">Your session expires soon</div>
<p class="form-error">Email is invalid</p>
<form id="f">
  <span id="full-name-label">Full name</span><input id="name" aria-labelledby="full-name-label">
  <input id="q" aria-label="Search the site">
  <label for="email">Email</label><input id="email" type="email" required>
  <label>City <input id="city"></label>
  <input id="zip" placeholder="Postal code">
  <input id="phone" title="Phone number">
  <input id="go" type="image" alt="Go search" width="20" height="20"
    src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <button id="save" type="button">Save changes</button>
  <a id="help" href="/help">Help centre</a>
  <table><tr><td>Company</td><td><input id="company"></td></tr></table>
  <div><span>Nickname</span> <input id="nick"></div>
  <fieldset><legend>Preferred contact</legend><input id="contact-other"></fieldset>
  <input id="pw" type="password" value="hunter2" aria-label="Password">
  <textarea id="bio" readonly aria-label="Bio">x</textarea>
  <select id="country" aria-label="Country">OPTIONS</select>
  <label class="upload-btn" for="file-real">Upload your CV</label>
  <input type="file" id="file-real">
  <div role="switch" id="dark" aria-checked="true" aria-label="Dark mode" tabindex="0"></div>
  <div role="combobox" id="fruit" aria-label="Fruit" aria-controls="fruit-list"
    aria-expanded="true" tabindex="0">Banana</div>
  <ul role="listbox" id="fruit-list"><li role="option">Apple</li>
    <li role="option" aria-selected="true">Banana</li></ul>
  <div contenteditable="true" id="notes" aria-label="Notes">hello</div>
  <button id="long" type="button">LONG</button>
  <div><input type="file" id="resume" aria-label="Resume" class="sr-only">
    <button type="button" id="attach">Attach</button></div>
</form>
<user-card id="card"></user-card>
<iframe id="same" src="/frame.html" width="420" height="160"></iframe>
<iframe id="cross" src="{CROSS}/cross.html" width="420" height="160"></iframe>
<div class="spacer"></div>
<button id="bottom" type="button">Load more</button>
<script>
customElements.define("user-card", class extends HTMLElement {
  constructor() {
    super();
    const root = this.attachShadow({mode: "open"});
    root.innerHTML = '<div><label for="handle">Handle</label><input id="handle">'
      + '<button type="button">Follow</button></div>';
  }
});
</script>
</body></html>""".replace("OPTIONS", "".join(f"<option>{c}</option>" for c in COUNTRIES)).replace(
    "LONG", "Continue to the next step " * 8
)

FRAME_PAGE = """<!doctype html><html><body>
<label for="coupon">Coupon code</label><input id="coupon"><button>Apply</button>
</body></html>"""

CROSS_PAGE = """<!doctype html><html><body>
<label for="card">Card number</label><input id="card"><button>Pay</button>
</body></html>"""

MODAL_PAGE = """<!doctype html><html><head><title>Modal</title><style>
  .backdrop { position: fixed; inset: 0; background: rgba(0,0,0,.4); z-index: 5 }
  .modal { position: fixed; top: 40%; left: 30%; background: white; z-index: 6; padding: 20px }
</style></head><body>
<button id="under" type="button">Buy now</button>
<div style="height: 3000px"></div>
<button id="far" type="button">Far away</button>
<div class="backdrop"></div>
<div class="modal" role="dialog" aria-modal="true" aria-labelledby="mt">
  <h2 id="mt">Subscribe to our newsletter</h2><button id="close" type="button">No thanks</button>
</div></body></html>"""


def _big_page(elements: int = 2000) -> str:
    """A news-like page with about ``elements`` elements in the DOM."""
    parts = ["<!doctype html><html><head><title>Big</title></head><body><nav>"]
    parts += [f'<a href="/s{i}">Section {i}</a>' for i in range(20)]
    parts.append('</nav><form><input placeholder="Search"><button>Go</button></form><main>')
    per_article = 12
    for i in range((elements - 40) // per_article):
        parts.append(
            f'<article><h2><a href="/a{i}">Headline {i}</a></h2><p>Summary <b>of</b> story '
            f'{i} with <i>some</i> text.</p><div class="meta"><span>Author {i}</span>'
            f"<span>2 hours ago</span><button>Share</button></div><ul><li>tag</li>"
            f"<li>tag2</li></ul></article>"
        )
    parts.append("</main></body></html>")
    return "".join(parts)


PAGES = {
    "/labels.html": LABELS_PAGE,
    "/frame.html": FRAME_PAGE,
    "/cross.html": CROSS_PAGE,
    "/modal.html": MODAL_PAGE,
    "/big.html": _big_page(),
    "/help": "<!doctype html><title>Help</title><h1>Help</h1>",
}


def _server() -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"pages": PAGES})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The pages on 127.0.0.1; cross-origin frames come from a second port."""
    main, cross = _server(), _server()
    cross_base = f"http://127.0.0.1:{cross.server_address[1]}"
    main.cross_base = cross.cross_base = cross_base  # type: ignore[attr-defined]
    yield f"http://127.0.0.1:{main.server_address[1]}"
    main.shutdown()
    cross.shutdown()


def by_label(page: PageState, label: str) -> Element:
    """The element with that label, or a clear assertion failure."""
    found = [e for e in page.elements if e.label == label]
    assert found, f"no element labelled {label!r}; labels: {[e.label for e in page.elements]}"
    return found[0]


async def element_of(session: PlaywrightSession, element: Element) -> Any:
    """The DOM id attribute of the element the snapshot gave this Element's id to."""
    frame = session.primitives.frames[element.frame or ""]
    return await frame.evaluate(
        "(id) => { const el = window[Symbol.for('skyvern-core.snapshot')].byId.get(id);"
        " return el ? (el.id || el.tagName.toLowerCase()) : null; }",
        element.id,
    )


# --------------------------------------------------------------------------- snapshot


@browser
@pytest.mark.browser
async def test_labels_by_every_mechanism(session: PlaywrightSession, site: str) -> None:
    await session.goto(f"{site}/labels.html")
    page = await session.snapshot()
    expected = {
        "Full name": "name",  # aria-labelledby
        "Search the site": "q",  # aria-label
        "Email": "email",  # label[for]
        "City": "city",  # wrapping label
        "Postal code": "zip",  # placeholder
        "Phone number": "phone",  # title
        "Go search": "go",  # alt
        "Save changes": "save",  # button text
        "Help centre": "help",  # link text
        "Company": "company",  # preceding table cell
        "Nickname": "nick",  # sibling text
        "Preferred contact": "contact-other",  # fieldset legend
    }
    for label, dom_id in expected.items():
        assert await element_of(session, by_label(page, label)) == dom_id, label
    long = next(e for e in page.elements if e.label.startswith("Continue to the next step"))
    # A label is kept whole up to 200 characters and cut at a word boundary beyond.
    assert 150 <= len(long.label) <= 200 and long.label.endswith("…")
    assert set(long.label[:-1].split()) == {"Continue", "to", "the", "next", "step"}
    assert by_label(page, "Email").required
    assert by_label(page, "Email").type == "email"
    assert by_label(page, "Bio").attributes.get("readonly") == "true"
    assert by_label(page, "Help centre").role == "link"
    assert "Account settings" in page.text
    assert "Your session expires soon" in page.text
    assert "Email is invalid" in page.text


@browser
@pytest.mark.browser
async def test_password_masked_and_select_options(session: PlaywrightSession, site: str) -> None:
    await session.goto(f"{site}/labels.html")
    page = await session.snapshot()
    password = by_label(page, "Password")
    assert password.value == "••••"
    assert "hunter2" not in serialize(page)
    country = by_label(page, "Country")
    assert country.role == "select"
    assert country.options is not None and len(country.options) == 30
    assert country.attributes["options_total"] == "45"
    assert country.options[0].selected and country.value == COUNTRIES[0]


@browser
@pytest.mark.browser
async def test_shadow_dom_and_frames(session: PlaywrightSession, site: str) -> None:
    await session.goto(f"{site}/labels.html")
    page = await session.snapshot()
    handle = by_label(page, "Handle")
    assert handle.locator is not None and " >>> " in handle.locator
    assert by_label(page, "Follow").role == "button"
    coupon = by_label(page, "Coupon code")  # same-origin frame
    card = by_label(page, "Card number")  # cross-origin frame (second port)
    for el in (coupon, card):
        assert el.frame and el.id.startswith(el.frame + ".")
        assert el.locator is not None and " |> " in el.locator
    assert coupon.frame != card.frame
    assert coupon.locator.startswith("#same |> ")
    assert card.locator.startswith("#cross |> ")
    assert by_label(page, "Pay").frame == card.frame


@browser
@pytest.mark.browser
async def test_same_origin_frames_by_the_script_alone(
    session: PlaywrightSession, site: str
) -> None:
    # What Selenium gets: one evaluation in the top document descends into same-origin
    # frames itself and lists the cross-origin ones for the driver.
    await session.goto(f"{site}/labels.html")
    raw = json.loads(
        await session.page.evaluate(f"(o) => JSON.stringify(({SNAPSHOT_SCRIPT})(o))", {})
    )
    labels = {e["label"]: e for e in raw["elements"]}
    assert labels["Coupon code"]["id"].startswith("f1.")
    assert "Card number" not in labels
    assert [f["src"].rsplit("/", 1)[-1] for f in raw["frames"]] == ["cross.html"]
    assert raw["frames"][0]["locator"] == "#cross"


@browser
@pytest.mark.browser
async def test_hidden_file_input_and_aria_widgets(session: PlaywrightSession, site: str) -> None:
    await session.goto(f"{site}/labels.html")
    page = await session.snapshot()
    upload = by_label(page, "Upload your CV")
    assert upload.role == "file" and upload.visibility == "visible"
    assert await element_of(session, upload) == "file-real"
    # A 1px transparent file input is where its Attach button is: in view, then scrolled away.
    resume = by_label(page, "Resume")
    assert resume.role == "file" and resume.visibility == "visible"
    assert await element_of(session, resume) == "resume"
    await session.page.evaluate("window.scrollTo(0, 3000)")
    scrolled = await session.snapshot()
    assert by_label(scrolled, "Resume").visibility == "offscreen"
    switch = by_label(page, "Dark mode")
    assert switch.role == "switch" and switch.checked is True
    fruit = by_label(page, "Fruit")
    assert fruit.role == "combobox" and fruit.value == "Banana"
    assert [o.label for o in fruit.options or []] == ["Apple", "Banana"]
    assert [o.selected for o in fruit.options or []] == [False, True]
    # The combobox's open listbox is not listed a second time; its options are listed
    # under it, the chosen one marked.
    assert not [e for e in page.elements if e.role == "listbox"]
    options = [e for e in page.elements if e.role == "option"]
    assert [(o.label, o.owner) for o in options] == [("Apple", fruit.id), ("Banana", fruit.id)]
    lines = serialize(page).splitlines()
    at = lines.index(f'{fruit.id} combobox "Fruit" expanded value="Banana"')
    assert lines[at + 1 : at + 3] == [
        f'  {options[0].id} option "Apple"',
        f'  {options[1].id} option "Banana" selected',
    ]
    assert by_label(page, "Notes").value == "hello"


@browser
@pytest.mark.browser
async def test_covered_and_offscreen(session: PlaywrightSession, site: str) -> None:
    await session.goto(f"{site}/modal.html")
    page = await session.snapshot()
    under = by_label(page, "Buy now")
    assert under.visibility == "covered"
    assert "div.backdrop" in under.attributes["covered_by"]
    assert by_label(page, "No thanks").visibility == "visible"
    assert by_label(page, "Far away").visibility == "offscreen"
    assert "Dialog: Subscribe to our newsletter" in page.text
    await session.goto(f"{site}/labels.html")
    page = await session.snapshot()
    assert by_label(page, "Load more").visibility == "offscreen"
    assert by_label(page, "Email").visibility == "visible"


@browser
@pytest.mark.browser
async def test_ids_stable_and_new_elements_marked(session: PlaywrightSession, site: str) -> None:
    await session.goto(f"{site}/labels.html")
    first = await session.snapshot()
    again = await session.snapshot()
    assert [e.id for e in first.elements] == [e.id for e in again.elements]
    await session.page.evaluate(
        """() => { const b = document.createElement('button'); b.textContent = 'Undo';
        document.body.insertBefore(b, document.body.firstChild);
        document.getElementById('zip').remove(); }"""
    )
    changed = await session.snapshot()
    before = {e.label: e.id for e in first.elements}
    after = {e.label: e.id for e in changed.elements}
    assert "Postal code" not in after
    for label in ("Email", "Handle", "Card number", "Coupon code", "Dark mode"):
        assert after[label] == before[label], label
    assert after["Undo"] not in before.values()
    text = serialize(changed, first)
    undo_line = next(line for line in text.splitlines() if '"Undo"' in line)
    assert undo_line.endswith("*new*")
    assert by_label(changed, "Undo").new
    assert not by_label(changed, "Email").new
    assert sum("*new*" in line for line in text.splitlines()) == 1


@browser
@pytest.mark.browser
async def test_snapshot_writes_nothing_into_the_dom(session: PlaywrightSession, site: str) -> None:
    await session.goto(f"{site}/labels.html")
    html = "() => document.documentElement.outerHTML"
    before = await session.page.evaluate(html)
    await session.snapshot()
    await session.snapshot()
    assert await session.page.evaluate(html) == before
    keys = await session.page.evaluate(
        "() => Object.keys(window).filter((k) => /skyvern|snapshot/i.test(k))"
    )
    assert keys == []


RESOLVE_LOCATOR = """(loc) => {
    let root = document, el = null;
    for (const [i, framePart] of loc.split(' |> ').entries()) {
      if (i > 0) { root = el.contentDocument; if (!root) return 'cross-origin'; }
      for (const [j, part] of framePart.split(' >>> ').entries()) {
        if (j > 0) root = el.shadowRoot;
        el = root.querySelector(part);
        if (!el) return null;
      }
    }
    const state = el.ownerDocument.defaultView[Symbol.for('skyvern-core.snapshot')];
    for (const [id, known] of state.byId) if (known === el) return id;
    return 'unknown';
}"""


@browser
@pytest.mark.browser
async def test_locators_find_the_same_element(session: PlaywrightSession, site: str) -> None:
    await session.goto(f"{site}/labels.html")
    page = await session.snapshot()
    checked = 0
    for el in page.elements:
        assert el.locator
        found = await session.page.evaluate(RESOLVE_LOCATOR, el.locator)
        if found == "cross-origin":
            frame = session.primitives.frames[el.frame or ""]
            inner = el.locator.rsplit(" |> ", 1)[1]
            found = await frame.evaluate(RESOLVE_LOCATOR, inner)
        assert found == el.id, (el.id, el.locator, found)
        checked += 1
    assert checked == len(page.elements) > 25


@browser
async def test_radio_cards_are_visible_through_their_labels(
    session: PlaywrightSession, sites: Any
) -> None:
    # Transparent radios stacked under the cards of their group are what a person clicks
    # through the cards: none of them may be reported as covered.
    await session.goto(sites.url("insurance/"))
    page = await session.snapshot()
    for label, text in [
        ("First name", "Ada"),
        ("Last name", "L"),
        ("ZIP code", "94107"),
        ("Email", "a@b.test"),
        ("Date of birth", "1990-04-12"),
    ]:
        await session.execute(InputTextAction(element_id=by_label(page, label).id, text=text), page)
    await session.execute(ClickAction(element_id=by_label(page, "Continue").id), page)
    page = await session.snapshot()
    radios = [e for e in page.elements if e.role == "radio"]
    assert len(radios) == 6
    assert {e.visibility for e in radios} == {"visible"}, [(e.label, e.visibility) for e in radios]


# --------------------------------------------------------------------------- serializer


def _sample_page() -> PageState:
    countries = [ElementOption(value=c, label=c, selected=c == "France") for c in COUNTRIES[:30]]
    countries[1] = ElementOption(value="fr", label="France", selected=True)
    elements = [
        Element(
            id="e12", role="textbox", label="Email", type="email", required=True, value="a@b.c"
        ),
        Element(
            id="e4",
            role="select",
            label="Country",
            options=countries,
            attributes={"options_total": "45"},
        ),
        Element(
            id="e5",
            role="button",
            label="Pay",
            visibility="covered",
            attributes={"covered_by": 'div.cookie-banner "We use cookies"'},
        ),
        Element(id="f1.e2", role="checkbox", label="I agree", checked=False, frame="f1"),
    ]
    elements += [
        Element(id=f"e{100 + i}", role="link", label=f"Story {i}", visibility="offscreen")
        for i in range(60)
    ]
    return PageState(
        url="http://shop.test/checkout",
        title="Checkout",
        elements=elements,
        text="Checkout\nCard declined",
    )


def test_serialize_lines() -> None:
    text = serialize(_sample_page())
    lines = text.splitlines()
    # "Email" says what type=email would.
    assert 'e12 textbox "Email" required value="a@b.c"' in lines
    country = next(line for line in lines if line.startswith("e4 "))
    assert country.startswith('e4 select "Country" options=[Country 00, France, Country 02')
    assert '…+33] selected="France"' in country
    assert 'e5 button "Pay" (covered)' in lines
    assert '(1 of them covered by div.cookie-banner "We use cookies": deal with it first)' in lines
    assert 'f1.e2 checkbox "I agree"' in lines
    # The viewport first, then further down: 40 listed tersely and a third of the other
    # 20 (the listing grows with the page), the rest counted.
    assert lines.index(country) < lines.index('e100 link "Story 0"')
    assert 'e145 link "Story 45"' in lines
    assert 'e146 link "Story 46"' not in lines
    assert "…and 14 more: 14 link" in lines
    # "Checkout" is the title already.
    assert text.endswith("Page text:\nCard declined")


def test_serialize_leaves_the_common_case_unsaid() -> None:
    years = [ElementOption(value="", label="Year", selected=True)] + [
        ElementOption(value=str(y), label=str(y)) for y in range(2025, 1999, -1)
    ]
    page = PageState(
        url="http://cars.test/quote",
        title="Quote",
        elements=[
            Element(id="e1", role="checkbox", label="Newsletter", checked=False),
            Element(id="e2", role="checkbox", label="Terms", checked=True),
            Element(
                id="e3", role="radio", label="Own", checked=False, attributes={"mixed": "true"}
            ),
            Element(id="e4", role="select", label="Year", options=years),
            Element(
                id="e5",
                role="select",
                label="Doors",
                options=[
                    ElementOption(value="0", label="-- Please Select --"),
                    ElementOption(value="2", label="2"),
                    ElementOption(value="3", label="3"),
                    ElementOption(value="5", label="5", selected=True),
                ],
            ),
            Element(id="e6", role="textbox", label="First name *", required=True),
            Element(id="e7", role="textbox", label="Surname:*"),
            Element(id="e8", role="combobox", label="City", value="Select..."),
            Element(id="e9", role="combobox", label="Town", value="Berlin"),
            Element(
                id="e10",
                role="select",
                label="Model",
                disabled=True,
                options=[ElementOption(value="", label="Choose a make first", selected=True)],
            ),
        ],
    )
    lines = serialize(page).splitlines()
    assert 'e1 checkbox "Newsletter"' in lines
    assert 'e2 checkbox "Terms" checked' in lines
    assert 'e3 radio "Own" mixed' in lines
    # The placeholder is left out, and 26 consecutive years are one item.
    assert 'e4 select "Year" options=[2025…2000]' in lines
    assert 'e5 select "Doors" options=[2, 3, 5] selected="5"' in lines
    # The word "required" says what the star said; a star without the flag stays, a
    # trailing colon goes.
    assert 'e6 textbox "First name" required' in lines
    assert 'e7 textbox "Surname *"' in lines
    assert 'e8 combobox "City"' in lines
    assert 'e9 combobox "Town" value="Berlin"' in lines
    # A placeholder that is all there is stays, as it says why the select is empty.
    assert 'e10 select "Model" disabled options=[Choose a make first]' in lines


def test_options_count_what_is_not_shown() -> None:
    numbers = [ElementOption(value=str(n), label=str(n)) for n in (1, 2, 3, 4, 10, 20)]
    words = [ElementOption(value=f"w{n}", label=f"Word {n}") for n in range(24)]
    page = PageState(
        url="http://x.test/",
        elements=[
            Element(id="e1", role="select", label="N", options=numbers),
            Element(
                id="e2", role="select", label="W", options=words, attributes={"options_total": "50"}
            ),
        ],
    )
    lines = serialize(page).splitlines()
    assert 'e1 select "N" options=[1…4, 10, 20]' in lines
    w = next(line for line in lines if line.startswith("e2 "))
    assert w.endswith("Word 10, Word 11, …+38]"), w


def test_offscreen_elements_can_be_counted_only() -> None:
    text = serialize(_sample_page(), offscreen_listed=0)
    assert "Further down (scroll to reach): 60 link" in text.splitlines()
    assert "Story" not in text


def test_page_text_leaves_out_what_repeats_an_element_name() -> None:
    page = _sample_page()
    page.text = "Checkout\nPay\nCard declined"
    assert serialize(page).endswith("Page text:\nCard declined")


def test_page_text_keeps_what_the_title_only_holds_inside_a_word() -> None:
    page = _sample_page()
    page.title = "Booking - Hotel Ok"
    page.text = "OK\nok!\nBook\nHotel OK"
    # "Book" is inside "Booking", not a word of the title.
    assert serialize(page).endswith("Page text:\nBook")


def test_serialize_marks_new_only_on_the_same_document() -> None:
    before = _sample_page()
    after = _sample_page()
    after.elements.insert(0, Element(id="e900", role="button", label="Retry"))
    assert serialize(after, before).splitlines().count('e900 button "Retry" *new*') == 1
    assert after.elements[0].new and not after.elements[1].new
    elsewhere = after.model_copy(update={"url": "http://shop.test/thanks"}, deep=True)
    assert "*new*" not in serialize(elsewhere, before)


def test_to_json_has_the_prompt_and_its_tokens() -> None:
    page = _sample_page()
    data = to_json(page)
    assert data["prompt"] == serialize(page)
    assert data["tokens"] == count_tokens(data["prompt"])
    first = data["elements"][0]
    assert first == {
        "id": "e12",
        "role": "textbox",
        "label": "Email",
        "state": {"visibility": "visible", "type": "email", "value": "a@b.c", "required": True},
        "frame": None,
        "locator": None,
    }
    json.dumps(data)


def test_count_tokens_uses_o200k_offline() -> None:
    import tiktoken

    from skyvern_core.perception.tokens import _bundled_cache_dir

    folder = _bundled_cache_dir()
    assert folder is not None, "litellm's bundled tiktoken files are not installed"
    text = 'e12 textbox "Email" required value="a@b.c"\nPage text: Bonjour, où êtes-vous?'
    import os

    os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
    try:
        expected = len(tiktoken.get_encoding("o200k_base").encode(text))
    finally:
        del os.environ["TIKTOKEN_CACHE_DIR"]
    assert count_tokens(text) == expected
    assert count_tokens("hello world") == 2  # the 4-characters estimate would say 3


def _row(i: int, vendor: str, visibility: str = "visible") -> list[Element]:
    context = f"{vendor} · Jun {i} · ${i}0.00"
    common = {"row": f"r{i}", "context": context, "visibility": visibility}
    return [
        Element(id=f"e{i}1", role="checkbox", label=f"Select BILL-{i}", checked=False, **common),
        Element(id=f"e{i}2", role="button", label="More actions", **common),
    ]


def test_rows_in_view_and_alike_rows_further_down() -> None:
    elements = [*_row(1, "Northwind"), *_row(2, "Contoso")]
    for i in range(3, 8):
        elements += _row(i, "Fabrikam", "offscreen")
    page = PageState(
        url="http://bills.test/",
        elements=elements,
        texts=[
            PageText(text="Bills", level=1, at=0),
            PageText(text="Vendor · Due · Amount", at=0),
            PageText(text="Older bills", level=2, at=4, in_view=False),
        ],
    )
    text = serialize(page)
    lines = text.splitlines()
    start = lines.index("")
    assert lines[start + 1 : start + 9] == [
        "# Bills",
        "Vendor · Due · Amount",
        'row "Northwind · Jun 1 · $10.00":',
        '  e11 checkbox "Select BILL-1"',
        '  e12 button "More actions"',
        'row "Contoso · Jun 2 · $20.00":',
        '  e21 checkbox "Select BILL-2"',
        '  e22 button "More actions"',
    ]
    down = lines.index("Further down (scroll to reach):")
    assert lines[down + 1 : down + 4] == [
        "## Older bills",
        'each row below has: checkbox (its own name), button "More actions":',
        '  Fabrikam · Jun 3 · $30.00: e31 "Select BILL-3", e32',
    ]
    read = {e.id: e for e in prompt_elements(text)}
    assert read["e72"] == PromptElement(
        "e72", "button", "More actions", "", "Fabrikam · Jun 7 · $70.00"
    )
    assert read["e21"].row == "Contoso · Jun 2 · $20.00"
    assert read["e71"].label == "Select BILL-7"


def test_a_row_partly_in_view_is_shown_whole() -> None:
    elements = _row(1, "Northwind")
    elements[1].visibility = "offscreen"
    lines = serialize(PageState(url="http://bills.test/", elements=elements)).splitlines()
    assert '  e12 button "More actions" (offscreen)' in lines
    assert not any(line.startswith("Further down") for line in lines)


def test_popup_options_are_listed_under_their_owner() -> None:
    page = PageState(
        url="http://ship.test/",
        elements=[
            Element(
                id="e1",
                role="combobox",
                label="Country",
                value="Ger",
                attributes={"expanded": "true"},
                options=[ElementOption(label="Germany"), ElementOption(label="Georgia")],
            ),
            Element(id="e2", role="button", label="Continue"),
            Element(
                id="e9", role="option", label="Germany", owner="e1", attributes={"selected": "true"}
            ),
            Element(id="e10", role="option", label="Georgia", owner="e1"),
        ],
    )
    text = serialize(page)
    lines = text.splitlines()
    at = lines.index('e1 combobox "Country" expanded value="Ger"')  # no options=[...] twice
    assert lines[at + 1 : at + 4] == [
        '  e9 option "Germany" selected',
        '  e10 option "Georgia"',
        'e2 button "Continue"',
    ]
    assert [e.owner for e in prompt_elements(text)] == ["", "e1", "e1", ""]


def test_text_in_view_spends_its_budget_where_it_decides() -> None:
    prose = "Our roasters pick every single lot by hand. " + "We cup each batch twice. " * 12
    page = PageState(
        url="http://coffee.test/",
        elements=[
            Element(id="e1", role="textbox", label="Email"),
            Element(id="e2", role="button", label="Pay $49.00"),
        ],
        texts=[
            PageText(text=prose, at=0),
            PageText(text="Payment", level=2, at=0),
            PageText(text="Email:", at=0),
            PageText(text="We email the receipt to this address.", at=1, in_form=True),
            PageText(text="Total due $49.00", at=1),
        ],
    )
    lines = serialize(page).splitlines()
    start = lines.index("")
    assert lines[start + 1 :] == [
        "Our roasters pick every single lot by hand. …",  # a paragraph by its first sentence
        "## Payment",
        'e1 textbox "Email"',  # the text "Email:" only said the field's name
        "We email the receipt to this address.",
        "Total due $49.00",
        'e2 button "Pay $49.00"',
    ]
    # Beyond the budget, prose goes first; headings and a form's text always stay.
    page.texts[4:4] = [PageText(text=f"Roasted on day {n} of the month", at=1) for n in range(9)]
    lines = serialize(page).splitlines()
    assert "Our roasters pick every single lot by hand. …" not in lines
    assert "## Payment" in lines and "We email the receipt to this address." in lines
    kept = [line for line in lines if line.startswith("Roasted on day")]
    assert 0 < len(kept) < 9 and sum(map(len, kept)) <= 140


def test_what_was_scrolled_past_is_further_up() -> None:
    page = PageState(
        url="http://jobs.test/apply",
        elements=[
            Element(
                id="e1",
                role="link",
                label="All jobs",
                visibility="offscreen",
                attributes={"above": "true"},
            ),
            Element(id="e2", role="textbox", label="Email"),
            Element(id="e3", role="button", label="Submit", visibility="offscreen"),
        ],
        texts=[PageText(text="Apply for this job", level=2, at=1, in_view=False, above=True)],
    )
    text = serialize(page)
    assert (
        '\n\nFurther up (scroll up to reach; 1):\ne1 link "All jobs"\n## Apply for this job\n'
        in text
    )
    assert text.endswith('Further down (scroll to reach):\ne3 button "Submit"')


def test_build_page_state_puts_a_frame_where_its_iframe_is() -> None:
    top = {
        "frame": "",
        "elements": [
            {"id": "e1", "role": "textbox", "label": "Email"},
            {"id": "e2", "role": "button", "label": "Pay", "row": "r1"},
        ],
        "texts": [{"t": "Card", "h": 2, "v": 1, "at": 1}],
        "rows": {"r1": "Total $49.00"},
        "frames": [{"frame": "f1", "at": 1, "ti": 1}],
    }
    child = {
        "frame": "f1",
        "elements": [{"id": "f1.e1", "role": "textbox", "label": "Card number", "frame": "f1"}],
        "texts": [{"t": "Secure", "h": 0, "v": 1, "at": 1, "f": 1}],
    }
    page = build_page_state([top, child], url="http://pay.test/")
    assert [e.id for e in page.elements] == ["e1", "f1.e1", "e2"]
    assert [(t.text, t.at, t.level, t.in_form) for t in page.texts] == [
        ("Card", 1, 2, False),
        ("Secure", 2, 0, True),
    ]
    assert page.elements[2].context == "Total $49.00" and page.elements[2].row == "r1"


# --------------------------------------------------------------------------- scrape CLI


@browser
@pytest.mark.browser
def test_scrape_command(site: str, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "skyvern_core",
            "scrape",
            f"{site}/labels.html",
            "--screenshot",
            str(shot),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "\ne1 textbox" in run.stdout and 'textbox "Email"' in run.stdout
    assert "Tokens:" in run.stdout
    assert shot.read_bytes().startswith(b"\x89PNG")
    run = subprocess.run(
        [sys.executable, "-m", "skyvern_core", "scrape", f"{site}/labels.html", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["tokens"] == count_tokens(data["prompt"]) > 100
    assert any(e["label"] == "Card number" and " |> " in e["locator"] for e in data["elements"])


@browser
@pytest.mark.browser
def test_scrape_command_reports_an_unreachable_page() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/nothing"
    run = subprocess.run(
        [sys.executable, "-m", "skyvern_core", "scrape", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert f"could not open {url}" in run.stderr
    assert "Traceback" not in run.stderr
