"""What the advisor posts to Slack: one message per bot message, in mrkdwn, escaped.

Used by channels/slack.py. What it guarantees:

- every text it posts is escaped for Slack's mrkdwn (`escape_mrkdwn`): `&`, `<`
  and `>` become `&amp;`, `&lt;` and `&gt;`, so no text can form a Slack link
  (`<https://...|click>`), a mention (`<!channel>`, `<@U123>`) or a date token;
  the emphasis of the bot's own replies (`*bold*`, actions/render.py) stays;
- one Rasa message is one Slack message, in the thread when the user wrote in
  one; buttons become Slack buttons, at most five, in an actions block;
- Web API errors are logged, never raised into the conversation.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa.core.channels.slack import SlackBot
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)

MAX_BUTTONS = 5  # what fits one actions block in a message; more are dropped
MAX_SECTION_CHARS = 3000  # Slack's limit for a section block's text
MAX_BUTTON_TITLE = 75  # Slack's limit for a button's text
MAX_BUTTON_VALUE = 2000  # Slack's limit for a button's value


def escape_mrkdwn(text: str) -> str:
    """`text` with Slack's control characters escaped (its only escapes)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn_sections(text: str) -> list[dict[str, Any]]:
    """Section blocks for `text`, split at paragraph breaks to fit Slack's limit."""
    sections: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= MAX_SECTION_CHARS:
            current = candidate
            continue
        if current:
            sections.append(current)
        while len(paragraph) > MAX_SECTION_CHARS:  # one paragraph over the limit
            sections.append(paragraph[:MAX_SECTION_CHARS])
            paragraph = paragraph[MAX_SECTION_CHARS:]
        current = paragraph
    if current:
        sections.append(current)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": part}}
        for part in sections
        if part.strip()
    ]


def button_blocks(text: str, buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The message's blocks: the text in mrkdwn, then up to five buttons."""
    elements: list[dict[str, Any]] = []
    for button in buttons:
        title = str(button.get("title") or "").strip()
        value = str(button.get("payload") or "")
        if not title or not value or len(value) > MAX_BUTTON_VALUE:
            logger.warning("Slack: skipping a button Slack can't show: %r", title)
            continue
        if len(elements) == MAX_BUTTONS:
            logger.warning(
                "Slack shows at most %d buttons; dropping %r and later ones",
                MAX_BUTTONS,
                title,
            )
            break
        if len(title) > MAX_BUTTON_TITLE:
            title = title[: MAX_BUTTON_TITLE - 1] + "…"
        elements.append(
            {
                "type": "button",
                "action_id": f"rasa_button_{len(elements)}",
                "text": {"type": "plain_text", "text": title, "emoji": True},
                "value": value,
            }
        )
    blocks = _mrkdwn_sections(text)
    if elements:
        blocks.append({"type": "actions", "elements": elements})
    return blocks


class SlackOutput(SlackBot):
    """Rasa's SlackBot, sending one Slack message per bot message.

    Differences: the shared client talks to SLACK_API_URL; no legacy `as_user`;
    text is escaped (`escape_mrkdwn`) and not split into one Slack message per
    paragraph; buttons keep the text in mrkdwn and are capped at five; Web API
    errors are logged, not raised.
    """

    def __init__(
        self, client: AsyncWebClient, channel: str, thread_id: str | None = None
    ) -> None:
        self.slack_channel = channel
        self.thread_id = thread_id
        self.proxy = client.proxy
        self.client = client

    async def _post_message(self, channel: str, **kwargs: Any) -> None:
        kwargs.pop("as_user", None)  # legacy, for classic apps only
        kwargs.pop("type", None)  # not a chat.postMessage argument
        if self.thread_id:
            kwargs["thread_ts"] = self.thread_id
        try:
            await self.client.chat_postMessage(channel=channel, **kwargs)
        except SlackApiError as error:
            logger.error(
                "Slack refused chat.postMessage to %s: %s",
                channel,
                error.response.get("error"),
            )
        except (SlackClientError, OSError, asyncio.TimeoutError) as error:
            logger.error("Slack chat.postMessage to %s failed: %r", channel, error)

    async def send_text_message(
        self, recipient_id: str, text: str, **kwargs: Any
    ) -> None:
        text = escape_mrkdwn(text.strip())
        if text:
            await self._post_message(
                channel=self.slack_channel or recipient_id, text=text, mrkdwn=True
            )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        text = escape_mrkdwn(text)
        await self._post_message(
            channel=self.slack_channel or recipient_id,
            text=text,
            blocks=button_blocks(text, buttons),
        )
