"""Rasa's REST channel with input checks, served at /webhooks/rest/webhook.

Differences from the stock channel, each a user-visible promise:
- a body that is not a JSON object, or has no usable `sender`, gets 400 with a
  reason (never the shared "default" conversation);
- blank text gets a short prompt and never reaches the tracker;
- text longer than the cap is cut, and the reply says so;
- a failure inside the assistant answers 500 with an apology, not an empty 200.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import guard

logger = logging.getLogger(__name__)
MAX_SENDER_CHARS = 128
APOLOGY = "Sorry, something went wrong on my side. Please send your message again in a moment."


def _bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


def parse_body(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """Return (body, None) or (None, reason it was refused)."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "The request body is not valid UTF-8."
    except json.JSONDecodeError:
        return None, "The request body is not valid JSON."
    if not isinstance(body, dict):
        return None, "The request body must be a JSON object."
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        return None, "A non-empty string `sender` is required."
    if len(sender) > MAX_SENDER_CHARS:
        return None, f"`sender` is longer than {MAX_SENDER_CHARS} characters."
    message = body.get("message", "")
    if message is None:
        body["message"] = ""
    elif not isinstance(message, str):
        return None, "`message` must be a string."
    return body, None


class GuardedRestInput(RestInput):
    """The REST channel, keeping its name and URL, with checked input."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body, reason = parse_body(request.body or b"")
            if body is None:
                return _bad_request(reason or "Bad request.")
            sender = body["sender"].strip()
            text, notes = guard.clean(body["message"])
            replies = [{"recipient_id": sender, "text": note} for note in notes]
            if not text:
                return response.json([{"recipient_id": sender, "text": guard.empty_reply()}])
            metadata = body.get("metadata")
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender,
                        input_channel=self.name(),
                        metadata=metadata if isinstance(metadata, dict) else None,
                    )
                )
            except Exception:  # the user gets an apology, the log gets the trace
                logger.exception("Handling a REST message failed (sender %s)", sender)
                return response.json(
                    [{"recipient_id": sender, "text": APOLOGY}], status=500
                )
            return response.json(replies + collector.messages)

        return webhook
