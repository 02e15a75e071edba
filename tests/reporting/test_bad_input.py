"""Bad input to the report's commands: one clear line, an exit code, no traceback,
and nothing lost (the store is never changed by `report` or `review`)."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest

from report.generate import write
from report.store import open_store
from tests.reporting.helpers import bot_row, insert_events, run, user_row


def _clean(done) -> str:  # type: ignore[no-untyped-def]
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done.stderr


def generated(url: str, conversations: int = 40) -> None:
    store = open_store(url, create=True)
    write(store, conversations, days=5)
    store.close()


def test_a_missing_store_file_is_named(tmp_path: Path):
    missing = tmp_path / "nowhere.db"
    done = run("report", "--out", str(tmp_path / "out"), TRACKER_DB_PATH=str(missing))
    assert done.returncode == 3
    assert f"No conversation store at {missing}" in _clean(done)
    assert not missing.exists()  # not created by looking


def test_an_empty_store_has_nothing_to_report(tmp_path: Path):
    db = tmp_path / "empty.db"
    open_store(f"sqlite:///{db}", create=True).close()
    done = run("report", "--out", str(tmp_path / "out"), TRACKER_DB_PATH=str(db))
    assert done.returncode == 4
    assert "no conversations in" in _clean(done)
    assert not (tmp_path / "out" / "report.html").exists()


def test_a_database_that_is_not_a_tracker_store(tmp_path: Path):
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
    done = run("report", "--out", str(tmp_path / "out"), TRACKER_DB_PATH=str(db))
    assert done.returncode == 3
    assert "is not a Rasa tracker store (no `events` table)" in _clean(done)


def test_a_store_of_another_assistant_is_refused_by_name(tmp_path: Path):
    db = tmp_path / "moodbot.db"
    now = time.time()
    insert_events(
        f"sqlite:///{db}",
        [user_row("u1", "hello", "greet", now - 60, assistant="moodbot"),
         bot_row("u1", "Hey! How are you?", now - 59)],
    )  # fmt: skip
    done = run("report", "--out", str(tmp_path / "out"), TRACKER_DB_PATH=str(db))
    assert done.returncode == 4
    err = _clean(done)
    assert "no conversation of this assistant ('caip-caim-advisor')" in err
    assert "moodbot (1)" in err


def test_dates_the_wrong_way_round(tmp_path: Path):
    db = tmp_path / "s.db"
    generated(f"sqlite:///{db}")
    done = run(
        "report", "--since", "2026-11-30", "--until", "2026-11-01",
        "--out", str(tmp_path / "out"), TRACKER_DB_PATH=str(db),
    )  # fmt: skip
    assert done.returncode == 2
    assert "the dates are the wrong way round" in _clean(done)
    done = run("report", "--since", "yesterday", TRACKER_DB_PATH=str(db))
    assert done.returncode == 2
    assert "'yesterday' is not a date" in _clean(done)


def test_the_review_file_never_goes_into_data(tmp_path: Path):
    db = tmp_path / "s.db"
    generated(f"sqlite:///{db}")
    target = Path("data") / "nlu" / "review.yml"
    done = run("review", "--out", str(target), TRACKER_DB_PATH=str(db))
    assert done.returncode == 2
    assert "is inside data/" in _clean(done)
    assert not target.exists()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_corrupt_event_row_is_skipped_and_named(tmp_path: Path, backend, request):
    url = (
        request.getfixturevalue("pg_url")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path / 's.db'}"
    )
    generated(url)
    before = run("report", "--out", str(tmp_path / "before"), "--store", url)
    assert before.returncode == 0, before.stderr
    store = open_store(url)
    with store.engine.begin() as connection:
        bad = connection.exec_driver_sql(
            "SELECT MIN(id) FROM events WHERE type_name = 'user'"
        ).scalar_one()
        connection.exec_driver_sql(
            f'UPDATE events SET data = \'{{"event": "user", "text": \' '
            f"WHERE id = {bad}"
        )
    store.close()
    out = tmp_path / "out"
    done = run("report", "--out", str(out), "--store", url)
    assert done.returncode == 0, done.stderr
    assert "1 corrupt event row(s) skipped" in _clean(done)
    page = (out / "report.html").read_text()
    assert f"could not be read (not JSON) and were skipped: id {bad}." in page
    messages = int(re.search(r"(\d+) messages", before.stdout).group(1))
    assert f"{messages - 1} messages" in done.stdout  # only that one is left out
    review = run("review", "--out", str(tmp_path / "r.yml"), "--store", url)
    assert review.returncode == 0 and "Traceback" not in review.stderr
