"""The report's figures, aggregated in SQL over Rasa's `events` table.

Two temporary tables are built on the report's own connection (nothing is written
to the store): `r_turns`, one row per user message of the period (its intent,
channel, text, confidence, the first reply's time, the actions and slots of the
turn), numbered per conversation with a window function; and `r_convs`, one row per
conversation. Every figure is a GROUP BY over them. Only the texts of the few
messages that are quoted (fell back, or asked what the article does not answer)
reach Python, with the conversation they came from, to count conversations per
masked group; sender ids never leave this module.

The same SQL runs on SQLite (json_extract) and PostgreSQL (->>). A corrupt event
row (data that is not JSON) makes the database refuse the JSON functions: the rows
are then found, skipped, counted and named by id in the report.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from report.classify import Vocabulary, apology_texts, channel_sql
from report.privacy import group_key, mask, quotable
from report.store import Store

NAME = re.compile(r"^[\w.-]+$")
MAX_QUOTED_TEXTS = 20000  # distinct texts read per quoted list (most frequent first)


class NoConversations(Exception):
    """Nothing to report for the period (or none of this assistant's)."""


def _names(values: Iterable[str]) -> str:
    """An SQL list of the project's own names (checked: letters, digits, _ . -)."""
    names = list(values)
    for value in names:
        if not NAME.match(value):
            raise ValueError(f"unexpected name {value!r}")
    return ", ".join(f"'{value}'" for value in names) or "''"


class Dialect:
    """The few SQL expressions SQLite and PostgreSQL write differently."""

    def __init__(self, name: str) -> None:
        self.name = name

    def json(self, *path: str) -> str:
        if self.name == "sqlite":
            return f"json_extract(data, '$.{'.'.join(path)}')"
        return f"(j #>> '{{{','.join(path)}}}')"

    def json_float(self, *path: str) -> str:
        if self.name == "sqlite":
            return self.json(*path)
        return f"CAST({self.json(*path)} AS double precision)"

    def parsed(self) -> str:
        """PostgreSQL parses the JSON of a user or slot row once, as `j`."""
        if self.name == "sqlite":
            return ""
        return ", CASE WHEN type_name IN ('user', 'slot') THEN data::json END AS j"

    def day(self, column: str) -> str:
        if self.name == "sqlite":
            return f"date({column}, 'unixepoch')"
        return f"to_char(to_timestamp({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"

    def is_json_error(self, error: sa.exc.DBAPIError) -> bool:
        text = str(error.orig).lower()
        return "json" in text

    def corrupt_ids(
        self, connection: sa.engine.Connection, where: str, params: dict[str, Any]
    ) -> list[int]:
        """The ids of the period's rows whose data is not JSON."""
        if self.name == "sqlite":
            sql = f"SELECT id FROM events WHERE {where} AND NOT json_valid(data)"
        else:
            connection.execute(
                sa.text(
                    "CREATE OR REPLACE FUNCTION pg_temp.r_is_json(t text) "
                    "RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN "
                    "PERFORM t::json; RETURN true; EXCEPTION WHEN others THEN "
                    "RETURN false; END $$"
                )
            )
            sql = f"SELECT id FROM events WHERE {where} AND NOT pg_temp.r_is_json(data)"
        rows = connection.execute(sa.text(sql + " ORDER BY id"), params)
        return [int(row[0]) for row in rows]


@dataclass
class Period:
    since: float  # unix seconds, inclusive
    until: float  # unix seconds, exclusive


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


def _turns_sql(d: Dialect, v: Vocabulary, apologies_count: int) -> str:
    """The statement creating `r_turns`; `{where}` is left to fill."""
    apologies = " OR ".join(f"data LIKE :apology{i}" for i in range(apologies_count))
    slot = "type_name = 'slot' AND action_name = "
    answers = _names(["build", "lead"])
    return f"""
CREATE TEMP TABLE r_turns AS
WITH ev AS (
  SELECT id, sender_id, type_name, timestamp, intent_name, action_name,
         data{d.parsed()},
         SUM(CASE WHEN type_name = 'user' THEN 1 ELSE 0 END)
           OVER (PARTITION BY sender_id ORDER BY id ROWS UNBOUNDED PRECEDING) AS turn
  FROM events WHERE {{where}}
)
SELECT sender_id, turn,
  MIN(CASE WHEN type_name = 'user' THEN timestamp END) AS user_ts,
  MAX(CASE WHEN type_name = 'user' THEN intent_name END) AS intent,
  MAX(CASE WHEN type_name = 'user' THEN
      {channel_sql(d.json('input_channel'), 'sender_id')} END) AS channel,
  MAX(CASE WHEN type_name = 'user' THEN {d.json('text')} END) AS text,
  MAX(CASE WHEN type_name = 'user' THEN
      {d.json_float('parse_data', 'intent', 'confidence')} END) AS confidence,
  MAX(CASE WHEN type_name = 'user' THEN
      {d.json('metadata', 'assistant_id')} END) AS assistant_id,
  MIN(CASE WHEN type_name = 'bot' THEN timestamp END) AS bot_ts,
  SUM(CASE WHEN type_name = 'bot' THEN 1 ELSE 0 END) AS bot_count,
  MAX(CASE WHEN type_name = 'bot' AND ({apologies}) THEN 1 ELSE 0 END) AS apologised,
  MAX(CASE WHEN type_name = 'user' AND intent_name = '{v.fallback_intent}' THEN 1
           WHEN type_name = 'action' AND action_name = '{v.fallback_action}' THEN 1
           ELSE 0 END) AS fell_back,
  MAX(CASE WHEN type_name = 'active_loop' AND action_name = '{v.clarify_form}'
           THEN 1 ELSE 0 END) AS asked,
  MAX(CASE WHEN type_name = 'action' AND action_name IN ({_names(v.actions)})
           THEN 1 ELSE 0 END) AS advisor_action,
  MAX(CASE WHEN {slot}'{v.recommendation_slot}' THEN {d.json('value')} END)
      AS recommended,
  MAX(CASE WHEN {slot}'{v.role_group_slot}' THEN {d.json('value')} END) AS role_group,
  MAX(CASE WHEN {slot}'{v.role_slot}' THEN {d.json('value')} END) AS job_role,
  MAX(CASE WHEN {slot}'{v.answer_slot}' AND {d.json('value')} IN ({answers})
           THEN {d.json('value')} END) AS answer
FROM ev WHERE turn > 0
GROUP BY sender_id, turn
"""


def _convs_sql(d: Dialect, v: Vocabulary) -> str:
    jobs = _names(v.job_intents)
    caip, caim = v.recommendations
    return f"""
CREATE TEMP TABLE r_convs AS
SELECT sender_id, MIN(user_ts) AS first_ts, {d.day('MIN(user_ts)')} AS day,
  MAX(channel) AS channel, COUNT(*) AS turns, MAX(turn) AS last_turn,
  MAX(CASE WHEN intent = '{v.greet_intent}' THEN 1 ELSE 0 END) AS greeted,
  MAX(CASE WHEN intent IN ({jobs}) THEN 1 ELSE 0 END) AS described,
  MAX(CASE WHEN recommended = '{caip}' THEN 1 ELSE 0 END) AS got_caip,
  MAX(CASE WHEN recommended = '{caim}' THEN 1 ELSE 0 END) AS got_caim,
  MIN(CASE WHEN recommended IS NOT NULL THEN turn END) AS recommended_turn,
  MAX(asked) AS asked, MAX(answer) AS answer,
  MAX(CASE WHEN intent = '{v.unknown_intent}' THEN 1 ELSE 0 END) AS unanswered,
  MAX(CASE WHEN intent = '{v.handoff_intent}' THEN 1 ELSE 0 END) AS handoff,
  MAX(fell_back) AS fell_back,
  MAX(CASE WHEN fell_back = 1 THEN turn END) AS last_fallback_turn,
  MAX(role_group) AS role_group, MAX(job_role) AS job_role
FROM r_turns WHERE {OURS}
GROUP BY sender_id
"""


# This assistant's turns: its assistant id, or none stored (older Rasa versions).
OURS = "(assistant_id = :assistant_id OR assistant_id IS NULL)"


@dataclass
class Turns:
    """An open connection holding the period's `r_turns` table."""

    connection: sa.engine.Connection
    dialect: Dialect
    params: dict[str, Any]
    corrupt_rows: list[int]


@contextmanager
def turns(store: Store, vocabulary: Vocabulary, period: Period) -> Iterator[Turns]:
    """Build `r_turns` for the period on a connection of its own.

    A corrupt row (data that is not JSON) makes the database refuse the statement:
    the period's corrupt rows are then found and the table is built without them.
    """
    apology = [text[:60] for text in apology_texts()]
    d = Dialect(store.dialect)
    where = "timestamp >= :since AND timestamp < :until"
    params: dict[str, Any] = {"since": period.since, "until": period.until}
    params.update({f"apology{i}": f"%{t}%" for i, t in enumerate(apology)})
    params["assistant_id"] = vocabulary.assistant_id
    sql = _turns_sql(d, vocabulary, len(apology))
    corrupt: list[int] = []
    excluded = ""
    for _attempt in range(2):
        with store.engine.connect() as connection:
            try:
                connection.execute(
                    sa.text(sql.replace("{where}", where + excluded)), params
                )
            except sa.exc.DBAPIError as error:
                if excluded or not d.is_json_error(error):
                    raise
            else:
                yield Turns(connection, d, params, corrupt)
                return
        with store.engine.connect() as connection:
            corrupt = d.corrupt_ids(connection, where, params)
        excluded = f" AND id NOT IN ({', '.join(map(str, corrupt)) or '0'})"


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
    connection.execute(sa.text(_convs_sql(d, v)), params)
    total, turns = q(
        f"SELECT COUNT(DISTINCT sender_id), COUNT(*) FROM r_turns WHERE {OURS}"
    )[0]
    if not total:
        raise NoConversations(figures.other_assistants)
    advisor = q(f"SELECT MAX(advisor_action) FROM r_turns WHERE {OURS}")[0][0]
    if not advisor and not q("SELECT 1 FROM r_turns WHERE assistant_id IS NOT NULL"):
        # no assistant id stored and none of the advisor's actions ever ran
        raise NoConversations({"an assistant without this domain's actions": total})
    figures.conversations, figures.turns = int(total), int(turns)
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
    intents = _names(facts)
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
