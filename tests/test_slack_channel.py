"""channels/slack.py without servers: set-up from the environment, signatures,
de-duplication memory and how replies are laid out for Slack."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
import time
from types import SimpleNamespace

import pytest

from channels import slack_retries
from channels.slack import SlackFromEnv
from channels.slack_output import MAX_BUTTONS, MAX_SECTION_CHARS, button_blocks
from channels.slack_retries import SeenKeys


@pytest.fixture
def env(monkeypatch):
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_API_URL",
        "SLACK_CHANNELS",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_the_environment_slack_is_off(env, caplog):
    channel = SlackFromEnv.from_credentials({})
    assert not channel.enabled and channel.client is None
    assert channel.name() == "slack"
    assert "Slack is off" in caplog.text


def test_one_missing_variable_is_named(env, caplog):
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert not SlackFromEnv.from_credentials({}).enabled
    assert "SLACK_SIGNING_SECRET not set" in caplog.text


def test_the_api_url_comes_from_the_environment(env):
    env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    env.setenv("SLACK_SIGNING_SECRET", "s")
    assert SlackFromEnv.from_credentials({}).client.base_url == "https://slack.com/api/"
    env.setenv("SLACK_API_URL", "https://slack-gov.com/api")
    env.setenv("SLACK_CHANNELS", "C1, C2")
    channel = SlackFromEnv.from_credentials({})
    assert channel.client.base_url == "https://slack-gov.com/api/"
    assert channel.channels == {"C1", "C2"}


def _request(body: bytes, secret: str, timestamp: int, signature: str | None = None):
    digest = hmac.new(
        secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256
    ).hexdigest()
    headers = {"X-Slack-Request-Timestamp": str(timestamp)}
    if signature != "":  # "" leaves the header out
        headers["X-Slack-Signature"] = signature or f"v0={digest}"
    return SimpleNamespace(body=body, headers=headers)


@pytest.mark.parametrize(
    ("secret", "age", "signature", "ok"),
    [
        ("s3cret", 0, None, True),
        ("s3cret", 290, None, True),
        ("s3cret", 310, None, False),
        ("s3cret", -310, None, False),
        ("other", 0, None, False),
        ("s3cret", 0, "v0=00", False),
        ("s3cret", 0, "", False),
    ],
)
def test_signatures(secret, age, signature, ok):
    channel = SlackFromEnv("xoxb-1", "s3cret")
    request = _request(b'{"a":1}', secret, int(time.time()) - age, signature)
    assert channel.is_request_from_slack_authentic(request) is ok


def test_seen_keys_remember_and_stay_bounded():
    seen = SeenKeys(size=3)
    assert all(seen.add(f"k{i}") for i in range(5))
    assert len(seen) == 3
    assert not seen.add("k4") and seen.add("k0")  # k0 was forgotten
    assert seen.add(None)  # nothing to remember


def test_seen_keys_forget_old_keys():
    seen = SeenKeys(ttl=0.0)
    assert seen.add("a")
    time.sleep(0.01)
    assert seen.add("a")


def test_buttons_are_capped_and_text_is_mrkdwn():
    buttons = [{"title": f"Option {i}", "payload": f"/choose{i}"} for i in range(7)]
    blocks = button_blocks("*CAIP* fits", buttons)
    assert blocks[0] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*CAIP* fits"},
    }
    elements = blocks[-1]["elements"]
    assert blocks[-1]["type"] == "actions" and len(elements) == MAX_BUTTONS
    assert [e["value"] for e in elements] == [f"/choose{i}" for i in range(5)]
    assert len({e["action_id"] for e in elements}) == MAX_BUTTONS


def test_long_text_is_split_into_sections_in_order():
    text = "\n\n".join(f"{i}" * 1000 for i in range(7))
    sections = [b["text"]["text"] for b in button_blocks(text, [])]
    assert all(len(s) <= MAX_SECTION_CHARS for s in sections)
    assert "\n\n".join(sections) == text


def test_retries_are_remembered_in_redis_only_with_redis_url(monkeypatch):
    for name in ("REDIS_URL", "REDIS_HOST"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(slack_retries.from_env(), SeenKeys)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/0")
    assert isinstance(slack_retries.from_env(), slack_retries.RedisSeenKeys)


def test_an_unreachable_redis_falls_back_to_this_process(caplog):
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    seen = slack_retries.RedisSeenKeys(f"redis://127.0.0.1:{port}/0")

    async def run() -> list[bool]:
        return [await seen.first(key) for key in ("event:E1", "event:E1", "event:E2")]

    assert asyncio.run(run()) == [True, False, True]  # answered once, never lost
    assert seen.redis_down
    assert caplog.text.count("Redis unreachable") == 1
