"""The Playwright driver on real pages in Chromium: every action checked on the page, its
failure messages, tabs, downloads, video, trace, isolation between sessions and CDP."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from skyvern_core.config import Settings
from skyvern_core.models import (
    ActionResult,
    CheckAction,
    ClickAction,
    Element,
    GoBackAction,
    GotoUrlAction,
    HoverAction,
    InputTextAction,
    KeypressAction,
    PageState,
    ScrollAction,
    SelectOptionAction,
    UploadFileAction,
    WaitAction,
)
from skyvern_core.plugins import PluginRegistry
from skyvern_core.protocols import BrowserDriver, BrowserSession, SessionOptions
from skyvern_plugins.playwright.driver import (
    PlaywrightDriver,
    PlaywrightSession,
    find_chromium,
)

# A missing Chromium fails these tests (it never skips them): CI must install one.
pytestmark = [pytest.mark.browser]

# --------------------------------------------------------------------------- a tiny web

ACTIONS_PAGE = """<!doctype html><html><head><title>Actions</title><style>
  .cookie-banner { position: fixed; left: 0; right: 0; bottom: 0; height: 140px;
    background: #eee; z-index: 10 }
  .glass { position: absolute; left: 0; top: 0; width: 300px; height: 60px; z-index: 3 }
  #glass-wrap { position: relative; height: 60px }
  #hidden-check, #cv { display: none }
  .pick { display: inline-block; padding: 4px; border: 1px solid #888; cursor: pointer }
  [role=switch] { display: inline-block; width: 40px; height: 20px; background: #ccc }
  [role=switch][aria-checked=true] { background: #4a4 }
  #fruit-list { display: none; list-style: none; border: 1px solid #888 }
  #fruit-list.open { display: block }
  #tip { display: none } #hover-me:hover + #tip { display: inline }
</style></head><body>
<h1>Actions</h1>
<div id="result"></div>
<a id="next" href="/next.html">Next page</a>
<a id="tab" href="/next.html" target="_blank">Open in a new tab</a>
<a id="dl" href="/report.csv">Download the report</a>
<div id="glass-wrap"><button id="under-glass" type="button"
  onclick="result.textContent='glass clicked'">Under glass</button><div class="glass"></div></div>
<button id="off" type="button" disabled>Disabled</button>
<button id="vanish" type="button" onclick="this.remove()">Remove me</button>
<label>Code <input id="code" maxlength="3"></label>
<label>Fixed <input id="fixed" readonly value="42"></label>
<label>Name <input id="name"></label>
<label>Secret <input id="secret" type="password" maxlength="2"></label>
<div contenteditable="true" id="notes" aria-label="Notes">old</div>
<label for="country">Country</label>
<select id="country"><option value="">Choose</option><option value="fr">France</option>
  <option value="de">Germany</option></select>
<div role="combobox" id="fruit" aria-label="Fruit" aria-controls="fruit-list" tabindex="0"
  aria-expanded="false" style="border:1px solid #888; width: 120px">Pick a fruit</div>
<ul id="fruit-list" role="listbox"><li role="option">Apple</li><li role="option">Banana</li>
  <li role="option">Cherry</li></ul>
<label><input type="checkbox" id="terms"> I accept the terms</label>
<input type="checkbox" id="hidden-check"><label class="pick" for="hidden-check">Send me news</label>
<div role="switch" id="dark" aria-checked="false" aria-label="Dark mode" tabindex="0"></div>
<div role="switch" id="stuck" aria-checked="false" aria-label="Stuck switch" tabindex="0"
  onclick="event.stopImmediatePropagation()"></div>
<label><input type="radio" name="size" id="small" checked> Small</label>
<label><input type="radio" name="size" id="large"> Large</label>
<label class="pick" for="cv">Upload your CV</label><input type="file" id="cv">
<form action="/next.html"><label>Search <input name="q" id="q"></label></form>
<button id="hover-me" type="button">Hover me</button><span id="tip">Tooltip shown</span>
<div style="height: 2500px"></div>
<button id="bottom" type="button" onclick="result.textContent='bottom clicked'">Subscribe</button>
<div class="cookie-banner">We use cookies <button type="button"
  onclick="this.parentElement.remove()">Accept</button></div>
<script>
  const fruit = document.getElementById('fruit');
  const list = document.getElementById('fruit-list');
  fruit.addEventListener('click', () => {
    list.classList.toggle('open');
    fruit.setAttribute('aria-expanded', list.classList.contains('open'));
  });
  for (const li of list.querySelectorAll('li')) li.addEventListener('click', () => {
    fruit.textContent = li.textContent; list.classList.remove('open');
  });
  const dark = document.getElementById('dark');
  dark.addEventListener('click', () => dark.setAttribute('aria-checked',
    dark.getAttribute('aria-checked') === 'true' ? 'false' : 'true'));
</script>
</body></html>"""

NEXT_PAGE = "<!doctype html><html><head><title>Next</title></head><body><h1>Next page</h1>"

# A code in six one-digit boxes split 3-3 (the page's script moves focus on and keeps digits
# only, like a bank's), a PIN in four boxes with no script at all, and a lone one-letter field.
BOXES_PAGE = """<!doctype html><html><head><title>Boxes</title></head><body>
<fieldset><legend>Verification code</legend><div id="otp">
  <span><input maxlength="1" inputmode="numeric" aria-label="Digit 1 of 6">
    <input maxlength="1" inputmode="numeric" aria-label="Digit 2 of 6">
    <input maxlength="1" inputmode="numeric" aria-label="Digit 3 of 6"></span> -
  <span><input maxlength="1" inputmode="numeric" aria-label="Digit 4 of 6">
    <input maxlength="1" inputmode="numeric" aria-label="Digit 5 of 6">
    <input maxlength="1" inputmode="numeric" aria-label="Digit 6 of 6"></span>
</div></fieldset>
<div id="pin"><input maxlength="1" aria-label="PIN 1"><input maxlength="1" aria-label="PIN 2">
  <input maxlength="1" aria-label="PIN 3"><input maxlength="1" aria-label="PIN 4"></div>
<p><label>Middle initial <input id="initial" maxlength="1"></label></p>
<script>
  const boxes = [...document.querySelectorAll('#otp input')];
  boxes.forEach((box, i) => box.addEventListener('input', () => {
    box.value = box.value.replace(/\\D/g, '');
    if (box.value && i < boxes.length - 1) boxes[i + 1].focus();
  }));
  const joined = (sel) => [...document.querySelectorAll(sel + ' input')].map((b) => b.value);
</script></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[bytes, str, dict[str, str]]] = {}

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/set-cookie":
            self._send(b"<h1>cookie set</h1>", "text/html", {"Set-Cookie": "sid=abc; Path=/"})
            return
        if path == "/show-cookie":
            cookie = self.headers.get("Cookie") or "no cookie"
            self._send(f"<h1>{cookie}</h1>".encode(), "text/html", {})
            return
        route = self.routes.get(path)
        if route is None:
            self.send_error(404)
            return
        self._send(*route)

    def _send(self, body: bytes, ctype: str, headers: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


ROUTES = {
    "/actions.html": (ACTIONS_PAGE.encode(), "text/html; charset=utf-8", {}),
    "/next.html": (NEXT_PAGE.encode(), "text/html; charset=utf-8", {}),
    "/boxes.html": (BOXES_PAGE.encode(), "text/html; charset=utf-8", {}),
    "/report.csv": (
        b"a,b\n1,2\n",
        "text/csv",
        {"Content-Disposition": 'attachment; filename="report.csv"'},
    ),
    "/files/cv.txt": (b"my cv", "text/plain", {}),
}


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The test pages on 127.0.0.1."""
    handler = type("Handler", (_Handler,), {"routes": ROUTES})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def open_actions(session: PlaywrightSession, site: str) -> PageState:
    """Open the actions page and snapshot it."""
    await session.goto(f"{site}/actions.html")
    return await session.snapshot()


def el(page: PageState, label: str) -> Element:
    """The element with that label."""
    found = [e for e in page.elements if e.label == label]
    assert found, f"no element labelled {label!r}; labels: {[e.label for e in page.elements]}"
    return found[0]


async def js(session: PlaywrightSession, expression: str) -> Any:
    """Evaluate in the current tab."""
    return await session.page.evaluate(expression)


def ok(result: ActionResult) -> ActionResult:
    """Assert the action succeeded, showing its error otherwise."""
    assert result.success, result.error
    return result


def failed(result: ActionResult) -> str:
    """Assert the action failed; return its error."""
    assert not result.success, f"expected a failure, got {result}"
    assert result.error
    return result.error


# --------------------------------------------------------------------------- protocol


async def test_driver_is_registered_and_follows_the_protocol(driver: PlaywrightDriver) -> None:
    registry = PluginRegistry()
    assert "playwright" in registry.names("driver")
    assert isinstance(driver, BrowserDriver)
    await driver.start()  # idempotent


# --------------------------------------------------------------------------- click


async def test_click_follows_a_link(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    result = ok(await session.execute(ClickAction(element_id=el(page, "Next page").id), page))
    assert result.data["url"] == f"{site}/next.html"
    assert "Next page" in (await session.snapshot()).text


async def test_click_on_an_element_under_a_cookie_banner_fails_and_names_it(
    session: PlaywrightSession, site: str
) -> None:
    page = await open_actions(session, site)
    action = ClickAction(element_id=el(page, "Subscribe").id)
    error = failed(await session.execute(action, page))
    assert 'covered by div.cookie-banner "We use cookies Accept"' in error
    assert await js(session, "result.textContent") == ""
    page = await session.snapshot()
    ok(await session.execute(ClickAction(element_id=el(page, "Accept").id), page))
    page = await session.snapshot()
    ok(await session.execute(ClickAction(element_id=el(page, "Subscribe").id), page))
    assert await js(session, "result.textContent") == "bottom clicked"


async def test_click_through_a_passive_layer_uses_javascript(
    session: PlaywrightSession, site: str
) -> None:
    page = await open_actions(session, site)
    under = el(page, "Under glass")
    assert under.visibility == "covered"
    result = ok(await session.execute(ClickAction(element_id=under.id), page))
    assert result.data["method"] == "js"
    assert await js(session, "result.textContent") == "glass clicked"


async def test_click_failures_are_readable(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    assert failed(await session.execute(ClickAction(element_id=el(page, "Disabled").id), page)) == (
        f'element {el(page, "Disabled").id} (button "Disabled") is disabled'
    )
    vanish = el(page, "Remove me").id
    ok(await session.execute(ClickAction(element_id=vanish), page))
    error = failed(await session.execute(ClickAction(element_id=vanish), page))
    assert error == f"element {vanish} is no longer on the page"
    error = failed(await session.execute(ClickAction(element_id="e999"), page))
    assert error == "there is no element e999 on the page"
    upload = el(page, "Upload your CV").id
    assert "use upload_file" in failed(await session.execute(ClickAction(element_id=upload), page))


async def test_ids_from_a_previous_document_are_gone(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    name = el(page, "Name").id
    await session.goto(f"{site}/actions.html")  # the same page, a new document
    error = failed(await session.execute(InputTextAction(element_id=name, text="x"), page))
    assert error == f"element {name} is no longer on the page"


async def test_click_opening_a_new_tab_is_followed(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    result = ok(
        await session.execute(ClickAction(element_id=el(page, "Open in a new tab").id), page)
    )
    assert result.data["new_tab"] == f"{site}/next.html"
    after = await session.snapshot()
    assert after.url == f"{site}/next.html"
    assert len(after.tabs) == 2


async def test_download_is_saved(driver: PlaywrightDriver, site: str, tmp_path: Path) -> None:
    sess = await driver.new_session(
        SessionOptions(task_id="d", artifact_dir=tmp_path, record_video=False)
    )
    page = await open_actions(sess, site)
    result = ok(
        await sess.execute(ClickAction(element_id=el(page, "Download the report").id), page)
    )
    saved = Path(result.data["download"])
    assert saved == tmp_path / "downloads" / "report.csv"
    assert saved.read_bytes() == b"a,b\n1,2\n"
    artifacts = await sess.close()
    assert artifacts.downloads == [saved]


# --------------------------------------------------------------------------- typing


async def test_input_text_is_read_back(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    ok(await session.execute(InputTextAction(element_id=el(page, "Name").id, text="Ada"), page))
    assert await js(session, "document.getElementById('name').value") == "Ada"
    ok(await session.execute(InputTextAction(element_id=el(page, "Name").id, text="Bo"), page))
    assert await js(session, "document.getElementById('name').value") == "Bo"
    notes = el(page, "Notes").id
    ok(await session.execute(InputTextAction(element_id=notes, text="new notes"), page))
    assert await js(session, "document.getElementById('notes').innerText") == "new notes"


async def test_input_text_failures(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    error = failed(
        await session.execute(InputTextAction(element_id=el(page, "Code").id, text="abcdef"), page)
    )
    assert error.startswith("the field kept 'abc'")
    error = failed(
        await session.execute(InputTextAction(element_id=el(page, "Secret").id, text="pw1"), page)
    )
    assert "••••" in error and "pw" not in error.replace("••••", "")
    error = failed(
        await session.execute(InputTextAction(element_id=el(page, "Fixed").id, text="1"), page)
    )
    assert error.endswith("is read-only")


async def test_input_text_into_the_first_of_single_character_boxes(
    session: PlaywrightSession, site: str
) -> None:
    """A code typed into the first box lands one character per box, checked together."""
    await session.goto(f"{site}/boxes.html")
    page = await session.snapshot()
    first = el(page, "Digit 1 of 6").id
    result = ok(await session.execute(InputTextAction(element_id=first, text="482913"), page))
    assert result.data["boxes"] == 6
    assert await js(session, "joined('#otp')") == list("482913")
    # Again over a full group (a second attempt): every box gets its new digit.
    ok(await session.execute(InputTextAction(element_id=first, text="135790"), page))
    assert await js(session, "joined('#otp')") == list("135790")
    # Boxes without any script are walked through by the driver itself.
    ok(await session.execute(InputTextAction(element_id=el(page, "PIN 1").id, text="2468"), page))
    assert await js(session, "joined('#pin')") == list("2468")


async def test_single_character_box_failures_do_not_echo_the_code(
    session: PlaywrightSession, site: str
) -> None:
    """What the boxes refused is counted, not shown; a lone one-letter field is unchanged."""
    await session.goto(f"{site}/boxes.html")
    page = await session.snapshot()
    first = el(page, "Digit 1 of 6").id
    error = failed(await session.execute(InputTextAction(element_id=first, text="48ab13"), page))
    assert error == (
        f'the 6 single-character boxes starting at {first} (textbox "Digit 1 of 6") hold 4 of '
        "the 6 characters typed"
    )
    pin = el(page, "PIN 1").id
    error = failed(await session.execute(InputTextAction(element_id=pin, text="97531"), page))
    assert error == (
        f'{pin} (textbox "PIN 1") is the first of 4 single-character boxes, too few for the 5 '
        "characters to type"
    )
    assert await js(session, "joined('#pin')") == ["", "", "", ""]  # nothing typed at all
    initial = el(page, "Middle initial").id
    error = failed(await session.execute(InputTextAction(element_id=initial, text="AB"), page))
    assert error.startswith("the field kept 'A'")


# --------------------------------------------------------------------------- lists


async def test_select_native_by_label_and_value(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    country = el(page, "Country").id
    result = ok(
        await session.execute(SelectOptionAction(element_id=country, option="france"), page)
    )
    assert result.data["selected"] == "France"
    assert await js(session, "document.getElementById('country').value") == "fr"
    ok(await session.execute(SelectOptionAction(element_id=country, option="de"), page))
    assert await js(session, "document.getElementById('country').value") == "de"
    error = failed(
        await session.execute(SelectOptionAction(element_id=country, option="Spain"), page)
    )
    assert error.endswith("has no option 'Spain'; the options are: Choose, France, Germany")


async def test_select_in_a_custom_combobox(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    fruit = el(page, "Fruit").id
    result = ok(await session.execute(SelectOptionAction(element_id=fruit, option="Banana"), page))
    assert result.data["selected"] == "Banana"
    assert await js(session, "document.getElementById('fruit').textContent") == "Banana"
    error = failed(
        await session.execute(SelectOptionAction(element_id=fruit, option="Mango"), page)
    )
    assert "has no option 'Mango'; the options are: Apple, Banana, Cherry" in error


# --------------------------------------------------------------------------- checkboxes


async def test_check_native_hidden_and_aria(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    terms = el(page, "I accept the terms").id
    ok(await session.execute(CheckAction(element_id=terms), page))
    assert await js(session, "document.getElementById('terms').checked") is True
    again = ok(await session.execute(CheckAction(element_id=terms), page))
    assert again.data["changed"] is False
    ok(await session.execute(CheckAction(element_id=terms, checked=False), page))
    assert await js(session, "document.getElementById('terms').checked") is False
    news = el(page, "Send me news")
    assert news.role == "checkbox" and news.visibility == "visible"
    ok(await session.execute(CheckAction(element_id=news.id), page))
    assert await js(session, "document.getElementById('hidden-check').checked") is True
    dark = el(page, "Dark mode").id
    ok(await session.execute(CheckAction(element_id=dark), page))
    assert await js(session, "dark.getAttribute('aria-checked')") == "true"
    ok(await session.execute(CheckAction(element_id=el(page, "Large").id), page))
    assert await js(session, "document.getElementById('large').checked") is True


async def test_check_failures(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    stuck = el(page, "Stuck switch")
    error = failed(await session.execute(CheckAction(element_id=stuck.id), page))
    assert error == f'{stuck.id} (switch "Stuck switch") stayed unchecked, not checked'
    small = el(page, "Small")
    error = failed(await session.execute(CheckAction(element_id=small.id, checked=False), page))
    assert "is a radio button: choose another option" in error
    name = el(page, "Name").id
    assert "is not a checkbox" in failed(await session.execute(CheckAction(element_id=name), page))


# --------------------------------------------------------------------------- files


async def test_upload_to_a_hidden_file_input(
    session: PlaywrightSession, site: str, tmp_path: Path
) -> None:
    page = await open_actions(session, site)
    cv = el(page, "Upload your CV")
    assert cv.role == "file"
    local = tmp_path / "resume.pdf"
    local.write_bytes(b"%PDF-1.4")
    result = ok(await session.execute(UploadFileAction(element_id=cv.id, file=str(local)), page))
    assert result.data["file"] == "resume.pdf"
    assert await js(session, "document.getElementById('cv').files[0].name") == "resume.pdf"
    # A URL is the runner's to fetch (under the URL policy): the driver refuses it and the
    # input keeps the file it had.
    error = failed(
        await session.execute(UploadFileAction(element_id=cv.id, file=f"{site}/files/cv.txt"), page)
    )
    assert error.startswith(f"upload_file takes a local file here, not a URL ({site}/files/cv.txt)")
    assert await js(session, "document.getElementById('cv').files[0].name") == "resume.pdf"
    error = failed(
        await session.execute(UploadFileAction(element_id=cv.id, file="/nope/missing.pdf"), page)
    )
    assert error == "no such file to upload: /nope/missing.pdf"


# --------------------------------------------------------------------------- the rest


async def test_scroll_keypress_hover_wait(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    ok(await session.execute(ScrollAction(direction="down"), page))
    assert await js(session, "window.scrollY") > 300
    ok(await session.execute(ScrollAction(direction="up"), page))
    up = ok(await session.execute(ScrollAction(direction="up"), page))
    assert up.data == {"moved": False, "note": "already at the top"}
    ok(await session.execute(ScrollAction(element_id=el(page, "Subscribe").id), page))
    assert (await session.snapshot()).element(el(page, "Subscribe").id).visibility != "offscreen"
    hover = el(page, "Hover me").id
    ok(await session.execute(HoverAction(element_id=hover), page))
    assert await js(session, "getComputedStyle(tip).display") == "inline"
    started = time.monotonic()
    ok(await session.execute(WaitAction(seconds=0.2), page))
    assert time.monotonic() - started >= 0.2
    search = el(page, "Search").id
    ok(await session.execute(InputTextAction(element_id=search, text="shoes"), page))
    result = ok(await session.execute(KeypressAction(key="enter", element_id=search), page))
    assert result.data["url"] == f"{site}/next.html?q=shoes"


async def test_navigation(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    error = failed(await session.execute(GoBackAction(), page))
    assert error == "there is no page to go back to"
    ok(await session.execute(GotoUrlAction(url=f"{site}/next.html"), page))
    back = ok(await session.execute(GoBackAction(), page))
    assert back.data["url"] == f"{site}/actions.html"
    closed = f"http://127.0.0.1:{_free_port()}/"
    error = failed(await session.execute(GotoUrlAction(url=closed), page))
    assert error.startswith(f"could not open {closed}: ")
    assert "ERR_CONNECTION_REFUSED" in error


async def test_screenshots(session: PlaywrightSession, site: str) -> None:
    page = await open_actions(session, site)
    # The model's copy is a JPEG; the screenshots kept as artifacts are PNGs.
    assert page.screenshot is not None and page.screenshot.startswith(b"\xff\xd8\xff")
    full = await session.screenshot(full_page=True)
    view = await session.screenshot()
    assert full.startswith(b"\x89PNG") and view.startswith(b"\x89PNG")
    # PNG height, from the IHDR chunk: the whole page is taller than the viewport.
    assert int.from_bytes(full[20:24], "big") > int.from_bytes(view[20:24], "big") == 800


# --------------------------------------------------------------------------- sessions


async def test_sessions_do_not_share_cookies(
    driver: PlaywrightDriver, site: str, tmp_path: Path
) -> None:
    one = await driver.new_session(
        SessionOptions(task_id="a", artifact_dir=tmp_path / "a", record_video=False)
    )
    two = await driver.new_session(
        SessionOptions(task_id="b", artifact_dir=tmp_path / "b", record_video=False)
    )
    try:
        await one.goto(f"{site}/set-cookie")
        await one.goto(f"{site}/show-cookie")
        assert "sid=abc" in (await one.snapshot()).text
        await two.goto(f"{site}/show-cookie")
        assert "no cookie" in (await two.snapshot()).text
    finally:
        await one.close()
        await two.close()


async def test_viewport_and_user_agent(driver: PlaywrightDriver, site: str, tmp_path: Path) -> None:
    sess = await driver.new_session(
        SessionOptions(
            task_id="v",
            artifact_dir=tmp_path,
            record_video=False,
            viewport=(800, 600),
            user_agent="skyvern-test/1.0",
        )
    )
    try:
        assert isinstance(sess, BrowserSession)
        await sess.goto(f"{site}/next.html")
        assert await js(sess, "[innerWidth, innerHeight]") == [800, 600]
        assert await js(sess, "navigator.userAgent") == "skyvern-test/1.0"
    finally:
        await sess.close()


async def test_video_and_trace(driver: PlaywrightDriver, site: str, tmp_path: Path) -> None:
    sess = await driver.new_session(
        SessionOptions(task_id="rec", artifact_dir=tmp_path, record_video=True, record_trace=True)
    )
    page = await open_actions(sess, site)
    ok(await sess.execute(ClickAction(element_id=el(page, "Next page").id), page))
    artifacts = await sess.close()
    assert artifacts.warnings == []
    assert artifacts.recording is not None and artifacts.recording.suffix == ".webm"
    assert artifacts.recording.stat().st_size > 0
    assert artifacts.recording.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"
    assert artifacts.trace == tmp_path / "trace.zip"
    assert artifacts.trace.read_bytes()[:2] == b"PK"


async def test_no_ffmpeg_records_nothing_and_warns(
    site: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "browsers"
    empty.mkdir()
    # PATH with everything it had except ffmpeg (Chromium's launcher script needs the rest).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            if name != "ffmpeg" and not (bin_dir / name).exists():
                (bin_dir / name).symlink_to(Path(folder) / name)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(empty))
    monkeypatch.setenv("PATH", str(bin_dir))
    assert shutil.which("ffmpeg") is None
    drv = PlaywrightDriver(Settings())
    try:
        sess = await drv.new_session(
            SessionOptions(task_id="nf", artifact_dir=tmp_path / "art", record_video=True)
        )
        await sess.goto(f"{site}/next.html")
        assert "Next page" in (await sess.snapshot()).text
        artifacts = await sess.close()
    finally:
        await drv.close()
    assert artifacts.recording is None
    assert len(artifacts.warnings) == 1
    assert artifacts.warnings[0].startswith("video not recorded: no ffmpeg")
    assert not list(empty.iterdir())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def cdp_url(tmp_path: Path) -> Iterator[str]:
    """A headless Chromium started outside Playwright, reachable over CDP."""
    chromium = find_chromium(Settings(), None)
    port = _free_port()
    proc = subprocess.Popen(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            f"--remote-debugging-port={port}",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-first-run",
            "--disable-background-networking",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/json/version", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("Chromium's CDP endpoint did not come up") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_connect_over_cdp(cdp_url: str, site: str, tmp_path: Path) -> None:
    drv = PlaywrightDriver(Settings(cdp_url=cdp_url))
    try:
        sess = await drv.new_session(
            SessionOptions(task_id="cdp", artifact_dir=tmp_path / "art", record_video=False)
        )
        page = await open_actions(sess, site)
        ok(await sess.execute(ClickAction(element_id=el(page, "Next page").id), page))
        assert (await sess.snapshot()).url == f"{site}/next.html"
        await sess.close()
    finally:
        await drv.close()
