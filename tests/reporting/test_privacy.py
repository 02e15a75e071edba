"""Privacy by default: masking, the minimum count before quoting, no sender ids, and
`purge` deleting old conversations (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from report.privacy import group_key, mask
from report.store import open_store
from tests.reporting.helpers import bot_row, insert_events, read_csv, run, user_row

DAY = 86400


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("mail me at jane.doe+ai@example.co.uk", "mail me at [email]"),
        ("call +44 20 7946 0958 please", "call [phone] please"),
        ("my number is (555) 123-4567", "my number is [phone]"),
        ("06 12 34 56 78", "[phone]"),
        ("order 98765 shipped", "order [number] shipped"),
        ("<@U024BE7LH> what is CAIP?", "[mention] what is CAIP?"),
        ("I have 12 years in ML since 2014", "I have 12 years in ML since 2014"),
    ],
)
def test_personal_data_is_masked_and_ordinary_numbers_are_not(text, masked):
    assert mask(text) == masked


def test_near_identical_messages_share_a_group():
    assert group_key("How much is it??") == group_key("how much is it")
    assert group_key("mail a@b.com") == group_key("Mail c.d@e.org!")
    assert group_key("how much is it") != group_key("how long is it")


def _store(url: str, now: float) -> None:
    """Three conversations quoting the same question with different e-mails, one
    with a phone number, and one 40 days old."""
    rows = []
    for i, mail in enumerate(["ann@example.com", "bob@example.org", "cy@example.net"]):
        ts = now - 3600 * (i + 1)
        rows += [
            user_row(
                f"visitor-{i}", f"price of CAIP? mail {mail}", "ask_unknown_fact", ts
            ),
            bot_row(f"visitor-{i}", "The article does not give the price.", ts + 0.4),
        ]
    rows += [
        user_row("visitor-phone", "what does it cost? call +44 20 7946 0958", "ask_unknown_fact",
                 now - 100),
        bot_row("visitor-phone", "The article does not give the price.", now - 99),
        user_row("visitor-old", "what does CAIM cost? old@example.com", "ask_unknown_fact",
                 now - 40 * DAY),
        bot_row("visitor-old", "The article does not give the price.", now - 40 * DAY + 1),
    ]  # fmt: skip
    insert_events(url, rows)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_masking_minimum_count_and_purge(tmp_path: Path, backend, request):
    url = (
        request.getfixturevalue("pg_url")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path / 'store.db'}"
    )
    now = time.time()
    _store(url, now)
    out = tmp_path / "report"
    since = time.strftime("%Y-%m-%d", time.gmtime(now - 60 * DAY))
    done = run("report", "--since", since, "--out", str(out), "--store", url)
    assert done.returncode == 0, done.stderr
    written = "".join(p.read_text() for p in out.iterdir())
    for secret in ("@example", "7946", "visitor-"):
        assert secret not in written  # no e-mail, phone or sender id anywhere
    quoted = read_csv(out, "unanswered_messages")
    # sent in 3 conversations: quoted once, masked; the phone one (1) is not quoted
    assert [(r["topic"], r["message"], r["conversations"]) for r in quoted] == [
        ("price", "price of CAIP? mail [email]", "3")
    ]
    topics = {r["topic"]: r for r in read_csv(out, "unanswered_topics")}
    assert topics["price"]["conversations"] == "5"  # counted, even when not quoted
    # a higher minimum: nothing is quoted
    strict = run("report", "--since", since, "--min-count", "4",
                 "--out", str(tmp_path / "strict"), "--store", url)  # fmt: skip
    assert strict.returncode == 0 and not read_csv(
        tmp_path / "strict", "unanswered_messages"
    )

    purged = run("purge", "--days", "30", "--store", url)
    assert purged.returncode == 0, purged.stderr
    assert "Deleted 1 conversation(s) (2 events)" in purged.stdout
    store = open_store(url)
    with store.engine.connect() as connection:
        senders = {
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT DISTINCT sender_id FROM events"
            )
        }
    store.close()
    assert senders == {"visitor-0", "visitor-1", "visitor-2", "visitor-phone"}
    if backend == "sqlite":  # overwritten, not just unlinked from the table
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
        assert b"old@example.com" not in raw and b"ann@example.com" in raw
    again = run("purge", "--days", "30", "--store", url)
    assert "Deleted 0 conversation(s)" in again.stdout


def test_make_purge_needs_days():
    import subprocess

    done = subprocess.run(["make", "-s", "purge"], capture_output=True, text=True)
    assert done.returncode != 0
    assert "Usage: make purge DAYS=N" in done.stdout + done.stderr
