"""Every element's locator finds that very element again: on every page of every fixture
site (and the states reached on them by a person's first steps), and on random nests of
shadow roots, iframes and look-alike siblings generated with hypothesis.

The resolution is the drivers' own: the snapshot script's ``locate`` in the element's
document, and the frame hops of `` |> `` (each iframe's locator resolved in its parent,
giving the iframe whose document holds the element).
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skyvern_core.models import PageState
from skyvern_core.perception import LOCATOR_FRAME
from skyvern_core.testing.sites import ROOT, FixtureSites
from skyvern_plugins.playwright.driver import PlaywrightSession

pytestmark = pytest.mark.browser

_LOCATE_IS_ID = """([locator, id]) => {
    const s = window[Symbol.for('skyvern-core.snapshot')];
    const found = s.api.locate(locator);
    return found !== null && found === s.byId.get(id);
}"""
_LOCATE_IS = (
    "([locator, el]) => window[Symbol.for('skyvern-core.snapshot')].api.locate(locator) === el"
)


async def assert_locators_round_trip(session: PlaywrightSession, page: PageState) -> int:
    """Resolve every element's locator as the drivers do; fail naming each that misses.

    Returns the number of elements checked.
    """
    frames = session.primitives.frames
    misses = []
    for el in page.elements:
        assert el.locator, f"{el.id} has no locator"
        hops = el.locator.split(LOCATOR_FRAME)
        frame_path = el.frame or ""
        frame = frames[frame_path]
        if not await frame.evaluate(_LOCATE_IS_ID, [hops[-1], el.id]):
            misses.append(f"{el.id} {el.role} {el.label!r}: {el.locator}")
            continue
        # Each hop: the iframe's locator, in its parent's document, is that frame's iframe.
        parts = frame_path.split(".") if frame_path else []
        for depth in range(len(parts)):
            child = frames[".".join(parts[: depth + 1])]
            parent = frames[".".join(parts[:depth])]
            iframe = await child.frame_element()
            if not await parent.evaluate(_LOCATE_IS, [hops[depth], iframe]):
                misses.append(f"{el.id}: hop {depth} {hops[depth]!r} is not its frame")
    assert not misses, "locators that do not find their element:\n" + "\n".join(misses)
    return len(page.elements)


# --------------------------------------------------------------------------- fixture sites


def _site_pages() -> list[str]:
    return sorted(
        f"{path.parent.name}/{path.name}"
        for path in ROOT.glob("*/*.html")
        if path.parent.is_dir() and not path.parent.name.startswith(("_", "."))
    )


@pytest.mark.parametrize("path", _site_pages())
async def test_every_fixture_page(session: PlaywrightSession, sites: FixtureSites, path: str):
    await session.goto(sites.url(path))
    page = await session.snapshot()
    await assert_locators_round_trip(session, page)


async def _insurance_vehicle_step(pw: Any) -> None:
    await pw.fill("#first_name", "Ada")
    await pw.fill("#last_name", "Lovelace")
    await pw.fill("#dob", "1990-05-17")
    await pw.fill("#zip", "94107")
    await pw.fill("#email", "ada@example.com")
    await pw.click("section[data-step='1'] button.next")
    await pw.wait_for_selector("#vehicle_year", state="visible")


async def _insurance_coverage_step(pw: Any) -> None:
    await _insurance_vehicle_step(pw)
    await pw.select_option("#vehicle_year", "2019")
    await pw.select_option("#vehicle_make", "Honda")
    await pw.select_option("#vehicle_model", "Civic")
    await pw.click("label[for='usage-commute']")
    await pw.click("section[data-step='2'] button.next")
    await pw.wait_for_selector("[data-input=confirm]", state="visible")


async def _jobs_location_open(pw: Any) -> None:
    await pw.click("#location-input")
    await pw.keyboard.type("Ber")
    await pw.wait_for_selector("#location-listbox [role=option]")


async def _news_sections_menu(pw: Any) -> None:
    await pw.hover("#sections-button")
    await pw.wait_for_selector("#sections-menu a", state="visible")


async def _cookies_customize(pw: Any) -> None:
    await pw.click("text=Customize")
    await pw.wait_for_timeout(200)


STATES: dict[str, tuple[str, Callable[[Any], Awaitable[None]]]] = {
    "insurance vehicle step": ("insurance/", _insurance_vehicle_step),
    "insurance coverage step": ("insurance/", _insurance_coverage_step),
    "jobs location suggestions open": ("jobs/", _jobs_location_open),
    "news sections menu open": ("news/", _news_sections_menu),
    "cookies settings": ("cookies/", _cookies_customize),
}


@pytest.mark.parametrize("state", list(STATES))
async def test_pages_after_a_first_step(
    session: PlaywrightSession, sites: FixtureSites, state: str
) -> None:
    path, reach = STATES[state]
    await session.goto(sites.url(path))
    await reach(session.page)
    page = await session.snapshot()
    assert await assert_locators_round_trip(session, page) > 3


async def test_shadow_root_siblings_and_repeated_ids_get_locators_of_their_own(
    session: PlaywrightSession, sites: FixtureSites
) -> None:
    await session.goto(sites.url("perception/shadow-toolbar.html"))
    page = await session.snapshot()
    locators = {e.label: e.locator for e in page.elements}
    assert len(set(locators.values())) == len(page.elements), locators
    # Buttons straight under a shadow root: counted among the root's own children.
    assert locators["Italic"] == "#toolbar >>> :host > button:nth-of-type(2)"
    assert locators["Underline"] == "#toolbar >>> :host > button:nth-of-type(3)"
    # An id names its element in its own tree only; the second of two equal ids does not.
    assert locators["Save draft"] == "#save"
    assert locators["Save in dialog"].endswith(" >>> #save")
    assert locators["First tag"] == "#tag"
    assert locators["Second tag"] == "html > body > input:nth-of-type(2)"
    assert await assert_locators_round_trip(session, page) == 10


# --------------------------------------------------------------------------- random nests

_CONTROLS = ["button", "input", "a", "select", "checkbox"]
_TAGS = ["div", "span", "section", "li"]


def _control(kind: str, n: int, dup_id: bool) -> str:
    ident = ' id="dup"' if dup_id else ""
    if kind == "button":
        return f'<button type="button"{ident}>Go {n}</button>'
    if kind == "input":
        return f'<input{ident} aria-label="Field {n}">'
    if kind == "a":
        return f'<a href="#x{n}"{ident}>Link {n}</a>'
    if kind == "select":
        return f'<select{ident} aria-label="Pick {n}"><option>A</option><option>B</option></select>'
    return f'<input type="checkbox"{ident} aria-label="Box {n}">'


@st.composite
def nests(draw: st.DrawFn, depth: int = 0) -> str:
    """HTML of a random tree: look-alike siblings, open shadow roots (declarative), same-
    origin iframes (srcdoc), duplicate ids, custom elements."""
    counter = draw(st.integers(0, 10_000))
    parts = []
    for i in range(draw(st.integers(1, 4))):
        choice = draw(st.sampled_from(["control", "control", "box", "shadow", "frame"]))
        if depth >= 3 or choice == "control":
            kind = draw(st.sampled_from(_CONTROLS))
            parts.append(_control(kind, counter + i, draw(st.booleans())))
            continue
        inner = draw(nests(depth + 1))
        if choice == "box":
            tag = draw(st.sampled_from(_TAGS))
            parts.append(f"<{tag}>{inner}</{tag}>")
        elif choice == "shadow":
            tag = draw(st.sampled_from(["x-card", "x-row", "div"]))
            light = _control("button", counter + 100 + i, False) if draw(st.booleans()) else ""
            slot = "<slot></slot>" if light else ""
            parts.append(
                f'<{tag}><template shadowrootmode="open">{inner}{slot}</template>{light}</{tag}>'
            )
        else:
            doc = f"<!doctype html><body>{inner}</body>"
            parts.append(f'<iframe srcdoc="{html.escape(doc)}" width="300" height="200"></iframe>')
    return "".join(parts)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=nests())
async def test_random_nests_of_shadow_roots_and_frames(
    session: PlaywrightSession, body: str
) -> None:
    url = "http://nest.test/page.html"

    async def serve(route: Any) -> None:
        await route.fulfill(
            content_type="text/html", body=f"<!doctype html><html><body>{body}</body></html>"
        )

    await session.page.route(url, serve)
    try:
        await session.goto(url)
        page = await session.snapshot()
    finally:
        await session.page.unroute(url, serve)
    await assert_locators_round_trip(session, page)
    # Every control the page shows is listed (none lost to a clash of locators or ids).
    shown = await session.page.evaluate(
        """() => { let n = 0;
          const count = (root) => {
            for (const el of root.querySelectorAll('button, input, a[href], select')) n++;
            for (const el of root.querySelectorAll('*')) if (el.shadowRoot) count(el.shadowRoot);
          };
          count(document);
          return n; }"""
    )
    top = [e for e in page.elements if not e.frame]
    assert len(top) == shown, (len(top), shown, [e.locator for e in top])
