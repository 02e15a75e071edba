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
    unknown, answer = "ask_unknown_fact", "The article does not give the price."
    phone, old = now - 100, now - 40 * DAY
    rows += [
        user_row(
            "visitor-phone", "what does it cost? call +44 20 7946 0958", unknown, phone
        ),
        bot_row("visitor-phone", answer, phone + 1),
        user_row("visitor-old", "what does CAIM cost? old@example.com", unknown, old),
        bot_row("visitor-old", answer, old + 1),
    ]
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


def test_review_masks_deduplicates_and_suggests_an_intent(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    now = time.time()
    fell = [("nlu_fallback", 0.45), ("ask_unknown_fact", 0.31), ("greet", 0.02)]
    rows = []
    for i, text in enumerate(
        [
            "exam cost?? call +44 20 7946 0958",
            "Exam cost, call 06 12 34 56 78",  # near-identical once masked
            "write to ann@example.com about CAIM",
        ]
    ):
        rows += [
            user_row(f"v{i}", text, "nlu_fallback", now - 600 + i, ranking=fell),
            bot_row(f"v{i}", "Sorry, I didn't understand that.", now - 599 + i),
        ]
    confident = user_row("v9", "I'm a data scientist", "describe_job_builder", now - 9)
    insert_events(url, [*rows, confident])
    out = tmp_path / "review" / "nlu_review.yml"
    done = run("review", "--out", str(out), "--store", url)
    assert done.returncode == 0, done.stderr
    assert "2 message(s) to review" in done.stdout
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    examples = RasaYAMLReader().read(str(out)).training_examples
    assert sorted((e.get("intent"), e.get("text")) for e in examples) == [
        ("ask_unknown_fact", "exam cost?? call [phone]"),
        ("ask_unknown_fact", "write to [email] about CAIM"),
    ]
    text = out.read_text()
    assert "7946" not in text and "example.com" not in text and "v0" not in text
    assert "conversations: 2" in text  # the two phone variants, one example
