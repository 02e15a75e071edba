"""End to end: conversations through the real servers on every channel, then the
report's figures checked against what was sent, on SQLite and on PostgreSQL.

The real action server and Rasa server (REST, socket.io, Slack against the fake Slack
API) keep the conversations in the store under test; `python -m report` reads the
store the way the advisor is configured (TRACKER_DB_PATH / TRACKER_DB_URL). The
page is then opened in headless Chromium and a screenshot saved.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from channels import ids
from tests import servers
from tests.fake_slack import TEAM_ID, FakeSlack
from tests.reporting import chat
from tests.reporting.helpers import ARTIFACTS, column, read_csv, run
from tests.test_e2e_slack import SECRET, TOKEN, new_user

GIBBERISH = "xqzt plovk wertyu, mail me at {}"
# the NLU reads a message with a phone number as out_of_scope (not quoted anywhere)
PHONE = "xqzt plovk wertyu, call me on +44 20 7946 0958"
# channel, messages; what each conversation must come to is asserted below
SCRIPT: list[tuple[str, list[str]]] = [
    ("rest", ["hello", "I'm a data scientist", "how much does CAIP cost?"]),
    ("rest", ["I'm a risk manager", "I mostly oversee governance",
              "I want to talk to a human"]),
    ("rest", [GIBBERISH.format("ann.smith@example.com")]),
    ("widget", ["I'm a machine learning engineer building computer vision models",
                GIBBERISH.format("bob@example.org")]),
    ("slack", ["I'm a data scientist building ML models", PHONE]),
]  # fmt: skip
# the widget's page sends its initial payload (/greet) before the visitor types
MESSAGES = sum(len(messages) for _, messages in SCRIPT) + 1


@pytest.fixture(scope="module")
def action_url() -> Iterator[str]:
    with servers.action_server() as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store_env(request, tmp_path_factory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The variables that point the advisor (and so the report) at the store."""
    if request.param == "sqlite":
        db = tmp_path_factory.mktemp("store") / "advisor.db"
        return {"TRACKER_DB_PATH": str(db)}
    return {"TRACKER_DB_URL": request.getfixturevalue("postgres").url}


@pytest.fixture(scope="module")
def conversations(action_url: str, store_env: dict[str, str]) -> dict[str, Any]:
    """Run the script through the real servers; what was said and the senders."""
    web_origin = f"http://127.0.0.1:{servers.free_port()}"
    env = {
        **store_env,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_CHANNELS": "",
    }
    senders, replies = [], []
    with FakeSlack(TOKEN) as slack, servers.rasa_server(
        action_url, cors=[web_origin], SLACK_API_URL=slack.api_url, **env
    ) as rasa_url:
        for channel, messages in SCRIPT:
            if channel == "rest":
                sender = f"rest-{uuid.uuid4().hex[:8]}"
                said = chat.rest_conversation(rasa_url, sender, messages)
            elif channel == "widget":
                sender, said = chat.widget_conversation(rasa_url, web_origin, messages)
            else:
                user = new_user()
                said = chat.slack_conversation(rasa_url, slack, user, messages)
                sender = ids.slack_id(TEAM_ID, user)  # what the store holds
                assert sender is not None
            greeting = 1 if channel == "widget" else 0
            chat.wait_stored(rasa_url, sender, len(messages) + greeting)
            senders.append(sender)
            replies.append(said)
    return {"senders": senders, "replies": replies, "env": store_env}


@pytest.fixture(scope="module")
def report(conversations: dict[str, Any], store_env: dict[str, str]) -> Path:
    name = "sqlite" if "TRACKER_DB_PATH" in store_env else "postgresql"
    out = ARTIFACTS / f"e2e-{name}"
    shutil.rmtree(out, ignore_errors=True)
    done = run("report", "--out", str(out), "--min-count", "2", **store_env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return out


def test_the_bot_answered_as_the_script_expects(conversations):
    replies = conversations["replies"]
    assert replies[0][1].startswith("CAIP") and "price" in replies[0][2]
    assert replies[1][1].startswith("CAIM")
    assert "didn't understand" in replies[2][0]
    # the widget shows the Markdown rendered, Slack gets mrkdwn
    assert replies[3][0].startswith("CAIP") and "didn't understand" in replies[3][-1]
    assert replies[4][0].startswith("*CAIP*") and "outside what I know" in replies[4][1]


def test_conversations_per_channel(report):
    rows = read_csv(report, "conversations_per_day")
    assert len(rows) == 1  # all today
    today = rows[0]
    assert (today["REST"], today["Website widget"], today["Slack"]) == ("3", "1", "1")
    assert today["total"] == "5"


def test_outcomes_and_funnel(report):
    outcomes = column(read_csv(report, "outcomes"), "outcome", "conversations")
    assert outcomes == {
        "CAIP recommended": 3,
        "CAIM recommended": 1,
        "clarifying question asked": 1,
        "clarifying question answered": 1,
        "question left unanswered": 1,
        "no job described": 1,
        "handoff asked for": 1,
        "a message not understood": 2,
    }
    funnel = column(read_csv(report, "funnel"), "step", "conversations")
    assert funnel == {
        "opened (any message)": 5,
        "greeted": 2,
        "described a job": 4,
        "got a recommendation": 4,
        "followed up after it": 4,
    }


def test_roles_and_the_clarifying_answer(report):
    groups = {r["role group"]: r for r in read_csv(report, "role_groups")}
    risk = groups["risk and compliance professional"]
    assert risk["audience"] == "both audiences"
    assert risk["clarifying question asked"] == "1"
    assert (risk["answered: leads AI"], risk["answered: builds AI"]) == ("1", "0")
    data = groups["data scientist or machine learning specialist"]
    assert data["conversations"] == "2" and data["clarifying question asked"] == "0"


def test_questions_the_article_does_not_answer(report):
    topics = column(read_csv(report, "unanswered_topics"), "topic", "messages")
    assert topics == {"price": 1}
    facts = read_csv(report, "fact_questions")
    assert facts == []  # none of the scripted messages asked a covered fact


def test_fallbacks_are_counted_grouped_and_masked(report):
    fallback = column(read_csv(report, "fallback"), "measure", "value")
    assert fallback["messages"] == MESSAGES
    assert fallback["not understood"] == 2
    assert fallback["conversations that ended right after one"].startswith("2 (40.0%")
    quoted = read_csv(report, "fallback_messages")
    # the two e-mail variants are one group, from 2 conversations: quoted, masked
    assert [(q["message"], q["conversations"]) for q in quoted] == [
        ("xqzt plovk wertyu, mail me at [email]", "2")
    ]


def test_latency_and_failed_turns(report):
    latency = column(read_csv(report, "latency"), "measure", "value")
    assert latency["answered messages"] == MESSAGES
    median = float(str(latency["median s"]))
    assert 0 < median <= float(str(latency["max s"]))
    failed = column(read_csv(report, "failed_turns"), "measure", "messages")
    assert failed == {"messages with no reply stored": 0, "apologies stored": 0}


def test_no_sender_id_or_personal_data_in_any_output(report, conversations):
    written = "".join(path.read_text() for path in report.iterdir())
    for sender in conversations["senders"]:
        assert sender not in written
        assert sender.rsplit(":", 1)[-1] not in written  # nor a bare Slack user id
    for secret in ("example.com", "example.org", "7946"):
        assert secret not in written


def test_review_exports_what_fell_back_as_correctable_nlu(
    conversations, tmp_path: Path
):
    out = tmp_path / "nlu_review.yml"
    done = run("review", "--out", str(out), **conversations["env"])
    assert done.returncode == 0, done.stderr
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    examples = RasaYAMLReader().read(str(out)).training_examples
    texts = {e.get("text") for e in examples}
    assert "xqzt plovk wertyu, mail me at [email]" in texts
    assert all(e.get("intent") and e.get("intent") != "nlu_fallback" for e in examples)
    assert not re.search(r"@example|7946", out.read_text())


def test_the_page_in_headless_chromium(report):
    """Opened as an operator would; everything it shows is inside the file."""
    from tests.reporting.browser import headless_chromium

    page = report / "report.html"
    html = page.read_text()
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from elsewhere
    with headless_chromium() as driver:
        driver.get(page.as_uri())
        headings = [h.text for h in driver.find_elements("css selector", "h1, h2")]
        assert headings[0] == "CAIP or CAIM advisor: conversation report"
        assert "Conversations per day" in headings and "Not understood" in headings
        images = driver.find_elements("css selector", "img")
        assert len(images) >= 5
        for image in images:
            assert image.get_attribute("alt")
            assert driver.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth > 0", image
            )
        assert all(
            table.find_elements("css selector", "caption, th[scope=col]")
            for table in driver.find_elements("css selector", "table")
        )
        cards = driver.find_element("css selector", ".cards").text
        assert "5\nconversations" in cards and f"{MESSAGES}\nmessages" in cards
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1200, min(height, 6000))
        driver.save_screenshot(str(report.parent / f"{report.name}.png"))
