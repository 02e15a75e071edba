"""The figures as named tables: the page shows them, the CSV files hold them.

One list of tables, so the page and the CSV files can never disagree.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from report.classify import CHANNELS
from report.queries import Figures


@dataclass
class Table:
    name: str  # the CSV file's stem
    title: str
    headers: list[str]
    rows: list[list[Any]]


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def tables(f: Figures) -> list[Table]:
    """Every table of the report, in the page's order."""
    days = sorted({day for day, _, _ in f.per_day})
    counts = {(day, ch): n for day, ch, n in f.per_day}
    used = [ch for ch in CHANNELS if any(c == ch for _, c, _ in f.per_day)]
    per_day = [
        [
            day,
            *(counts.get((day, ch), 0) for ch in used),
            sum(counts.get((day, ch), 0) for ch in used),
        ]
        for day in days
    ]
    total = f.conversations or 1
    fb, lat = f.fallback, f.latency
    return [
        Table(
            "conversations_per_day",
            "Conversations per day, by channel",
            ["day (UTC)", *(CHANNELS[ch] for ch in used), "total"],
            per_day,
        ),
        Table(
            "outcomes",
            "Outcomes (conversations)",
            ["outcome", "conversations", "share"],
            [[k, n, _pct(n / total)] for k, n in f.outcomes.items()],
        ),
        Table(
            "funnel",
            "From first message to follow-up",
            ["step", "conversations", "share"],
            [[k, n, _pct(n / total)] for k, n in f.funnel],
        ),
        Table(
            "role_groups",
            "Roles recognised, by the article's audiences",
            [
                "role group",
                "audience",
                "conversations",
                "clarifying question asked",
                "answered: builds AI",
                "answered: leads AI",
                "no usable answer",
            ],
            [list(row.values()) for row in f.role_groups],
        ),  # fmt: skip
        Table(
            "job_titles",
            "Job titles recognised",
            ["job title", "role group", "conversations"],
            [list(row) for row in f.roles],
        ),
        Table(
            "fact_questions",
            "What people asked about",
            ["intent", "answer", "messages", "conversations"],
            [list(row) for row in f.fact_intents],
        ),
        Table(
            "unanswered_topics",
            "Asked but not answered by the article",
            ["topic", "messages", "conversations"],
            [list(row) for row in f.unknown_topics],
        ),
        Table(
            "unanswered_messages",
            "Unanswered questions, as asked (masked)",
            ["topic", "message", "conversations"],
            [list(row) for row in f.unknown_messages],
        ),
        Table(
            "fallback",
            "Messages not understood",
            ["measure", "value"],
            [
                ["messages", fb.get("messages", 0)],
                ["not understood", fb.get("not understood", 0)],
                ["fallback rate", _pct(fb.get("rate", 0))],
                ["conversations with one", fb.get("conversations with one", 0)],
                [
                    "conversations that ended right after one",
                    f"{fb.get('ended right after one', 0)} ("
                    f"{_pct(fb.get('share of conversations ended right after one', 0))}"
                    " of all)",
                ],
            ],
        ),  # fmt: skip
        Table(
            "fallback_messages",
            "Most frequent messages not understood (near-identical grouped, masked)",
            ["message", "times sent", "conversations"],
            [list(row) for row in f.fallback_messages],
        ),
        Table(
            "latency",
            "Answer latency (user message to first reply)",
            ["measure", "value"],
            [[k, round(v, 3)] for k, v in lat.items()],
        ),
        Table(
            "latency_buckets",
            "Replies by latency",
            ["latency", "replies"],
            [list(row) for row in f.latency_buckets],
        ),
        Table(
            "failed_turns",
            "Failed turns",
            ["measure", "messages"],
            [[k, v] for k, v in f.failed.items()],
        ),
    ]


def write_csv(all_tables: list[Table], folder: Path) -> list[Path]:
    """One CSV file per table (header row first); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in all_tables:
        path = folder / f"{table.name}.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.headers)
            writer.writerows(table.rows)
        written.append(path)
    return written
