"""End to end over REST: nothing a user types comes back, only recognised vocabulary.

The attack of issue 11: a typed payload whose `role` is a Markdown link, an HTML
image and a Markdown image, then "why?". Before the fix both replies repeated the
string and the `job_role` slot stored it.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from tests import servers

ATTACK = (
    "[click](javascript:alert(1)) <img src=x onerror=alert(1)> "
    "![x](http://evil.example/x.png)"
)
PIECES = ("javascript", "evil.example", "<img", "onerror", "[click]", "![x]", "](")


@pytest.fixture(scope="module")
def rasa_url():
    with servers.action_server() as action_url, servers.rasa_server(action_url) as url:
        yield url


def chat(base: str, sender: str, text: str) -> str:
    reply = requests.post(
        f"{base}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=60,
    )
    assert reply.status_code == 200, reply.text
    messages = reply.json()
    assert messages, f"no reply to {text!r}"
    return "\n".join(m.get("text", "") for m in messages)


def slots(base: str, sender: str) -> dict:
    reply = requests.get(f"{base}/conversations/{sender}/tracker", timeout=30)
    return reply.json()["slots"]


@pytest.mark.parametrize(
    "first",
    [
        f'/describe_job_builder{{"role":"{ATTACK}"}}',  # the attack
        f'/describe_job_ambiguous{{"role":"{ATTACK}"}}',
        f'/describe_job_builder{{"role":["{ATTACK}", "data scientist"]}}',
        f'/ask_focus{{"certification":"{ATTACK} CAIP"}}',
        f"I'm a [data scientist](http://evil.example) {ATTACK}",
        f"As a {ATTACK}, I train machine learning models",
    ],
)
def test_markup_typed_in_any_form_is_never_repeated(rasa_url, first):
    sender = f"echo-{uuid.uuid4().hex[:10]}"
    replies = [chat(rasa_url, sender, text) for text in (first, "why?")]
    for reply in replies:
        assert ATTACK not in reply
        for piece in PIECES:
            assert piece not in reply, (piece, reply)
    state = slots(rasa_url, sender)
    for name in ("job_role", "decided_by", "role_group", "certification_in_focus"):
        assert ATTACK not in str(state.get(name)), name
    if first.startswith("/describe_job_builder"):
        assert state["recommended_certification"] == "CAIP"  # the intent still counts
        assert state["job_role"] is None


def test_a_recognised_role_is_still_repeated(rasa_url):
    sender = f"echo-{uuid.uuid4().hex[:10]}"
    reply = chat(rasa_url, sender, "I'm a senior data scientist")
    assert "senior data scientist" in reply
    assert slots(rasa_url, sender)["job_role"] == "senior data scientist"
