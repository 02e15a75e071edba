"""Conversations made through the real servers, on each channel, for the report tests.

REST: the guarded REST webhook. Slack: Events API envelopes signed like Slack signs
them, answered through tests/fake_slack.py. Widget: `widget_conversation` speaks the
widget's socket.io protocol with python-socketio's client (session_request with no
id, the id from session_confirm, then user_uttered), from the page's origin; it is
the one place to swap for the real widget in Chromium.
"""

from __future__ import annotations

import queue
import time
from typing import Any

import requests

from tests.fake_slack import FakeSlack
from tests.test_e2e_slack import SlackClient, message_event, wait_reply

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
    """One widget conversation over socket.io; (its session id, the bot's texts)."""
    import socketio

    client = socketio.Client(reconnection=False)
    confirmed: queue.Queue[str] = queue.Queue()
    replies: queue.Queue[dict[str, Any]] = queue.Queue()
    client.on(
        "session_confirm",
        lambda data: confirmed.put(
            data["session_id"] if isinstance(data, dict) else data
        ),
    )
    client.on("bot_uttered", replies.put)
    # long-polling: websocket-client would send its own Origin next to the page's
    client.connect(
        rasa_url, headers={"Origin": origin}, transports=["polling"], wait_timeout=30
    )
    texts: list[str] = []
    try:
        client.emit("session_request", {"session_id": None})
        session = confirmed.get(timeout=30)
        for message in messages:
            client.emit("user_uttered", {"message": message, "session_id": session})
            texts.append(replies.get(timeout=REPLY_TIMEOUT).get("text", ""))
            while True:  # the rest of the turn's messages
                try:
                    texts.append(replies.get(timeout=QUIET).get("text", ""))
                except queue.Empty:
                    break
    finally:
        client.disconnect()
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
