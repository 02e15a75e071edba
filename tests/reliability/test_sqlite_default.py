"""The default set-up keeps conversations: SQLite in var/data/advisor.db.

No tracker or lock variables are set, as with `make run`. A conversation continues
after the Rasa server restarts: its slots, its recommendation and a clarifying
question that was waiting for its answer.
"""

from __future__ import annotations

import sqlite3
import uuid

from infra.launch import free_port
from infra.services import ActionServer, RasaServer
from infra.stores import DEFAULT_SQLITE_PATH
from tests.reliability.chat import FORM_ANSWER, LAST_IN_FORM, say, state, tracker
from tests.reliability.conftest import ARTIFACTS


def test_a_conversation_continues_after_the_rasa_server_restarts(monkeypatch):
    for name in (
        "TRACKER_DB_URL",
        "DB_HOST",
        "TRACKER_DB_PATH",
        "REDIS_URL",
        "SANIC_WORKERS",
    ):
        monkeypatch.delenv(name, raising=False)
    actions = ActionServer(
        "actions", ARTIFACTS / "sqlite-actions.log", port=free_port()
    ).start(wait=False)
    rasa = RasaServer(
        "rasa",
        ARTIFACTS / "sqlite-rasa.log",
        port=free_port(),
        extra_env={"ACTION_SERVER_URL": actions.url},
    )
    try:
        rasa.start(wait=False)
        actions.wait_ready()
        rasa.wait_ready()
        in_form, decided = (f"sqlite-{uuid.uuid4().hex[:10]}" for _ in range(2))
        status, texts = say(rasa.url, in_form, LAST_IN_FORM)
        assert status == 200 and texts[0].endswith("?")  # the clarifying question
        status, texts = say(rasa.url, decided, "I'm a data scientist")
        assert status == 200 and texts[0].startswith("CAIP")
        before = {
            sender: state(tracker(rasa.url, sender)) for sender in (in_form, decided)
        }
        assert before[in_form]["active_loop"] == "clarify_form"
        assert before[in_form]["requested_slot"] == "ai_involvement"
        assert before[decided]["slots"]["recommended_certification"] == "CAIP"

        rasa.stop()
        rasa.start()

        after = {
            sender: state(tracker(rasa.url, sender)) for sender in (in_form, decided)
        }
        assert after == before
        status, texts = say(rasa.url, in_form, FORM_ANSWER)
        assert status == 200 and texts[0].startswith("CAIM"), texts
        assert (
            state(tracker(rasa.url, in_form))["slots"]["recommended_certification"]
            == "CAIM"
        )
        status, texts = say(rasa.url, decided, "why?")
        assert status == 200 and "Choose CAIP if" in " ".join(texts)
    finally:
        rasa.stop()
        actions.stop()

    with sqlite3.connect(DEFAULT_SQLITE_PATH) as db:
        rows = db.execute(
            "SELECT sender_id, COUNT(*) FROM events WHERE sender_id IN (?, ?) "
            "GROUP BY sender_id",
            (in_form, decided),
        ).fetchall()
    assert len(rows) == 2 and all(count > 5 for _, count in rows)
