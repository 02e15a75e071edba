"""End to end: Slack events, signed like Slack signs them, into the real servers.

The Rasa server runs channels/slack.py from credentials.yml with test credentials
and SLACK_API_URL pointing at tests/fake_slack.py, which records what the bot
posts. Replies are asynchronous (Slack gets its 200 at once), so tests poll the
fake for them, up to REPLY_TIMEOUT seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from channels import ids
from tests import servers
from tests.fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack

TOKEN = "xoxb-test-token"
SECRET = "test-signing-secret"
REPLY_TIMEOUT = 60.0
QUIET = 3.0  # how long to watch for a reply that must not come
JOB = "I'm a data scientist building ML models"


def sign(
    body: bytes, timestamp: int | None = None, secret: str = SECRET
) -> dict[str, str]:
    """Slack's v0 signature headers for a raw body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }


def new_user() -> str:
    return "U" + uuid.uuid4().hex[:10].upper()


def new_ts() -> str:
    return f"{time.time():.6f}"


def message_event(
    text: str,
    user: str,
    channel: str = "C123",
    thread_ts: str | None = None,
    **event: Any,
) -> dict[str, Any]:
    """An Events API envelope for a channel message, as Slack sends it."""
    inner = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": new_ts(),
        "channel": channel,
        "channel_type": "channel",
        "team": TEAM_ID,
        **event,
    }
    if thread_ts:
        inner["thread_ts"] = thread_ts
    return {
        "token": "unused",
        "team_id": TEAM_ID,
        "api_app_id": "A0TEST",
        "type": "event_callback",
        "event_id": "Ev" + uuid.uuid4().hex[:12].upper(),
        "event_time": int(time.time()),
        "event": inner,
        "authorizations": [
            {
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
    }


class SlackClient:
    """Sends what Slack would send to the Rasa server's Slack webhook."""

    def __init__(self, base: str) -> None:
        self.url = f"{base}/webhooks/slack/webhook"
        self.base = base

    def post_json(
        self,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
    ) -> requests.Response:
        raw = json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **sign(raw, timestamp)}
        sent.update(headers or {})
        return requests.post(self.url, data=raw, headers=sent, timeout=10)

    def click(self, user: str, post: Any, value: str) -> requests.Response:
        """A block_actions interactivity request for a button in a posted message."""
        message_ts = post.response_ts
        message = {
            "type": "message",
            "ts": message_ts,
            "text": post.text,
            "bot_id": BOT_ID,
            "user": BOT_USER_ID,
            "blocks": post.blocks,
        }
        if post.thread_ts:
            message["thread_ts"] = post.thread_ts
        button = next(b for b in post.buttons() if b["value"] == value)
        payload = {
            "type": "block_actions",
            "user": {"id": user, "team_id": TEAM_ID},
            "api_app_id": "A0TEST",
            "team": {"id": TEAM_ID},
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": post.channel,
                "is_ephemeral": False,
            },
            "channel": {"id": post.channel, "name": "advisor"},
            "message": message,
            "trigger_id": "1.2.3",
            "response_url": "https://hooks.slack.test/actions/x",
            "actions": [{**button, "block_id": "b1", "action_ts": new_ts()}],
        }
        raw = urlencode({"payload": json.dumps(payload)}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(raw)}
        return requests.post(self.url, data=raw, headers=headers, timeout=10)

    def tracker(self, user: str) -> dict[str, Any]:
        """The conversation of a Slack user of the test workspace."""
        sender = ids.slack_id(TEAM_ID, user)
        reply = requests.get(f"{self.base}/conversations/{sender}/tracker", timeout=30)
        assert reply.status_code == 200, reply.text
        return reply.json()


def user_events(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in tracker.get("events") or [] if e.get("event") == "user"]


# -- without credentials (runs first, so only one Rasa server is up at a time) --


def test_without_credentials_the_server_starts_and_slack_says_it_is_off():
    with servers.action_server() as action_url, servers.rasa_server(
        action_url, SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET=""
    ) as base:
        event = message_event(JOB, new_user())
        raw = json.dumps(event).encode()
        reply = requests.post(
            f"{base}/webhooks/slack/webhook",
            data=raw,
            headers={"Content-Type": "application/json", **sign(raw)},
            timeout=10,
        )
        assert reply.status_code == 503
        assert "not configured" in reply.json()["error"]
        # the other channels still work
        rest = requests.post(
            f"{base}/webhooks/rest/webhook",
            json={"sender": "no-slack", "message": "hello"},
            timeout=60,
        )
        assert rest.status_code == 200 and rest.json()
        port = base.rsplit(":", 1)[1]
    log = (servers.ARTIFACTS / f"rasa-{port}.log").read_text(errors="replace")
    off_lines = [line for line in log.splitlines() if "Slack is off" in line]
    assert len(off_lines) == 1, off_lines
    assert "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET not set" in off_lines[0]


# -- with credentials, against the fake Slack ------------------------------------


@pytest.fixture(scope="module")
def slack():
    with FakeSlack(TOKEN) as fake:
        yield fake
        fake.dump(servers.ARTIFACTS / "fake-slack-calls.json")


@pytest.fixture(scope="module")
def client(slack):
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "SLACK_CHANNELS": "",
    }
    with servers.action_server() as action_url, servers.rasa_server(
        action_url, **env
    ) as url:
        yield SlackClient(url)


def replies_to(
    slack: FakeSlack, channel: str, since: int, thread_ts: str | None = None
) -> list[Any]:
    posts = slack.posts(channel)[since:]
    return [p for p in posts if thread_ts is None or p.thread_ts == thread_ts]


def wait_reply(
    slack: FakeSlack, channel: str, since: int, thread_ts: str | None = None
) -> Any:
    posts = slack.wait_for(
        lambda: replies_to(slack, channel, since, thread_ts), timeout=REPLY_TIMEOUT
    )
    assert posts, f"no chat.postMessage to {channel} within {REPLY_TIMEOUT}s"
    return posts[0]


def test_url_verification_echoes_the_challenge(client):
    reply = client.post_json(
        {
            "token": "unused",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9",
            "type": "url_verification",
        }
    )
    assert reply.status_code == 200
    assert reply.json()["challenge"] == "3eZbrw1aBm2rZgRNFdxV2595E9"


def test_the_token_is_checked_on_start_up(client, slack):
    assert slack.wait_for(lambda: "auth.test" in slack.methods(), timeout=10)
    assert all(call.token == TOKEN for call in slack.calls)


def test_a_message_gets_one_mrkdwn_reply_recommending_caip(client, slack):
    user, since = new_user(), len(slack.posts("C123"))
    event = message_event(JOB, user)
    started = time.monotonic()
    first = client.post_json(event)
    assert first.status_code == 200
    assert time.monotonic() - started < 3  # acknowledged before it is answered
    # Slack's retry of the same event while it is being answered
    retry = client.post_json(
        event,
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status_code == 200
    post = wait_reply(slack, "C123", since)
    assert post.text.startswith("*CAIP* (Certified Artificial Intelligence"), post.text
    assert "**" not in post.text  # mrkdwn bold is *one* star
    assert post.thread_ts is None  # the user wrote in the channel, not a thread
    # the same event re-sent once more after the reply: still answered once
    again = client.post_json(
        event,
        headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert again.status_code == 200
    time.sleep(QUIET)
    assert len(replies_to(slack, "C123", since)) == 1
    tracker = client.tracker(user)
    assert tracker["slots"]["recommended_certification"] == "CAIP"
    assert [e["text"] for e in user_events(tracker)] == [JOB]
    assert user_events(tracker)[0]["input_channel"] == "slack"


def test_a_message_in_a_thread_is_answered_in_that_thread(client, slack):
    user, since = new_user(), len(slack.posts("C123"))
    thread = new_ts()
    assert (
        client.post_json(message_event(JOB, user, thread_ts=thread)).status_code == 200
    )
    post = wait_reply(slack, "C123", since)
    assert post.thread_ts == thread
    assert "CAIP" in post.text


def test_a_direct_message_is_answered_in_the_dm(client, slack):
    user, since = new_user(), len(slack.posts("D0DIRECT"))
    event = message_event(JOB, user, channel="D0DIRECT", channel_type="im")
    assert client.post_json(event).status_code == 200
    assert "CAIP" in wait_reply(slack, "D0DIRECT", since).text


@pytest.mark.parametrize("forgery", ["wrong", "missing", "other secret", "stale"])
def test_unsigned_forged_or_stale_requests_are_refused(client, slack, forgery):
    user, since = new_user(), len(slack.posts())
    event = message_event(JOB, user)
    raw = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", **sign(raw)}
    if forgery == "wrong":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif forgery == "missing":
        del headers["X-Slack-Signature"]
    elif forgery == "other secret":
        headers.update(sign(raw, secret="not-the-secret"))
    else:  # signed correctly, but ten minutes ago: a replay
        headers.update(sign(raw, timestamp=int(time.time()) - 600))
    reply = requests.post(client.url, data=raw, headers=headers, timeout=10)
    assert reply.status_code == 401
    assert "signature" in reply.json()["error"].lower()
    time.sleep(QUIET)
    assert len(slack.posts()) == since
    assert user_events(client.tracker(user)) == []


def test_a_forged_button_click_is_refused(client, slack):
    since = len(slack.posts())
    payload = {
        "type": "block_actions",
        "user": {"id": new_user()},
        "channel": {"id": "C123"},
        "message": {"ts": new_ts()},
        "actions": [{"type": "button", "value": "/greet", "action_ts": new_ts()}],
    }
    raw = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign(raw, secret="not-the-secret"),
    }
    assert (
        requests.post(client.url, data=raw, headers=headers, timeout=10).status_code
        == 401
    )
    time.sleep(QUIET)
    assert len(slack.posts()) == since


@pytest.mark.parametrize(
    "extra", [{"bot_id": "B999"}, {"subtype": "bot_message"}, {"user": BOT_USER_ID}]
)
def test_messages_from_bots_are_not_answered(client, slack, extra):
    sender = extra.get("user") or new_user()
    event = message_event(
        JOB, sender, **{k: v for k, v in extra.items() if k != "user"}
    )
    since = len(slack.posts())
    assert client.post_json(event).status_code == 200
    time.sleep(QUIET)
    assert len(slack.posts()) == since


def test_buttons_are_slack_buttons_and_a_click_is_answered(client, slack):
    user, since = new_user(), len(slack.posts("C123"))
    thread = new_ts()
    assert (
        client.post_json(
            message_event("I am the CTO", user, thread_ts=thread)
        ).status_code
        == 200
    )
    question = wait_reply(slack, "C123", since)
    buttons = question.buttons()
    assert [b["value"] for b in buttons] == [
        "/describe_job_builder",
        "/describe_job_leader",
    ]
    assert 1 <= len(buttons) <= 5
    assert question.blocks[0]["text"]["type"] == "mrkdwn"
    assert client.tracker(user)["slots"]["recommended_certification"] is None

    since = len(slack.posts("C123"))
    assert client.click(user, question, "/describe_job_builder").status_code == 200
    answer = wait_reply(slack, "C123", since)
    assert re.match(r"^\*CAIP\*", answer.text), answer.text
    assert answer.thread_ts == thread  # the buttons were in the thread
    assert client.tracker(user)["slots"]["recommended_certification"] == "CAIP"


def test_a_mention_delivered_twice_is_answered_once(client, slack):
    """Subscribed to message.channels and app_mention, Slack sends both."""
    user, since = new_user(), len(slack.posts("C123"))
    text = f"<@{BOT_USER_ID}> {JOB}"
    as_message = message_event(text, user)
    as_mention = {
        **as_message,
        "event_id": "Ev" + uuid.uuid4().hex[:12].upper(),
        "event": {**as_message["event"], "type": "app_mention"},
    }
    assert client.post_json(as_message).status_code == 200
    assert client.post_json(as_mention).status_code == 200
    post = wait_reply(slack, "C123", since)
    assert "CAIP" in post.text
    time.sleep(QUIET)
    assert len(replies_to(slack, "C123", since)) == 1
    assert [e["text"] for e in user_events(client.tracker(user))] == [JOB]


def test_odd_but_signed_requests_get_a_clear_answer_not_an_error(client, slack):
    since = len(slack.posts())

    def post(raw: bytes, content_type: str) -> requests.Response:
        headers = {"Content-Type": content_type, **sign(raw)}
        return requests.post(client.url, data=raw, headers=headers, timeout=10)

    assert post(b"{not json", "application/json").status_code == 400
    assert post(b"[1, 2]", "application/json").status_code == 400
    assert (
        post(b"payload=%7Bnope", "application/x-www-form-urlencoded").status_code == 400
    )
    assert post(b"hello", "text/plain").status_code == 400
    odd = [
        {"type": "event_callback", "event": "text"},
        {
            "type": "event_callback",
            "event_id": "Ev1",
            "event": {"type": "message", "user": ["U1"]},
        },
        {
            "type": "event_callback",
            "authorizations": "x",
            "event": {"type": "message", "subtype": "message_changed", "channel": "C1"},
        },
        {"type": "app_rate_limited"},
    ]
    for body in odd:
        assert client.post_json(body).status_code == 200, body
    form = urlencode(
        {
            "payload": json.dumps(
                {"type": "block_actions", "user": "U1", "actions": ["x"]}
            )
        }
    ).encode()
    assert post(form, "application/x-www-form-urlencoded").status_code == 200
    time.sleep(QUIET)
    assert len(slack.posts()) == since


# -- only recognised vocabulary is posted (issue 11) -------------------------------

ATTACK = (
    '/describe_job_builder{"role":"<http://evil.example|click> '
    '[click](javascript:alert(1)) <!channel> ![x](http://evil.example/x.png)"}'
)


@pytest.mark.parametrize(
    "first",
    [
        ATTACK,
        "I'm a <http://evil.example|data scientist> building ML models",
        '/ask_focus{"certification": "<http://evil.example|CAIP>"}',
    ],
)
def test_no_user_link_or_mention_is_ever_posted(client, slack, first):
    user, since = new_user(), len(slack.posts("C123"))
    for number, text in enumerate((first, "why?"), start=1):
        assert client.post_json(message_event(text, user)).status_code == 200
        assert slack.wait_for(
            lambda n=number: len(replies_to(slack, "C123", since)) >= n,
            timeout=REPLY_TIMEOUT,
        ), f"no reply to {text!r}"
    time.sleep(QUIET)
    posts = replies_to(slack, "C123", since)
    for post in posts:
        sections = [b["text"]["text"] for b in post.blocks if b.get("text")]
        for text in [post.text, *sections]:
            assert "evil.example" not in text and "javascript" not in text, text
            assert "<" not in text and ">" not in text, text  # no link, no mention
    assert client.tracker(user)["slots"]["job_role"] in (None, "data scientist")
