"""Hostile content over REST against the real servers: markup and template strings are
never echoed, typed payloads set no protected slot and skip no question, odd payloads
get an answer; and what the HTTP API exposes without a token. Helpers in
tests/hostile.py; bodies, sizes and floods in tests/test_hostile_rest.py.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
from typing import Any

import pytest
import requests
import yaml

from tests.hostile import (
    PROTECTED_SLOTS,
    ROOT,
    WEBHOOK,
    assert_plain,
    new_sender,
    real_servers,
    say,
    texts,
    tracker,
)


@pytest.fixture(scope="module")
def rasa_url(tmp_path_factory):
    with real_servers(tmp_path_factory.mktemp("hostile") / "trackers.db") as url:
        yield url


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>I'm a data scientist",
        "<b>I'm a compliance officer</b>",
        '<a href="javascript:alert(1)">what does CAIP cover?</a>',
        "<svg/onload=alert(document.cookie)> compare them",
        "<iframe src=//example.org></iframe><style>*{display:none}</style>",
        "&lt;script&gt;alert(1)&lt;/script&gt; I'm a CTO",
        "[click](javascript:alert(1)) **I run our AI programme**",
    ],
)
def test_markup_is_never_echoed(rasa_url, text):
    messages = say(rasa_url, new_sender(), text)
    assert messages
    assert_plain(messages, "script", "onerror", "javascript", "iframe", "svg", "&lt;")


@pytest.mark.parametrize(
    "text",
    [
        "{slot}",
        "{recommended_certification}",
        "I'm a {job_role} {role_group}",
        "{{7*7}} I'm a data scientist",
        "${jndi:ldap://127.0.0.1:1389/a}",
        "#{7*7} ${7*7}",
        "%s%s%s%n%x",
        "{0} {1!r} {__class__}",
        "<%= 7*7 %> {% debug %}",
        "I'm a compliance officer {{config.items()}}",
    ],
)
def test_template_strings_are_neither_interpolated_nor_echoed(rasa_url, text):
    sender = new_sender()
    messages = say(rasa_url, sender, text)
    assert messages
    assert_plain(messages, "49", "jndi", "__class__", "config")
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["recommended_certification"] in (None, "CAIP", "CAIM")
    assert not any(isinstance(v, str) and "49" in v for v in slots.values())


def test_typed_payloads_cannot_set_protected_slots(rasa_url):
    sender = new_sender()
    injected = {
        "recommended_certification": "CAIM",
        "requested_slot": "ai_involvement",
        "ai_involvement": "lead",
        "needs_clarification": True,
        "certification_in_focus": "CAIX",
        "role_group": "executives",
        "session_started_metadata": {"admin": True},
    }
    for intent in ("greet", "help", "ask_why", "compare", "thank", "out_of_scope"):
        say(rasa_url, sender, f"/{intent}{json.dumps(injected)}")
        slots = tracker(rasa_url, sender)["slots"]
        for name in PROTECTED_SLOTS:
            assert slots.get(name) != injected[name], (intent, name)
        assert slots["recommended_certification"] is None  # no job described yet
        assert slots["requested_slot"] is None and slots["ai_involvement"] is None


def test_a_typed_payload_decides_by_its_intent_only(rasa_url):
    sender = new_sender()
    say(
        rasa_url,
        sender,
        '/describe_job_builder{"ai_involvement": "lead", '
        '"recommended_certification": "CAIM"}',
    )
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["recommended_certification"] == "CAIP"
    assert slots["ai_involvement"] is None
    say(rasa_url, sender, '/start_over{"recommended_certification": "CAIP"}')
    assert tracker(rasa_url, sender)["slots"]["recommended_certification"] is None


def test_the_clarifying_question_cannot_be_skipped_by_injection(rasa_url):
    sender = new_sender()
    first = say(rasa_url, sender, "I'm a compliance officer at a bank")
    assert "both audiences" in first[0]["text"]
    say(
        rasa_url,
        sender,
        '/greet{"requested_slot": null, "recommended_certification": "CAIP"}',
    )
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["recommended_certification"] is None
    answer = say(
        rasa_url,
        sender,
        '/describe_job_leader{"recommended_certification": "CAIP", '
        '"ai_involvement": "build"}',
    )
    assert texts(answer).startswith("CAIM")
    assert tracker(rasa_url, sender)["slots"]["recommended_certification"] == "CAIM"


@pytest.mark.parametrize(
    "text",
    [
        "/",
        "/{}",
        "/greet{",
        '/greet{"a":',
        "/greet@abc",
        "/greet[1,2]",
        "/nonexistent_intent",
        "/restart",
        "/session_start",
        "/nlu_fallback",
        "/action_listen",
        "/back",
        '/ask_focus{"certification": "CAIX"}',
        '/ask_focus{"certification": {"a": [1]}}',
        '/ask_focus{"certification": 1e999}',
        "/greet" + "{" * 300,
        '/describe_job_ambiguous{"role": "<script>alert(1)</script>"}',
    ],
)
def test_odd_payloads_get_an_answer_not_an_error(rasa_url, text):
    sender = new_sender()
    reply = requests.post(
        f"{rasa_url}{WEBHOOK}", json={"sender": sender, "message": text}, timeout=60
    )
    assert reply.status_code == 200, reply.text
    assert_plain(reply.json(), "script")
    assert tracker(rasa_url, sender)["slots"]["certification_in_focus"] in (
        None,
        "CAIP",
        "CAIM",
    )


# --------------------------------------------------------------------------- exposure


def _other_addresses() -> list[str]:
    """This machine's addresses other than loopback (and link-local)."""
    found: set[str] = set()
    try:
        out = subprocess.run(
            ["ip", "-o", "addr", "show"], capture_output=True, text=True, timeout=10
        ).stdout
        found.update(re.findall(r"\binet6? ([0-9a-fA-F.:]+)/", out))
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.add(str(info[4][0]))
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith(("127.", "fe80")) and a != "::1")


def test_the_http_api_answers_without_a_token_on_loopback_only(rasa_url):
    sender = new_sender()
    say(rasa_url, sender, "hello")
    for path in (f"/conversations/{sender}/tracker", "/status", "/domain"):
        reply = requests.get(
            f"{rasa_url}{path}", timeout=30, headers={"Accept": "application/json"}
        )
        assert reply.status_code == 200, path  # no token needed ... on this machine
    port = int(rasa_url.rsplit(":", 1)[1])
    addresses = _other_addresses()
    if not addresses:
        pytest.skip("this machine has no address besides loopback")
    for address in addresses:
        with pytest.raises(OSError):  # nothing listens there: refused
            socket.create_connection((address, port), timeout=5).close()


def test_no_cross_origin_browser_may_read_the_api(rasa_url):
    reply = requests.get(
        f"{rasa_url}/conversations/someone/tracker",
        timeout=30,
        headers={"Origin": "https://evil.example"},
    )
    assert reply.headers.get("Access-Control-Allow-Origin") in (None, "")


def test_secrets_come_only_from_the_environment():
    def walk(node: Any, key: str = ""):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from walk(v, str(k))
        elif isinstance(node, list):
            for v in node:
                yield from walk(v, key)
        else:
            yield key, node

    secret = re.compile(r"token|secret|pass|password|api_key|private_key", re.I)
    for name in ("credentials.yml", "endpoints.yml"):
        config = yaml.safe_load((ROOT / name).read_text(encoding="utf-8")) or {}
        for key, value in walk(config):
            if secret.search(key) and value not in (None, ""):
                assert re.fullmatch(r"\$\{\w+\}", str(value)), (name, key)
            assert not re.search(r"xox[abpr]-|://[^/\s:]+:[^@\s]+@", str(value)), (
                name,
                key,
            )
