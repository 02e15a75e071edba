"""A turn whose custom action cannot run (e.g. action server down) is dropped, not kept.

Stock Rasa 3.6 logs "Encountered an exception while running action ...", drops the
action's events and goes on predicting. With this assistant the rules then predict
`action_fallback`, itself a custom action, which fails too, ten times, until the
circuit breaker stops the turn without an `action_listen`. The user gets no answer,
and that broken turn is saved: every later message of the conversation hits the
circuit breaker at once and gets no answer either, even after the action server
is back.

`install()` (an entry of the registry in `infra/runtime.py`) wraps
`MessageProcessor._run_action`: when the action raises
anything but Rasa's form `ActionExecutionRejection`, `ActionFailed` is raised
instead of going on. The turn ends there and is never saved, so the conversation
stays exactly as it was before the message; the channel tells the user (the REST
channel answers 503 with the apology `apology.action_failed` of
actions/wording.yml, the Slack channel with its apology), and the same message
works once the action server is back.
"""

from __future__ import annotations

import logging
from typing import Any

from infra.errors import ActionFailed

logger = logging.getLogger(__name__)


def install() -> None:
    """Make a failed action end (and drop) the turn; idempotent."""
    from rasa.core.actions.action import ActionExecutionRejection
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor._run_action
    if getattr(original, "_infra_drops_failed_turns", False):
        return

    async def _run_action(
        self: MessageProcessor, action: Any, *args: Any, **kwargs: Any
    ) -> bool:
        failures: list[BaseException] = []
        run = action.run  # a fresh action object per prediction: safe to wrap

        async def guarded_run(*run_args: Any, **run_kwargs: Any) -> Any:
            try:
                return await run(*run_args, **run_kwargs)
            except ActionExecutionRejection:  # a form's normal "not me"
                raise
            except Exception as error:
                failures.append(error)
                raise

        action.run = guarded_run
        try:
            result = await original(self, action, *args, **kwargs)
        finally:
            del action.run
        if failures:
            logger.error(
                "Action '%s' failed; the turn is dropped, nothing is saved: %s",
                action.name(),
                failures[0],
            )
            raise ActionFailed(f"Action '{action.name()}' failed.") from failures[0]
        return result

    _run_action._infra_drops_failed_turns = True  # type: ignore[attr-defined]
    MessageProcessor._run_action = _run_action  # type: ignore[method-assign]
