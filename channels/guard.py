"""Cleans what a user typed before the assistant reads it.

Shared by every input channel: strips control characters, normalises Unicode,
caps the length. Returns the cleaned text and notes to show the user (their
words come from actions/wording.yml through infra/wording.py, never from the
action server's code). `check_sender` says whether a client-chosen conversation
id is usable, `check_metadata` whether a message's metadata is.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from infra.wording import say

MAX_CHARS = 1000
MAX_SENDER_CHARS = 128
MAX_METADATA_BYTES = 4096  # REST `metadata`, the widget's `customData`, as JSON
# Rasa's own fallback id: a client that forgets its id must not land in one
# conversation shared with every other such client.
RESERVED_SENDERS = frozenset({"default"})


def clean(text: str, limit: int = MAX_CHARS) -> tuple[str, list[str]]:
    """Return (cleaned text, notes for the user).

    Control characters become spaces, white space is squeezed, the text is cut
    to `limit` characters at a word boundary when it is longer.
    """
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        " " if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") else char
        for char in text
    )
    text = " ".join(text.split())
    notes: list[str] = []
    if len(text) > limit:
        cut = text[:limit]
        space = cut.rfind(" ")
        text = cut[:space] if space > limit // 2 else cut
        notes.append(say("input", "too_long", limit=f"{limit:,}"))
    return text, notes


def empty_reply() -> str:
    """What the bot says to a blank message."""
    return say("input", "empty")


def check_sender(sender: object) -> str | None:
    """Why `sender` cannot name a conversation, or None when it can.

    The id is chosen by the client; it ends up in logs, tracker store keys and
    the tracker API's URL, so it must be short printable text, not blank, and
    not Rasa's shared "default" conversation. Callers strip it first.
    """
    if not isinstance(sender, str) or not sender.strip():
        return "A non-empty string `sender` is required."
    if len(sender) > MAX_SENDER_CHARS:
        return f"`sender` is longer than {MAX_SENDER_CHARS} characters."
    if any(unicodedata.category(char).startswith("C") for char in sender):
        return "`sender` must not contain control or invisible characters."
    if sender.strip() in RESERVED_SENDERS:
        return '`sender` "default" is reserved; use an id of your own (a UUID, say).'
    return None


def check_metadata(metadata: Any, name: str = "metadata") -> str | None:
    """Why a message's metadata cannot be used, or None (absent, or a small object).

    The same rule for REST `metadata` and the widget's `customData`: a JSON object
    of at most MAX_METADATA_BYTES as UTF-8 JSON.
    """
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        return f"`{name}` must be a JSON object."
    try:
        size = len(json.dumps(metadata, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError):
        return f"`{name}` must be plain JSON."
    if size > MAX_METADATA_BYTES:
        return f"`{name}` is larger than {MAX_METADATA_BYTES:,} bytes."
    return None
