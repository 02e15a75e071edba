"""A fake Slack Web API on 127.0.0.1 for end-to-end tests.

Point the connector at it with SLACK_API_URL=<fake.api_url>. Every call
(chat.postMessage, auth.test, anything else) is recorded with its method, its
arguments and the bearer token, and answered like Slack: {"ok": true, ...}, or
{"ok": false, "error": "invalid_auth"} for a wrong token.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_USER_ID = "UBOTADVISOR"
BOT_ID = "BADVISOR"
TEAM_ID = "T0TEST"


@dataclass
class Call:
    """One Web API call the connector made."""

    method: str
    args: dict[str, Any]
    token: str | None
    answer: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    @property
    def response_ts(self) -> str | None:
        """The `ts` Slack gave the posted message."""
        return self.answer.get("ts")

    @property
    def channel(self) -> str | None:
        return self.args.get("channel")

    @property
    def text(self) -> str:
        return self.args.get("text") or ""

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.args.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else blocks

    @property
    def thread_ts(self) -> str | None:
        return self.args.get("thread_ts")

    def buttons(self) -> list[dict[str, Any]]:
        return [
            element
            for block in self.blocks
            if block.get("type") == "actions"
            for element in block.get("elements", [])
        ]


class FakeSlack:
    """Run with `with FakeSlack(token) as slack:`; calls are in `slack.calls`."""

    def __init__(self, token: str = "xoxb-test") -> None:
        self.token = token
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- recording ----------------------------------------------------------

    def record(self, call: Call) -> dict[str, Any]:
        with self._lock:
            ts = f"{int(time.time())}.{next(self._ts):06d}"
        call.answer = self._answer(call, ts)
        with self._lock:
            self.calls.append(call)
        return call.answer

    def _answer(self, call: Call, ts: str) -> dict[str, Any]:
        if call.token != self.token:
            return {"ok": False, "error": "invalid_auth"}
        if call.method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": "Test",
                "user": "advisor",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if call.method == "chat.postMessage":
            if not call.channel:
                return {"ok": False, "error": "channel_not_found"}
            message = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "text": call.text,
                "ts": ts,
                "blocks": call.blocks,
            }
            if call.thread_ts:
                message["thread_ts"] = call.thread_ts
            return {"ok": True, "channel": call.channel, "ts": ts, "message": message}
        return {"ok": True}

    def posts(self, channel: str | None = None) -> list[Call]:
        """chat.postMessage calls, optionally to one channel."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == "chat.postMessage"
                and (channel is None or c.channel == channel)
            ]

    def dump(self, path: Path) -> None:
        """Write every recorded call to `path` as JSON, for reading after a test."""
        with self._lock:
            calls = [
                {"method": c.method, "args": c.args, "answer": c.answer}
                for c in self.calls
            ]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(calls, indent=2, ensure_ascii=False), encoding="utf-8"
        )

    def methods(self) -> list[str]:
        with self._lock:
            return [c.method for c in self.calls]

    def wait_for(
        self, check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2
    ) -> Any:
        """Poll `check` until it returns something truthy; None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result or time.monotonic() >= deadline:
                return result or None
            time.sleep(interval)

    # -- serving ------------------------------------------------------------

    @property
    def api_url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                args: dict[str, Any] = {
                    k: v[-1] for k, v in parse_qs(url.query).items()
                }
                content_type = (self.headers.get("Content-Type") or "").split(";")[0]
                if content_type == "application/json" and raw:
                    args.update(json.loads(raw))
                elif raw:
                    args.update({k: v[-1] for k, v in parse_qs(raw).items()})
                auth = self.headers.get("Authorization") or ""
                token = (
                    auth[len("Bearer ") :]
                    if auth.startswith("Bearer ")
                    else args.get("token")
                )
                method = url.path.rsplit("/", 1)[-1]
                answer = fake.record(Call(method, args, token))
                body = json.dumps(answer).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
