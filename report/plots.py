"""The report's plots: matplotlib (Agg, no display), each a PNG as a data: URI.

Each function returns `(uri, alt)`: the picture and a sentence saying what it
shows, for screen readers and for anyone whose browser shows no images.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from report.classify import CHANNELS  # noqa: E402
from report.queries import Figures  # noqa: E402

# colour-blind safe (Okabe-Ito), one per channel
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#999999"]
Plot = tuple[str, str]


def _uri(figure: plt.Figure) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def per_day(f: Figures) -> Plot:
    """Stacked bars: conversations per day, one colour per channel."""
    days = sorted({day for day, _, _ in f.per_day})
    counts = {(day, ch): n for day, ch, n in f.per_day}
    figure, axes = plt.subplots(figsize=(9, 3.2))
    bottom = [0] * len(days)
    totals: dict[str, int] = {}
    for colour, (channel, label) in zip(COLOURS, CHANNELS.items(), strict=True):
        values = [counts.get((day, channel), 0) for day in days]
        if not any(values):
            continue
        totals[label] = sum(values)
        axes.bar(range(len(days)), values, bottom=bottom, color=colour, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = max(1, len(days) // 10)
    axes.set_xticks(range(0, len(days), step))
    axes.set_xticklabels(days[::step], rotation=30, ha="right", fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("conversations")
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    axes.spines[["top", "right"]].set_visible(False)
    split = ", ".join(f"{label} {n}" for label, n in totals.items())
    alt = (
        f"Bar chart of conversations per day from {f.first_day} to {f.last_day}, "
        f"{f.conversations} in all, by channel: {split}."
    )
    return _uri(figure), alt


def bars(title: str, rows: list[tuple[str, int]], unit: str) -> Plot | None:
    """Horizontal bars, largest at the top; None when there is nothing to draw."""
    rows = rows[:15]
    if not any(value for _, value in rows):
        return None
    figure, axes = plt.subplots(figsize=(7, 0.4 * max(len(rows), 2) + 0.8))
    labels = [label for label, _ in rows][::-1]
    values = [value for _, value in rows][::-1]
    axes.barh(labels, values, color=COLOURS[0])
    for y, value in enumerate(values):
        axes.text(value, y, f" {value}", va="center", fontsize=8)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(unit)
    axes.set_title(title, fontsize=10, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    listed = "; ".join(f"{label}: {value}" for label, value in rows) or "none"
    return _uri(figure), f"Bar chart, {title}. {listed}."


def all_plots(f: Figures) -> dict[str, Plot | None]:
    """Every plot of the page, by the section it belongs to (None: no data)."""
    plots: dict[str, Plot | None] = {"per_day": per_day(f)}
    plots["outcomes"] = bars("Outcomes", list(f.outcomes.items()), "conversations")
    plots["funnel"] = bars("From first message to follow-up", f.funnel, "conversations")
    plots["facts"] = bars(
        "What people asked about",
        [(intent, n) for intent, _, n, _ in f.fact_intents],
        "messages",
    )
    plots["unanswered"] = bars(
        "Asked but not answered by the article",
        [(topic, n) for topic, n, _ in f.unknown_topics],
        "messages",
    )
    plots["latency"] = bars("Replies by latency", f.latency_buckets, "replies")
    return plots
