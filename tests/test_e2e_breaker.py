"""End to end: a tripped circuit breaker and a missing model get an apology, not `[]`.

The Rasa server runs with MAX_NUMBER_OF_PREDICTIONS=2 (Rasa reads it at start), so
a turn that runs two actions and would predict a third trips the breaker: "I am the
CTO" runs action_assess_job and the clarifying form. "hello" (one action,
action_greet) does not. Stock Rasa answers the trip with no reply
and saves the turn unfinished, after which every message of the conversation
trips at once; infra/circuit_breaker.py drops the turn and the channel apologises.
The last test unloads the model (`DELETE /model`), so it runs last.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from infra.wording import say
from tests import servers
from tests.socket_client import Widget

TRIPS = "I am the CTO"


@pytest.fixture(scope="module")
def base():
    port = servers.free_port()
    with servers.action_server() as action_url, servers.rasa_server(
        action_url,
        port=port,
        cors=[f"http://127.0.0.1:{port}"],
        MAX_NUMBER_OF_PREDICTIONS="2",
    ) as url:
        yield url


def post(base: str, sender: str, text: str) -> requests.Response:
    return requests.post(
        f"{base}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=60,
    )


def events(base: str, sender: str) -> list[dict]:
    reply = requests.get(f"{base}/conversations/{sender}/tracker", timeout=30)
    return reply.json()["events"]


def sender() -> str:
    return f"breaker-{uuid.uuid4().hex[:10]}"


def test_a_tripped_breaker_gets_the_apology_and_nothing_is_saved(base):
    who = sender()
    assert post(base, who, "hello").json()  # one action: under the limit
    before = events(base, who)
    tripped = post(base, who, TRIPS)
    assert tripped.status_code == 500
    assert [m["text"] for m in tripped.json()] == [say("apology", "stuck")]
    assert events(base, who) == before
    # ... and the conversation goes on
    again = post(base, who, "hello")
    assert again.status_code == 200 and "CAIP" in again.json()[0]["text"]


def test_a_conversation_saved_broken_by_stock_rasa_gets_the_apology_not_silence(base):
    """Stock Rasa saved a tripped turn with no action_listen, after which it answered
    every message of the conversation with nothing at all."""
    who = sender()
    assert post(base, who, "hello").status_code == 200  # the session starts first
    broken = [
        {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}}
    ] + [{"event": "action", "name": "action_greet"}] * 3
    saved = requests.post(
        f"{base}/conversations/{who}/tracker/events", json=broken, timeout=30
    )
    assert saved.status_code == 200, saved.text
    for text in ("hello", "I'm a data scientist"):
        reply = post(base, who, text)
        assert [m["text"] for m in reply.json()] == [say("apology", "stuck")], text
        assert reply.status_code == 500


def test_the_widget_gets_the_apology_too(base):
    with Widget(base) as widget:
        widget.request_session()
        # the socket streams: what the turn said before the trip came first
        assert widget.say(TRIPS).endswith(say("apology", "stuck"))
        assert "CAIP" in widget.say("hello")


def test_without_a_model_every_channel_apologises_instead_of_answering_nothing(base):
    who = sender()
    assert post(base, who, "hello").status_code == 200
    unloaded = requests.delete(f"{base}/model", timeout=30)
    assert unloaded.status_code == 204
    reply = post(base, who, "I'm a data scientist")
    assert reply.status_code == 503
    assert [m["text"] for m in reply.json()] == [say("apology", "unavailable")]
    with Widget(base) as widget:
        widget.request_session()
        assert widget.say("hello") == say("apology", "unavailable")
