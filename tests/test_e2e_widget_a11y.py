"""The widget as people with a keyboard, a screen reader or a small screen meet it.

Headless Chromium against the real servers (tests/servers.py). axe-core (pinned in
web/package-lock.json, injected from web/node_modules) checks WCAG 2.0/2.1 A and AA
at each state; screenshots of each state go to tests/artifacts/. The one-tag
embedding is checked on a page of "another site" (another origin, served here).
No real screen reader is run: the live region's additions are read as one would.
"""

from __future__ import annotations

import html
import tempfile
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.widget_page import Widget, chromium, require_browser, wait_for

ROLE = "I'm a risk manager"  # a role the advisor asks about
BUILD, LEAD = "I build or implement AI", "I lead or govern AI"
HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Another site</title></head>
<body><main><h1>Another site</h1><p>It embeds the advisor with one tag.</p></main>
<script src="{web}/widget/embed.js" data-rasa-url="{rasa}"
  data-title="CAIP or CAIM advisor" data-initial-payload="/greet" data-lang="en"
  defer></script>
</body></html>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def urls() -> Iterator[dict[str, str]]:
    """The page, and another site's page that embeds the widget with one tag."""
    require_browser()
    web_port, host_port = servers.free_port(), servers.free_port()
    host = f"http://127.0.0.1:{host_port}"
    origins = [f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}", host]
    with tempfile.TemporaryDirectory() as folder, servers.action_server() as action, (
        servers.rasa_server(action, cors=origins)
    ) as rasa, servers.web_server(rasa, port=web_port) as web:
        Path(folder, "index.html").write_text(
            HOST_PAGE.format(web=html.escape(web), rasa=html.escape(rasa))
        )
        site = ThreadingHTTPServer(
            ("127.0.0.1", host_port), partial(_Quiet, directory=folder)
        )
        threading.Thread(target=site.serve_forever, daemon=True).start()
        try:
            yield {"page": f"{web}/?rasa={rasa}", "host": f"{host}/"}
        finally:
            site.shutdown()
            site.server_close()


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def keys(browser: Any, *pressed: str) -> None:
    """Press keys as a keyboard does, wherever the focus is."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).send_keys(*pressed).perform()


def tab_to(widget: Widget, wanted: Any, back: bool = False, limit: int = 40) -> int:
    """Press Tab (Shift+Tab with `back`) until `wanted(focused)`; return the count."""
    from selenium.webdriver.common.keys import Keys

    for count in range(1, limit + 1):
        if back:
            keys(widget.driver, Keys.SHIFT, Keys.TAB, Keys.SHIFT)
        else:
            keys(widget.driver, Keys.TAB)
        if wanted(widget.focused()):
            return count
    raise AssertionError(f"not reached by {limit} Tab presses: {widget.focused()}")


def is_input(focused: dict[str, str]) -> bool:
    return "aw-input" in focused["cls"]


def test_no_wcag_violation_at_the_greeting_question_recommendation_and_comparison(
    browser, urls
):
    widget = Widget(browser)
    widget.open(urls["page"])
    widget.wait_buttons("Compare CAIP and CAIM")
    assert browser.execute_script("return document.documentElement.lang") == "en"
    assert widget.js("return document.querySelector('.aw').lang") == "en"
    states = {}
    states["greeting"] = widget.axe()
    widget.screenshot("greeting")

    widget.send(ROLE)
    widget.wait_buttons(BUILD, LEAD)
    states["question"] = widget.axe()
    widget.screenshot("question")

    seen = len(widget.bot_messages())
    widget.press(LEAD)
    widget.wait_bot("CAIM (Certified", after=seen)
    widget.wait_buttons("Compare CAIP and CAIM")
    states["recommendation"] = widget.axe()
    widget.screenshot("recommendation")

    widget.press("Compare CAIP and CAIM")
    wait_for(widget.tables, 60, "the comparison table")
    widget.wait_settled()
    states["comparison"] = widget.axe()
    widget.screenshot("comparison")
    assert states == {name: [] for name in states}


def test_a_keyboard_user_answers_the_question_and_gets_a_recommendation(browser, urls):
    from selenium.webdriver.common.keys import Keys

    widget = Widget(browser)
    widget.open(urls["page"])
    widget.wait_buttons("Compare CAIP and CAIM")
    tab_to(widget, is_input)  # from the top of the page
    keys(browser, ROLE, Keys.ENTER)
    widget.wait_buttons(BUILD, LEAD)
    assert is_input(widget.focused())

    # back through the reading order: the question's buttons come just before
    tab_to(widget, lambda f: f["tag"] == "button" and f["text"] == BUILD, back=True)
    ring = widget.js(  # the focus is visible
        "const s = getComputedStyle(document.activeElement);"
        "return [s.outlineStyle, s.outlineWidth]"
    )
    assert ring == ["solid", "3px"]
    seen = len(widget.bot_messages())
    keys(browser, Keys.ENTER)
    widget.wait_bot("CAIP (Certified", after=seen)
    assert BUILD in widget.user_messages()
    assert is_input(widget.focused())  # focus is back in the text box
    used = widget.js(
        "return [...document.querySelectorAll('.aw-reply')]"
        ".filter(b => b.innerText.trim() === arguments[0]).map(b => b.disabled)",
        BUILD,
    )
    assert used == [True]
    assert BUILD not in widget.buttons() and LEAD not in widget.buttons()

    # Space works as well as Enter
    widget.wait_buttons("Compare CAIP and CAIM")
    tab_to(
        widget,
        lambda f: f["tag"] == "button" and f["text"] == "Compare CAIP and CAIM",
        back=True,
    )
    keys(browser, Keys.SPACE)
    wait_for(widget.tables, 60, "the comparison table")


def test_screen_readers_are_told_who_said_what(browser, urls):
    widget = Widget(browser)
    widget.open(urls["page"])
    log = widget.find(".aw [role='log']")[0]
    assert log.get_attribute("aria-live") == "polite"
    assert log.get_attribute("aria-label")
    widget.wait_buttons("Compare CAIP and CAIM")
    widget.send(ROLE)
    widget.wait_buttons(BUILD, LEAD)
    widget.wait_settled()
    heard = widget.announcements()
    said = [a for a in heard if a.startswith(("Advisor said:", "You said:"))]
    assert said[0].startswith("Advisor said:") and "CAIM" in said[0]  # the greeting
    assert f"You said: {ROLE}" in said
    after = said[said.index(f"You said: {ROLE}") + 1 :]
    assert after and all(a.startswith("Advisor said:") for a in after)
    assert any(a.endswith("?") for a in after)  # the question
    # and the buttons that came with it, by name
    assert any(BUILD in a and LEAD in a for a in heard if not a.startswith("Advisor"))


@pytest.mark.parametrize("width", [320, 640])  # a phone; 1280 px at 200 % zoom
def test_narrow_screens_never_scroll_sideways(browser, urls, width):
    from selenium.webdriver.common.keys import Keys

    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 720, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]},
    )
    widget = Widget(browser)
    widget.open(urls["page"])
    widget.wait_buttons("Compare CAIP and CAIM")
    assert browser.execute_script("return window.innerWidth") == width
    widget.press("Compare CAIP and CAIM")
    wait_for(widget.tables, 60, "the comparison table")
    widget.wait_settled()
    assert widget.horizontal_overflow() == 0
    assert widget.axe() == []
    widget.screenshot(f"{width}px")
    # the table scrolls inside its own named region, by keyboard
    region = widget.find(".aw-table[role='region']")[-1]
    assert region.get_attribute("aria-label").startswith("Table")
    if width == 320:
        assert widget.js(
            "return arguments[0].scrollWidth > arguments[0].clientWidth", region
        )
        tab_to(widget, lambda f: f["label"].startswith("Table"), back=True)
        keys(browser, *[Keys.ARROW_RIGHT] * 5)
        assert wait_for(
            lambda: widget.js("return arguments[0].scrollLeft", region) > 0,
            5,
            "the table to scroll",
        )
    # nothing moves for people who ask for less motion
    animation = widget.js(
        "return getComputedStyle(document.querySelector('.aw-typing'), '::after')"
        ".animationName"
    )
    assert animation == "none"


def test_another_site_embeds_a_popup_used_and_closed_by_keyboard(browser, urls):
    from selenium.webdriver.common.keys import Keys

    browser.get(urls["host"])
    widget = Widget(browser)
    wait_for(lambda: widget.find(".aw-launcher"), 30, "the launcher button")
    tab_to(widget, lambda f: "aw-launcher" in f["cls"])
    launcher = widget.find(".aw-launcher")[0]
    assert launcher.get_attribute("aria-expanded") == "false"
    state = "return document.querySelector('.aw').dataset.state || null"
    assert widget.js(state) is None  # a page view alone starts no conversation
    keys(browser, Keys.ENTER)
    assert is_input(widget.focused())  # straight into the text box
    assert launcher.get_attribute("aria-expanded") == "true"
    wait_for(lambda: widget.js(state) == "online", 30, "the widget to connect")
    widget.wait_buttons("Compare CAIP and CAIM")  # the greeting came through
    panel = widget.find(".aw-panel")[0]
    assert panel.get_attribute("role") == "dialog"
    assert widget.axe() == []
    widget.screenshot("popup")

    keys(browser, Keys.ESCAPE)
    assert not panel.is_displayed()
    assert "aw-launcher" in widget.focused()["cls"]
    assert launcher.get_attribute("aria-expanded") == "false"
    keys(browser, Keys.ENTER)  # open again: the conversation is still there
    assert panel.is_displayed() and widget.bot_messages()
    tab_to(widget, lambda f: "aw-close" in f["cls"], back=True)
    assert widget.focused()["label"].startswith("Close")
    keys(browser, Keys.ENTER)
    assert not panel.is_displayed()
    assert "aw-launcher" in widget.focused()["cls"]
