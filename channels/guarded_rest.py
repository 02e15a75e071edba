"""Rasa's REST channel with input checks, served at /webhooks/rest/webhook.

Differences from the stock channel, each a user-visible promise:
- a body that is not a JSON object, or has no usable `sender`, gets 400 with a
  reason (never the shared "default" conversation); so does a `sender` of the
  widget's or Slack's id form (`web:...`, `slack:...`, channels/ids.py): a REST
  client cannot enter their conversations; so does a body that is not
  valid UTF-8, holds invalid Unicode (lone surrogates), NaN/Infinity, numbers
  over 4,300 digits, nesting deeper than MAX_DEPTH, or `metadata` that is not a
  small JSON object;
- blank text gets a short prompt and never reaches the tracker;
- text longer than the cap is cut, and the reply says so;
- one conversation's messages are answered one after another in arrival order,
  at most MAX_PENDING_PER_SENDER at a time; more get 429 with a reply;
- a failure inside the assistant answers 500 with an apology, not an empty 200;
  a custom action that could not run, or no model loaded (`DELETE /model`),
  answers 503 with its own apology; a tripped circuit breaker, 500 with its own
  (channels/turns.py).

What it says (apologies, notes) comes from actions/wording.yml (infra/wording.py).

The body size itself is capped for every endpoint by Sanic's REQUEST_MAX_SIZE
(SANIC_REQUEST_MAX_SIZE, set by the launcher, infra/launch.py): a larger body gets
413 before it reaches this code.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import guard, ids, turns
from infra import runtime
from infra.wording import say

logger = logging.getLogger(__name__)
MAX_SENDER_CHARS = guard.MAX_SENDER_CHARS
MAX_DEPTH = 16  # nesting of objects and arrays in the body
MAX_METADATA_BYTES = guard.MAX_METADATA_BYTES  # `metadata`, as UTF-8 JSON
MAX_PENDING_PER_SENDER = 8  # messages of one conversation waiting or being answered


def _bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _tree_problem(value: Any) -> str | None:
    """Why a parsed body cannot be used (too deep, invalid Unicode), or None.

    Iterative, so that no input can exhaust the interpreter's stack.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                return f"The request body is nested deeper than {MAX_DEPTH} levels."
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                return f"The request body is nested deeper than {MAX_DEPTH} levels."
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "The request body holds invalid Unicode (a lone surrogate)."
    return None


def parse_body(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """Return (body, None) or (None, reason it was refused).

    The body returned has a stripped `sender`, a string `message` and a
    `metadata` that is a dict or None.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "The request body is not valid UTF-8."
    try:
        body = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        return None, f"The request body is nested deeper than {MAX_DEPTH} levels."
    except json.JSONDecodeError:
        return None, "The request body is not valid JSON."
    except ValueError:  # NaN/Infinity, or an integer over Python's 4,300 digits
        return None, (
            "The request body is not valid JSON "
            "(NaN, Infinity and numbers over 4,300 digits are refused)."
        )
    if not isinstance(body, dict):
        return None, "The request body must be a JSON object."
    problem = _tree_problem(body)
    if problem:
        return None, problem
    sender = body.get("sender")
    reason = guard.check_sender(sender.strip() if isinstance(sender, str) else sender)
    if reason or not isinstance(sender, str):
        return None, reason or "sender must be a string"
    reason = ids.rest_refusal(sender.strip())
    if reason:
        return None, reason
    body["sender"] = sender.strip()
    message = body.get("message", "")
    if message is None:
        body["message"] = ""
    elif not isinstance(message, str):
        return None, "`message` must be a string."
    metadata = body.get("metadata")
    reason = guard.check_metadata(metadata)
    if reason:
        return None, reason
    body["metadata"] = metadata
    return body, None


class _Turns:
    """One conversation's messages in flight: a FIFO lock and a count.

    Rasa's lock store also serialises a conversation, but a message waiting
    there polls it once a second, so a burst for one sender would crawl at
    about one message a second while holding a connection per message. Queued
    here first (in arrival order, woken at once), a message finds Rasa's lock
    free. The lock store still orders messages across several Rasa processes.
    """

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.pending = 0


class GuardedRestInput(RestInput):
    """The REST channel, keeping its name and URL, with checked input."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)
        in_flight: dict[str, _Turns] = {}

        @webhook.listener("after_server_start")
        async def report_runtime(*_: Any) -> None:
            if not runtime.installed() and not runtime.stock():
                logger.warning(
                    "The advisor's changes to Rasa (infra/runtime.py) are not "
                    "installed: endpoints.yml names another tracker store than "
                    "infra.stores.EnvTrackerStore. Stock Rasa behaviour: a turn "
                    "whose action fails gets no apology."
                )

        @webhook.listener("before_server_stop")
        async def close_action_sessions(*_: Any) -> None:
            await runtime.close()

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body, reason = parse_body(request.body or b"")
            if body is None:
                return _bad_request(reason or "Bad request.")
            sender = body["sender"]
            text, notes = guard.clean(body["message"])
            replies = [{"recipient_id": sender, "text": note} for note in notes]
            if not text:
                blank = [{"recipient_id": sender, "text": guard.empty_reply()}]
                return response.json(blank)
            conversation = in_flight.setdefault(sender, _Turns())
            if conversation.pending >= MAX_PENDING_PER_SENDER:
                return response.json(
                    [{"recipient_id": sender, "text": say("apology", "busy")}],
                    status=429,
                    headers={"Retry-After": "2"},
                )
            conversation.pending += 1
            collector = CollectingOutputChannel()
            message = UserMessage(
                text,
                collector,
                sender,
                input_channel=self.name(),
                metadata=body["metadata"],
            )
            try:
                async with conversation.lock:
                    apology = await turns.run(
                        on_new_message, message, getattr(request, "app", None)
                    )
            finally:
                conversation.pending -= 1
                if conversation.pending == 0:
                    in_flight.pop(sender, None)
            if apology:
                return response.json(
                    [{"recipient_id": sender, "text": apology.text}],
                    status=apology.status,
                )
            return response.json(replies + collector.messages)

        return webhook
