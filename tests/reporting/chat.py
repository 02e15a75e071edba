"""Conversations made through the real servers, on each channel, for the report tests.

REST: the guarded REST webhook. Slack: Events API envelopes signed like Slack signs
them, answered through tests/fake_slack.py. Widget: the real widget on the project's
page in headless Chromium (tests/widget_page.py).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests

from tests import servers
from tests.fake_slack import FakeSlack
from tests.test_e2e_slack import SlackClient, message_event, wait_reply
from tests.widget_page import Widget, chromium

REPLY_TIMEOUT = 60.0
QUIET = 1.5  # seconds without a further bot message: the turn's replies are all in


def rest_conversation(rasa_url: str, sender: str, messages: list[str]) -> list[str]:
    """Send each message over REST; the bot's texts, all turns together."""
    texts = []
    for message in messages:
        reply = requests.post(
            f"{rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=REPLY_TIMEOUT,
        )
        assert reply.status_code == 200, reply.text
        texts += [m.get("text", "") for m in reply.json()]
    return texts


def widget_conversation(
    rasa_url: str, origin: str, messages: list[str]
) -> tuple[str, list[str]]:
    """One conversation in the real widget (web/widget/) in headless Chromium, on the
    page scripts/serve_web.py serves at `origin`: the page sends its initial payload
    (/greet, one more user message), then each message is typed. Returns the session
    id the server confirmed and the bot's texts after the greeting, as shown."""
    port = urlsplit(origin).port
    with servers.web_server(rasa_url, port=port) as web_url, chromium() as driver:
        widget = Widget(driver)
        widget.open(f"{web_url}/?rasa={rasa_url}")
        greeting = widget.wait_settled()
        assert greeting, "the widget showed no greeting"
        for message in messages:
            before = len(widget.bot_messages())
            widget.send(message)
            widget.wait_for_bot(before + 1)
            widget.wait_settled()
        texts = widget.bot_messages()[len(greeting) :]
        session = widget.js(
            "const key = Object.keys(localStorage)"
            ".find(k => k.startsWith('caip-caim-advisor:'));"
            "return key && JSON.parse(localStorage.getItem(key)).id;"
        )
    assert isinstance(session, str) and session, "the widget kept no session id"
    return session, texts


def slack_conversation(
    rasa_url: str, slack: FakeSlack, user: str, messages: list[str]
) -> list[str]:
    """Signed Slack message events from `user`; the texts the bot posted."""
    client = SlackClient(rasa_url)
    texts = []
    for message in messages:
        since = len(slack.posts("C123"))
        assert client.post_json(message_event(message, user)).status_code == 200
        texts.append(wait_reply(slack, "C123", since).text)
        time.sleep(QUIET)
    return texts


def wait_stored(rasa_url: str, sender: str, user_messages: int) -> None:
    """Wait until the conversation's turns are all saved (the bot listens again)."""
    deadline = time.monotonic() + REPLY_TIMEOUT
    while time.monotonic() < deadline:
        reply = requests.get(f"{rasa_url}/conversations/{sender}/tracker", timeout=30)
        if reply.status_code == 200:
            tracker = reply.json()
            users = [e for e in tracker["events"] if e.get("event") == "user"]
            if len(users) == user_messages and (
                tracker.get("latest_action_name") == "action_listen"
            ):
                return
        time.sleep(0.3)
    raise AssertionError(f"the conversation was not stored within {REPLY_TIMEOUT}s")
