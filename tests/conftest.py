"""Shared fixtures: a dispatcher, the domain, and trackers built like Rasa's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    with open(ROOT / "domain.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def make_tracker(
    text: str = "",
    intent: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    channel: str = "rest",
    active_loop: str | None = None,
    after: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose latest message is `text` classified as `intent`.

    `events` come before that message, `after` after it (actions of this turn).
    """
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99} if intent else {},
        "entities": entities or [],
    }
    user_event = {
        "event": "user",
        "text": text,
        "parse_data": latest,
        "input_channel": channel,
    }
    return Tracker(
        sender_id="test-user",
        slots=slots or {},
        latest_message=latest,
        events=[*(events or []), user_event, *(after or [])],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def tracker_for():
    return make_tracker


def role(value: str) -> dict[str, Any]:
    return {"entity": "role", "value": value}


def cue(value: str, side: str, strength: str = "strong") -> dict[str, Any]:
    """An activity the NLU found ("build"/"lead", "weak"/"strong"/"explicit")."""
    return {"entity": "activity", "value": value, "role": side, "group": strength}


def cert(value: str) -> dict[str, Any]:
    return {"entity": "certification", "value": value}
