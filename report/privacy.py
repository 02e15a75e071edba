"""Privacy by default: what a quoted message may show.

- Every quoted message is masked: e-mail addresses, phone numbers, long runs of
  digits (card, account, order numbers) and Slack mentions (`<@U123>`) are
  replaced by a placeholder, before messages are grouped or counted.
- A message is quoted only when at least `min_count` conversations sent it (after
  masking and grouping): a message one person typed once is never shown.
- No sender id, Slack user id or conversation id is ever selected into a figure:
  the queries count them, they never return them (report/queries.py).
"""

from __future__ import annotations

import re
import unicodedata

DEFAULT_MIN_COUNT = 3

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
SLACK_MENTION = re.compile(r"<[@#!][A-Z0-9|^:_\w.-]+>")
# an optional +, then 7 or more digits with spaces, dots, dashes or brackets between
PHONE = re.compile(r"(?<![\w+])\+?\(?\d(?:[\s().-]{0,2}\d){6,}(?!\w)")
LONG_DIGITS = re.compile(r"\d{5,}")
PLACEHOLDERS = ("[email]", "[phone]", "[number]", "[mention]")


def mask(text: str) -> str:
    """The message with personal data replaced by placeholders."""
    text = EMAIL.sub("[email]", text)
    text = SLACK_MENTION.sub("[mention]", text)
    text = PHONE.sub("[phone]", text)
    return LONG_DIGITS.sub("[number]", text)


def group_key(text: str) -> str:
    """Near-identical messages share a key: masked, case, accents, punctuation and
    spacing ignored ("How much is it??" and "how much is it")."""
    text = unicodedata.normalize("NFKD", mask(text).lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"\[(email|phone|number|mention)\]", r" \1 ", text)
    words = re.findall(r"[^\W_]+", text)
    return " ".join(words)


def quotable(count: int, min_count: int) -> bool:
    """May a message sent in `count` conversations be quoted?"""
    return count >= max(1, min_count)
