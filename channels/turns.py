"""One turn of a conversation, run by a channel: an answer or an apology, never silence.

Every channel hands its checked message to `run` (REST, the widget's socket.io,
Slack). What it guarantees:

- no model loaded (e.g. after `DELETE /model`): the turn is not run, the user
  gets `apology.unavailable` (REST: 503), not an empty reply;
- a turn the runtime dropped (`infra.errors.TurnDropped`: a custom action that
  could not run, a tripped circuit breaker): that case's apology and status;
- anything else that breaks: `apology.error` (REST: 500), the trace in the log.

The words come from actions/wording.yml (infra/wording.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import UserMessage

from infra.errors import TurnDropped
from infra.wording import say

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Apology:
    """What the user is told instead of an answer, and the REST status."""

    text: str
    status: int


def model_missing(app: Any) -> bool:
    """True when the Rasa server runs with no model (`DELETE /model`, none found)."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    if agent is None:
        return app is not None
    return not agent.is_ready()


async def run(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: UserMessage,
    app: Any = None,
) -> Apology | None:
    """Run one turn; None when it was answered, else the apology to send.

    Args:
        on_new_message: Rasa's handler of the channel.
        message: the checked message.
        app: the Sanic app (its agent tells whether a model is loaded); None when
            the channel cannot know.
    """
    if app is not None and model_missing(app):
        logger.warning("No model loaded: message of %r not answered", message.sender_id)
        return Apology(say("apology", "unavailable"), 503)
    try:
        await on_new_message(message)
    except TurnDropped as dropped:  # nothing was saved
        logger.warning("Conversation %r: turn dropped: %s", message.sender_id, dropped)
        return Apology(say("apology", dropped.apology), dropped.status)
    except Exception:  # the user gets an apology, the log gets the trace
        logger.exception("Handling a message failed (sender %r)", message.sender_id)
        return Apology(say("apology", "error"), 500)
    return None
