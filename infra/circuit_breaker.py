"""A turn that trips Rasa's circuit breaker gets an apology; the conversation goes on.

Rasa stops a turn after MAX_NUMBER_OF_PREDICTIONS actions (10) without listening:
its `MessageProcessor.is_action_limit_reached` counts the actions since the last
`action_listen`, the prediction loop catches `ActionLimitReached`, stops, and the
turn is saved as it is, with no `action_listen` at its end. The user gets no
answer; worse, every later message is counted together with that broken turn, so
the breaker trips at once and the conversation answers nothing from then on.

`install()` (an entry of the registry in infra/runtime.py) replaces
`is_action_limit_reached` with the same count, bounded by the latest user message
as well as by `action_listen` (identical on every well-formed turn, which starts
with `action_listen` then the user's message), and, instead of answering True,
raises `infra.errors.BreakerTripped`. That escapes the prediction loop, so the
turn is dropped, never saved (as for an action that cannot run,
infra/action_failures.py), and the channel apologises (`apology.stuck`,
channels/turns.py). A conversation saved broken by stock Rasa gets the apology
instead of silence, and its next turns are counted from their own user message, so
a turn the policy can finish is answered again.
"""

from __future__ import annotations

import logging
from typing import Any

from infra.errors import BreakerTripped

logger = logging.getLogger(__name__)
replaced: list[Any] = []  # Rasa's own function, once installed (for the tests)


def actions_this_turn(events: Any) -> int:
    """Actions run since the latest `action_listen`, session start or user message."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
    from rasa.shared.core.events import ActionExecuted, UserUttered

    count = 0
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted):
            if event.action_name in (ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME):
                break
            count += 1
    return count


def is_action_limit_reached(
    self: Any, tracker: Any, should_predict_another_action: bool
) -> bool:
    """Rasa's check, counted from the user's message; raises instead of True.

    Raises:
        BreakerTripped: the turn ran `max_number_of_predictions` actions and would
            predict another one.
    """
    limit = self.max_number_of_predictions
    if should_predict_another_action and actions_this_turn(tracker.events) >= limit:
        logger.warning(
            "Circuit breaker tripped for sender %r after %d actions; the turn is "
            "dropped, nothing is saved.",
            tracker.sender_id,
            limit,
        )
        raise BreakerTripped(f"More than {limit} actions in one turn.")
    return False


def install() -> None:
    """Replace `MessageProcessor.is_action_limit_reached`; idempotent."""
    from rasa.core.processor import MessageProcessor

    if MessageProcessor.is_action_limit_reached is is_action_limit_reached:
        return
    replaced.append(MessageProcessor.is_action_limit_reached)
    MessageProcessor.is_action_limit_reached = (  # type: ignore[method-assign]
        is_action_limit_reached
    )
