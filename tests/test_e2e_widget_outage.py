"""End to end in headless Chromium: the widget apologises while the actions are down.

The action server is stopped (by PID) while the page, the Rasa server and the
widget stay up, then started again on the same port.
"""

from __future__ import annotations

from contextlib import ExitStack

from infra.wording import say
from tests import servers
from tests.test_e2e_widget import (  # noqa: F401 (browser: a fixture)
    JOB,
    REPLY_TIMEOUT,
    Widget,
    _require_browser,
    browser,
    wait_for,
)

ANSWER = "CAIP (Certified Artificial Intelligence"
APOLOGY = say("apology", "action_failed")
NEEDLE = APOLOGY[:60]  # "Sorry, I can't reach the part of me ..."


def test_the_widget_apologises_while_the_action_server_is_down(browser):  # noqa: F811
    _require_browser()
    web_port, action_port = servers.free_port(), servers.free_port()
    origins = [f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}"]
    with ExitStack() as stack:
        actions = ExitStack()
        action_url = actions.enter_context(servers.action_server(action_port))
        stack.callback(actions.close)
        rasa_url = stack.enter_context(servers.rasa_server(action_url, cors=origins))
        web_url = stack.enter_context(servers.web_server(rasa_url, port=web_port))
        widget = Widget(browser)
        widget.open(f"{web_url}/?rasa={rasa_url}")
        widget.wait_bot("CAIM")  # the greeting
        widget.wait_idle()

        actions.close()  # the action server stops; everything else stays up
        seen = len(widget.bot_texts())
        widget.say(JOB)
        apology = widget.wait_bot(NEEDLE, after=seen)
        assert " ".join(apology.split()) == APOLOGY  # the REST channel's words
        shown = [n for n in widget.bot_nodes()[seen:] if NEEDLE in n.text]
        assert shown and shown[-1].is_displayed()
        widget.wait_idle()
        assert not any(ANSWER in text for text in widget.bot_texts()[seen:])

        # back: the same message is answered in the same conversation
        stack.enter_context(servers.action_server(action_port))
        seen = len(widget.bot_texts())
        widget.say(JOB)
        widget.wait_bot(ANSWER, after=seen)
        assert wait_for(
            lambda: not any(NEEDLE in t for t in widget.bot_texts()[seen:]),
            REPLY_TIMEOUT,
            "no apology",
        )
