"""End to end in headless Chromium: the widget apologises while the actions are down.

The action server is stopped (by PID) while the page, the Rasa server and the
widget stay up, then started again on the same port. The apology is checked as a
user meets it: shown, announced by the live region, and free of axe-core's WCAG
2.1 A/AA violations.
"""

from __future__ import annotations

from contextlib import ExitStack

from infra.wording import say
from tests import servers
from tests.widget_page import REPLY_TIMEOUT, Widget, chromium, wait_for

ANSWER = "CAIP (Certified Artificial Intelligence"
APOLOGY = say("apology", "action_failed")
NEEDLE = APOLOGY[:60]  # "Sorry, I can't reach the part of me ..."
JOB = "I'm a machine learning engineer building computer vision models"


def test_the_widget_apologises_while_the_action_server_is_down():
    web_port, action_port = servers.free_port(), servers.free_port()
    origins = [f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}"]
    with ExitStack() as stack:
        browser = stack.enter_context(chromium())
        actions = ExitStack()
        action_url = actions.enter_context(servers.action_server(action_port))
        stack.callback(actions.close)
        rasa_url = stack.enter_context(servers.rasa_server(action_url, cors=origins))
        web_url = stack.enter_context(servers.web_server(rasa_url, port=web_port))
        widget = Widget(browser)
        widget.open(f"{web_url}/?rasa={rasa_url}")
        widget.wait_bot("CAIM")  # the greeting
        widget.wait_settled()

        actions.close()  # the action server stops; everything else stays up
        seen = len(widget.bot_messages())
        widget.send(JOB)
        apology = widget.wait_bot(NEEDLE, after=seen)
        assert " ".join(apology.split()) == APOLOGY  # the REST channel's words
        shown = [n for n in widget.find(".aw-bot") if NEEDLE in n.text]
        assert shown and shown[-1].is_displayed()
        widget.wait_settled()
        assert not any(ANSWER in text for text in widget.bot_messages()[seen:])
        assert any(  # a screen reader is told, as for any answer
            a.startswith("Advisor said:") and NEEDLE in a
            for a in widget.announcements()
        )
        assert widget.axe() == []
        widget.screenshot("apology")

        # back: the same message is answered in the same conversation
        stack.enter_context(servers.action_server(action_port))
        seen = len(widget.bot_messages())
        widget.send(JOB)
        widget.wait_bot(ANSWER, after=seen)
        assert wait_for(
            lambda: not any(NEEDLE in t for t in widget.bot_messages()[seen:]),
            REPLY_TIMEOUT,
            "no apology",
        )
