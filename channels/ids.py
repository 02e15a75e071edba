"""Conversation ids that carry their channel, so one channel cannot enter another's.

Rasa keys a conversation by its sender id alone. The ids each channel uses:

- the web widget (socket.io): `web:<32 lowercase hex>`, minted by the server
  (`secrets.token_hex(16)`, 128 random bits) and confirmed to the browser; an id
  the browser offers is used only when it has exactly this form;
- Slack: `slack:<team id>:<user id>`, from the signed event (a Slack user id is
  visible to every member of the workspace, so it names nothing outside Slack);
- REST: the `sender` as given (integrations and `GET /conversations/<sender>/tracker`
  rely on it), except that an id of the widget's or Slack's form is refused, so a
  REST client cannot write into a widget or Slack conversation.
"""

from __future__ import annotations

import re
import secrets

WEB_PREFIX = "web:"
SLACK_PREFIX = "slack:"
CHANNEL_PREFIXES = (WEB_PREFIX, SLACK_PREFIX)
WEB_ID = re.compile(r"web:[0-9a-f]{32}")
SLACK_PART = re.compile(r"[A-Za-z0-9]{1,32}")


def new_web_id() -> str:
    """A fresh, unguessable widget conversation id."""
    return WEB_PREFIX + secrets.token_hex(16)


def is_web_id(value: object) -> bool:
    """True when `value` has exactly the widget's id form."""
    return isinstance(value, str) and WEB_ID.fullmatch(value) is not None


def slack_id(team: object, user: object) -> str | None:
    """The conversation id of a Slack user in a workspace; None if either is odd."""
    if not isinstance(team, str) or not isinstance(user, str):
        return None
    if not SLACK_PART.fullmatch(team) or not SLACK_PART.fullmatch(user):
        return None
    return f"{SLACK_PREFIX}{team}:{user}"


def rest_refusal(sender: str) -> str | None:
    """Why a REST `sender` may not be used (another channel's id form), or None."""
    if sender.lower().startswith(CHANNEL_PREFIXES):
        return (
            "`sender` must not start with 'web:' or 'slack:': those ids belong to "
            "the web widget's and Slack's conversations. Use an id of your own."
        )
    return None
