"""End to end: the web page's own chat widget (web/widget/) in real headless Chromium.

The real action server, Rasa server (socketio channel, CORS for the page's origin)
and scripts/serve_web.py run on free local ports; tests/widget_page.py drives
Chromium. Every wait is bounded; the servers are always stopped.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import servers
from tests.widget_page import PAGE_TIMEOUT, Widget, chromium, require_browser, wait_for

JOB = "I'm a machine learning engineer building computer vision models"
ANSWER = "CAIP (Certified Artificial Intelligence"


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    """The page's URL, with the widget pointed at this test's Rasa server."""
    require_browser()
    web_port = servers.free_port()
    origins = [f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}"]
    with servers.action_server() as action_url, servers.rasa_server(
        action_url, cors=origins
    ) as rasa_url, servers.web_server(rasa_url, port=web_port) as web_url:
        yield f"{web_url}/?rasa={rasa_url}"


@pytest.fixture
def browser() -> Iterator[Any]:
    """A fresh headless Chromium (own profile, so its own chat) for each test."""
    with chromium() as driver:
        yield driver


def _requested_urls(driver: Any, page_url: str) -> list[str]:
    """Every URL the page at `page_url` asked for, from Chromium's network log."""
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

    seen = len(widget.bot_messages())
    widget.send(JOB)
    widget.wait_bot(ANSWER, after=seen)
    widget.wait_bot("computer vision", after=seen)  # what it matched in my words
    widget.wait_buttons("Why CAIP?", "Compare CAIP and CAIM")
    # the greeting's buttons are used up once I answered
    assert "How do I choose?" not in widget.buttons()

    seen = len(widget.bot_messages())
    widget.press("Compare CAIP and CAIM")
    widget.wait_bot("side by side", after=seen)  # Rasa sends each paragraph apart
    comparison = widget.wait_bot("Programming", after=seen)
    for label in ("Focus", "none needed", "computer vision"):
        assert label in comparison
    assert "|" not in comparison and "**" not in comparison  # no Markdown source
    table = wait_for(widget.tables, PAGE_TIMEOUT, "the comparison table")[-1]
    assert table["headers"] == ["CAIP", "CAIM"]
    assert [
        "Programming",
        "hands-on with AI tools, models and frameworks",
        "none needed",
    ] in table["rows"]
    widget.wait_bot("not interchangeable", after=seen)  # the comparison's last bubble
    before_bot = widget.wait_settled()
    before_user = widget.user_messages()
    before_buttons = widget.buttons()

    # A reload keeps the conversation (the browser's copy and Rasa's tracker)
    widget.open()
    assert wait_for(
        lambda: widget.bot_messages() == before_bot, PAGE_TIMEOUT, "the same messages"
    )
    time.sleep(2)  # a re-sent greeting would show up by now
    assert widget.bot_messages() == before_bot
    assert widget.user_messages() == before_user
    assert widget.buttons() == before_buttons

    # ... and it goes on in the same conversation after the reload
    seen = len(widget.bot_messages())
    widget.send("why?")
    widget.wait_bot("Choose CAIP if", after=seen)


def test_the_page_loads_nothing_from_outside_this_machine(browser, page_url):
    widget = Widget(browser)
    widget.open(page_url)
    widget.wait_bot("CAIM")
    urls = _requested_urls(browser, page_url)
    assert any(url.endswith("/widget/vendor/socket.io.esm.min.js") for url in urls)
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
    # and only the page's own files are served: nothing else from node_modules
    assert _served(page_url, "/widget/vendor/socket.io.esm.min.js")
    assert not _served(page_url, "/node_modules/socket.io-client/package.json")
    assert not _served(page_url, "/widget/../../README.md")
    assert not _served(page_url, "/widget/vendor/axe.min.js")


def test_a_link_cannot_point_the_widget_at_another_server(browser, page_url):
    page = urlsplit(page_url)
    rasa_url = parse_qs(page.query)["rasa"][0]
    widget = Widget(browser)
    for asked in ("javascript:alert(1)", "http://evil.example:5005"):
        widget.open(f"{page.scheme}://{page.netloc}/?rasa={asked}")
        widget.wait_bot("CAIM")  # still talking to the configured server
        chosen = widget.js("return document.querySelector('.aw').dataset.rasaUrl")
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


MARKUP = (
    "[click](javascript:alert(1)) <img src=x onerror=alert(1)> "
    "![x](http://evil.example/x.png)"
)


def test_markup_from_a_user_never_becomes_a_link_or_an_image(browser, page_url):
    """Issue 11: the typed entity the bot used to repeat, and hostile typed text."""
    from selenium.common.exceptions import NoAlertPresentException

    widget = Widget(browser)
    widget.open(page_url)
    widget.wait_bot("CAIM")
    for text in (
        '/describe_job_builder{"role":"' + MARKUP + '"}',
        "why?",
        MARKUP,
        "**bold** [pecb](https://pecb.com/evil) <script>alert(1)</script>",
    ):
        seen = len(widget.bot_messages())
        widget.send(text)
        widget.wait_for_bot(seen + 1)  # the answer
        widget.wait_settled()
        assert text in widget.user_messages()  # shown literally, as typed
    # Whatever the server sends, the widget's renderer makes no link or image from
    # it except a link to pecb.com: the same hostile text as a bot message, raw and
    # HTML-escaped as actions/render.py escapes it, through the bot_uttered handler.
    for text in (
        MARKUP,
        html.escape(MARKUP, quote=False),
        "**Role**: "
        + MARKUP
        + "\n- [item](javascript:alert(2))\n\n| a | b |\n|---|---|"
        "\n| [x](http://evil.example/) | ![y](http://evil.example/y.png) |",
        "Details: [PECB](https://pecb.com/en/) and [not](https://pecb.com.evil.example/)",
    ):
        widget.js("advisorWidget.session.received({text: arguments[0]})", text)
    widget.wait_bot("Details: PECB")
    made = widget.js(
        "return {"
        " links: [...document.querySelectorAll('.aw a')].map(a => a.href),"
        " images: document.querySelectorAll('img').length,"
        " scripts: document.querySelectorAll('.aw script').length,"
        " userMarkup: document.querySelectorAll("
        "   '.aw-user .aw-body *:not(p)').length,"
        " pointing: [...document.querySelectorAll('[href], [src]')]"
        "   .map(e => e.getAttribute('href') || e.getAttribute('src'))"
        "   .filter(v => /javascript:|evil\\.example/i.test(v)),"
        "}"
    )
    assert made == {
        "links": ["https://pecb.com/en/"],
        "images": 0,
        "scripts": 0,
        "userMarkup": 0,
        "pointing": [],
    }
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 (raises when no alert is open)
