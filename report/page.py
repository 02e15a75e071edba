"""The report page: one self-contained HTML file (Jinja2, escaped).

Plots are PNG data: URIs, the style sheet is inline, and nothing is loaded from
another site. Headings in order, every plot with alt text, every table with a
caption and header cells. Every message is escaped (autoescape): a message that
holds HTML shows as text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from report import plots
from report.privacy import PLACEHOLDERS
from report.queries import Figures, Period
from report.tables import Table, tables

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class Section:
    id: str
    title: str
    text: str = ""
    plots: list[plots.Plot | None] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.plots = [plot for plot in self.plots if plot]  # no empty charts


def _day(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


def _sections(f: Figures, by_name: dict[str, Table], min_count: int) -> list[Section]:
    p = plots.all_plots(f)
    fb = f.fallback
    quoted = (
        f"A message is quoted only when at least {min_count} conversations sent it "
        f"(near-identical messages grouped); {', '.join(PLACEHOLDERS)} replace "
        "e-mail addresses, phone numbers, long numbers and Slack mentions."
    )
    return [
        Section(
            "per-day",
            "Conversations per day",
            "A conversation counts on the day of its first message in the period, "
            "on the channel it came from.",
            [p["per_day"]],
            [by_name["conversations_per_day"]],
        ),
        Section(
            "outcomes",
            "Outcomes",
            "A conversation can have several outcomes (a recommendation after the "
            "clarifying question, then a question the article does not answer).",
            [p["outcomes"], p["funnel"]],
            [by_name["outcomes"], by_name["funnel"]],
        ),
        Section(
            "roles",
            "Roles",
            "The job titles the advisor recognised, grouped as the article places "
            "them; roles in both audiences or in neither get the clarifying question.",
            [],
            [by_name["role_groups"], by_name["job_titles"]],
        ),
        Section(
            "questions",
            "What people asked",
            "Questions the article answers, then the ones it does not (the operators' "
            "to-do list). " + quoted,
            [p["facts"], p["unanswered"]],
            [
                by_name["fact_questions"],
                by_name["unanswered_topics"],
                by_name["unanswered_messages"],
            ],
        ),
        Section(
            "fallback",
            "Not understood",
            f"{100 * fb.get('rate', 0):.1f}% of messages were not understood. "
            + quoted
            + " `make review` turns them into training data to correct.",
            [],
            [by_name["fallback"], by_name["fallback_messages"]],
        ),
        Section(
            "latency",
            "Answer latency and failed turns",
            "Latency: from the stored user message to the first stored reply. "
            "A turn whose action failed is dropped by the runtime (infra/"
            "action_failures.py): the user got an apology, but nothing of that turn "
            "is stored, so it cannot be counted here; the figures below are the "
            "failures that did reach the store.",
            [p["latency"]],
            [
                by_name["latency"],
                by_name["latency_buckets"],
                by_name["failed_turns"],
            ],
        ),
    ]


def render(
    f: Figures, period: Period, store_name: str, min_count: int
) -> tuple[str, list[Table]]:
    """The page's HTML, and its tables (for the CSV files)."""
    all_tables = tables(f)
    by_name = {table.name: table for table in all_tables}
    notes = []
    if f.corrupt_rows:
        shown = ", ".join(str(i) for i in f.corrupt_rows[:10])
        notes.append(
            f"{len(f.corrupt_rows)} stored event row(s) could not be read (not JSON) "
            f"and were skipped: id {shown}{' ...' if len(f.corrupt_rows) > 10 else ''}."
        )
    if f.other_assistants:
        notes.append(
            f"{sum(f.other_assistants.values())} message(s) of another assistant "
            f"({', '.join(sorted(f.other_assistants))}) in the same store were "
            "left out."
        )
    cards: list[tuple[str, Any]] = [
        ("conversations", f.conversations),
        ("messages", f.turns),
        ("recommendations", f.outcomes.get("CAIP recommended", 0)
         + f.outcomes.get("CAIM recommended", 0)),
        ("questions left unanswered", f.outcomes.get("question left unanswered", 0)),
        ("not understood", f"{100 * f.fallback.get('rate', 0):.1f}%"),
        ("median answer", f"{f.latency.get('median s', 0):.2f} s"),
    ]  # fmt: skip
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    html = environment.get_template("report.html.j2").render(
        title="CAIP or CAIM advisor: conversation report",
        period=f"{_day(period.since)} to {_day(period.until)}",
        store=store_name,
        made=_day(time.time()),
        cards=cards,
        notes=notes,
        sections=_sections(f, by_name, min_count),
        about=(
            "Counted in the tracker store's events, in SQL; no sender id, Slack user "
            "id or conversation id appears in this page or its CSV files. Days are "
            "UTC. Conversations are kept until `make purge DAYS=N` deletes them."
        ),
    )
    return html, all_tables
