"""Cleans what a user typed before the assistant reads it.

Shared by every input channel: strips control characters, normalises Unicode,
caps the length. Returns the cleaned text and notes to show the user.
"""

from __future__ import annotations

import unicodedata

from actions.advice import say

MAX_CHARS = 1000


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
