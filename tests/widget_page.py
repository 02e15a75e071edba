"""A page object for the advisor's chat widget (web/widget/) in headless Chromium.

Other tests drive the widget through `Widget` instead of CSS selectors:

    with chromium() as driver:
        widget = Widget(driver)
        widget.open(page_url)          # the page, the widget connected
        greeting = widget.wait_for_bot(1)[0]
        widget.send("I'm a data scientist")
        widget.press("Why CAIP?")
        widget.bot_messages()          # the text of every bot message, in order

Debian's chromium and chromedriver (apt) are driven with Selenium, which never
downloads a browser or driver. axe-core comes from web/node_modules (pinned in
web/package-lock.json), injected into the page by `Widget.axe`. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WIDGET_FILES = ROOT / "web" / "node_modules" / "socket.io-client" / "dist"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
REPLY_TIMEOUT = 60  # seconds for one bot reply
PAGE_TIMEOUT = 30  # seconds for the page and widget to load
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

T = TypeVar("T")


def require_browser() -> None:
    """Fail (not skip) with the command that installs what is missing."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(
            f"Headless Chromium is needed, but {', '.join(missing)} is missing: run "
            "`apt-get install -y chromium chromium-driver` (`make install` does).",
            pytrace=False,
        )
    if not (WIDGET_FILES.is_dir() and AXE.is_file()):
        pytest.fail(
            "web/node_modules is missing: run `npm ci --prefix web` "
            "(`make install` does).",
            pytrace=False,
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.fail("selenium is not installed: run `make install`.", pytrace=False)


@contextmanager
def chromium(width: int = 1280, height: int = 1200) -> Iterator[Any]:
    """A fresh headless Chromium with its own profile (so its own conversation)."""
    require_browser()
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
        f"--window-size={width},{height}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability(
        "goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"}
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    service = Service(
        executable_path=str(CHROMEDRIVER),
        log_output=str(ARTIFACTS / "chromedriver.log"),
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
        time.sleep(0.2)
    raise AssertionError(
        f"Timed out after {timeout}s waiting for {what}"
        + (f" (last error: {last_error!r})" if last_error else "")
    )


# Installed before any page script runs: records what role="log" regions announce,
# the text of each node added to one, in order.
_LISTEN = """
window.__announced = [];
new MutationObserver(records => records.forEach(r => {
  if (r.target.getAttribute && r.target.getAttribute('role') === 'log') {
    r.addedNodes.forEach(n => window.__announced.push(
      n.textContent.replace(/\\s+/g, ' ').trim()));
  }
})).observe(document, {childList: true, subtree: true});
"""


class Widget:
    """The chat widget on a page, as a user sees and uses it."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument", {"source": _LISTEN}
        )

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def open(self, url: str | None = None) -> None:
        """Load `url` (default: reload) and wait until the widget is connected."""
        if url is None:
            self.driver.refresh()
        else:
            self.driver.get(url)
        wait_for(
            lambda: self.js("return document.querySelector('.aw').dataset.state")
            == "online",
            PAGE_TIMEOUT,
            "the widget to connect",
        )

    def open_popup(self) -> None:
        """Press the pop-up's launcher button (a no-op check for the inline widget)."""
        self.find(".aw-launcher")[0].click()
        wait_for(lambda: self.find(".aw-panel")[0].is_displayed(), 5, "the panel")

    def find(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def input(self) -> Any:
        return self.find(".aw-input")[0]

    def bot_messages(self) -> list[str]:
        """The text of every bot message, in order (without the "Advisor said:")."""
        return self.js(
            "return [...document.querySelectorAll('.aw-bot .aw-body')]"
            ".map(n => n.innerText.trim())"
        )

    def user_messages(self) -> list[str]:
        return self.js(
            "return [...document.querySelectorAll('.aw-user .aw-body')]"
            ".map(n => n.innerText.trim())"
        )

    def wait_for_bot(self, count: int) -> list[str]:
        """Wait until there are at least `count` bot messages; return them all."""
        return wait_for(
            lambda: len(self.bot_messages()) >= count and self.bot_messages(),
            REPLY_TIMEOUT,
            f"{count} bot messages",
        )

    def wait_bot(self, needle: str, after: int = 0) -> str:
        """The first bot message after the first `after` that contains `needle`."""

        def found() -> str | None:
            return next((t for t in self.bot_messages()[after:] if needle in t), None)

        return wait_for(found, REPLY_TIMEOUT, f"a bot message containing {needle!r}")

    def wait_settled(self, quiet: float = 1.5) -> list[str]:
        """Wait until no new bot message came for `quiet` seconds (a burst ended)."""
        last: list[str] = []
        deadline = time.monotonic() + REPLY_TIMEOUT
        stable_since = time.monotonic()
        while time.monotonic() < deadline:
            now = self.bot_messages()
            if now != last:
                last, stable_since = now, time.monotonic()
            elif time.monotonic() - stable_since >= quiet:
                return last
            time.sleep(0.2)
        raise AssertionError("the bot kept sending messages")

    def send(self, text: str) -> None:
        """Type `text` in the text box and press Enter."""
        from selenium.webdriver.common.keys import Keys

        box = self.input()
        box.click()
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        wait_for(lambda: text in self.user_messages(), PAGE_TIMEOUT, f"{text!r} shown")

    def buttons(self, enabled_only: bool = True) -> list[str]:
        """The quick replies' titles (only the usable ones by default)."""
        return self.js(
            "return [...document.querySelectorAll('.aw-reply')]"
            ".filter(b => !arguments[0] || !b.disabled).map(b => b.innerText.trim())",
            enabled_only,
        )

    def wait_buttons(self, *titles: str) -> list[str]:
        return wait_for(
            lambda: all(t in self.buttons() for t in titles) and self.buttons(),
            REPLY_TIMEOUT,
            f"buttons {titles}",
        )

    def press(self, title: str) -> None:
        """Click the usable quick reply called `title`."""
        button = next(
            b for b in self.find(".aw-reply") if b.text == title and b.is_enabled()
        )
        self.js("arguments[0].scrollIntoView({block: 'center'});", button)
        button.click()
        wait_for(lambda: title in self.user_messages(), PAGE_TIMEOUT, f"{title!r}")

    def tables(self) -> list[dict[str, list]]:
        """Tables in bot messages: column headers, and rows (row header first)."""
        return self.js(
            "return [...document.querySelectorAll('.aw-bot table')].map(t => ({"
            " headers: [...t.querySelectorAll('thead th')].map(c => c.innerText),"
            " rows: [...t.querySelectorAll('tbody tr')]"
            ".map(r => [...r.cells].map(c => c.innerText))}))"
        )

    def announcements(self) -> list[str]:
        """What the live region announced since the page loaded, one per added node."""
        return self.js("return window.__announced || []")

    def focused(self) -> dict[str, str]:
        """The focused element: tag, class, text and accessible-name attributes."""
        return self.js(
            "const e = document.activeElement; return {tag: e.tagName.toLowerCase(),"
            " cls: e.className || '', text: (e.innerText || '').trim(),"
            " label: e.getAttribute('aria-label') || ''}"
        )

    def axe(self, context: str = "document") -> list[dict[str, Any]]:
        """axe-core's WCAG 2.0/2.1 A and AA violations on the page now."""
        if not self.js("return Boolean(window.axe)"):
            self.js(AXE.read_text(encoding="utf-8"))
        tags = json.dumps(WCAG_AA)
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"axe.run({context}, {{runOnly: {{type: 'tag', values: {tags}}},"
            " resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
            " help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))))"
            ".catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));"
        )
        return list(result)

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the page scrolls sideways (0: it does not)."""
        return int(
            self.js(
                "return Math.max(document.documentElement.scrollWidth,"
                " document.body.scrollWidth) - document.documentElement.clientWidth"
            )
        )

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"widget-{name}.png"
        self.js(
            "const log = document.querySelector('.aw-log');"
            "if (log) log.scrollTop = log.scrollHeight;"
        )
        time.sleep(0.3)
        assert self.driver.save_screenshot(str(path))
        return path
