"""Hostile and malformed input over REST against the real servers: bodies, senders,
sizes, floods. What the messages say (markup, injection, payloads) and what the HTTP
API exposes are in tests/test_hostile_content.py; helpers in tests/hostile.py.

The servers are the real action server and Rasa server (tests/servers.py), on
127.0.0.1, with a conversation store of their own.
"""

from __future__ import annotations

import concurrent.futures as futures
import json
import threading
import time
import uuid

import pytest
import requests

from channels import guard
from channels.guarded_rest import MAX_PENDING_PER_SENDER
from infra import wording
from tests import servers
from tests.hostile import (
    WEBHOOK,
    new_sender,
    post_raw,
    real_servers,
    say,
    texts,
    tracker,
    user_texts,
)


@pytest.fixture(scope="module")
def rasa_url(tmp_path_factory):
    with real_servers(tmp_path_factory.mktemp("hostile") / "trackers.db") as url:
        yield url


@pytest.fixture(scope="module")
def default_user_events(rasa_url):
    """User events in Rasa's shared "default" conversation before these tests."""
    return len(user_texts(rasa_url, "default"))


# --------------------------------------------------------------------------- bodies


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"sender=me&message=hi", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'"I am a data scientist"', "JSON object"),
        (b"null", "JSON object"),
        (b'\xff\xfe{"sender": "u", "message": "hi"}', "not valid UTF-8"),
        (
            b'{"sender": "u", "message": "I am a data scientist \xc3\x28"}',
            "not valid UTF-8",
        ),
        (b'{"sender": "u", "message": "\\ud800 lone surrogate"}', "invalid Unicode"),
        (b'{"sender": "u", "message": "hi", "metadata": {"x": NaN}}', "NaN"),
        (
            b'{"sender": "u", "message": "hi", "n": ' + b"9" * 5000 + b"}",
            "4,300 digits",
        ),
        (b"[" * 20000 + b"]" * 20000, "nested deeper"),
        (
            b'{"sender": "u", "message": "hi", "metadata": '
            + b'{"a":' * 40
            + b"1"
            + b"}" * 41,
            "nested deeper",
        ),
        (b'{"sender": "u", "message": {"text": "hi"}}', "must be a string"),
        (
            b'{"sender": "u", "message": "hi", "metadata": [1, 2]}',
            "must be a JSON object",
        ),
        (
            json.dumps(
                {"sender": "u", "message": "hi", "metadata": {"x": "y" * 5000}}
            ).encode(),
            "larger than",
        ),
    ],
    ids=[
        "broken",
        "empty",
        "form",
        "array",
        "string",
        "null",
        "bom-latin1",
        "bad-utf8",
        "lone-surrogate",
        "nan",
        "huge-int",
        "deep-array",
        "deep-metadata",
        "object-message",
        "array-metadata",
        "big-metadata",
    ],
)
def test_malformed_bodies_get_400_with_a_reason(
    rasa_url, default_user_events, raw, reason
):
    reply = post_raw(rasa_url, raw)
    assert reply.status_code == 400, reply.text
    assert reason in reply.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"message": "hi"},
        {"sender": "", "message": "hi"},
        {"sender": "   ", "message": "hi"},
        {"sender": None, "message": "hi"},
        {"sender": 7, "message": "hi"},
        {"sender": ["me"], "message": "hi"},
        {"sender": {"id": "me"}, "message": "hi"},
        {"sender": "default", "message": "hi"},
        {"sender": " default ", "message": "hi"},
        {"sender": "me\nINFO forged log line", "message": "hi"},
        {"sender": "me\u202egnp.exe", "message": "hi"},
        {"sender": "x" * 129, "message": "hi"},
    ],
    ids=[
        "missing",
        "empty",
        "blank",
        "null",
        "number",
        "list",
        "object",
        "default",
        "default-padded",
        "newline",
        "bidi",
        "too-long",
    ],
)
def test_no_usable_sender_gets_400_never_the_default_conversation(
    rasa_url, default_user_events, body
):
    reply = requests.post(f"{rasa_url}{WEBHOOK}", json=body, timeout=60)
    assert reply.status_code == 400, reply.text
    assert "sender" in reply.json()["error"]
    assert len(user_texts(rasa_url, "default")) == default_user_events


def test_a_128_character_sender_is_fine(rasa_url):
    sender = "s" * (guard.MAX_SENDER_CHARS - 12) + uuid.uuid4().hex[:12]
    assert "CAIP" in texts(say(rasa_url, sender, "I'm a data scientist"))
    assert tracker(rasa_url, sender)["slots"]["recommended_certification"] == "CAIP"


def test_a_body_over_the_limit_gets_413_on_every_endpoint(rasa_url):
    limit = servers.MAX_BODY_BYTES
    message = "I am a data scientist. " * (limit // 20)
    big = json.dumps({"sender": new_sender(), "message": message}).encode()
    assert len(big) > limit
    for path in (
        WEBHOOK,
        "/webhooks/slack/webhook",
        "/model/parse",
        "/conversations/someone/messages",
        "/socket.io/?EIO=4&transport=polling",
    ):
        reply = requests.post(
            f"{rasa_url}{path}",
            data=big,
            timeout=60,
            headers={"Content-Type": "application/json"},
        )
        assert reply.status_code == 413, (path, reply.status_code, reply.text[:200])

    def chunks():  # no Content-Length: the limit holds while the body streams in
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    try:
        streamed = requests.post(
            f"{rasa_url}{WEBHOOK}",
            data=chunks(),
            timeout=60,
            headers={"Content-Type": "application/json"},
        )
        assert streamed.status_code == 413
    except requests.ConnectionError:
        pass  # the server may close the connection mid-upload: refused either way
    assert requests.get(f"{rasa_url}/status", timeout=30).status_code == 200


def test_text_over_the_cap_is_cut_and_the_user_is_told(rasa_url):
    sender = new_sender()
    job = "I'm a data scientist and I train machine learning models in Python. "
    text = job * 200  # about 14,000 characters, well under the body limit
    messages = say(rasa_url, sender, text)
    assert "first 1,000 characters" in messages[0]["text"]
    assert "CAIP" in texts(messages)
    stored = user_texts(rasa_url, sender)[-1]
    assert 500 < len(stored) <= guard.MAX_CHARS and text.startswith(stored)


def test_control_characters_are_removed_before_the_assistant_reads_them(rasa_url):
    sender = new_sender()
    messages = say(
        rasa_url,
        sender,
        "I am\x00 a data scientist\x1b[31m\u202e\u200b\x07\r\n\x7f at a bank\ufeff",
    )
    assert "CAIP" in texts(messages)
    stored = user_texts(rasa_url, sender)[-1]
    assert stored == "I am a data scientist [31m at a bank"
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in stored)


def test_blank_text_never_reaches_the_conversation(rasa_url):
    sender = new_sender()
    for blank in ("", "   ", "\x00\x01\u200b", None):
        reply = requests.post(
            f"{rasa_url}{WEBHOOK}",
            json={"sender": sender, "message": blank},
            timeout=60,
        )
        assert reply.status_code == 200
        assert "didn't receive any text" in texts(reply.json())
    assert user_texts(rasa_url, sender) == []


# --------------------------------------------------------------------------- load


def test_a_flood_in_one_conversation_leaves_the_server_up_and_others_served(rasa_url):
    """1,000 messages, 20 at a time, in one conversation; another user meanwhile."""
    flooder, other = new_sender("flood"), new_sender("bystander")
    total, concurrency, cap_seconds = 1000, 20, 300
    deadline = time.monotonic() + cap_seconds
    local = threading.local()
    statuses: dict[int, int] = {}
    answered: list[str] = []
    problems: list[str] = []
    lock = threading.Lock()

    def send(i: int) -> None:
        if time.monotonic() > deadline:
            return
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        text = f"what does CAIP cover? #{i}" if i % 2 else f"hello #{i}"
        try:
            reply = session.post(
                f"{rasa_url}{WEBHOOK}",
                timeout=120,
                json={"sender": flooder, "message": text},
            )
        except requests.RequestException as error:
            with lock:
                problems.append(f"{i}: {error!r}")
            return
        with lock:
            statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
            if reply.status_code == 200:
                answered.append(text)
            elif reply.status_code == 429:
                if texts(reply.json()) != wording.say("apology", "busy"):
                    problems.append(f"{i}: 429 without the busy reply")
            else:
                problems.append(f"{i}: HTTP {reply.status_code} {reply.text[:100]}")

    started = time.monotonic()
    with futures.ThreadPoolExecutor(concurrency) as pool:
        jobs = [pool.submit(send, i) for i in range(total)]
        while sum(statuses.values()) < 50 and time.monotonic() < started + 120:
            time.sleep(0.05)  # the flood is under way
        asked = time.monotonic()
        reply = say(rasa_url, other, "I'm a machine learning engineer")
        waited = time.monotonic() - asked
        futures.wait(jobs, timeout=cap_seconds + 150)
    elapsed = time.monotonic() - started

    summary = {
        "sent": sum(statuses.values()) + len(problems),
        "statuses": statuses,
        "bystander_seconds": round(waited, 2),
        "seconds": round(elapsed, 1),
    }
    (servers.ARTIFACTS / "flood-rest.json").write_text(json.dumps(summary, indent=1))
    assert texts(reply).startswith("CAIP"), reply  # the other user was served meanwhile
    assert not problems, problems[:5]
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.get(200, 0) >= MAX_PENDING_PER_SENDER
    assert sum(statuses.values()) == total, f"time cap hit: {summary}"
    # every answered message is in the conversation exactly once; no refused one is
    assert sorted(user_texts(rasa_url, flooder)) == sorted(answered)
    assert requests.get(f"{rasa_url}/status", timeout=30).status_code == 200
    assert "CAIP" in texts(say(rasa_url, flooder, "I'm a data scientist"))


def test_too_many_messages_at_once_for_one_conversation_get_429(rasa_url):
    sender = new_sender()
    burst = MAX_PENDING_PER_SENDER * 3
    barrier = threading.Barrier(burst, timeout=60)

    def send(i: int) -> int:
        barrier.wait()
        return requests.post(
            f"{rasa_url}{WEBHOOK}",
            timeout=120,
            json={"sender": sender, "message": f"compare them #{i}"},
        ).status_code

    with futures.ThreadPoolExecutor(burst) as pool:
        codes = list(pool.map(send, range(burst)))
    assert set(codes) <= {200, 429}
    assert codes.count(429) >= 1 and codes.count(200) >= MAX_PENDING_PER_SENDER
    assert len(user_texts(rasa_url, sender)) == codes.count(200)


def test_the_server_is_up_and_the_default_conversation_untouched(
    rasa_url, default_user_events
):
    assert requests.get(f"{rasa_url}/status", timeout=30).status_code == 200
    assert len(user_texts(rasa_url, "default")) == default_user_events
