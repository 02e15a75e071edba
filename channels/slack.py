"""Slack for the advisor, served at /webhooks/slack/webhook.

Built on Rasa's SlackInput/SlackBot (same name "slack", same URL, same signature
check and message clean-up), configured from the environment instead of
credentials.yml, and with these user-visible promises:

- SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET switch it on. Without them the Rasa
  server still starts, logs one line that Slack is off, and the webhook answers
  503 with a short JSON reason.
- SLACK_API_URL (default https://slack.com/api/): the Web API (GovSlack, a fake).
- A request with a missing or wrong X-Slack-Signature, or an
  X-Slack-Request-Timestamp more than five minutes away, gets 401 and nothing
  reaches the assistant.
- Slack gets its 200 at once; the message is answered in a background task. An
  event seen before (same event_id, e.g. a retry with X-Slack-Retry-Num, or the
  same message delivered as both `message` and `app_mention`) is acknowledged
  and not answered twice: by this process, or with REDIS_URL by any instance
  sharing that Redis (channels/slack_retries.py).
- Messages from bots, including this one, are never answered.
- A Slack user's conversation is `slack:<team id>:<user id>` (channels/ids.py):
  a Slack user id, seen by the whole workspace, names nothing in another channel.
- Replies go to the same conversation, in the thread when the user wrote in one,
  escaped mrkdwn, at most five buttons (channels/slack_output.py); a click sends
  the button's value as the user's message. A turn that cannot be answered gets
  an apology (channels/turns.py).
- SLACK_CHANNELS (optional, comma-separated channel IDs) limits which channels
  the bot answers in without being mentioned; direct messages and mentions are
  always answered. Unset: every channel the bot was added to.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.slack import SlackInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from channels import guard, ids, slack_retries, turns
from channels.slack_output import SlackOutput

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
API_TIMEOUT = 15  # seconds per Web API call
OFF_REASON = "Slack is not configured on this server."
# Message subtypes that are still a person writing to the bot.
USER_SUBTYPES = {None, "thread_broadcast", "file_share"}


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


class SlackFromEnv(SlackInput):
    """The Slack input channel, from the environment (credentials.yml: `{}`)."""

    @classmethod
    def name(cls) -> str:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        token, secret = _env("SLACK_BOT_TOKEN"), _env("SLACK_SIGNING_SECRET")
        channels = {c.strip() for c in _env("SLACK_CHANNELS").split(",") if c.strip()}
        return cls(
            token,
            secret,
            api_url=_env("SLACK_API_URL") or DEFAULT_API_URL,
            channels=channels,
        )

    def __init__(
        self,
        token: str,
        signing_secret: str,
        api_url: str = DEFAULT_API_URL,
        channels: set[str] | None = None,
        proxy: str | None = None,
    ) -> None:
        super().__init__(
            slack_token=token,
            proxy=proxy,
            slack_signing_secret=signing_secret,
            slack_retry_number_header="x-slack-retry-num",
        )
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.channels = channels or set()
        self.bot_user_ids: set[str] = set()
        self.app: Sanic | None = None  # the Rasa server, once it starts
        self.seen = slack_retries.from_env()  # Redis with REDIS_URL
        missing = [
            name
            for name, value in (
                ("SLACK_BOT_TOKEN", token),
                ("SLACK_SIGNING_SECRET", signing_secret),
            )
            if not value
        ]
        self.enabled = not missing
        if self.enabled:
            self.client = AsyncWebClient(
                token=token, base_url=self.api_url, proxy=proxy, timeout=API_TIMEOUT
            )
            logger.info(
                "Slack is on: webhook /webhooks/slack/webhook, Web API %s", self.api_url
            )
        else:
            self.client = None  # type: ignore[assignment]  # Slack off: never used
            logger.warning(
                "Slack is off: %s not set, so /webhooks/slack/webhook "
                "answers 503 (the other channels work).",
                " and ".join(missing),
            )

    def _validate_credentials(self) -> None:
        """Missing credentials switch Slack off instead of stopping the server."""

    def get_output_channel(
        self, channel: str | None = None, thread_id: str | None = None
    ) -> SlackOutput:
        return SlackOutput(self.client, channel or self.slack_channel, thread_id)

    # -- start-up -----------------------------------------------------------

    async def identify(self) -> None:
        """Learn the bot's own user id (auth.test) and check the token."""
        try:
            identity = await self.client.auth_test()
        except SlackApiError as error:
            logger.error(
                "Slack rejected SLACK_BOT_TOKEN (auth.test: %s); replies will fail.",
                error.response.get("error"),
            )
            return
        except (SlackClientError, OSError, asyncio.TimeoutError) as error:
            logger.warning(
                "Slack auth.test failed (%r); the bot's own messages are still "
                "recognised by their bot_id.",
                error,
            )
            return
        if identity.get("user_id"):
            self.bot_user_ids.add(identity["user_id"])
        logger.info(
            "Slack: connected as %s (user %s, team %s)",
            identity.get("user"),
            identity.get("user_id"),
            identity.get("team"),
        )

    # -- events ---------------------------------------------------------------

    def _is_own_or_bot(self, event: dict[str, Any], body: dict[str, Any]) -> bool:
        bot_users = set(self.bot_user_ids)
        for auth in _list(body.get("authorizations")):
            if _dict(auth).get("is_bot") and isinstance(auth.get("user_id"), str):
                bot_users.add(auth["user_id"])
        return bool(
            event.get("bot_id")
            or event.get("bot_profile")
            or event.get("subtype") == "bot_message"
            or (isinstance(event.get("user"), str) and event["user"] in bot_users)
        )

    def _mentions_to_strip(self, body: dict[str, Any]) -> list[str]:
        users = set(self.bot_user_ids)
        for auth in _list(body.get("authorizations")):
            if isinstance(auth, dict) and isinstance(auth.get("user_id"), str):
                users.add(auth["user_id"])
        users.update(u for u in _list(body.get("authed_users")) if isinstance(u, str))
        return sorted(users)

    def _wanted(self, event: dict[str, Any]) -> bool:
        if event.get("type") == "app_mention" or event.get("channel_type") == "im":
            return True
        return not self.channels or event.get("channel") in self.channels

    async def _handle_event(
        self,
        request: Request,
        body: dict[str, Any],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        event = _dict(body.get("event"))
        event_id = body.get("event_id")
        retry = request.headers.get(self.retry_num_header)
        channel, ts = event.get("channel"), event.get("ts")
        if not await self.seen.first(f"event:{event_id}" if event_id else None):
            logger.info(
                "Slack: event %s already taken (retry %s); not answering again",
                event_id,
                retry or "none",
            )
            return response.json({"ok": True, "duplicate": True})
        if retry:
            logger.info(
                "Slack: retry #%s of event %s, not seen before; answering",
                retry,
                event_id,
            )
        if event.get("type") not in ("message", "app_mention"):
            return response.json({"ok": True, "ignored": "event type"})
        if self._is_own_or_bot(event, body):
            return response.json({"ok": True, "ignored": "bot message"})
        if (
            event.get("subtype") not in USER_SUBTYPES
            or not isinstance(event.get("user"), str)
            or not isinstance(channel, str)
            or not isinstance(event.get("text"), str)
        ):
            return response.json({"ok": True, "ignored": "not a user message"})
        sender = ids.slack_id(body.get("team_id") or event.get("team"), event["user"])
        if sender is None:
            return response.json({"ok": True, "ignored": "no team or user id"})
        if not self._wanted(event):
            return response.json({"ok": True, "ignored": "channel not enabled"})
        # one message can arrive as `message` and as `app_mention`: answer it once
        if not await self.seen.first(f"message:{channel}:{ts}" if ts else None):
            return response.json({"ok": True, "duplicate": True})

        text = self._sanitize_user_message(event["text"], self._mentions_to_strip(body))
        text = html.unescape(text)  # Slack escapes &, < and > in message text
        metadata = {
            "out_channel": channel,
            "thread_id": event.get("thread_ts"),
            "users": self._mentions_to_strip(body),
            "event_id": event_id,
            "ts": ts,
        }
        self._start(on_new_message, text, sender, metadata)
        return response.json({"ok": True})

    async def _handle_interaction(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        try:
            payload = json.loads(request.form.get("payload") or "")
        except (TypeError, ValueError):
            return response.json(
                {"error": "The `payload` field is not valid JSON."},
                status=HTTPStatus.BAD_REQUEST,
            )
        if not isinstance(payload, dict) or payload.get("type") != "block_actions":
            return response.json({"ok": True, "ignored": "interaction type"})
        actions = payload.get("actions")
        action = _dict(actions[0]) if isinstance(actions, list) and actions else {}
        user = _dict(payload.get("user")).get("id")
        channel = _dict(payload.get("channel")).get("id") or _dict(
            payload.get("container")
        ).get("channel_id")
        message = _dict(payload.get("message"))
        value = action.get("value") if action.get("type") == "button" else None
        team = _dict(payload.get("team")).get("id") or _dict(payload.get("user")).get(
            "team_id"
        )
        sender = ids.slack_id(team, user)
        if not value or not sender or not channel:  # e.g. a link button
            return response.json({"ok": True, "ignored": "no button value"})
        key = f"action:{channel}:{message.get('ts')}:{user}:{action.get('action_ts')}"
        if not await self.seen.first(key):
            return response.json({"ok": True, "duplicate": True})
        metadata = {
            "out_channel": channel,
            "thread_id": message.get("thread_ts"),
            "users": [user],
            "button": action.get("action_id"),
            "ts": message.get("ts"),
        }
        self._start(on_new_message, value, sender, metadata)
        return response.json({"ok": True})

    def _start(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        sender: str,
        metadata: dict[str, Any],
    ) -> None:
        """Answer in the background so that Slack gets its 200 at once."""
        task = asyncio.create_task(self._answer(on_new_message, text, sender, metadata))
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

    async def _answer(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        sender: str,
        metadata: dict[str, Any],
    ) -> None:
        output = self.get_output_channel(
            metadata["out_channel"], metadata.get("thread_id")
        )
        text, notes = guard.clean(text)
        for note in notes:
            await output.send_text_message(sender, note)
        if not text:
            await output.send_text_message(sender, guard.empty_reply())
            return
        message = UserMessage(
            text, output, sender, input_channel=self.name(), metadata=metadata
        )
        apology = await turns.run(on_new_message, message, self.app)
        if apology:
            await output.send_text_message(sender, apology.text)

    # -- HTTP -----------------------------------------------------------------

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = Blueprint("slack_env_webhook", __name__)

        @webhook.listener("before_server_start")
        async def keep_app(app: Sanic, _loop: Any) -> None:
            self.app = app

        def off() -> HTTPResponse:
            return response.json(
                {"error": OFF_REASON}, status=HTTPStatus.SERVICE_UNAVAILABLE
            )

        if self.enabled:

            @webhook.listener("after_server_start")
            async def check_token(app: Any, loop: Any) -> None:
                task = asyncio.create_task(self.identify())
                self._background_tasks.add(task)
                task.add_done_callback(self._background_tasks.discard)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"}) if self.enabled else off()

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.enabled:
                return off()
            if not self.is_request_from_slack_authentic(request):
                logger.warning(
                    "Slack: refused a request with a missing, wrong or stale "
                    "signature from %s",
                    request.remote_addr or request.ip,
                )
                return response.json(
                    {"error": "Invalid or stale Slack signature."},
                    status=HTTPStatus.UNAUTHORIZED,
                )
            content_type = (request.headers.get("content-type") or "").split(";")[0]
            content_type = content_type.strip().lower()
            if content_type == "application/x-www-form-urlencoded":
                return await self._handle_interaction(request, on_new_message)
            if content_type != "application/json":
                return response.json(
                    {"error": "Expected JSON or a form body."},
                    status=HTTPStatus.BAD_REQUEST,
                )
            try:
                body = json.loads(request.body or b"")
            except ValueError:
                return response.json(
                    {"error": "The request body is not valid JSON."},
                    status=HTTPStatus.BAD_REQUEST,
                )
            if not isinstance(body, dict):
                return response.json(
                    {"error": "The request body must be a JSON object."},
                    status=HTTPStatus.BAD_REQUEST,
                )
            if body.get("type") == "url_verification":
                return response.json({"challenge": body.get("challenge")})
            if body.get("type") == "event_callback":
                return await self._handle_event(request, body, on_new_message)
            return response.json({"ok": True, "ignored": "envelope type"})

        return webhook
