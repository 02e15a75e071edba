"""Running the report's commands as an operator does, and reading what they wrote."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests import servers

ROOT = servers.ROOT
ARTIFACTS = servers.ARTIFACTS / "reporting"


def run(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """`python -m report ARGS` in the project, with `env` added to the environment
    (the store comes from TRACKER_DB_PATH / TRACKER_DB_URL as for the advisor)."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    for name in ("TRACKER_DB_URL", "DB_HOST"):
        if name not in env:
            environ.pop(name, None)
    return subprocess.run(
        [str(servers.BIN / "python"), "-m", "report", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=timeout,
    )


def read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def column(rows: list[dict[str, str]], key: str, value: str) -> dict[str, int | str]:
    """`{row[key]: row[value]}` with numbers as ints."""
    out: dict[str, int | str] = {}
    for row in rows:
        cell = row[value]
        out[row[key]] = int(cell) if cell.lstrip("-").isdigit() else cell
    return out


def insert_events(url: str, rows: list[dict[str, Any]]) -> None:
    """Write raw `events` rows (the table is created as Rasa creates it)."""
    from report.store import open_store

    store = open_store(url, create=True)
    with store.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, "
                "action_name, data) VALUES (:sender_id, :type_name, :timestamp, "
                ":intent_name, :action_name, :data)"
            ),
            rows,
        )
    store.close()


def user_row(
    sender: str,
    text: str,
    intent: str,
    ts: float | None = None,
    assistant: str = "caip-caim-advisor",
    channel: str = "rest",
    ranking: list[tuple[str, float]] | None = None,
) -> dict[str, Any]:
    """A stored user message, as Rasa stores it (`ranking`: the NLU's intents)."""
    ts = time.time() - 60 if ts is None else ts
    ranked = [{"name": n, "confidence": c} for n, c in ranking or [(intent, 0.9)]]
    data = {
        "event": "user",
        "timestamp": ts,
        "metadata": {"assistant_id": assistant},
        "text": text,
        "parse_data": {
            "intent": ranked[0],
            "intent_ranking": ranked,
            "entities": [],
            "text": text,
        },
        "input_channel": channel,
    }
    return {
        "sender_id": sender,
        "type_name": "user",
        "timestamp": ts,
        "intent_name": intent,
        "action_name": None,
        "data": json.dumps(data),
    }


def bot_row(sender: str, text: str, ts: float) -> dict[str, Any]:
    data = {"event": "bot", "timestamp": ts, "text": text, "data": {}}
    return {
        "sender_id": sender,
        "type_name": "bot",
        "timestamp": ts,
        "intent_name": None,
        "action_name": None,
        "data": json.dumps(data),
    }
