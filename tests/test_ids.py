"""Conversation ids per channel (channels/ids.py) and the widget's session checks
(channels/guarded_socketio.py), without a server."""

from __future__ import annotations

import pytest

from channels import ids
from channels.guarded_socketio import confirmed_id, refusal

GOOD = "web:" + "0123456789abcdef" * 2


def test_widget_ids_are_fresh_and_of_one_form():
    made = {ids.new_web_id() for _ in range(100)}
    assert len(made) == 100 and all(ids.is_web_id(i) for i in made)


@pytest.mark.parametrize(
    "offered",
    [
        GOOD.upper(),
        GOOD[:-1],
        GOOD + "0",
        GOOD[4:],
        f" {GOOD}",
        "slack:T0TEST:U123",
        "U0123ABCD",
        None,
        42,
        ["web:"],
    ],
)
def test_an_id_not_of_the_widget_form_is_never_confirmed(offered):
    assert not ids.is_web_id(offered)
    confirmed = confirmed_id({"session_id": offered})
    assert confirmed != offered and ids.is_web_id(confirmed)


def test_a_well_formed_widget_id_is_confirmed_as_offered():
    assert confirmed_id({"session_id": GOOD}) == GOOD
    assert ids.is_web_id(confirmed_id("not an object"))


@pytest.mark.parametrize(
    ("team", "user", "expected"),
    [
        ("T0TEST", "U123", "slack:T0TEST:U123"),
        ("T0TEST", "web:abc", None),
        ("T0:X", "U123", None),
        (None, "U123", None),
        ("T0TEST", "", None),
        ("T0TEST", 7, None),
    ],
)
def test_slack_ids_carry_team_and_user(team, user, expected):
    assert ids.slack_id(team, user) == expected


@pytest.mark.parametrize("sender", [GOOD, "WEB:x", "slack:T:U", "Slack:anything"])
def test_rest_refuses_the_other_channels_forms(sender):
    assert "web:" in (ids.rest_refusal(sender) or "")


@pytest.mark.parametrize("sender", ["me", "U123", "webster", "slackware-1", "e2e-1"])
def test_rest_keeps_every_other_sender(sender):
    assert ids.rest_refusal(sender) is None


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"message": "hi", "session_id": GOOD}, None),
        ({"message": "hi", "session_id": GOOD, "customData": {"a": 1}}, None),
        ({"message": "hi", "session_id": "web:" + "f" * 32}, "session"),
        ({"message": "hi"}, "session"),
        ("hi", "session"),
        ({"message": "hi", "session_id": GOOD, "customData": "en"}, "metadata"),
        ({"message": "hi", "session_id": GOOD, "customData": [1]}, "metadata"),
        (
            {"message": "hi", "session_id": GOOD, "customData": {"a": "x" * 5000}},
            "metadata",
        ),
    ],
)
def test_a_socket_message_needs_its_confirmed_id_and_small_custom_data(data, why):
    assert refusal(data, GOOD, "customData") == why
    assert refusal(data, None, "customData") == "session"  # no session yet
