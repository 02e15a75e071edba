"""The knowledge module: facts load, look-ups answer, bad files are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions import knowledge as kb


def test_both_certifications_have_their_full_names() -> None:
    assert (
        kb.certification("CAIP")["full_name"]
        == "Certified Artificial Intelligence Professional"
    )
    assert (
        kb.certification("CAIM")["full_name"]
        == "Certified Artificial Intelligence Manager"
    )


def test_source_and_date_are_recorded() -> None:
    source = kb.facts()["source"]
    assert source["publisher"] == "PECB"
    assert source["date"] == "2026-03-03"
    assert source["contact_email"] == "support@pecb.com"


def test_caim_needs_no_programming_and_names_its_tools() -> None:
    caim = kb.certification("CAIM")
    assert "no programming" in caim["programming"]
    tools = " ".join(caim["tools"])
    assert "Power BI" in tools and "n8n" in tools


def test_caip_focus_lists_the_articles_domains() -> None:
    focus = " ".join(item["text"] for item in kb.certification("CAIP")["focus"])
    for topic in (
        "machine learning",
        "deep learning",
        "natural language processing",
        "computer vision",
        "robotics",
        "data analysis",
    ):
        assert topic in focus


def test_dual_audiences_appear_in_both_certifications() -> None:
    for dual in ("risk_compliance", "executives", "it_managers"):
        caip_ids = {a["id"] for a in kb.certification("CAIP")["audience"]}
        assert dual in caip_ids
        entry = kb.dual_audience(dual)
        assert (
            entry["CAIP"] and entry["CAIM"] and entry["question"].strip().endswith("?")
        )


@pytest.mark.parametrize(
    ("phrase", "leans"),
    [
        ("data scientist", "CAIP"),
        ("data scientists", "CAIP"),
        ("ML engineer", "CAIP"),
        ("ai program manager", "CAIM"),
        ("team leads", "CAIM"),
        ("compliance officer", "both"),
        ("cto", "both"),
        ("it manager", "both"),
        ("student", "open"),
        ("nurse", "open"),
        ("plumber", "open"),
    ],
)
def test_roles_map_to_the_articles_audiences(phrase: str, leans: str) -> None:
    group = kb.find_group(phrase)
    assert group is not None and group.leans == leans


def test_unknown_role_has_no_group() -> None:
    assert kb.find_group("astronaut") is None
    assert kb.find_group(None) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("caip", "CAIP"),
        ("CAIM", "CAIM"),
        ("the manager one", "CAIM"),
        ("Certified Artificial Intelligence Professional", "CAIP"),
        ("both", None),
        (None, None),
    ],
)
def test_certification_mentions_are_normalised(text, code) -> None:
    assert kb.certification_code(text) == code


def test_focus_is_matched_from_the_users_words() -> None:
    matched = kb.matched_focus("I train neural networks for image recognition", "CAIP")
    assert any("deep learning" in item for item in matched)
    assert any("computer vision" in item for item in matched)
    assert kb.matched_focus("I bake bread", "CAIP") == []


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("How much does CAIM cost?", "price"),
        ("when is the next exam", "dates"),
        ("is it multiple choice?", "format"),
        ("what are the prerequisites", "prerequisites"),
        ("how long does the course take", "duration"),
    ],
)
def test_questions_the_article_does_not_answer_are_recognised(question, topic) -> None:
    assert kb.unknown_topic(question)["id"] == topic


def test_display_role_restores_acronyms() -> None:
    assert kb.display_role("it manager") == "IT manager"
    assert kb.display_role("cto") == "CTO"


def test_a_malformed_facts_file_is_named_in_the_error(tmp_path: Path) -> None:
    bad = tmp_path / "facts.yml"
    bad.write_text("source: [unclosed\n", encoding="utf-8")
    with pytest.raises(kb.KnowledgeError, match="facts.yml"):
        kb.facts(bad)
    incomplete = tmp_path / "incomplete.yml"
    incomplete.write_text("source: {}\n", encoding="utf-8")
    with pytest.raises(kb.KnowledgeError, match="missing"):
        kb.facts(incomplete)
