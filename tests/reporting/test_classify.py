"""Channels from the stored events, and the advisor's names read from its own files."""

from __future__ import annotations

import sqlite3

import pytest

from report.classify import channel_of, channel_sql, vocabulary

CASES = [
    ("socketio", "3f2a9c", "widget"),
    ("slack", "U024BE7LH", "slack"),
    ("rest", "me", "rest"),
    ("cmdline", "5b1e", "shell"),
    (None, "web:3f2a9c", "widget"),  # the sender id forms the channels may adopt
    (None, "slack:T0TEST:U024BE7LH", "slack"),
    (None, "someone", "other"),
    ("telegram", "123", "other"),
]


@pytest.mark.parametrize(("input_channel", "sender", "channel"), CASES)
def test_the_channel_of_a_message(input_channel, sender, channel):
    assert channel_of(input_channel, sender) == channel


def test_the_sql_says_the_same_as_python():
    connection = sqlite3.connect(":memory:")
    for input_channel, sender, channel in CASES:
        row = connection.execute(
            f"SELECT {channel_sql(':c', ':s')}", {"c": input_channel, "s": sender}
        ).fetchone()
        assert row[0] == channel, (input_channel, sender)


def test_the_names_come_from_the_project_files():
    v = vocabulary()
    assert v.assistant_id == "caip-caim-advisor"
    assert v.clarify_form == "clarify_form" and v.answer_slot == "ai_involvement"
    assert (
        v.unknown_intent == "ask_unknown_fact" and v.handoff_intent == "human_handoff"
    )
    assert v.fallback_action == "action_fallback"
    assert set(v.job_intents) == {
        "describe_job_builder", "describe_job_leader",
        "describe_job_ambiguous", "describe_job_unrelated",
    }  # fmt: skip
    assert v.recommendations == ("CAIP", "CAIM")
    assert v.topic_of("how much does CAIM cost?") == "price"
    assert v.topic_of("is it any good?") == "other"
