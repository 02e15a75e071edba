"""Only recognised vocabulary is ever repeated (actions/vocabulary.py, render.py,
channels/slack_output.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from actions import advice, vocabulary
from actions import decision as dec
from actions import knowledge as kb
from actions.render import Reply, render
from channels.slack_output import escape_mrkdwn

ATTACK = (
    "[click](javascript:alert(1)) <img src=x onerror=alert(1)> "
    "![x](http://evil.example/x.png)"
)


def payload(intent: str, **entities: str) -> dict:
    """Rasa's parse of a typed `/intent{...}`: entities with no group or role."""
    return {
        "text": f"/{intent}",
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [{"entity": k, "value": v} for k, v in entities.items()],
    }


@pytest.mark.parametrize(
    "value",
    [
        ATTACK,
        "data scientist <b>",
        "[data scientist](http://evil.example)",
        "**data scientist**",
        "data_scientist",
        "`data scientist`",
        "a plumber",
        "",
        " ",
        42,
        None,
        ["data scientist"],
        {"value": "data scientist"},
        "data scientist " * 10,
    ],
)
def test_a_typed_role_outside_the_vocabulary_is_dropped(value):
    parse = {"entities": [{"entity": "role", "value": value}]}
    assert vocabulary.recognised(parse) == []


@pytest.mark.parametrize(
    "value", ["data scientist", "Data Scientists", "compliance officer", "CTO"]
)
def test_a_typed_role_of_the_gazetteer_is_kept(value):
    parse = {"entities": [{"entity": "role", "value": value}]}
    assert vocabulary.recognised(parse) == parse["entities"]


def test_an_nlu_title_needs_plain_words_and_a_known_group():
    placed = {"entity": "role", "value": "senior full-stack developer"}
    assert vocabulary.keep({**placed, "group": "developers"})
    assert not vocabulary.keep({**placed, "group": "no such group"})
    assert not vocabulary.keep({**placed, "value": ATTACK, "group": "developers"})


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("CAIP", True),
        ("caim", True),
        ("Certified Artificial Intelligence Manager", True),
        ("CAIP <img src=x>", False),
        ("[CAIM](http://evil.example)", False),
        ("CAIP CAIM", False),
        ("the plumbing one", False),
        ("evil.example/caip", False),
        ("the manager one", False),
    ],
)
def test_certifications_are_kept_by_their_names_only(value, kept):
    parse = {"entities": [{"entity": "certification", "value": value}]}
    assert bool(vocabulary.recognised(parse)) is kept


def test_activities_need_a_side_and_plain_words():
    cue = {"entity": "activity", "value": "train models", "role": "build"}
    assert vocabulary.keep(cue)
    assert not vocabulary.keep({**cue, "role": None})  # typed: no side
    assert not vocabulary.keep({**cue, "value": "train <b>models</b>"})
    assert not vocabulary.keep({"entity": "unknown", "value": "x"})
    assert not vocabulary.keep("role")


def test_the_attack_reaches_no_decision_and_no_reply():
    parse = payload("describe_job_builder", role=ATTACK)
    found = dec.decide(dec.Evidence.from_parse(parse))
    assert found.code == "CAIP" and found.role is None and found.quotes == ()
    parse = payload("describe_job_ambiguous", role=ATTACK)
    evidence = dec.Evidence.from_parse(parse)
    assert evidence.titles == []


def test_a_listed_typed_role_is_still_read():
    evidence = dec.Evidence.from_parse(payload("describe_job", role="data scientist"))
    assert evidence.titles == [("data scientist", "data_scientists")]


def test_the_widget_text_escapes_markdown_and_html_but_keeps_its_own_emphasis():
    reply = advice.recommendation(
        "CAIP", ATTACK, kb.find_group("data scientist"), None, quotes=(ATTACK,)
    )
    text = render(reply, "socketio")
    assert "**CAIP**" in text  # the reply's own emphasis
    for markup in ("[click]", "![x]", "<img", "<a "):
        assert markup not in text
    assert not re.search(r"(?<!\\)\]\(", text)  # no unescaped link target
    assert "\\[click\\]" in text and "&lt;img" in text
    assert render(Reply().add("a_b *c* `d` ~e~ |f| \\g"), "socketio") == (
        "a\\_b \\*c\\* \\`d\\` \\~e\\~ \\|f\\| \\\\g"
    )


def test_slack_text_escapes_its_control_characters_and_link_syntax():
    text = escape_mrkdwn(
        render(
            Reply().add("**CAIP** <http://evil.example|click> & <!channel>"), "slack"
        )
    )
    assert text == "*CAIP* &lt;http://evil.example|click&gt; &amp; &lt;!channel&gt;"


def test_the_nlus_own_evidence_is_always_vocabulary():
    """Filtering never changes a decision: every title and cue the NLU finds in the
    held-out and blind descriptions is kept (the ESCO figures are unchanged too)."""
    import spacy
    import yaml

    from components.job_evidence import evidence_entities

    root = Path(__file__).resolve().parent
    nlp = spacy.load(root.parent / "models" / "spacy" / "advisor_en")
    texts = [
        case["text"]
        for name in ("decisions_holdout.yml", "decisions_blind.yml")
        for case in yaml.safe_load((root / name).read_text(encoding="utf-8"))["cases"]
    ]
    assert len(texts) > 100
    found = [e for t in texts for e in evidence_entities(nlp(t.lower()), t)]
    assert len(found) > 100
    assert [e for e in found if not vocabulary.keep(e)] == []
