"""Rasa's socket.io channel (the web widget): its own conversations, checked input.

The session contract (the widget's client is built against exactly this):

1. the client emits `session_request {"session_id": <stored id or null>}`;
2. the server answers `session_confirm` with the id to use: the client's id when
   it has the widget's form, `web:<32 lowercase hex>` (channels/ids.py), else a
   newly minted one; the socket joins that conversation's room;
3. `user_uttered {"message", "session_id", "customData"}` is accepted only with
   the id confirmed for that socket. Anything else (no session yet, another id,
   say a Slack user's or a REST sender's, a body that is not an object, a
   `customData` that is not a JSON object of at most 4 KiB) gets a refusal,
   `bot_uttered {"text": ..., "refused": "session" | "metadata"}` to that socket
   only, and nothing reaches the assistant or the store.

Also:
- blank text gets a short prompt and never reaches the tracker; long text is
  cut and the user is told; control characters are removed (channels/guard.py);
- the socket itself accepts only the web page's origins (WEB_ORIGINS, comma
  separated; default the page served by `make run`). Stock Rasa switches the
  socket library's origin check off, so CORS alone would not stop a foreign
  page from opening a WebSocket;
- a turn that cannot be answered gets the REST channel's apology in the widget
  instead of silence (channels/turns.py: no model, action server down, a tripped
  circuit breaker, anything else), from actions/wording.yml (infra/wording.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic

from channels import guard, ids, turns
from infra.wording import say

logger = logging.getLogger(__name__)
DEFAULT_ORIGINS = "http://localhost:8080,http://127.0.0.1:8080"


def allowed_origins() -> list[str]:
    """The web origins allowed to open a socket, from WEB_ORIGINS."""
    raw = os.environ.get("WEB_ORIGINS") or DEFAULT_ORIGINS
    return [origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()]


def confirmed_id(data: Any) -> str:
    """The id a `session_request` gets: the client's own if well-formed, else new."""
    offered = data.get("session_id") if isinstance(data, dict) else None
    if isinstance(offered, str) and ids.is_web_id(offered):
        return offered
    return ids.new_web_id()


def refusal(data: Any, confirmed: str | None, metadata_key: str) -> str | None:
    """Why a `user_uttered` cannot be taken ("session", "metadata"), or None."""
    if not isinstance(data, dict) or confirmed is None:
        return "session"
    if data.get("session_id") != confirmed:
        return "session"
    if guard.check_metadata(data.get(metadata_key), metadata_key):
        return "metadata"
    return None


class GuardedSocketIOInput(SocketIOInput):
    """The socketio channel, keeping its name and path, with checked input."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None
        sio.eio.cors_allowed_origins = allowed_origins()
        sessions: dict[str, str] = {}  # socket id -> its confirmed conversation id
        server: dict[str, Sanic] = {}

        @webhook.listener("before_server_start")
        async def keep_app(app: Sanic, _loop: Any) -> None:
            server["app"] = app

        # python-socketio keeps one handler per event: these replace Rasa's
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, *data: Any) -> None:
            session_id = confirmed_id(data[0] if data else None)
            previous = sessions.get(sid)
            if previous and previous != session_id:
                sio.leave_room(sid, previous, namespace=self.namespace)
            sessions[sid] = session_id
            sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit(
                "session_confirm", session_id, room=sid, namespace=self.namespace
            )

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            sessions.pop(sid, None)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, *args: Any) -> None:
            data = args[0] if args else None
            refused = refusal(data, sessions.get(sid), self.metadata_key)
            if refused:
                logger.warning(
                    "socket.io message refused (%s), socket %s", refused, sid
                )
                await sio.emit(
                    self.bot_message_evt,
                    {"text": say("input", refused), "refused": refused},
                    room=sid,
                    namespace=self.namespace,
                )
                return
            message = UserMessage(
                data.get("message"),
                SocketIOOutput(sio, self.bot_message_evt),
                sessions[sid],
                input_channel=self.name(),
                metadata=data.get(self.metadata_key) or {},
            )
            await self._answer(on_new_message, message, server.get("app"))

        return webhook

    @staticmethod
    async def _answer(
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        message: UserMessage,
        app: Sanic | None,
    ) -> None:
        """Clean the text, run the turn, and say so when it cannot be answered."""
        output = message.output_channel
        raw = message.text if isinstance(message.text, str) else ""
        text, notes = guard.clean(raw)
        for note in notes:
            await output.send_text_message(message.sender_id, note)
        if not text:
            await output.send_text_message(message.sender_id, guard.empty_reply())
            return
        message.text = text
        apology = await turns.run(on_new_message, message, app)
        if apology:
            await output.send_text_message(message.sender_id, apology.text)
