"""What the runtime raises for a channel to answer; no patch, no Rasa behaviour here."""

from __future__ import annotations

from rasa.shared.exceptions import RasaException


class ActionFailed(RasaException):
    """A custom action could not run; the turn was dropped and nothing was saved."""
