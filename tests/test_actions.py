"""Each custom action, run against a tracker as Rasa would build it."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from rasa_sdk import Action
from rasa_sdk.events import SlotSet

from actions import actions as act
from tests.conftest import cert, cue, make_tracker, role


def run(action, dispatcher, tracker, domain) -> list[dict[str, Any]]:
    return asyncio.run(action.run(dispatcher, tracker, domain))


def slots(events) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def said(dispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def test_a_clear_builder_gets_caip_explained_from_their_words(dispatcher, domain):
    tracker = make_tracker(
        "I'm a data scientist training neural networks",
        "describe_job_builder",
        [role("data scientist")],
    )
    events = run(act.ActionAssessJob(), dispatcher, tracker, domain)
    assert slots(events)["recommended_certification"] == "CAIP"
    assert slots(events)["needs_clarification"] is False
    text = said(dispatcher)
    assert text.startswith("CAIP (Certified Artificial Intelligence Professional)")
    assert "data scientist" in text and "machine learning specialists" in text
    assert "deep learning" in text  # matched from "neural networks"
    assert "CAIM" in text  # one line on the other certification
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ["/ask_why", "/ask_other", "/compare"]


def test_a_clear_leader_gets_caim(dispatcher, domain):
    tracker = make_tracker(
        "I run the AI programme and track ROI on dashboards",
        "describe_job_leader",
        [cue("I run", "lead"), cue("ROI", "lead")],
    )
    events = run(act.ActionAssessJob(), dispatcher, tracker, domain)
    assert slots(events)["recommended_certification"] == "CAIM"
    assert "KPIs" in said(dispatcher)  # "ROI"/"dashboards" matched a CAIM focus area


@pytest.mark.parametrize("intent", ["describe_job_ambiguous", "describe_job_unrelated"])
@pytest.mark.parametrize(
    "phrase", ["compliance officer", "cto", "it manager", "student", "nurse"]
)
def test_ambiguous_roles_leave_the_slot_empty_and_ask(
    dispatcher, domain, intent, phrase
):
    tracker = make_tracker(f"I'm a {phrase}", intent, [role(phrase)])
    events = run(act.ActionAssessJob(), dispatcher, tracker, domain)
    assert slots(events)["recommended_certification"] is None
    assert slots(events)["needs_clarification"] is True
    assert dispatcher.messages == []  # the form asks the question


def test_a_misread_data_scientist_still_gets_caip(dispatcher, domain):
    tracker = make_tracker(
        "data scientist", "describe_job_ambiguous", [role("data scientist")]
    )
    events = run(act.ActionAssessJob(), dispatcher, tracker, domain)
    assert slots(events)["recommended_certification"] == "CAIP"


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("compliance officer", "Risk and compliance people appear in both audiences"),
        ("cto", "Executives appear in both audiences"),
        ("it manager", "IT managers appear in both audiences"),
        ("nurse", "Your role (nurse) isn't among the audiences"),
        ("student", "Your role (student or career changer) isn't among"),
    ],
)
def test_the_clarifying_question_is_tailored_to_the_role(
    dispatcher, domain, phrase, expected
):
    tracker = make_tracker(
        "x",
        "describe_job_ambiguous",
        slots={"job_role": phrase},
        after=[{"event": "action", "name": "action_assess_job"}],
    )
    run(act.ActionAskAiInvolvement(), dispatcher, tracker, domain)
    assert expected in said(dispatcher)
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ["/describe_job_builder", "/describe_job_leader"]


def test_the_question_asked_twice_is_rephrased(dispatcher, domain):
    events = [
        {"event": "action", "name": "action_assess_job"},
        {"event": "action", "name": "clarify_form"},
    ]
    tracker = make_tracker("hmm", None, slots={"job_role": "cto"}, events=events)
    run(act.ActionAskAiInvolvement(), dispatcher, tracker, domain)
    assert "So, to recommend one" in said(dispatcher)


@pytest.mark.parametrize(
    ("intent", "text", "answer"),
    [
        ("describe_job_builder", "/describe_job_builder", "build"),
        ("describe_job_leader", "/describe_job_leader", "lead"),
        (None, "I mostly write governance policy", "lead"),
        ("describe_job_builder", "I mostly write policy", "lead"),
        ("describe_job_leader", "I lead the ML engineering team", "lead"),
        (None, "hands-on, I write the code", "build"),
        (None, "caim sounds right", "lead"),
        (None, "no idea", None),
        ("greet", '/greet{"recommended_certification": "CAIM"}', None),
    ],
)
def test_the_form_reads_buttons_intents_and_free_text(
    dispatcher, domain, intent, text, answer
):
    tracker = make_tracker(text, intent, active_loop="clarify_form")
    result = asyncio.run(
        act.ValidateClarifyForm().validate_ai_involvement(
            text, dispatcher, tracker, domain
        )
    )
    assert result == {"ai_involvement": answer}


def test_after_the_form_the_recommendation_uses_the_answer(dispatcher, domain):
    tracker = make_tracker(
        "/describe_job_leader",
        "describe_job_leader",
        slots={
            "job_role": "compliance officer",
            "ai_involvement": "lead",
            "job_text": "I'm a compliance officer",
        },
    )
    events = run(act.ActionRecommend(), dispatcher, tracker, domain)
    assert slots(events)["recommended_certification"] == "CAIM"
    text = said(dispatcher)
    assert "sits in both audiences" in text and "governance professionals" in text


def test_why_explains_the_current_recommendation(dispatcher, domain):
    tracker = make_tracker(
        "why?",
        "ask_why",
        slots={"recommended_certification": "CAIM", "job_role": "ai program manager"},
    )
    run(act.ActionExplain(), dispatcher, tracker, domain)
    text = said(dispatcher)
    assert "Do you develop AI systems, or do you lead AI programmes?" in text
    assert "Choose CAIM if" in text


def test_why_without_a_recommendation_asks_for_the_job(dispatcher, domain):
    run(act.ActionExplain(), dispatcher, make_tracker("why?", "ask_why"), domain)
    assert "haven't recommended anything yet" in said(dispatcher)


def test_the_other_one_is_the_one_not_recommended(dispatcher, domain):
    tracker = make_tracker(
        "what about the other one?",
        "ask_other",
        slots={"recommended_certification": "CAIP"},
    )
    run(act.ActionOtherCertification(), dispatcher, tracker, domain)
    assert "Certified Artificial Intelligence Manager" in said(dispatcher)


def test_compare_shows_a_table_on_the_web_and_lines_in_plain_text(dispatcher, domain):
    run(
        act.ActionCompare(),
        dispatcher,
        make_tracker("compare", "compare", channel="socketio"),
        domain,
    )
    web = said(dispatcher)
    assert "| Focus |" in web and "|---|---|---|" in web
    plain_dispatcher = type(dispatcher)()
    run(
        act.ActionCompare(),
        plain_dispatcher,
        make_tracker("compare", "compare"),
        domain,
    )
    plain = said(plain_dispatcher)
    assert "Focus:" in plain and "|" not in plain and "**" not in plain


@pytest.mark.parametrize(
    ("intent", "entities", "must"),
    [
        ("ask_focus", [cert("caip")], ["CAIP covers", "computer vision"]),
        ("ask_programming", [cert("caim")], ["no programming"]),
        ("ask_tools", [cert("caim")], ["Power BI", "n8n"]),
        ("ask_approach", [cert("caip")], ["hands-on labs in a virtual environment"]),
        ("ask_audience", [], ["CAIP is meant for", "CAIM is meant for"]),
        ("ask_both", [], ["not interchangeable"]),
        ("ask_why_fail", [], ["built wrongly", "governed badly"]),
        ("ask_source", [], ["PECB", "2026-03-03"]),
        ("human_handoff", [], ["support@pecb.com"]),
    ],
)
def test_fact_questions_get_the_facts(dispatcher, domain, intent, entities, must):
    run(
        act.ActionAnswerQuestion(),
        dispatcher,
        make_tracker("q", intent, entities),
        domain,
    )
    text = said(dispatcher)
    for piece in must:
        assert piece in text


def test_a_fact_the_article_lacks_is_not_invented(dispatcher, domain):
    tracker = make_tracker(
        "How much does the CAIM exam cost?", "ask_unknown_fact", [cert("caim")]
    )
    run(act.ActionAnswerQuestion(), dispatcher, tracker, domain)
    text = said(dispatcher)
    assert "doesn't give the price" in text and "support@pecb.com" in text
    assert "$" not in text and "€" not in text


def test_naming_a_certification_keeps_it_in_focus(dispatcher, domain):
    events = run(
        act.ActionAnswerQuestion(),
        dispatcher,
        make_tracker("what is caim", "ask_overview", [cert("caim")]),
        domain,
    )
    assert events == [SlotSet("certification_in_focus", "CAIM")]


def test_fallback_offers_a_way_forward(dispatcher, domain):
    run(
        act.ActionFallback(),
        dispatcher,
        make_tracker("asdf qwer", "nlu_fallback"),
        domain,
    )
    assert "didn't understand" in said(dispatcher)
    assert len(dispatcher.messages[0]["buttons"]) == 4


def test_every_action_is_declared_in_the_domain(domain):
    served = {
        cls().name()
        for cls in vars(act).values()
        if isinstance(cls, type)
        and issubclass(cls, Action)
        and cls.__module__ == act.__name__
        and not inspect.isabstract(cls)
    }
    assert "action_greet" in served and "validate_clarify_form" in served
    assert served == set(domain["actions"])
