"""Rasa's socket.io channel (the web widget) with the same input checks as REST.

- a session id that cannot name a conversation is refused (channels/guard.py);
- blank text gets a short prompt and never reaches the tracker; long text is
  cut and the user is told; control characters are removed (channels/guard.py);
- the socket itself accepts only the web page's origins (WEB_ORIGINS, comma
  separated; default the page served by `make run`). Stock Rasa switches the
  socket library's origin check off, so CORS alone would not stop a foreign
  page from opening a WebSocket;
- a turn that fails gets the REST channel's apology in the widget instead of
  silence: the action server's (the turn is not saved) or the general one,
  both from actions/wording.yml (infra/wording.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from channels import guard
from infra.errors import ActionFailed
from infra.wording import say

logger = logging.getLogger(__name__)
DEFAULT_ORIGINS = "http://localhost:8080,http://127.0.0.1:8080"


def allowed_origins() -> list[str]:
    """The web origins allowed to open a socket, from WEB_ORIGINS."""
    raw = os.environ.get("WEB_ORIGINS") or DEFAULT_ORIGINS
    return [origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()]


class GuardedSocketIOInput(SocketIOInput):
    """The socketio channel, keeping its name and path, with checked input."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        async def checked(message: UserMessage) -> None:
            reason = guard.check_sender(message.sender_id)
            if reason:  # e.g. a session_id with a lone surrogate would break the store
                logger.warning("socket.io message refused: %s", reason)
                return
            raw = message.text if isinstance(message.text, str) else ""
            text, notes = guard.clean(raw)
            for note in notes:
                await message.output_channel.send_text_message(message.sender_id, note)
            if not text:
                await message.output_channel.send_text_message(
                    message.sender_id, guard.empty_reply()
                )
                return
            message.text = text
            try:
                await on_new_message(message)
            except ActionFailed:  # action server down: not saved
                logger.warning("Action failed; turn dropped (%r)", message.sender_id)
                await message.output_channel.send_text_message(
                    message.sender_id, say("apology", "action_failed")
                )
            except Exception:  # the user gets an apology, the log gets the trace
                logger.exception("socket.io message failed (%r)", message.sender_id)
                await message.output_channel.send_text_message(
                    message.sender_id, say("apology", "error")
                )

        webhook = super().blueprint(checked)
        assert self.sio is not None
        self.sio.eio.cors_allowed_origins = allowed_origins()
        return webhook
