"""End to end: a conversation cannot be entered from another channel (issue 11).

Real servers: the action server, the Rasa server with the widget's socket.io
channel, Slack (signed events into a fake Slack Web API) and REST. Each test
starts a conversation on one channel, replays its id on another, and checks that
the other channel neither reads it (no recommendation is explained) nor writes
into it (its tracker is unchanged).
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
import requests

from channels import ids
from tests import servers
from tests.fake_slack import TEAM_ID, FakeSlack
from tests.socket_client import Widget
from tests.test_e2e_slack import (
    REPLY_TIMEOUT,
    SECRET,
    TOKEN,
    SlackClient,
    message_event,
    new_user,
)

JOB_CAIP = "I'm a data scientist building ML models"
JOB_CAIM = "I run our company's AI programme and report its ROI to the board"
NOTHING_YET = "haven't recommended anything yet"
WEB_ID = re.compile(r"web:[0-9a-f]{32}")


@pytest.fixture(scope="module")
def slack():
    with FakeSlack(TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def base(slack):
    port = servers.free_port()
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
    }
    with servers.action_server() as action_url, servers.rasa_server(
        action_url, port=port, cors=[f"http://127.0.0.1:{port}"], **env
    ) as url:
        yield url


def tracker(base: str, sender: str) -> dict:
    reply = requests.get(f"{base}/conversations/{sender}/tracker", timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()


def rest(base: str, sender: str, text: str) -> requests.Response:
    return requests.post(
        f"{base}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=60,
    )


def slack_says(base: str, slack: FakeSlack, user: str, text: str) -> str:
    """A Slack user's message in channel C123; the bot's reply."""
    since = len(slack.posts("C123"))
    assert SlackClient(base).post_json(message_event(text, user)).status_code == 200
    posts = slack.wait_for(lambda: slack.posts("C123")[since:], timeout=REPLY_TIMEOUT)
    assert posts, f"no Slack reply to {text!r}"
    return posts[0].text


@pytest.fixture
def slack_user(base, slack):
    """A Slack user who was recommended CAIP; their conversation id."""
    user = new_user()
    assert "CAIP" in slack_says(base, slack, user, JOB_CAIP)
    sender = ids.slack_id(TEAM_ID, user)
    assert tracker(base, sender)["slots"]["recommended_certification"] == "CAIP"
    return user, sender


@pytest.fixture
def widget_user(base):
    """A widget user who was recommended CAIM; their socket and conversation id."""
    with Widget(base) as widget:
        session = widget.request_session()
        assert WEB_ID.fullmatch(session)
        assert widget.say(JOB_CAIM).startswith("**CAIM**")
        assert tracker(base, session)["slots"]["recommended_certification"] == "CAIM"
        yield widget, session


def test_slack_to_widget_a_slack_id_offered_by_a_socket_names_nothing(base, slack_user):
    user, sender = slack_user
    before = tracker(base, sender)["events"]
    with Widget(base) as widget:
        for offered in (user, sender, sender.upper(), f"web:{user}"):
            confirmed = widget.request_session(offered)
            assert confirmed != offered and WEB_ID.fullmatch(confirmed)
        for replayed in (user, sender):  # the confirmed id only
            [refusal] = widget.send({"message": "why?", "session_id": replayed})
            assert refusal["refused"] == "session" and "Reload" in refusal["text"]
            assert widget.say(JOB_CAIM, session_id=replayed) == (refusal["text"])
        assert NOTHING_YET in widget.say("why?")
    assert tracker(base, sender)["events"] == before


def test_widget_to_slack_a_widget_id_names_nothing_in_slack(base, slack, widget_user):
    _, session = widget_user
    before = tracker(base, session)["events"]
    since = len(slack.posts())
    client = SlackClient(base)
    # a Slack user id never has the widget's form: such an event is not answered
    assert client.post_json(message_event("why?", session)).status_code == 200
    time.sleep(3)
    assert slack.posts()[since:] == []
    # the id's random part as a Slack user id is a Slack conversation of its own
    lookalike = session.split(":")[1][:20].upper()
    assert NOTHING_YET in slack_says(base, slack, lookalike, "why?")
    assert tracker(base, session)["events"] == before


def test_rest_to_widget_a_widget_id_is_refused_over_rest(base, widget_user):
    _, session = widget_user
    before = tracker(base, session)["events"]
    for sender in (session, session.upper(), f" {session} "):
        reply = rest(base, sender, JOB_CAIP)
        assert reply.status_code == 400
        assert "web:" in reply.json()["error"] and "own" in reply.json()["error"]
    assert tracker(base, session)["events"] == before


def test_rest_to_slack_a_slack_id_is_refused_and_a_bare_user_id_is_its_own(
    base, slack_user
):
    user, sender = slack_user
    before = tracker(base, sender)["events"]
    reply = rest(base, sender, "why?")
    assert reply.status_code == 400 and "slack:" in reply.json()["error"]
    bare = rest(base, user, "why?")  # REST keeps its contract: sender X is X
    assert bare.status_code == 200 and NOTHING_YET in bare.json()[0]["text"]
    assert tracker(base, user)["sender_id"] == user
    assert tracker(base, sender)["events"] == before


def test_a_socket_sends_only_with_its_confirmed_id_and_a_small_object_as_custom_data(
    base,
):
    with Widget(base) as widget:
        [refusal] = widget.send({"message": "hello", "session_id": None})
        assert refusal["refused"] == "session"  # no session_request yet
        session = widget.request_session()
        for body in ("hello", ["hello"], None):
            [refusal] = widget.send(body)
            assert refusal["refused"] == "session"
        for custom in ("en", ["en"], 7, {"pad": "x" * 5000}):
            [refusal] = widget.send(
                {"message": JOB_CAIP, "session_id": session, "customData": custom}
            )
            assert refusal["refused"] == "metadata" and "customData" in refusal["text"]
        # nothing of that was stored
        events = tracker(base, session)["events"]
        assert [e for e in events if e["event"] == "user"] == []
        reply = widget.say(JOB_CAIP, customData={"language": "en"})
        assert reply.startswith("**CAIP**")


def test_a_reload_with_its_own_id_keeps_the_conversation(base, widget_user):
    _, session = widget_user
    with Widget(base) as reloaded:
        assert reloaded.request_session(session) == session
        assert "CAIM" in reloaded.say("why?")


def test_ids_are_unguessable_and_never_repeat(base):
    seen = set()
    with Widget(base) as widget:
        for _ in range(5):
            seen.add(widget.request_session(f"web:{uuid.uuid4().hex[:31]}"))
    assert len(seen) == 5 and all(WEB_ID.fullmatch(s) for s in seen)
