"""The HTTP API refuses other sites (channels/api_guard.py), on the real Rasa server.

A page the local user visits could otherwise write into conversations with a
"simple" cross-site request (text/plain, no preflight), and a DNS-rebinding page
(its own domain pointed at 127.0.0.1) could read them.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from tests import servers

EVIL = "http://evil.example"
EVENT = '[{"event": "slot", "name": "recommended_certification", "value": "CAIM"}]'


@pytest.fixture(scope="module")
def rasa_url():
    with servers.action_server() as action_url, servers.rasa_server(action_url) as url:
        yield url


def _slot(url: str, sender: str) -> object:
    tracker = requests.get(f"{url}/conversations/{sender}/tracker", timeout=30)
    assert tracker.status_code == 200
    return tracker.json()["slots"].get("recommended_certification")


@pytest.mark.parametrize(
    "route",
    ["tracker/events", "messages", "trigger_intent", "execute"],
)
@pytest.mark.parametrize(
    "headers,status",
    [
        ({"Content-Type": "text/plain", "Origin": EVIL}, 403),
        ({"Content-Type": "text/plain"}, 415),  # a page that sends no Origin
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({"Content-Type": "application/json", "Origin": EVIL}, 403),
        ({"Content-Type": "application/json", "Origin": "null"}, 403),  # sandboxed
    ],
)
def test_cross_site_writes_are_refused_and_change_nothing(
    rasa_url, route, headers, status
):
    sender = f"victim-{uuid.uuid4().hex[:8]}"
    body = {
        "tracker/events": EVENT,
        "messages": '{"text": "I lead the AI programme", "sender": "user"}',
        "trigger_intent": '{"name": "describe_job_leader"}',
        "execute": '{"name": "action_recommend"}',
    }[route]
    reply = requests.post(
        f"{rasa_url}/conversations/{sender}/{route}",
        data=body,
        headers=headers,
        timeout=30,
    )
    assert reply.status_code == status, reply.text
    assert _slot(rasa_url, sender) is None


def test_the_api_still_answers_this_machines_tools(rasa_url):
    sender = f"owner-{uuid.uuid4().hex[:8]}"
    reply = requests.post(
        f"{rasa_url}/conversations/{sender}/tracker/events",
        data=EVENT,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert _slot(rasa_url, sender) == "CAIM"


@pytest.mark.parametrize(
    "host",
    ["rebind.evil.example", "localhost.evil.example", "127.0.0.1.evil.example"],
)
def test_dns_rebinding_cannot_read_or_write_a_conversation(rasa_url, host):
    port = rasa_url.rsplit(":", 1)[1]
    headers = {"Host": f"{host}:{port}"}
    read = requests.get(
        f"{rasa_url}/conversations/default/tracker", headers=headers, timeout=30
    )
    assert read.status_code == 421 and "events" not in read.text
    write = requests.post(
        f"{rasa_url}/conversations/default/tracker/events",
        json=[{"event": "slot", "name": "recommended_certification", "value": "CAIP"}],
        headers=headers,
        timeout=30,
    )
    assert write.status_code == 421


def test_training_takes_no_text_plain_body(rasa_url):
    reply = requests.post(
        f"{rasa_url}/model/train",
        data="version: '3.1'\nnlu: []\n",
        headers={"Content-Type": "text/plain", "Origin": EVIL},
        timeout=30,
    )
    assert reply.status_code == 403
    reply = requests.post(
        f"{rasa_url}/model/train",
        data="version: '3.1'\nnlu: []\n",
        headers={"Content-Type": "text/plain"},
        timeout=30,
    )
    assert reply.status_code == 415


def test_the_channels_and_the_health_route_are_not_affected(rasa_url):
    port = rasa_url.rsplit(":", 1)[1]
    status = requests.get(
        f"{rasa_url}/status", headers={"Host": f"probe.internal:{port}"}, timeout=30
    )
    assert status.status_code == 200
    chat = requests.post(
        f"{rasa_url}/webhooks/rest/webhook",
        json={"sender": f"web-{uuid.uuid4().hex[:8]}", "message": "hi"},
        timeout=60,
    )
    assert chat.status_code == 200 and chat.json()
