"""The decision rule and the title grammar on their own (no model, no server)."""

from __future__ import annotations

import pytest
import spacy

from actions import decision as dec
from components import titles
from components.job_evidence import evidence_entities
from tests.esco import ROOT

SPACY_MODEL = ROOT / "models" / "spacy" / "advisor_en"


def cue(side: str, text: str, strength: str = "strong") -> dec.Cue:
    return dec.Cue(side, text, strength)


def decide(titles_=(), cues=(), classifier=None, text="") -> dec.Decision:
    return dec.decide(
        dec.Evidence(
            text=text,
            titles=list(titles_),
            cues=list(cues),
            classifier=classifier or {},
        )
    )


def test_a_title_in_one_audience_decides_and_is_quoted():
    found = decide([("data scientist", "data_scientists")])
    assert (found.code, found.basis) == ("CAIP", "title")
    assert found.quotes[0] == "data scientist"


def test_own_words_outweigh_a_title_only_when_explicit():
    lead_title = [("tech lead", "managers")]
    writes = cue("build", "write the training code", "explicit")
    assert decide(lead_title, [writes]).code == "CAIP"
    # generic technical words do not turn a manager into a builder
    weak = [cue("build", "develop", "weak"), cue("build", "technical", "weak")]
    assert decide(lead_title, weak).code == "CAIM"
    assert decide(lead_title, [cue("build", "prototypes")]).code == "CAIM"


def test_dual_roles_are_settled_by_the_article_wording_or_a_clear_margin():
    it_manager = [("IT manager", "it_managers")]
    assert decide(it_manager).code is None  # nothing decides: ask
    article = cue("build", "oversee technical AI projects", "article")
    assert decide(it_manager, [article, cue("lead", "vendor")]).code == "CAIP"
    risk = [("risk manager", "risk_compliance")]
    owns = [cue("lead", "AI governance framework", "article")]
    assert decide(risk, owns).code == "CAIM"
    assert decide(risk, [cue("lead", "policy", "weak")]).code is None


def test_a_job_outside_ai_is_asked_unless_the_text_touches_ai():
    nurse = [("nurse", "unrelated")]
    plans = [cue("lead", "budget"), cue("lead", "I supervise")]
    assert decide(nurse, plans, text="I plan the budget and supervise").code is None
    ai = "I plan the budget of our machine learning triage pilot"
    assert decide(nurse, plans, text=ai).code == "CAIM"


def test_the_classifier_alone_does_not_decide():
    reading = {"describe_job_builder": 0.99}
    assert decide(classifier=reading).code is None
    assert decide(cues=[cue("build", "python")], classifier=reading).code == "CAIP"


def test_conflicting_titles_without_words_ask():
    both = [("data scientist", "data_scientists"), ("team lead", "managers")]
    assert decide(both).code is None


def test_an_unlisted_title_is_never_repeated():
    found = decide([("beekeeper", titles.UNLISTED)], [cue("build", "python")])
    assert found.role is None
    assert "beekeeper" not in found.quotes


@pytest.mark.parametrize(
    "title,group",
    [
        ("senior machine learning engineer", "practitioners"),
        ("bioinformatics scientist", "data_scientists"),
        ("civil engineer", "engineers_scientists"),
        ("immunologist", "engineers_scientists"),
        ("head of data platform", "managers"),
        ("chief risk officer", "risk_compliance"),
        ("ICT operations manager", "it_managers"),
        ("digital transformation director", "transformation"),
        ("loss prevention manager", "managers"),
        ("vessel steering instructor", "unrelated"),
        ("software tester", "developers"),
        ("plant operator", "specialists"),
        # the modifier's domain places the head: a works inspector is an
        # engineering technician, a line inspector a trade
        ("tunnel construction inspector", "engineers_scientists"),
        ("gearbox assembly inspector", "unrelated"),
        ("customs inspector", "unrelated"),
        # media and health workers are not engineers or scientists
        ("studio sound engineer", "specialists"),
        ("live broadcast technician", "specialists"),
        ("dental materials scientist", "specialists"),
        ("clinical trials coder", "specialists"),
        # ... but an engineer is an engineer in any industry
        ("pharmaceutical process engineer", "engineers_scientists"),
        ("petrochemist", "engineers_scientists"),
        # doctors are not scientists, whatever their title's ending
        ("paediatric neurologist", "unrelated"),
        ("interventional radiologist", "unrelated"),
        ("bank teller", "unrelated"),
        # an AI adviser or consultant is asked, as roles.yml's consultants are
        ("generative ai advisor", "consultants"),
        # the head is the word before "of", whatever comes before it
        ("it manager of a county council", "it_managers"),
        ("deputy head of data", "managers"),
    ],
)
def test_titles_nobody_listed_are_placed(title, group):
    words = title.lower().split()
    assert titles.place(words) == group


@pytest.fixture(scope="module")
def nlp():
    return spacy.load(SPACY_MODEL)


def roles(nlp, text: str) -> list[tuple[str, str, str]]:
    return [
        (e["value"], e["group"], e["role"])
        for e in evidence_entities(nlp(text.lower()), text)
        if e["entity"] == "role"
    ]


def test_titles_of_other_people_are_not_the_persons(nlp):
    found = roles(nlp, "I lead a team of 8 data engineers")
    assert found == [("data engineers", "practitioners", "other")]
    assert roles(nlp, "As a beekeeper, I look after hives")[0][1:] == (
        titles.UNLISTED,
        "self",
    )


def test_a_title_is_not_swallowed_by_an_activity(nlp):
    found = roles(nlp, "I'm the tech lead of the ML team")
    assert found == [("tech lead", "managers", "self")]


@pytest.mark.parametrize(
    "text,title,group",
    [
        ("I'm a full-stack developer at a bank", "full-stack developer", "developers"),
        (
            "As a computer-aided design operator, I draw plans",
            "computer-aided design operator",
            "developers",
        ),
        (
            "Senior front-end engineer, I build web apps",
            "front-end engineer",
            "developers",
        ),
    ],
)
def test_hyphenated_modifiers_stay_in_the_title(nlp, text, title, group):
    assert (title, group, "self") in roles(nlp, text)


def test_titles_joined_to_someone_elses_are_someone_elses(nlp):
    found = roles(nlp, "As a lab technician, I support chemists or managers daily")
    assert [role for _, _, role in found] == ["self", "other", "other"]


def test_the_word_ai_is_not_read_as_have(nlp):
    """The lookup table lists "ai" as a form of "have" ("ain't"); a cue naming AI
    must not match "the organisation's strategy"."""
    doc = nlp("i shape the organisation's strategy")
    cues = [e for e in evidence_entities(doc, doc.text) if e["entity"] == "activity"]
    assert [(c["value"], c["group"]) for c in cues] == [("strategy", "strong")]
    doc = nlp("i own our ai strategy")
    cues = [e for e in evidence_entities(doc, doc.text) if e["entity"] == "activity"]
    assert ("ai strategy", "article") in [(c["value"], c["group"]) for c in cues]


@pytest.mark.parametrize(
    "text,title,role",
    [
        ("Lead backend engineer at a travel site", "backend engineer", "self"),
        ("As a lead data analyst, I own the dashboards", "data analyst", "self"),
        ("we lead data analysts across four countries", "data analysts", "other"),
        ("Principal software engineer", "software engineer", "self"),
    ],
)
def test_lead_and_principal_before_a_title_are_ranks(nlp, text, title, role):
    found = roles(nlp, text)
    assert [(value, who) for value, _, who in found] == [(title, role)]


def _cues(nlp, text: str) -> list[tuple[str, str]]:
    doc = nlp(text.lower())
    return [
        (e["value"], e["role"])
        for e in evidence_entities(doc, text)
        if e["entity"] == "activity"
    ]


def test_a_negated_activity_counts_for_the_other_side(nlp):
    assert ("haven't written code", "lead") in _cues(
        nlp, "I haven't written code since my promotion"
    )
    assert ("never manage people", "build") in _cues(nlp, "I never manage people")
    assert ("write code", "build") in _cues(nlp, "I write code and test it")
    cues = _cues(nlp, "I have no budget and nobody reports to me")
    assert ("no budget", "build") in cues and ("nobody reports", "build") in cues


def test_a_title_with_its_employer_after_of_keeps_its_group(nlp):
    # "of a county council" names the employer; the title is still an IT manager's
    assert roles(nlp, "I'm the IT manager of a county council") == [
        ("IT manager of a county council", "it_managers", "self")
    ]
