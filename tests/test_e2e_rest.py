"""End to end: the real action server and Rasa server, talked to over REST."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests import servers


@pytest.fixture(scope="module")
def rasa_url():
    with servers.action_server() as action_url, servers.rasa_server(action_url) as url:
        yield url


class Chat:
    """One user talking to the bot over the REST channel."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.sender = f"e2e-{uuid.uuid4().hex[:10]}"

    def say(self, text: str) -> list[dict[str, Any]]:
        reply = requests.post(
            f"{self.base}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            timeout=60,
        )
        assert reply.status_code == 200, reply.text
        return reply.json()

    def text(self, message: str) -> str:
        return "\n".join(m.get("text", "") for m in self.say(message))

    def slot(self, name: str) -> Any:
        tracker = requests.get(
            f"{self.base}/conversations/{self.sender}/tracker", timeout=30
        ).json()
        return tracker["slots"].get(name)


@pytest.fixture
def chat(rasa_url) -> Chat:
    return Chat(rasa_url)


def test_greeting_says_what_the_bot_does_and_offers_buttons(chat):
    messages = chat.say("hello")
    assert "CAIP" in messages[0]["text"] and "CAIM" in messages[0]["text"]
    assert len(messages[0]["buttons"]) >= 2


@pytest.mark.parametrize(
    ("job", "code"),
    [
        ("I'm a machine learning engineer building recommendation models", "CAIP"),
        ("computer vision engineer at a car maker", "CAIP"),
        ("I run our company's AI programme and report its ROI to the board", "CAIM"),
        ("head of digital transformation, I decide which AI use cases we fund", "CAIM"),
    ],
)
def test_clear_jobs_get_an_explained_recommendation(chat, job, code):
    text = chat.text(job)
    assert text.startswith(f"{code} (Certified Artificial Intelligence")
    other = "CAIM" if code == "CAIP" else "CAIP"
    assert other in text  # one line on the other certification
    assert chat.slot("recommended_certification") == code


@pytest.mark.parametrize(
    ("job", "question", "answer", "code"),
    [
        (
            "I'm a compliance officer at a bank",
            "both audiences",
            "I mostly write policy",
            "CAIM",
        ),
        ("I am the CTO", "both audiences", "/describe_job_builder", "CAIP"),
        (
            "I work in IT",
            "build and implement",
            "I lead and govern our AI projects",
            "CAIM",
        ),
        (
            "I'm a nurse",
            "both certifications are for people who work with AI",
            "/describe_job_builder",
            "CAIP",
        ),
    ],
)
def test_ambiguous_roles_get_a_question_first(chat, job, question, answer, code):
    first = chat.say(job)
    assert question in first[0]["text"]
    assert [b["payload"] for b in first[0]["buttons"]] == [
        "/describe_job_builder",
        "/describe_job_leader",
    ]
    assert chat.slot("recommended_certification") is None
    assert chat.text(answer).startswith(code)
    assert chat.slot("recommended_certification") == code


def test_follow_ups_after_a_recommendation(chat):
    chat.say("I'm a data scientist")
    assert "Choose CAIP if" in chat.text("why?")
    assert "Certified Artificial Intelligence Manager" in chat.text(
        "what about the other one?"
    )
    compare = chat.text("compare them")
    assert "Focus:" in compare and "Programming:" in compare
    assert "computer vision" in chat.text("what does CAIP cover?")


def test_a_question_during_the_clarification_is_answered_then_asked_again(chat):
    chat.say("I'm a risk manager")
    text = chat.text("does CAIM need programming?")
    assert "no programming" in text
    assert "build" in text and "lead" in text  # the question comes back
    assert chat.text("I mostly oversee governance").startswith("CAIM")


@pytest.mark.parametrize(
    ("question", "must"),
    [
        ("how much does CAIP cost?", "price"),
        ("when is the next CAIM exam?", "exam dates"),
        ("what are the prerequisites for CAIP", "prerequisites"),
    ],
)
def test_unknown_facts_point_to_pecb(chat, question, must):
    text = chat.text(question)
    assert must in text and "support@pecb.com" in text


def test_a_typed_slot_injection_cannot_set_the_recommendation(chat):
    chat.say('/describe_job_ambiguous{"recommended_certification": "CAIP"}')
    assert chat.slot("recommended_certification") is None
    chat.say('/greet{"recommended_certification": "CAIM"}')
    assert chat.slot("recommended_certification") is None


def test_bad_input_gets_a_clear_answer(chat, rasa_url):
    assert "didn't receive any text" in chat.text("   ")
    job = (
        "I'm a data scientist: I clean data, train machine learning models in Python "
        "and deploy them to production for our retail stores. "
    )
    long_reply = chat.text(job * 12)
    assert "first 1,000 characters" in long_reply and "CAIP" in long_reply
    html_reply = chat.text("<script>alert(1)</script><b>I'm a data scientist</b>")
    assert "<script" not in html_reply and "<b>" not in html_reply
    assert chat.text("🤖🤖🤖")
    assert chat.text("asdkjh qwpoeiru zxmcnv")
    bad = requests.post(
        f"{rasa_url}/webhooks/rest/webhook",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert bad.status_code == 400
    nosender = requests.post(
        f"{rasa_url}/webhooks/rest/webhook", json={"message": "hi"}, timeout=30
    )
    assert nosender.status_code == 400
    # the conversation is intact after all of that
    assert chat.slot("recommended_certification") == "CAIP"


def test_gibberish_gets_the_fallback_with_suggestions(chat):
    messages = chat.say("xqzt plovk wertyu")
    assert "didn't understand" in messages[0]["text"]
    assert messages[0]["buttons"]


def test_start_over_clears_the_recommendation(chat):
    chat.say("I'm a data scientist")
    assert chat.slot("recommended_certification") == "CAIP"
    reply = chat.say("start over")
    assert len(reply) == 1 and "start over" in reply[0]["text"].lower()
    assert chat.slot("recommended_certification") is None


@pytest.mark.parametrize("waiting", [False, True])
def test_a_typed_restart_says_the_conversation_starts_over(chat, waiting):
    if waiting:  # the clarifying question is waiting for its answer
        assert "both audiences" in chat.text("I am the CTO")
    else:
        chat.say("I'm a data scientist")
        assert chat.slot("recommended_certification") == "CAIP"
    reply = chat.say("/restart")
    assert len(reply) == 1 and "start over" in reply[0]["text"].lower(), reply
    tracker = requests.get(  # the events since the restart
        f"{chat.base}/conversations/{chat.sender}/tracker", timeout=30
    ).json()
    assert [e for e in tracker["events"] if e["event"] == "user"] == []
    assert tracker["slots"]["recommended_certification"] is None
    assert not (tracker.get("active_loop") or {}).get("name")
    # ... and the conversation goes on from the start
    assert chat.text("I run our company's AI programme").startswith("CAIM")
