"""What the runtime raises for a channel to answer; no patch, no Rasa behaviour here."""

from __future__ import annotations

from rasa.shared.exceptions import RasaException


class TurnDropped(RasaException):
    """The turn was dropped and nothing was saved; the channel apologises.

    `apology` names the channel's words (`apology.<key>` in actions/wording.yml),
    `status` the HTTP status the REST channel answers with.
    """

    apology = "error"
    status = 500


class ActionFailed(TurnDropped):
    """A custom action could not run; the turn was dropped and nothing was saved."""

    apology = "action_failed"
    status = 503


class BreakerTripped(TurnDropped):
    """Rasa's circuit breaker stopped a turn that kept predicting actions."""

    apology = "stuck"
    status = 500
