"""The URL policy inside a task: goto_url, links and redirects, local files.

The task's own URL is checked when it is submitted; these tests cover where the browser
goes afterwards, on the fakes and in a real Chromium (through a local forward proxy, so
that a metadata host name can be "reached" without leaving 127.0.0.1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from skyvern_core import Agent, TaskRequest, TaskStatus
from skyvern_core.models import (
    ClickAction,
    Extraction,
    GotoUrlAction,
    StepStatus,
    TerminateAction,
)
from skyvern_core.testing import FakePage, InMemoryDriver, ScriptedPlanner, element
from tests.servers import ForwardProxy
from tests.test_proxy import make_agent as proxied_agent

START = "https://shop.example.test/"
METADATA = "http://169.254.169.254/latest/meta-data/iam/"
SECRET = "AKIA-INSTANCE-ROLE-SECRET"


def web() -> list[FakePage]:
    """A shop whose help link leads to the cloud metadata address."""
    return [
        FakePage(
            url=START,
            title="Shop",
            elements=[element("e1", "link", "Help")],
            links={"e1": METADATA},
        ),
        FakePage(url=METADATA, title="meta-data", text=SECRET),
        FakePage(url="about:blank"),
    ]


async def test_a_link_to_a_refused_address_ends_the_task_before_a_screenshot_of_it(
    make_agent: Callable[..., Agent],
) -> None:
    driver = InMemoryDriver(web())
    planner = ScriptedPlanner([[ClickAction(element_id="e1")]])
    agent = make_agent(driver=driver, planner=planner)
    task = await agent.run(TaskRequest(url=START, navigation_goal="Find the help page"))
    await agent.aclose()

    assert task.status == TaskStatus.failed
    assert task.failure_reason is not None
    assert "169.254.169.254" in task.failure_reason and "refuses" in task.failure_reason
    # No screenshot after the click, and the browser left the page before the final one.
    assert task.action_screenshot_urls == []
    assert driver.sessions[0].history[-1] == "about:blank"
    # The planner never saw the page.
    assert all(SECRET not in c.page.text for c in planner.contexts)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata service"),
        ("http://[fe80::1]/", "points at fe80::1, an address this deployment refuses"),
        ("file:///etc/passwd", "only http and https URLs are opened"),
        ("chrome://version", "only http and https URLs are opened"),
    ],
)
async def test_goto_url_to_a_refused_place_fails_the_step_without_going(
    make_agent: Callable[..., Agent], url: str, says: str
) -> None:
    driver = InMemoryDriver(web())
    planner = ScriptedPlanner([[GotoUrlAction(url=url)], [TerminateAction(reason="stuck")]])
    agent = make_agent(driver=driver, planner=planner)
    task = await agent.run(TaskRequest(url=START, navigation_goal="Look around"))
    await agent.aclose()

    first = task.steps[0]
    assert first.status == StepStatus.failed
    assert first.failure_reason is not None and says in first.failure_reason
    assert first.action_results[0].success is False
    assert driver.sessions[0].history == [START]
    # A refused goto_url is a failed step, retried: the model can take another way.
    assert task.status == TaskStatus.terminated
    assert planner.contexts[1].errors == [first.failure_reason]


# --------------------------------------------------------------------------- real Chromium

SHOP = "http://shop.proxied.test/"
METADATA_HOST_URL = "http://metadata.google.internal/computeMetadata/v1/token"
EMBEDDING = "http://shop.proxied.test/embed"
LINK_LOCAL_IMAGE = "http://169.254.169.254/latest/meta-data/pixel.png"


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    """Serves the shop (its link leads to the metadata host), a page that embeds the
    metadata host and a link-local image, and a secret at the metadata host."""
    running = ForwardProxy(
        {
            SHOP: "<html><head><title>Shop</title></head><body><h1>Shop</h1>"
            f'<a id="help" href="{METADATA_HOST_URL}">Help</a></body></html>',
            EMBEDDING: "<html><head><title>Embedding</title></head><body><h1>Deals</h1>"
            f'<iframe src="{METADATA_HOST_URL}"></iframe><img src="{LINK_LOCAL_IMAGE}">'
            "</body></html>",
            METADATA_HOST_URL: f"<html><body><pre>{SECRET}</pre></body></html>",
        }
    )
    yield running
    running.stop()


def chromium_agent(
    tmp_path: Path, chromium: str, proxy: ForwardProxy, planner: object, driver: str
) -> Agent:
    """An embedded agent on a real Chromium whose one proxy location is ``proxy``."""
    return proxied_agent(tmp_path, chromium, {"RESIDENTIAL": proxy.url}, planner, driver)


def kept_files(folder: Path) -> list[Path]:
    """Every file the task left under ``folder`` (its store, artifacts, recording)."""
    return [p for p in folder.rglob("*") if p.is_file()]


@pytest.mark.browser
@pytest.mark.parametrize("driver", ["playwright", "selenium"])
def test_chromium_following_a_link_to_a_metadata_host_keeps_nothing_of_it(
    tmp_path: Path, chromium_executable: str, proxy: ForwardProxy, driver: str
) -> None:
    planner = ScriptedPlanner(
        [
            lambda ctx: [ClickAction(element_id=ctx.page.elements[0].id)],
            [TerminateAction(reason="the help page did not open")],
        ],
    )
    agent = chromium_agent(tmp_path, chromium_executable, proxy, planner, driver)
    task = agent.run_sync(
        TaskRequest(url=SHOP, navigation_goal="Open help", proxy_location="RESIDENTIAL")
    )

    if driver == "playwright":
        # Refused inside Chromium: the request never left it; the task went on.
        assert METADATA_HOST_URL not in proxy.requests
        assert task.status == TaskStatus.terminated, task.failure_reason
    else:
        # Selenium has no such guard: the page is refused once reached, and the task ends.
        assert METADATA_HOST_URL in proxy.requests
        assert task.status == TaskStatus.failed
        assert task.failure_reason is not None
        assert "which points at a cloud metadata service" in task.failure_reason
        assert task.action_screenshot_urls == []
    # Nothing the task kept shows the page: no file under the data folder holds its text.
    kept = kept_files(tmp_path)
    assert kept and not [p for p in kept if SECRET.encode() in p.read_bytes()]
    assert all(SECRET not in c.page.text + c.page.content for c in planner.contexts)


@pytest.mark.browser
def test_chromium_never_requests_refused_frames_or_images_of_an_allowed_page(
    tmp_path: Path, chromium_executable: str, proxy: ForwardProxy
) -> None:
    planner = ScriptedPlanner(extractions=[lambda ctx: Extraction(data={"text": ctx.page.content})])
    agent = chromium_agent(tmp_path, chromium_executable, proxy, planner, "playwright")
    task = agent.run_sync(
        TaskRequest(url=EMBEDDING, data_extraction_goal="The deals", proxy_location="RESIDENTIAL")
    )

    assert task.status == TaskStatus.completed, task.failure_reason
    assert "Deals" in task.extracted_information["text"]
    assert EMBEDDING in proxy.requests
    assert METADATA_HOST_URL not in proxy.requests
    assert LINK_LOCAL_IMAGE not in proxy.requests
    assert not [p for p in kept_files(tmp_path) if SECRET.encode() in p.read_bytes()]


@pytest.mark.browser
def test_chromium_goto_url_of_a_local_file_is_refused(
    tmp_path: Path, chromium_executable: str, proxy: ForwardProxy
) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    planner = ScriptedPlanner(
        [[GotoUrlAction(url=secret_file.as_uri())], [TerminateAction(reason="cannot")]],
    )
    agent = chromium_agent(tmp_path / "data", chromium_executable, proxy, planner, "playwright")
    task = agent.run_sync(
        TaskRequest(url=SHOP, navigation_goal="Read the file", proxy_location="RESIDENTIAL")
    )

    assert task.status == TaskStatus.failed  # max_retries=0: the refused step ends it
    assert task.failure_reason is not None
    assert "only http and https URLs are opened" in task.failure_reason
    assert all(SECRET not in c.page.text + c.page.content for c in planner.contexts)


# --------------------------------------------------------------------------- the browser's filter

REFUSED_ALWAYS = [
    "http://169.254.169.254/latest/meta-data/",
    "https://169.254.0.1:8443/x",
    "http://[fe80::1]/",
    "http://[::ffff:a9fe:a9fe]/",  # 169.254.169.254, IPv4-mapped, as Chromium writes it
    "http://[fd00:ec2::254]/latest",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata/computeMetadata",
    "http://instance-data:80/latest",
    "ws://169.254.169.254/socket",
    "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64 of the metadata address
    "http://[2002:a9fe:a9fe::1]/",  # 6to4 of it
    "http://224.0.0.251:5353/",
    "http://239.255.255.250:1900/",
    "http://255.255.255.255/",
    "http://240.1.2.3/",
    "http://192.0.2.1/",
    "http://203.0.113.7/",
]
REFUSED_PRIVATE = [
    "http://127.0.0.1:8000/",
    "http://10.1.2.3/",
    "http://172.20.0.5/",
    "http://192.168.1.1/admin",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[fd12::1]/",
    "http://localhost:5432/",
    "http://api.localhost/",
    "http://198.18.0.1/",
    "http://192.0.0.8/",
    "http://[fec0::1]/",
    "http://[::ffff:7f00:1]/",
]
ALLOWED = [
    "https://example.com/?next=http://169.254.169.254/",
    "https://metadata.example.com/",
    "https://10.example.com/",
    "https://172.example.com/",
    "http://172.32.0.1/",
    "http://100.128.0.1/",
]


@pytest.mark.parametrize("private", [False, True])
def test_the_browser_filter_pauses_every_refused_url_and_lets_the_rest_through(
    private: bool,
) -> None:
    from fnmatch import fnmatchcase

    from skyvern_core.config import Settings
    from skyvern_core.netpolicy import browser_url_patterns, refused_without_lookup

    settings = Settings(refuse_private_networks=private)
    patterns = browser_url_patterns(settings)
    refused = REFUSED_ALWAYS + (REFUSED_PRIVATE if private else [])
    for url in refused:
        assert refused_without_lookup(url, settings), url
        # Chromium's wildcards: "*" any characters, as fnmatch's (no "[" classes there).
        assert any(fnmatchcase(url, p.replace("[", "[[]")) for p in patterns), url
    for url in ALLOWED + ([] if private else REFUSED_PRIVATE):
        assert refused_without_lookup(url, settings) is None, url
