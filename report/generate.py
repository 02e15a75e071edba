"""Synthetic conversations written straight into a tracker store, to measure scale.

`python -m report.generate --conversations 100000 --store URL` writes conversations
shaped like the advisor's own (the events Rasa stores for a greeting, a job with a
recommendation or the clarifying question, fact questions, a question the article
does not answer, a message not understood, a handoff), spread over the last 30 days
and over the four channels, into Rasa's `events` table (created when missing).
SQLite gets batched inserts, PostgreSQL COPY. For the benchmark only: never point it
at a store with real conversations.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
import time
from collections.abc import Iterator
from typing import Any

from report.classify import vocabulary
from report.store import Store, StoreError, open_store

COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")
Row = tuple[str, str, float, Any, Any, str]
BATCH = 20000

JOBS = [  # text, intent, role, role group, recommendation (None: ask first)
    (
        "I'm a data scientist",
        "describe_job_builder",
        "data scientist",
        "data_scientists",
        "CAIP",
    ),
    (
        "I am a machine learning engineer",
        "describe_job_builder",
        "machine learning engineer",
        "practitioners",
        "CAIP",
    ),
    (
        "I'm a project manager for AI",
        "describe_job_leader",
        "project manager",
        "program_owners",
        "CAIM",
    ),
    (
        "I lead digital transformation",
        "describe_job_leader",
        "transformation lead",
        "transformation",
        "CAIM",
    ),
    (
        "I'm a compliance officer",
        "describe_job_ambiguous",
        "compliance officer",
        "risk_compliance",
        None,
    ),
    ("I work as a consultant", "describe_job_unrelated", None, None, None),
]
QUESTIONS = [
    ("what is CAIP about?", "ask_overview"),
    ("who is CAIM for?", "ask_audience"),
    ("does CAIM need programming?", "ask_programming"),
    ("compare them", "compare"),
]
UNKNOWN = [
    "how much does it cost?",
    "when is the next exam?",
    "what is the exam format?",
]
NOT_UNDERSTOOD = ["asdf", "what's the weather", "can you book me a flight"]


class Conversation:
    """Builds one conversation's events, as Rasa stores them."""

    def __init__(self, sender: str, channel: str, start: float, assistant: str) -> None:
        self.sender, self.channel, self.t = sender, channel, start
        self.meta = {"assistant_id": assistant}
        self.rows: list[Row] = []
        self.add(
            "action", {"name": "action_session_start"}, action="action_session_start"
        )
        self.add("session_started", {})
        self.add("action", {"name": "action_listen"}, action="action_listen")

    def add(
        self, kind: str, data: dict[str, Any], intent: Any = None, action: Any = None
    ) -> None:
        self.t += 0.01
        record = {"event": kind, "timestamp": self.t, "metadata": self.meta, **data}
        self.rows.append(
            (self.sender, kind, self.t, intent, action, json.dumps(record))
        )

    def user(self, text: str, intent: str, confidence: float = 0.93) -> None:
        self.t += random.uniform(5, 40)
        ranking = [
            {"name": intent, "confidence": confidence},
            {"name": "greet", "confidence": 0.02},
        ]
        if intent == "nlu_fallback":
            ranking = [
                {"name": "nlu_fallback", "confidence": 0.45},
                {"name": "out_of_scope", "confidence": 0.3},
            ]
        parse = {
            "intent": ranking[0],
            "entities": [],
            "text": text,
            "intent_ranking": ranking,
        }
        data = {"text": text, "parse_data": parse, "input_channel": self.channel}
        self.add("user", data, intent=intent)
        self.t += random.uniform(0.05, 1.5)  # the answer's latency

    def action(
        self, name: str, reply: str | None = "...", slots: dict | None = None
    ) -> None:
        self.add(
            "action",
            {"name": name, "policy": "RulePolicy", "confidence": 1.0},
            action=name,
        )
        for slot, value in (slots or {}).items():
            self.add("slot", {"name": slot, "value": value}, action=slot)
        if reply:
            self.add("bot", {"text": reply, "data": {}})

    def listen(self) -> None:
        self.action("action_listen", reply=None)


def conversation(index: int, start: float, assistant: str) -> list[Row]:
    """One random conversation (seeded by the caller)."""
    kind = random.choices(["widget", "slack", "rest", "shell"], [50, 20, 25, 5])[0]
    sender, channel = {
        "widget": (f"{index:032x}", "socketio"),
        "slack": (f"U{index:010d}", "slack"),
        "rest": (f"rest-{index}", "rest"),
        "shell": (f"shell-{index}", "cmdline"),
    }[kind]
    c = Conversation(sender, channel, start, assistant)
    greets = random.random() < 0.5
    if greets:
        c.user("hello", "greet")
        c.action("action_greet", "Hi!")
        c.listen()
    if random.random() < 0.85 or not greets:  # every conversation has a message
        text, intent, role, group, code = random.choice(JOBS)
        slots = {
            "job_role": role,
            "role_group": group,
            "recommended_certification": code,
        }
        c.user(text, intent)
        c.action("action_assess_job", "CAIP ..." if code else None, slots)
        if code is None:
            c.action("clarify_form", "Do you build or lead?")
            c.add("active_loop", {"name": "clarify_form"}, action="clarify_form")
            c.listen()
            answer = random.choice(["build", "lead"])
            c.user(f"I mostly {answer}", "describe_job_builder")
            code = "CAIP" if answer == "build" else "CAIM"
            c.action("clarify_form", None, {"ai_involvement": answer})
            c.action(
                "action_recommend", f"{code} ...", {"recommended_certification": code}
            )
        c.listen()
    for _ in range(random.choice([0, 0, 1, 2])):
        text, intent = random.choice(QUESTIONS)
        c.user(text, intent)
        c.action("action_compare" if intent == "compare" else "action_answer_question")
        c.listen()
    if random.random() < 0.15:
        c.user(random.choice(UNKNOWN), "ask_unknown_fact")
        c.action("action_answer_question", "The article does not say.")
        c.listen()
    if random.random() < 0.1:
        c.user(random.choice(NOT_UNDERSTOOD), "nlu_fallback")
        c.action("action_fallback", "Sorry, I didn't understand that.")
        c.listen()
    if random.random() < 0.03:
        c.user("can I talk to a person", "human_handoff")
        c.action("action_answer_question", "Write to PECB.")
        c.listen()
    return c.rows


def rows(count: int, days: float, seed: int) -> Iterator[Row]:
    random.seed(seed)
    assistant = vocabulary().assistant_id
    now = time.time()
    for index in range(count):
        start = now - 3600 - random.uniform(0, days * 86400 - 7200)  # in the period
        yield from conversation(index, start, assistant)


def write(store: Store, count: int, days: float = 30, seed: int = 13) -> int:
    """Write `count` conversations; returns the number of events written."""
    connection = store.engine.raw_connection()
    written = 0
    try:
        cursor = connection.cursor()
        batch: list[Row] = []
        for row in rows(count, days, seed):
            batch.append(row)
            if len(batch) >= BATCH:
                written += _flush(store.dialect, cursor, batch)
        written += _flush(store.dialect, cursor, batch)
        connection.commit()
    finally:
        connection.close()
    return written


def _flush(dialect: str, cursor: Any, batch: list[Row]) -> int:
    if not batch:
        return 0
    if dialect == "postgresql":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(batch)
        buffer.seek(0)
        cursor.copy_expert(
            f"COPY events ({', '.join(COLUMNS)}) FROM STDIN WITH CSV", buffer
        )
    else:
        marks = ", ".join("?" for _ in COLUMNS)
        cursor.executemany(
            f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({marks})", batch
        )
    written = len(batch)
    batch.clear()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m report.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument(
        "--store", required=True, help="SQLAlchemy URL (created when missing)"
    )
    parser.add_argument("--days", type=float, default=30)
    args = parser.parse_args(argv)
    try:
        store = open_store(args.store, create=True)
    except StoreError as error:
        print(f"generate: {error}", file=sys.stderr)
        return 3
    started = time.perf_counter()
    events = write(store, args.conversations, args.days)
    store.close()
    took = time.perf_counter() - started
    print(f"{args.conversations} conversations, {events} events in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
