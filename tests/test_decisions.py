"""The decision a user gets from a job description, through the trained NLU.

- The project's held-out descriptions (tests/decisions_*.yml, written apart from
  the training data by other authors, never trained on) are scored on the
  decision the user gets.
- No audience the article names is contradicted: each, as a title and as a
  sentence, never gets the other certification.
- The failure classes of issue 9, each in the project's own words.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.advisor_nlu import advisor

HERE = Path(__file__).resolve().parent
# Each set was written by a different author from the training data. The first
# guided the rule; each "blind" set was scored once before anything changed
# (README, "Judging real job descriptions"), then kept as a regression check.
HELD_OUT = {
    "decisions_holdout.yml": 0.97,
    "decisions_blind.yml": 0.95,
    "decisions_blind_2.yml": 0.95,
    "decisions_blind_3.yml": 0.94,
    "decisions_blind_4.yml": 0.94,
}


@pytest.mark.parametrize("name,minimum", sorted(HELD_OUT.items()))
def test_held_out_descriptions_get_the_right_decision(name, minimum):
    with open(HERE / name, encoding="utf-8") as handle:
        cases = yaml.safe_load(handle)["cases"]
    nlu = advisor()
    wrong = []
    for case in cases:
        label = nlu.decide(case["text"])[0]
        if label != case["expect"]:
            wrong.append(f"{case['expect']} <- {label}: {case['text']}")
    share = 1 - len(wrong) / len(cases)
    assert share >= minimum, f"{share:.3f} < {minimum}:\n" + "\n".join(wrong)


# (what the person types, the certification the article puts them under, the
# certification that would contradict the article).
ARTICLE_AUDIENCES = [
    ("AI practitioner", "CAIM"),
    ("I'm an AI engineer", "CAIM"),
    ("data scientist", "CAIM"),
    ("I work as a machine learning specialist", "CAIM"),
    ("I'm a developer working with AI-enabled systems", "CAIM"),
    ("I am an IT manager and I oversee technical AI projects", "CAIM"),
    ("risk and compliance professional working closely with AI systems", "CAIM"),
    ("I'm an executive who needs a deep technical understanding of AI", "CAIM"),
    ("manager", "CAIP"),
    ("I'm a team lead", "CAIP"),
    ("digital transformation leader", "CAIP"),
    ("I'm the owner of our AI program", "CAIP"),
    ("AI project owner", "CAIP"),
    ("I'm a governance professional responsible for AI compliance", "CAIP"),
    ("business leader responsible for AI outcomes and ROI", "CAIP"),
]


@pytest.mark.parametrize("text,contradiction", ARTICLE_AUDIENCES)
def test_no_article_audience_is_contradicted(text, contradiction):
    label, found, parse = advisor().decide(text)
    assert label.split(":")[0] != "other", f"{text!r} not read as a job: {label}"
    assert label != contradiction, (text, label, found)


# Each failure class of issue 9, as other people put it.
FAILURE_CLASSES = [
    ("Data scientist. I check, test and rework our forecasting models", "CAIP"),
    (
        "bioinformatician applying clustering and supervised learning to gene data",
        "CAIP",
    ),
    ("I use a convolutional network to segment satellite images into fields", "CAIP"),
    ("IT manager; I oversee the technical side of our AI projects", "CAIP"),
    (
        "I'm the tech lead of the ML team and I still write the model training code",
        "CAIP",
    ),
    ("Programs industrial robots with AI software. Tests and calibrates them.", "CAIP"),
    ("Builds simulation models of business problems. Analyses the results.", "CAIP"),
    ("backend developer, I hook LLM APIs into our web apps", "CAIP"),
    ("risk manager, I own the company's AI governance framework", "CAIM"),
    ("CEO. my concern is the return on our AI investment", "CAIM"),
    (
        "Engineering director: I plan headcount and budgets for the technical teams",
        "CAIM",
    ),
    ("L&D director, I plan and budget our staff development programmes", "CAIM"),
    ("loss prevention manager, I develop store policies and plan the budget", "CAIM"),
]

# What the fifth blind set (decisions_blind_4.yml) showed, in other words: a
# misleading title with duties negated or done oneself, a doctor whose title ends
# like a scientist's, asking which one suits one's own job, and abbreviations.
BLIND_4_CLASSES = [
    (
        "Officially I'm the analytics manager, but really I write the SQL and "
        "maintain the reporting pipelines; no one reports to me",
        "CAIP",
    ),
    (
        "My title says AI lead, yet I fine-tune models all day. There is no budget "
        "and nobody on my team.",
        "CAIP",
    ),
    ("Cardiologist. The hospital just bought an AI tool for reading ECGs.", "ask"),
    ("Head of IT at a hotel chain. Which of the two should I go for?", "ask"),
    ("I'm a data scientist, which one should I take?", "CAIP"),
    ("dba at an airline", "CAIP"),
    ("AI advisor to a city council", "ask"),
]


@pytest.mark.parametrize("text,expected", FAILURE_CLASSES + BLIND_4_CLASSES)
def test_failure_classes_are_fixed(text, expected):
    label, found, _ = advisor().decide(text)
    assert label == expected, (text, label, found)


def test_the_decision_quotes_the_words_that_decided_it():
    label, found, _ = advisor().decide("data scientist, I validate models")
    assert label == "CAIP"
    assert "data scientist" in found.quotes
    assert any("validate models" in quote for quote in found.quotes)


@pytest.mark.parametrize(
    "answer,expected",
    [
        ("I manage the technical AI projects", "build"),
        ("mostly budgets, vendors and the roadmap", "lead"),
        ("I write the code for our models", "build"),
    ],
)
def test_answers_to_the_clarifying_question_follow_the_cues(answer, expected):
    from actions.actions import read_answer

    parse = advisor().parse(answer)
    intent = (parse.get("intent") or {}).get("name")
    assert read_answer(intent, answer, parse) == expected


def test_a_long_account_of_ones_work_is_read_as_a_job_description():
    from rasa.shared.nlu.training_data.message import Message

    from components.job_evidence import _route

    text = (
        "I look after the hives on three farms. I check the queens every week, "
        "and I sell the honey at markets."
    )
    misread = {"name": "ask_unknown_fact", "confidence": 0.6}
    ranking = [misread, {"name": "describe_job_unrelated", "confidence": 0.3}]
    message = Message(data={"text": text, "intent": misread, "intent_ranking": ranking})
    _route(message, text, [])
    assert message.get("intent")["name"] == "describe_job_unrelated"
    question = (
        "I wonder about the exam. I have a question about the price, can you help me"
    )
    message = Message(
        data={"text": question, "intent": misread, "intent_ranking": ranking}
    )
    _route(message, question, [])
    assert message.get("intent")["name"] == "ask_unknown_fact"


@pytest.mark.parametrize(
    "text,title,group",
    [
        (
            "As a sales training manager, I plan the yearly budget.",
            "sales training manager",
            "business_leaders",
        ),
        (
            "As a back of house supervisor, I run the night shift.",
            "back of house supervisor",
            "managers",
        ),
    ],
)
def test_a_title_introduced_with_as_a_is_read_whole_as_the_persons_own(
    text, title, group
):
    """A modifier that is also a verb ("training") or an "of" inside the title
    does not turn the person's own title into someone else's."""
    parse = advisor().parse(text)
    roles = [e for e in parse["entities"] if e["entity"] == "role"]
    assert [(e["value"], e["group"], e["role"]) for e in roles] == [
        (title, group, "self")
    ]


def _routed(text: str, ranking: list[dict], found: list[dict]) -> str:
    from rasa.shared.nlu.training_data.message import Message

    from components.job_evidence import _route

    message = Message(
        data={"text": text, "intent": ranking[0], "intent_ranking": ranking}
    )
    _route(message, text, found)
    return message.get("intent")["name"]


def _cue(value: str, side: str = "build") -> dict:
    return {"entity": "activity", "value": value, "role": side, "group": "weak"}


def test_a_list_of_duties_the_classifier_missed_is_a_job_description():
    duties = (
        "Answer support tickets, reset passwords, patch the laptops "
        "and keep the asset list up to date"
    )
    missed = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "describe_job_builder", "confidence": 0.3},
    ]
    found = [_cue("patch"), _cue("maintain")]
    assert _routed(duties, missed, found) == "describe_job_builder"
    # a question the classifier understood keeps its reading, cues or not
    understood = [
        {"name": "compare", "confidence": 0.9},
        {"name": "describe_job_builder", "confidence": 0.1},
    ]
    asked = (
        "I want the difference between the one for coding "
        "and the one for strategy, point by point"
    )
    assert (
        _routed(asked, understood, [_cue("coding"), _cue("strategy", "lead")])
        == "compare"
    )


def test_a_job_description_of_no_clear_kind_is_not_dropped_as_not_understood():
    """The classifier may split its confidence between two kinds of job; the
    message is still a job description."""
    split = [
        {"name": "describe_job_ambiguous", "confidence": 0.5},
        {"name": "describe_job_unrelated", "confidence": 0.35},
        {"name": "greet", "confidence": 0.15},
    ]
    assert (
        _routed("between jobs since the summer", split, []) == "describe_job_ambiguous"
    )
    unsure = [
        {"name": "describe_job_ambiguous", "confidence": 0.5},
        {"name": "greet", "confidence": 0.45},
    ]
    assert _routed("blorp snee", unsure, []) == "nlu_fallback"


@pytest.mark.parametrize(
    "text,intent",
    [
        (
            "could you give me the cost and the schedule of the course "
            "for folks who deploy ML systems",
            "ask_unknown_fact",
        ),
        (
            "what's on the syllabus of the manager track: roadmaps, budgets, "
            "governance, anything on risk?",
            "ask_focus",
        ),
        (
            "ok thanks a lot, I'll talk it over with my boss and the analytics "
            "team and get back to you",
            "thank",
        ),
    ],
)
def test_questions_in_the_words_of_jobs_are_answered_as_questions(text, intent):
    label, _, _ = advisor().decide(text)
    assert label == f"other:{intent}"
