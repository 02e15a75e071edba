"""Helpers for the hostile-input tests over REST (tests/test_hostile_*.py): posting,
reading a conversation back, and the checks every reply must pass."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

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


@contextmanager
def real_servers(store: Path) -> Iterator[str]:
    """The real action server and Rasa server, with a store of their own."""
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
