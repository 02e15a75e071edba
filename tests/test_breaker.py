"""The circuit breaker's count (infra/circuit_breaker.py) compared with Rasa's own."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from infra import circuit_breaker
from infra.errors import BreakerTripped

LIMIT = 10
LISTEN = "action_listen"


def rasas_check():
    """Rasa's own `is_action_limit_reached`, even when the runtime replaced it."""
    found = (circuit_breaker.replaced or [MessageProcessor.is_action_limit_reached])[0]
    assert found is not circuit_breaker.is_action_limit_reached
    return found


def tracker(*turns: int, end_listening: bool = True) -> DialogueStateTracker:
    """A conversation: session start, then one turn per number of actions run."""
    events = [ActionExecuted("action_session_start"), SessionStarted()]
    events.append(ActionExecuted(LISTEN))
    for index, actions in enumerate(turns):
        events.append(UserUttered(f"message {index}", {"name": "greet"}))
        events.append(ActionExecuted("action_extract_slots"))
        events += [ActionExecuted("action_greet") for _ in range(actions)]
        last = index == len(turns) - 1
        if not last or end_listening:
            events.append(ActionExecuted(LISTEN))
    return DialogueStateTracker.from_events("breaker-test", events)


def ours(track: DialogueStateTracker, should: bool) -> bool | str:
    stand_in = SimpleNamespace(max_number_of_predictions=LIMIT)
    try:
        return circuit_breaker.is_action_limit_reached(stand_in, track, should)
    except BreakerTripped:
        return "tripped"


@pytest.mark.parametrize(
    ("turns", "should"),
    list(
        itertools.product([(0,), (3,), (2, 8), (5, 9), (1, 10), (4, 12)], [True, False])
    ),
)
def test_the_count_is_rasas_on_every_well_formed_turn(turns, should):
    """Same answer as Rasa's; where Rasa says "reached", the turn is dropped instead."""
    stand_in = SimpleNamespace(max_number_of_predictions=LIMIT)
    for end_listening in (True, False):
        track = tracker(*turns, end_listening=end_listening)
        rasa = rasas_check()(stand_in, track, should)
        assert ours(track, should) == ("tripped" if rasa else False)


def test_a_conversation_saved_broken_is_counted_afresh_from_the_next_message():
    """Stock Rasa saved a tripped turn with no action_listen: it counts it again."""
    stand_in = SimpleNamespace(max_number_of_predictions=LIMIT)
    broken = tracker(LIMIT, end_listening=False)
    broken.update(UserUttered("hello again", {"name": "greet"}))
    broken.update(ActionExecuted("action_extract_slots"))
    assert rasas_check()(stand_in, broken, True) is True  # silent for ever
    assert ours(broken, True) is False  # answered
