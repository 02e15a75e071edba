"""Hostile and malformed input over REST against the real servers, and the security
defaults of scripts/run.sh.

The servers are the real action server and Rasa server (tests/servers.py), on
127.0.0.1, with a conversation store of their own. The run-script tests need no
server: they run a copy of scripts/run.sh against stand-in programs.
"""

from __future__ import annotations

import concurrent.futures as futures
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from channels import guard
from channels.guarded_rest import BUSY, MAX_PENDING_PER_SENDER
from tests import servers

ROOT = servers.ROOT
WEBHOOK = "/webhooks/rest/webhook"
# Slots a user must never set by typing; each is set by actions or the form only.
PROTECTED_SLOTS = (
    "recommended_certification",
    "requested_slot",
    "ai_involvement",
    "needs_clarification",
    "certification_in_focus",
    "role_group",
    "session_started_metadata",
)
KNOWN_PAYLOAD = re.compile(r'^/[a-z_]+(\{"certification": ?"CAI[PM]"\})?$')


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def rasa_url(tmp_path_factory):
    store = tmp_path_factory.mktemp("hostile") / "trackers.db"
    with servers.action_server() as action_url, servers.rasa_server(
        action_url, TRACKER_DB_PATH=str(store)
    ) as url:
        yield url


def post_raw(
    base: str, data: bytes, content_type: str = "application/json", timeout: float = 60
) -> requests.Response:
    return requests.post(
        f"{base}{WEBHOOK}",
        data=data,
        timeout=timeout,
        headers={"Content-Type": content_type},
    )


def say(base: str, sender: str, text: str) -> list[dict[str, Any]]:
    reply = requests.post(
        f"{base}{WEBHOOK}", json={"sender": sender, "message": text}, timeout=60
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def tracker(base: str, sender: str) -> dict[str, Any]:
    reply = requests.get(
        f"{base}/conversations/{sender}/tracker",
        params={"include_events": "ALL"},
        timeout=60,
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def user_texts(base: str, sender: str) -> list[str]:
    return [
        e.get("text") for e in tracker(base, sender)["events"] if e["event"] == "user"
    ]


def new_sender(prefix: str = "hostile") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def assert_plain(messages: list[dict[str, Any]], *banned: str) -> None:
    """Bot texts hold no markup or template syntax; buttons carry known payloads."""
    for message in messages:
        text = message.get("text") or ""
        for bad in ("<", ">", "{", "}", "${", "%s", "%n", *banned):
            assert bad not in text, (bad, text)
        for button in message.get("buttons") or []:
            assert KNOWN_PAYLOAD.match(button["payload"]), button
            assert "<" not in button["title"] and "{" not in button["title"], button


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
                if texts(reply.json()) != BUSY:
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


def test_the_server_is_up_and_the_default_conversation_untouched(
    rasa_url, default_user_events
):
    assert requests.get(f"{rasa_url}/status", timeout=30).status_code == 200
    assert len(user_texts(rasa_url, "default")) == default_user_events


# --------------------------------------------------------------------------- run.sh


STAND_IN = """#!/usr/bin/env bash
# Stands in for {name}: records its arguments and SANIC_* environment; where a server
# would start (the action server, the web page), serves 200s on 127.0.0.1 instead so
# that run.sh's readiness checks pass. Anything else returns at once. The endpoints
# file run.sh asks infra/endpoints.py for is answered, not recorded.
[ "{name} $1 $2" = "python -m infra.endpoints" ] && {{ echo endpoints.yml; exit 0; }}
{{ printf '%s' "{name}"; printf ' %q' "$@"; echo; env | grep -E '^SANIC_' | sort
  echo ---; }} >>"$CALLS"
case "{name} $1 $2" in
  "rasa run actions" | "python scripts/serve_web.py "*) ;;
  *) exit 0 ;;
esac
while [ $# -gt 0 ]; do [ "$1" = --port ] && port=$2; shift; done
exec python3 -m http.server --bind 127.0.0.1 --directory "$SERVE_DIR" "$port" \\
  >/dev/null 2>&1
"""


@pytest.fixture
def script_copy(tmp_path):
    """scripts/run.sh (and scripts/rasa) in an empty project; .venv/bin: stand-ins."""
    (tmp_path / "scripts").mkdir()
    for script in ("run.sh", "rasa"):
        shutil.copy2(ROOT / "scripts" / script, tmp_path / "scripts" / script)
    venv_bin = tmp_path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    for name in ("rasa", "python"):
        (venv_bin / name).write_text(STAND_IN.format(name=name))
        (venv_bin / name).chmod(0o755)
    serve = tmp_path / "serve"
    serve.mkdir()
    (serve / "health").write_text("ok")
    (serve / "index.html").write_text("ok")
    return tmp_path


def run_script(copy: Path, mode: str, **env: str):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RASA_", "SANIC_", "WEB_"))
    }
    clean.update(
        ACTION_PORT=str(servers.free_port()),
        RASA_PORT=str(servers.free_port()),
        WEB_PORT=str(servers.free_port()),
        CALLS=str(copy / "calls.log"),
        SERVE_DIR=str(copy / "serve"),
        **env,
    )
    done = subprocess.run(
        ["bash", str(copy / "scripts" / "run.sh"), mode],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    calls = (copy / "calls.log").read_text() if (copy / "calls.log").exists() else ""
    return done, calls


@pytest.mark.parametrize(
    "interface", ["0.0.0.0", "::", "192.0.2.10", "rasa.example.org", "127.evil.example"]
)
@pytest.mark.parametrize("mode", ["server", "check"])
def test_run_script_refuses_the_api_beyond_loopback_without_a_token(
    script_copy, interface, mode
):
    done, calls = run_script(script_copy, mode, RASA_INTERFACE=interface)
    assert done.returncode == 2
    assert "refusing to start" in done.stderr and "RASA_AUTH_TOKEN" in done.stderr
    assert interface in done.stderr
    assert calls == ""  # nothing was started
    assert not (script_copy / "var").exists()


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"RASA_INTERFACE": "0.0.0.0", "RASA_AUTH_TOKEN": "short"}, "shorter than 16"),
        ({"WEB_ORIGINS": "*"}, "WEB_ORIGINS"),
        ({"WEB_ORIGINS": "http://localhost:8080,*"}, "WEB_ORIGINS"),
        ({"RASA_MAX_BODY_BYTES": "100MB"}, "RASA_MAX_BODY_BYTES"),
        ({"RASA_ENABLE_API": "yes"}, "RASA_ENABLE_API"),
    ],
)
def test_run_script_refuses_other_unsafe_settings(script_copy, env, why):
    done, calls = run_script(script_copy, "server", **env)
    assert done.returncode == 2 and why in done.stderr
    assert calls == ""


def test_run_script_starts_with_a_token_beyond_loopback_or_without_the_api(script_copy):
    token = "t0k3n-" + uuid.uuid4().hex
    done, _ = run_script(
        script_copy, "check", RASA_INTERFACE="0.0.0.0", RASA_AUTH_TOKEN=token
    )
    assert done.returncode == 0, done.stderr
    assert "--auth-token ***" in done.stdout and token not in done.stdout
    done, _ = run_script(
        script_copy, "check", RASA_INTERFACE="0.0.0.0", RASA_ENABLE_API="false"
    )
    assert done.returncode == 0, done.stderr
    assert "--enable-api" not in done.stdout


def test_run_script_defaults_keep_everything_on_loopback(script_copy):
    token = "t0k3n-" + uuid.uuid4().hex
    done, calls = run_script(
        script_copy, "server", RASA_AUTH_TOKEN=token, SANIC_REQUEST_MAX_SIZE="100000000"
    )
    assert done.returncode == 0, done.stderr + done.stdout
    actions, web, rasa = calls.split("---\n")[:3]
    assert actions.startswith("rasa run actions") and "SANIC_HOST=127.0.0.1" in actions
    assert "SANIC_REQUEST_MAX_SIZE" not in actions  # whole trackers go there
    assert web.startswith("python scripts/serve_web.py")
    assert rasa.startswith("python -m infra.quiet run ")  # scripts/rasa: rasa run
    assert "--interface 127.0.0.1" in rasa and "--enable-api" in rasa
    assert f"--auth-token {token}" in rasa and "--cors" not in rasa
    assert f"SANIC_REQUEST_MAX_SIZE={servers.MAX_BODY_BYTES}" in rasa
    assert f"SANIC_WEBSOCKET_MAX_SIZE={servers.MAX_BODY_BYTES}" in rasa
    assert "127.0.0.1" in done.stdout and "token required" in done.stdout


def test_run_script_keeps_rasa_shell_on_loopback(script_copy):
    done, calls = run_script(script_copy, "shell")
    assert done.returncode == 0, done.stderr
    shell = calls.split("---\n")[1]
    assert shell.startswith("python -m infra.quiet shell")  # scripts/rasa: rasa shell
    assert "--interface 127.0.0.1" in shell
