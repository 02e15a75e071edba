"""The SQL under the report: the period's turns as a temporary table.

`turns()` builds `r_turns` on a connection of its own (nothing is written to the
store): one row per user message of the period, with its intent, channel, text,
confidence, the first reply's time and the actions and slots of its turn, numbered
per conversation with a window function. `r_convs` (one row per conversation) is
built from it. The same SQL runs on SQLite (json_extract) and PostgreSQL (the data
column parsed once per row as `j`). A corrupt event row (data that is not JSON)
makes the database refuse the JSON functions: the period's corrupt rows are then
found, and the table is built without them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from report.classify import Vocabulary, apology_texts, channel_sql
from report.store import Store

NAME = re.compile(r"^[\w.-]+$")


def names(values: Iterable[str]) -> str:
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


def _turns_sql(d: Dialect, v: Vocabulary, apologies_count: int) -> str:
    """The statement creating `r_turns`; `{where}` is left to fill."""
    apologies = " OR ".join(f"data LIKE :apology{i}" for i in range(apologies_count))
    slot = "type_name = 'slot' AND action_name = "
    answers = names(["build", "lead"])
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
  MAX(CASE WHEN type_name = 'action' AND action_name IN ({names(v.actions)})
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


def convs_sql(d: Dialect, v: Vocabulary) -> str:
    jobs = names(v.job_intents)
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
