"""Slack's retries across two Rasa instances behind one balancer.

Two Rasa servers with the Slack channel on, one action server and one fake Slack
Web API; Slack's retry of an event (X-Slack-Retry-Num) reaches the other
instance, as a balancer would send it. With REDIS_URL (one real redis-server for
both), the event is answered once; without it, each instance keeps its own
memory and the retry is answered a second time (the problem this fixes).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
import redis

from channels.slack_retries import KEY_PREFIX, TTL_SECONDS
from tests import servers
from tests.fake_slack import BOT_USER_ID, FakeSlack
from tests.test_e2e_slack import (
    JOB,
    QUIET,
    SECRET,
    TOKEN,
    SlackClient,
    message_event,
    new_user,
    replies_to,
    wait_reply,
)

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def two_instances(slack: FakeSlack, **env: str) -> Iterator[list[SlackClient]]:
    settings = {
        "REDIS_URL": "",  # unless given: per-process memory, in-memory locks
        "REDIS_HOST": "",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "SLACK_CHANNELS": "",
        **env,
    }
    with ExitStack() as stack:
        action_url = stack.enter_context(servers.action_server())
        yield [
            SlackClient(
                stack.enter_context(servers.rasa_server(action_url, **settings))
            )
            for _ in range(2)
        ]


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def shared(slack, redis_server) -> Iterator[list[SlackClient]]:
    redis.Redis.from_url(redis_server.url).flushdb()
    yield from two_instances(slack, REDIS_URL=redis_server.url)


def test_a_retry_to_the_other_instance_is_not_answered_again(
    shared, slack, redis_server
):
    first, second = shared
    event, since = message_event(JOB, new_user()), len(slack.posts("C123"))
    assert first.post_json(event).status_code == 200
    retry = second.post_json(event, headers=RETRY)
    assert retry.status_code == 200 and retry.json().get("duplicate") is True
    post = wait_reply(slack, "C123", since)
    assert post.text.startswith("*CAIP*"), post.text
    # once more, after the reply, to the first instance and to the second
    assert first.post_json(event, headers={**RETRY, "X-Slack-Retry-Num": "2"}).json()[
        "duplicate"
    ]
    assert second.post_json(event, headers={**RETRY, "X-Slack-Retry-Num": "3"}).json()[
        "duplicate"
    ]
    time.sleep(QUIET)
    assert len(replies_to(slack, "C123", since)) == 1
    ttl = redis.Redis.from_url(redis_server.url).ttl(
        f"{KEY_PREFIX}event:{event['event_id']}"
    )
    assert 0 < ttl <= TTL_SECONDS


def test_the_same_event_at_both_instances_at_once_is_answered_once(shared, slack):
    event, since = message_event(JOB, new_user()), len(slack.posts("C123"))
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda c: c.post_json(event).json(), shared))
    assert sorted(bool(r.get("duplicate")) for r in replies) == [False, True]
    wait_reply(slack, "C123", since)
    time.sleep(QUIET)
    assert len(replies_to(slack, "C123", since)) == 1


def test_a_mention_delivered_to_each_instance_is_answered_once(shared, slack):
    first, second = shared
    since = len(slack.posts("C123"))
    as_message = message_event(f"<@{BOT_USER_ID}> {JOB}", new_user())
    as_mention = {
        **as_message,
        "event_id": "Ev" + uuid.uuid4().hex[:12].upper(),
        "event": {**as_message["event"], "type": "app_mention"},
    }
    assert first.post_json(as_message).status_code == 200
    assert second.post_json(as_mention).json().get("duplicate") is True
    wait_reply(slack, "C123", since)
    time.sleep(QUIET)
    assert len(replies_to(slack, "C123", since)) == 1


def test_without_redis_each_instance_answers_the_retry(slack):
    """The per-process memory alone: what two instances did before REDIS_URL."""
    instances = two_instances(slack)
    first, second = next(instances)
    try:
        event, since = message_event(JOB, new_user()), len(slack.posts("C123"))
        assert first.post_json(event).status_code == 200
        assert "duplicate" not in second.post_json(event, headers=RETRY).json()
        slack.wait_for(lambda: len(replies_to(slack, "C123", since)) >= 2, timeout=60)
        assert len(replies_to(slack, "C123", since)) == 2
    finally:
        instances.close()
