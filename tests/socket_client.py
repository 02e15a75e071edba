"""A socket.io client that speaks the widget's session contract (for the tests).

channels/guarded_socketio.py: `session_request {"session_id": ...}`, answered by
`session_confirm <id>`; then `user_uttered {"message", "session_id", "customData"}`,
answered by `bot_uttered` messages (or a refusal: `bot_uttered` with `refused`).
Uses python-socketio's own client, from the venv.
"""

from __future__ import annotations

import queue
import time
from typing import Any

import socketio

REPLY_TIMEOUT = 60.0
QUIET = 2.0  # how long without a message ends a reply


class Widget:
    """One browser tab, as the server sees it: a socket and its confirmed id."""

    def __init__(self, base: str) -> None:
        self.inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("session_confirm", lambda data: self.inbox.put(("confirm", data)))
        self.sio.on("bot_uttered", lambda data: self.inbox.put(("bot", data)))
        self.sio.connect(base, transports=["websocket"], wait_timeout=20)
        self.session_id: str | None = None

    def close(self) -> None:
        self.sio.disconnect()

    def __enter__(self) -> Widget:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _next(self, timeout: float) -> tuple[str, Any] | None:
        try:
            return self.inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def request_session(self, offered: Any = None) -> str:
        """Ask for a session (offering an id or not); the id the server confirmed."""
        self.sio.emit("session_request", {"session_id": offered})
        deadline = time.monotonic() + REPLY_TIMEOUT
        while time.monotonic() < deadline:
            got = self._next(deadline - time.monotonic())
            if got and got[0] == "confirm":
                self.session_id = got[1]
                return got[1]
        raise AssertionError("no session_confirm")

    def send(self, body: Any) -> list[dict[str, Any]]:
        """Emit `user_uttered` with `body` as it is; the bot messages it got back."""
        self.sio.emit("user_uttered", body)
        first = self._next(REPLY_TIMEOUT)
        received = [first] if first else []
        while received:
            more = self._next(QUIET)
            if more is None:
                break
            received.append(more)
        return [data for kind, data in received if kind == "bot"]

    def say(self, text: str, session_id: str | None = None, **extra: Any) -> str:
        """Send a message with the confirmed id (or another); the replies' text."""
        body = {"message": text, "session_id": session_id or self.session_id, **extra}
        return "\n".join(m.get("text", "") for m in self.send(body))
