"""Talking to the advisor over REST, and checking what its trackers hold."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import requests

# Twenty turns that walk through the whole assistant: a clarifying question answered
# after a question in between, follow-ups, facts, fallbacks, start over, buttons.
SCRIPT = [
    "hello",
    "I'm a compliance officer at a bank",
    "does CAIM need programming?",
    "I set the AI governance policy",
    "why?",
    "what about the other one?",
    "compare them",
    "what does CAIP cover?",
    "how much does CAIP cost?",
    "xqzt plovk wertyu",
    "thanks",
    "start over",
    "I am the CTO",
    "/describe_job_builder",
    "when is the next CAIM exam?",
    "I work in IT",
    "I lead and govern our AI projects",
    "I'm a data scientist",
    "what are the prerequisites for CAIP",
]
# The last turn: even users stop in the middle of the clarifying question (the form
# is active, waiting for ai_involvement), odd users with a fresh recommendation.
LAST_IN_FORM = "I'm a risk manager"
LAST_DONE = "I'm a machine learning engineer building recommendation models"
FORM_ANSWER = "I mostly oversee governance"  # answers the risk manager's question: CAIM


def script_for(user_index: int, turns: int) -> list[str]:
    body = [SCRIPT[i % len(SCRIPT)] for i in range(turns - 1)]
    return body + [LAST_IN_FORM if user_index % 2 == 0 else LAST_DONE]


@dataclass
class Turn:
    index: int
    text: str
    started: float
    ended: float = 0.0
    status: int | None = None  # None: no HTTP answer at all
    replies: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.replies)


@dataclass
class User:
    sender: str
    messages: list[str]
    turns: list[Turn] = field(default_factory=list)


async def run_users(
    base: str,
    users: list[User],
    deadline_seconds: float,
    timeout: float = 90.0,
    progress: Callable[[int], None] | None = None,
) -> float:
    """Every user sends its messages one after another, all users at once.

    Bounded: each request by `timeout`, the whole run by `deadline_seconds` (later
    turns are not sent). Returns the elapsed seconds.
    """
    started = time.monotonic()
    deadline = started + deadline_seconds
    done = 0
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as http:

        async def one(user: User) -> None:
            nonlocal done
            for index, text in enumerate(user.messages):
                if time.monotonic() > deadline:
                    return
                turn = Turn(index, text, time.monotonic())
                user.turns.append(turn)
                body = {
                    "sender": user.sender,
                    "message": text,
                    "metadata": {"turn": index},
                }
                try:
                    async with http.post(
                        f"{base}/webhooks/rest/webhook", json=body
                    ) as reply:
                        turn.status = reply.status
                        data = await reply.json(content_type=None)
                        if reply.status == 200:
                            turn.replies = [m.get("text", "") for m in data]
                        else:
                            turn.error = str(data)[:200]
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
                    turn.error = f"{type(error).__name__}: {error}"[:200]
                turn.ended = time.monotonic()
                done += 1
                if progress:
                    progress(done)

        await asyncio.gather(*(one(user) for user in users))
    return time.monotonic() - started


def say(
    base: str, sender: str, text: str, timeout: float = 90
) -> tuple[int, list[str]]:
    reply = requests.post(
        f"{base}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=timeout,
    )
    try:
        texts = [m.get("text", "") for m in reply.json()]
    except ValueError:
        texts = [reply.text]
    return reply.status_code, texts


def tracker(base: str, sender: str) -> dict[str, Any]:
    reply = requests.get(
        f"{base}/conversations/{sender}/tracker",
        params={"include_events": "ALL"},
        timeout=60,
    )
    reply.raise_for_status()
    return reply.json()


def state(tracker_json: dict[str, Any]) -> dict[str, Any]:
    """What must survive a restart: slots, the active form and the slot it asks for."""
    slots = tracker_json["slots"]
    return {
        "slots": slots,
        "active_loop": (tracker_json.get("active_loop") or {}).get("name"),
        "requested_slot": slots.get("requested_slot"),
    }


def turns_in(tracker_json: dict[str, Any]) -> list[tuple[int | None, list[str], bool]]:
    """Per user message: (turn index from its metadata, bot texts, turn complete).

    A turn is complete when an `action_listen` follows its last bot message, before
    the next user message: the turn was saved whole.
    """
    out: list[tuple[int | None, list[str], bool]] = []
    current: list | None = None
    for event in tracker_json["events"]:
        kind = event.get("event")
        if kind == "user":
            current = [(event.get("metadata") or {}).get("turn"), [], False]
            out.append(current)  # type: ignore[arg-type]
        elif current is not None and kind == "bot":
            current[1].append(event.get("text") or "")
            current[2] = False
        elif current is not None and kind == "action":
            current[2] = event.get("name") == "action_listen"
    return [tuple(item) for item in out]  # type: ignore[misc]


def _paragraphs(texts: list[str]) -> list[str]:
    return [part for text in texts for part in text.strip().split("\n\n")]


def check_conversation(
    tracker_json: dict[str, Any], user: User, all_answered: bool
) -> list[str]:
    """Problems with one conversation's tracker against what its user saw.

    Always: user messages in the order sent, none twice, each turn saved whole, and
    for every answered request exactly the bot messages the user received.
    With `all_answered`: every message sent is there (no request may have failed).
    """
    problems: list[str] = []
    saved = turns_in(tracker_json)
    indices = [index for index, _, _ in saved]
    sent = {turn.index: turn for turn in user.turns}
    if any(index is None or index not in sent for index in indices):
        problems.append(f"unknown user messages in tracker: {indices}")
    if indices != sorted(set(i for i in indices if i is not None)):
        problems.append(f"user messages out of order or repeated: {indices}")
    for index, bots, complete in saved:
        turn = sent.get(index)
        if not complete:
            problems.append(f"turn {index} not saved whole")
        if not bots:
            problems.append(f"turn {index} has no bot message")
        # The REST channel sends a text's paragraphs ("\n\n") as separate messages.
        if (
            turn is not None
            and turn.status == 200
            and _paragraphs(bots) != _paragraphs(turn.replies)
        ):
            problems.append(
                f"turn {index}: tracker {bots!r} != replied {turn.replies!r}"
            )
    answered = [turn.index for turn in user.turns if turn.status == 200]
    missing = sorted(set(answered) - set(indices))
    if missing:
        problems.append(f"answered turns missing from the tracker: {missing}")
    if all_answered and indices != list(range(len(user.messages))):
        problems.append(f"expected turns 0..{len(user.messages) - 1}, got {indices}")
    return problems
