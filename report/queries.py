"""The report's figures, aggregated in SQL over Rasa's `events` table.

Every figure is a GROUP BY over the temporary tables of report/sql.py (`r_turns`,
one row per user message of the period; `r_convs`, one per conversation). Only the
texts of the few messages that may be quoted (fell back, or asked what the article
does not answer) reach Python, with the conversation they came from, to count
conversations per masked group; sender ids never leave this module.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from report.classify import Vocabulary
from report.privacy import group_key, mask, quotable
from report.sql import OURS, Dialect, Period, convs_sql, names, turns
from report.store import Store

__all__ = ["OURS", "Period", "turns", "Figures", "NoConversations", "collect"]

MAX_QUOTED_TEXTS = 20000  # distinct texts read per quoted list (most frequent first)


class NoConversations(Exception):
    """Nothing to report for the period (or none of this assistant's)."""


@dataclass
class Figures:
    """Everything the page and the CSV files show; no sender id anywhere."""

    conversations: int = 0
    turns: int = 0
    per_day: list[tuple[str, str, int]] = field(default_factory=list)  # day, ch, n
    outcomes: dict[str, int] = field(default_factory=dict)
    funnel: list[tuple[str, int]] = field(default_factory=list)
    role_groups: list[dict[str, Any]] = field(default_factory=list)
    roles: list[tuple[str, str, int]] = field(default_factory=list)
    fact_intents: list[tuple[str, str, int, int]] = field(default_factory=list)
    unknown_topics: list[tuple[str, int, int]] = field(default_factory=list)
    unknown_messages: list[tuple[str, str, int]] = field(default_factory=list)
    fallback: dict[str, float] = field(default_factory=dict)
    fallback_messages: list[tuple[str, int, int]] = field(default_factory=list)
    latency: dict[str, float] = field(default_factory=dict)
    latency_buckets: list[tuple[str, int]] = field(default_factory=list)
    failed: dict[str, int] = field(default_factory=dict)
    corrupt_rows: list[int] = field(default_factory=list)
    other_assistants: dict[str, int] = field(default_factory=dict)
    first_day: str | None = None
    last_day: str | None = None


LATENCY_BUCKETS = [(0.5, "< 0.5 s"), (1, "0.5-1 s"), (2, "1-2 s"), (5, "2-5 s")]
LATENCY_BUCKETS += [(10, "5-10 s"), (float("inf"), ">= 10 s")]


def collect(
    store: Store, vocabulary: Vocabulary, period: Period, min_count: int
) -> Figures:
    """Compute every figure of the period.

    Raises:
        NoConversations: the period holds no conversation of this assistant.
    """
    figures = Figures()
    with turns(store, vocabulary, period) as t:
        figures.corrupt_rows = t.corrupt_rows
        _aggregate(t.connection, t.dialect, vocabulary, figures, t.params, min_count)
    return figures


def _rows(connection: sa.engine.Connection, sql: str, params: dict) -> list[Any]:
    return list(connection.execute(sa.text(sql), params))


def _aggregate(
    connection: sa.engine.Connection,
    d: Dialect,
    v: Vocabulary,
    figures: Figures,
    params: dict[str, Any],
    min_count: int,
) -> None:
    q = lambda sql: _rows(connection, sql, params)  # noqa: E731
    others = q(
        f"SELECT assistant_id, COUNT(*) FROM r_turns WHERE NOT {OURS} "
        "GROUP BY assistant_id"
    )
    figures.other_assistants = {str(name): int(n) for name, n in others}
    connection.execute(sa.text(convs_sql(d, v)), params)
    total, messages = q(
        f"SELECT COUNT(DISTINCT sender_id), COUNT(*) FROM r_turns WHERE {OURS}"
    )[0]
    if not total:
        raise NoConversations(figures.other_assistants)
    advisor = q(f"SELECT MAX(advisor_action) FROM r_turns WHERE {OURS}")[0][0]
    if not advisor and not q("SELECT 1 FROM r_turns WHERE assistant_id IS NOT NULL"):
        # no assistant id stored and none of the advisor's actions ever ran
        raise NoConversations({"an assistant without this domain's actions": total})
    figures.conversations, figures.turns = int(total), int(messages)
    figures.first_day, figures.last_day = q("SELECT MIN(day), MAX(day) FROM r_convs")[0]
    figures.per_day = [
        (day, channel, int(n))
        for day, channel, n in q(
            "SELECT day, channel, COUNT(*) FROM r_convs GROUP BY day, channel "
            "ORDER BY day, channel"
        )
    ]
    _outcomes(q, figures)
    _roles(q, v, figures, min_count)
    _questions(q, v, figures, min_count)
    _fallbacks(q, figures, min_count)
    _latency(q, figures)


def _outcomes(q: Any, figures: Figures) -> None:
    row = q(
        """SELECT COUNT(*), SUM(got_caip), SUM(got_caim), SUM(asked),
           SUM(CASE WHEN asked = 1 AND answer IS NOT NULL THEN 1 ELSE 0 END),
           SUM(unanswered), SUM(1 - described), SUM(handoff), SUM(greeted),
           SUM(described),
           SUM(CASE WHEN recommended_turn IS NOT NULL THEN 1 ELSE 0 END),
           SUM(CASE WHEN last_turn > recommended_turn THEN 1 ELSE 0 END),
           SUM(fell_back)
           FROM r_convs"""
    )[0]
    n = [int(x or 0) for x in row]
    figures.outcomes = {
        "CAIP recommended": n[1],
        "CAIM recommended": n[2],
        "clarifying question asked": n[3],
        "clarifying question answered": n[4],
        "question left unanswered": n[5],
        "no job described": n[6],
        "handoff asked for": n[7],
        "a message not understood": n[12],
    }
    figures.funnel = [
        ("opened (any message)", n[0]),
        ("greeted", n[8]),
        ("described a job", n[9]),
        ("got a recommendation", n[10]),
        ("followed up after it", n[11]),
    ]


def _roles(q: Any, v: Vocabulary, figures: Figures, min_count: int) -> None:
    rows = q(
        """SELECT role_group, COUNT(*), SUM(asked),
           SUM(CASE WHEN asked = 1 AND answer = 'build' THEN 1 ELSE 0 END),
           SUM(CASE WHEN asked = 1 AND answer = 'lead' THEN 1 ELSE 0 END),
           SUM(CASE WHEN asked = 1 AND answer IS NULL THEN 1 ELSE 0 END)
           FROM r_convs WHERE described = 1
           GROUP BY role_group ORDER BY COUNT(*) DESC"""
    )
    for group, n, asked, build, lead, none in rows:
        known = v.role_groups.get(group or "")
        figures.role_groups.append(
            {
                "group": known.label if known else "no title recognised",
                "audience": _audience(known.leans) if known else "-",
                "conversations": int(n),
                "asked": int(asked or 0),
                "answered build": int(build or 0),
                "answered lead": int(lead or 0),
                "not answered": int(none or 0),
            }
        )
    titles = q(
        "SELECT job_role, role_group, COUNT(*) FROM r_convs WHERE job_role IS NOT "
        "NULL GROUP BY job_role, role_group ORDER BY COUNT(*) DESC"
    )
    merged: Counter[tuple[str, str]] = Counter()
    for role, group, n in titles:
        known = v.role_groups.get(group or "")
        merged[(mask(str(role)).lower(), known.label if known else "-")] += int(n)
    figures.roles = [
        (role, label, n)
        for (role, label), n in merged.most_common(40)
        if quotable(n, min_count)
    ]


def _audience(leans: str) -> str:
    return {"both": "both audiences", "open": "neither audience"}.get(
        leans, f"{leans} audience"
    )


def _questions(q: Any, v: Vocabulary, figures: Figures, min_count: int) -> None:
    facts = [i for i in v.questions if i not in (v.unknown_intent, v.handoff_intent)]
    intents = names(facts)
    rows = q(
        f"SELECT intent, COUNT(*), COUNT(DISTINCT sender_id) FROM r_turns "
        f"WHERE {OURS} AND intent IN ({intents}) GROUP BY intent ORDER BY COUNT(*) DESC"
    )
    figures.fact_intents = [
        (intent, v.questions[intent], int(n), int(c)) for intent, n, c in rows
    ]
    pairs = q(
        f"SELECT text, sender_id FROM r_turns WHERE {OURS} AND intent = "
        f"'{v.unknown_intent}' AND text IS NOT NULL LIMIT {MAX_QUOTED_TEXTS}"
    )
    topics: dict[str, set[str]] = defaultdict(set)
    topic_messages: Counter[str] = Counter()
    for text, sender in pairs:
        topic = v.topic_of(text)
        topics[topic].add(sender)
        topic_messages[topic] += 1
    figures.unknown_topics = sorted(
        ((t, topic_messages[t], len(s)) for t, s in topics.items()),
        key=lambda row: (-row[1], row[0]),
    )
    figures.unknown_messages = [
        (v.topic_of(text), text, n)
        for text, _times, n in group_messages(pairs)
        if quotable(n, min_count)
    ][:25]


def group_messages(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, int, int]]:
    """(text, sender) -> (masked example, times sent, conversations), grouped when
    near-identical, most conversations first."""
    senders: dict[str, set[str]] = defaultdict(set)
    times: Counter[str] = Counter()
    example: dict[str, Counter[str]] = defaultdict(Counter)
    for text, sender in pairs:
        key = group_key(str(text))
        if not key:
            continue
        senders[key].add(sender)
        times[key] += 1
        example[key][mask(str(text)).strip()] += 1
    rows = [
        (example[key].most_common(1)[0][0], times[key], len(senders[key]))
        for key in senders
    ]
    return sorted(rows, key=lambda row: (-row[2], -row[1], row[0]))


def _fallbacks(q: Any, figures: Figures, min_count: int) -> None:
    turns, fell = q(f"SELECT COUNT(*), SUM(fell_back) FROM r_turns WHERE {OURS}")[0]
    convs, with_fallback, ended = q(
        "SELECT COUNT(*), SUM(fell_back), "
        "SUM(CASE WHEN last_fallback_turn = last_turn THEN 1 ELSE 0 END) FROM r_convs"
    )[0]
    fell, with_fallback, ended = (
        int(fell or 0),
        int(with_fallback or 0),
        int(ended or 0),
    )
    figures.fallback = {
        "messages": int(turns),
        "not understood": fell,
        "rate": fell / turns if turns else 0.0,
        "conversations with one": with_fallback,
        "ended right after one": ended,
        "share of conversations ended right after one": ended / convs if convs else 0,
    }
    pairs = q(
        f"SELECT text, sender_id FROM r_turns WHERE {OURS} AND fell_back = 1 "
        f"AND text IS NOT NULL LIMIT {MAX_QUOTED_TEXTS}"
    )
    figures.fallback_messages = [
        row for row in group_messages(pairs) if quotable(row[2], min_count)
    ][:25]


def _latency(q: Any, figures: Figures) -> None:
    answered = f"{OURS} AND bot_ts IS NOT NULL"
    n, mean, worst = q(
        f"SELECT COUNT(*), AVG(bot_ts - user_ts), MAX(bot_ts - user_ts) "
        f"FROM r_turns WHERE {answered}"
    )[0]
    n = int(n or 0)
    figures.latency = {"answered messages": n, "mean s": float(mean or 0)}
    figures.latency["max s"] = float(worst or 0)
    for name, share in (("median s", 0.5), ("p90 s", 0.9), ("p99 s", 0.99)):
        offset = min(n - 1, int(share * n)) if n else 0
        row = q(
            f"SELECT bot_ts - user_ts FROM r_turns WHERE {answered} "
            f"ORDER BY bot_ts - user_ts LIMIT 1 OFFSET {offset}"
        )
        figures.latency[name] = float(row[0][0]) if row else 0.0
    cases, low = [], 0.0
    for high, _label in LATENCY_BUCKETS:
        top = "" if high == float("inf") else f" AND bot_ts - user_ts < {high}"
        cases.append(f"SUM(CASE WHEN bot_ts - user_ts >= {low}{top} THEN 1 ELSE 0 END)")
        low = high
    counts = q(f"SELECT {', '.join(cases)} FROM r_turns WHERE {answered}")[0]
    figures.latency_buckets = [
        (label, int(c or 0))
        for (_, label), c in zip(LATENCY_BUCKETS, counts, strict=True)
    ]
    unanswered, apologised = q(
        "SELECT SUM(CASE WHEN bot_count = 0 THEN 1 ELSE 0 END), SUM(apologised) "
        f"FROM r_turns WHERE {OURS}"
    )[0]
    figures.failed = {
        "messages with no reply stored": int(unanswered or 0),
        "apologies stored": int(apologised or 0),
    }
