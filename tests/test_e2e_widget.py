"""End to end: the web page's chat widget in real headless Chromium.

The real action server, Rasa server (socketio channel, CORS for the page's origin)
and scripts/serve_web.py run on free local ports; Debian's chromium and
chromedriver (apt) are driven with Selenium, which never downloads a browser or
driver here. Every wait is bounded; the servers are always stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import servers

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
BUNDLE = servers.ROOT / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
SCREENSHOT = servers.ARTIFACTS / "widget.png"
COMPARE_SCREENSHOT = servers.ARTIFACTS / "widget-compare.png"
REPLY_TIMEOUT = 60  # seconds for one bot reply
PAGE_TIMEOUT = 30  # seconds for the page and widget to load
JOB = "I'm a machine learning engineer building computer vision models"
HOSTILE = "<img src=x onerror=alert(1)>"

T = TypeVar("T")


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(
            f"Headless Chromium is needed for this test, but {', '.join(missing)} "
            "is missing: "
            "run `apt-get install -y chromium chromium-driver` (`make install` does).",
            pytrace=False,
        )
    if not BUNDLE.is_file():
        pytest.fail(
            "The widget bundle is missing: run `npm ci --prefix web` "
            "(`make install` does).",
            pytrace=False,
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.fail("selenium is not installed: run `make install`.", pytrace=False)


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    """The page's URL, with the widget pointed at this test's Rasa server."""
    _require_browser()
    web_port = servers.free_port()
    origins = [f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}"]
    with servers.action_server() as action_url, servers.rasa_server(
        action_url, cors=origins
    ) as rasa_url, servers.web_server(rasa_url, port=web_port) as web_url:
        yield f"{web_url}/?rasa={rasa_url}"


@pytest.fixture
def browser() -> Iterator[Any]:
    """A fresh headless Chromium (own profile, so its own chat) for each test."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="widget-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1200",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability(
        "goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"}
    )
    servers.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    service = Service(
        executable_path=str(CHROMEDRIVER),
        log_output=str(servers.ARTIFACTS / "chromedriver.log"),
    )
    driver = None
    try:
        driver = webdriver.Chrome(service=service, options=options)
        driver.set_page_load_timeout(PAGE_TIMEOUT)
        driver.set_script_timeout(PAGE_TIMEOUT)
        yield driver
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(condition: Callable[[], T], timeout: float, what: str) -> T:
    """Poll `condition` until it returns something truthy, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # a node replaced while being read: try again
            last_error = error
        time.sleep(0.25)
    raise AssertionError(
        f"Timed out after {timeout}s waiting for {what}"
        + (f" (last error: {last_error!r})" if last_error else "")
    )


class Widget:
    """The chat widget on the page, as a user sees it."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def open(self, url: str) -> None:
        self.driver.get(url)
        wait_for(lambda: self._find(".rw-new-message"), PAGE_TIMEOUT, "the chat input")

    def _find(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def bot_nodes(self) -> list[Any]:
        return self._find(
            ".rw-messages-container "
            ".rw-message:not(.rw-typing-indication) .rw-response"
        )

    def wait_idle(self) -> None:
        """Until the bot's typing indicator (shown before each bubble) is gone."""
        wait_for(
            lambda: not self._find(".rw-typing-indication"),
            REPLY_TIMEOUT,
            "the bot to finish typing",
        )

    def bot_tables(self) -> list[dict[str, list]]:
        """Tables rendered inside bot messages: header cells and rows of cells."""
        return self.driver.execute_script(
            "const tables = document.querySelectorAll("
            "  '.rw-messages-container .rw-response table');"
            "return [...tables].map(t => ({"
            " headers: [...t.querySelectorAll('thead th')].map(c => c.innerText),"
            " rows: [...t.querySelectorAll('tbody tr')]"
            ".map(r => [...r.querySelectorAll('td')].map(c => c.innerText))}))"
        )

    def bot_texts(self) -> list[str]:
        return [node.text for node in self.bot_nodes()]

    def user_texts(self) -> list[str]:
        return [node.text for node in self._find(".rw-messages-container .rw-client")]

    def buttons(self) -> list[str]:
        return [node.text for node in self._find(".rw-messages-container .rw-reply")]

    def wait_bot(self, needle: str, after: int = 0) -> str:
        """The first bot message after the first `after` ones that contains `needle`."""

        def found() -> str | None:
            return next((t for t in self.bot_texts()[after:] if needle in t), None)

        return wait_for(found, REPLY_TIMEOUT, f"a bot message containing {needle!r}")

    def wait_buttons(self, *titles: str) -> list[str]:
        return wait_for(
            lambda: all(t in self.buttons() for t in titles) and self.buttons(),
            REPLY_TIMEOUT,
            f"buttons {titles}",
        )

    def say(self, text: str) -> None:
        from selenium.webdriver.common.keys import Keys

        box = self._find(".rw-new-message")[0]
        box.click()
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        wait_for(
            lambda: text in self.user_texts(), PAGE_TIMEOUT, f"my message {text!r}"
        )

    def click(self, title: str) -> None:
        node = next(
            n for n in self._find(".rw-messages-container .rw-reply") if n.text == title
        )
        self.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center'});", node
        )
        node.click()


def _requested_urls(driver: Any, page_url: str) -> list[str]:
    """Every URL the page at `page_url` asked for, from Chromium's network log.

    Chromium's own requests (its new-tab page and such) belong to other documents.
    """
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(page_url))
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            if params.get("documentURL", "").startswith(origin):
                urls.append(params["request"]["url"])
        elif message.get("method") == "Network.webSocketCreated":
            urls.append(params["url"])
    return urls


def test_a_visitor_gets_a_recommendation_and_follow_ups_that_survive_a_reload(
    browser, page_url
):
    widget = Widget(browser)
    widget.open(page_url)

    greeting = widget.wait_bot("CAIM")
    assert "CAIP" in greeting
    widget.wait_buttons("Compare CAIP and CAIM", "How do I choose?")

    seen = len(widget.bot_texts())
    widget.say(JOB)
    widget.wait_bot("CAIP (Certified Artificial Intelligence", after=seen)
    widget.wait_bot("computer vision", after=seen)  # what it matched in my words
    widget.wait_buttons("Why CAIP?", "Compare CAIP and CAIM")

    seen = len(widget.bot_texts())
    widget.click("Compare CAIP and CAIM")
    widget.wait_bot("side by side", after=seen)  # Rasa sends each paragraph as a bubble
    comparison = widget.wait_bot("Programming", after=seen)
    for label in ("Focus", "none needed", "computer vision"):
        assert label in comparison
    # the Markdown table is rendered as a table: no source syntax shows
    assert "|" not in comparison and "**" not in comparison
    table = wait_for(lambda: widget.bot_tables(), PAGE_TIMEOUT, "the comparison table")[
        -1
    ]
    assert table["headers"][1:] == ["CAIP", "CAIM"]
    assert [
        "Programming",
        "hands-on with AI tools, models and frameworks",
        "none needed",
    ] in table["rows"]

    widget.wait_bot("not interchangeable", after=seen)  # the comparison's last bubble
    widget.wait_idle()
    # the comparison table's top in view, for a look at it
    browser.execute_script(
        "document.querySelector('.chat').scrollIntoView({block: 'start'});"
        "const table = document.querySelector('.rw-messages-container table');"
        "const box = document.querySelector('.rw-messages-container');"
        "box.scrollTop += table.getBoundingClientRect().top"
        "  - box.getBoundingClientRect().top - 90;"
    )
    time.sleep(0.5)
    servers.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(COMPARE_SCREENSHOT))

    # A reload keeps the conversation (widget storage "local", and
    # session_persistence on the server)
    before_bot, before_user = widget.bot_texts(), widget.user_texts()
    widget.open(page_url)  # the same URL again: a reload
    wait_for(
        lambda: JOB in widget.user_texts(), PAGE_TIMEOUT, "my message after a reload"
    )
    widget.wait_bot("CAIP (Certified Artificial Intelligence")
    widget.wait_bot("side by side")
    time.sleep(2)  # a re-sent greeting would show up by now
    assert widget.user_texts() == before_user
    assert widget.bot_texts() == before_bot

    # ... and it goes on in the same conversation after the reload
    seen = len(widget.bot_texts())
    widget.say("why?")
    widget.wait_bot("Choose CAIP if", after=seen)

    # the chat panel in the window, scrolled to the end of the conversation
    widget.wait_idle()
    browser.execute_script(
        "document.querySelector('.chat').scrollIntoView({block: 'start'});"
        "const box = document.querySelector('.rw-messages-container');"
        "box.scrollTop = box.scrollHeight;"
    )
    time.sleep(0.5)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))


def test_typed_markup_is_shown_as_text_and_never_becomes_an_element(browser, page_url):
    from selenium.common.exceptions import NoAlertPresentException

    widget = Widget(browser)
    widget.open(page_url)
    widget.wait_bot("CAIM")
    seen = len(widget.bot_texts())
    widget.say(HOSTILE)
    wait_for(lambda: len(widget.bot_texts()) > seen, REPLY_TIMEOUT, "the bot's answer")

    assert HOSTILE in widget.user_texts()  # shown literally
    injected = browser.execute_script(
        "return document.querySelectorAll("
        "  '.rw-messages-container img, img[src=\"x\"]').length"
    )
    assert injected == 0
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 (raises when no alert is open)
    for text in widget.bot_texts()[seen:]:
        assert "onerror" not in text


def test_the_page_loads_nothing_from_outside_this_machine(browser, page_url):
    widget = Widget(browser)
    widget.open(page_url)
    widget.wait_bot("CAIM")
    urls = _requested_urls(browser, page_url)
    assert any(url.endswith("/webchat/webchat.js") for url in urls)
    assert any("/socket.io/" in url for url in urls)  # the widget talks to Rasa
    outside = [
        url
        for url in urls
        if not url.startswith("data:")
        and urlsplit(url).hostname not in ("127.0.0.1", "localhost")
    ]
    assert outside == []
    # nothing was blocked by the page's Content-Security-Policy either
    blocked = [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
    assert blocked == []
    # and only the page's own files are served: no other file from node_modules
    assert not _served(page_url, "/node_modules/rasa-webchat/package.json")
    assert not _served(page_url, "/../README.md")


def test_a_link_cannot_point_the_widget_at_another_server(browser, page_url):
    page = urlsplit(page_url)
    rasa_url = parse_qs(page.query)["rasa"][0]
    widget = Widget(browser)
    widget.open(f"{page.scheme}://{page.netloc}/?rasa=javascript:alert(1)")
    widget.wait_bot("CAIM")  # still talking to the configured server
    chosen = browser.execute_script(
        "return document.getElementById('advisor-chat').dataset.rasaUrl"
    )
    assert chosen == rasa_url


def test_the_rasa_server_lets_only_the_page_call_it_from_a_browser(page_url):
    import requests

    page = urlsplit(page_url)
    page_origin = f"{page.scheme}://{page.netloc}"
    rasa_url = parse_qs(page.query)["rasa"][0]
    handshake = f"{rasa_url}/socket.io/?EIO=4&transport=polling"
    allowed = requests.get(handshake, headers={"Origin": page_origin}, timeout=10)
    assert allowed.headers.get("Access-Control-Allow-Origin") == page_origin
    other = requests.get(
        handshake, headers={"Origin": "http://127.0.0.1:9"}, timeout=10
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    assert other.status_code == 400  # the socket itself refuses a foreign page


def _served(page_url: str, path: str) -> bool:
    import http.client

    parts = urlsplit(page_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    finally:
        connection.close()
