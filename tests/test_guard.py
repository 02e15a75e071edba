"""Input cleaning and REST body checks, without a server."""

from __future__ import annotations

import json

import pytest

from channels import guard
from channels.guarded_rest import parse_body


def test_control_characters_and_spacing_are_cleaned():
    text, notes = guard.clean("I am\x00 a\tdata\u200b scientist \x1b[31m  ")
    assert text == "I am a data scientist [31m"
    assert notes == []


def test_long_text_is_cut_at_a_word_and_the_user_is_told():
    text, notes = guard.clean("word " * 500, limit=1000)
    assert len(text) <= 1000 and text.endswith("word")
    assert notes and "first 1,000 characters" in notes[0]


def test_blank_text_becomes_empty():
    assert guard.clean("   \n\t ")[0] == ""
    assert "didn't receive any text" in guard.empty_reply()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "not valid JSON"),
        (b"\xff\xfe\xfa", "not valid UTF-8"),
        (b"[1, 2]", "JSON object"),
        (b'{"message": "hi"}', "sender"),
        (b'{"sender": "  ", "message": "hi"}', "sender"),
        (b'{"sender": 7, "message": "hi"}', "sender"),
        (json.dumps({"sender": "x" * 200, "message": "hi"}).encode(), "longer than"),
        (b'{"sender": "a", "message": {"text": "hi"}}', "must be a string"),
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(raw, reason):
    body, why = parse_body(raw)
    assert body is None and reason in why


def test_a_good_body_passes():
    body, why = parse_body(b'{"sender": "u1", "message": "hello"}')
    assert why is None and body["sender"] == "u1"
