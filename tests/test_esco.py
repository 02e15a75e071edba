"""The advisor on text nobody on the project wrote: the ESCO v1.1.1 occupations.

(a) every occupation's preferred title, through the spaCy title grammar: is it
recognised and placed in its ISCO group's audience (>= 0.90)?
(b) every description, turned into what its holder would type, through the
trained NLU and the decision rule: is the decision (CAIP, CAIM, or the question
for jobs in neither audience) the one the ISCO group calls for (>= 0.95)?
Occupations in the article's dual audiences (chief executives, ICT managers)
may rightly get any of the three; they are reported, not scored.
The report goes to results/esco/report.md (figures for the README).
Measured on ESCO v1.1.1 (© European Union), https://esco.ec.europa.eu, CC BY 4.0.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
import spacy

from actions import decision as dec
from actions import knowledge as kb
from components.job_evidence import evidence_entities
from tests import esco
from tests.advisor_nlu import advisor

TITLE_MIN = 0.90
# Issue 9's targets; the measured figures are in the README ("Judging real job
# descriptions") and results/esco/.
DECISION_MIN = 0.95
SPACY_MODEL = esco.ROOT / "models" / "spacy" / "advisor_en"
REPORT_DIR = esco.ROOT / "results" / "esco"
FOLDER = esco.esco_dir()

pytestmark = pytest.mark.skipif(
    FOLDER is None,
    reason=f"ESCO v1.1.1 not in {esco.DEFAULT_DIR} (set ESCO_DIR): ESCO checks skipped",
)


@pytest.fixture(scope="module")
def occupations() -> list[esco.Occupation]:
    assert FOLDER is not None
    found = esco.occupations(FOLDER)
    assert len(found) > 2900  # the whole classification, not a sample
    return found


def title_audience(nlp, title: str) -> str:
    """The audience class the grammar gives a bare title ("open" if none)."""
    entities = evidence_entities(nlp(title.lower()), title)
    evidence = dec.Evidence.from_parse({"text": title, "entities": entities})
    _, group, _ = dec._title(evidence)
    if group is None:
        return "open"
    return "both" if group.leans == "both" else group.leans


def _write(name: str, text: str) -> None:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / name).write_text(text, encoding="utf-8")


def test_titles_are_recognised_and_placed(occupations):
    nlp = spacy.load(SPACY_MODEL)
    pairs = [(o.audience, title_audience(nlp, o.label)) for o in occupations]
    right = sum(a == b for a, b in pairs)
    share = right / len(pairs)
    classes = ["CAIP", "CAIM", "both", "open"]
    in_audience = [(a, b) for a, b in pairs if a != "open"]
    recognised = sum(b != "open" for _, b in in_audience) / len(in_audience)
    table = esco.confusion_table(pairs, classes, classes)
    _write(
        "titles.md",
        f"Titles placed in their ISCO group's audience: {right}/{len(pairs)} = "
        f"{share:.3f}\nTitles of jobs in an audience that the grammar recognised: "
        f"{recognised:.3f}\n\n{table}\n",
    )
    print(table)
    assert share >= TITLE_MIN, f"titles placed {share:.3f} < {TITLE_MIN}\n{table}"


def _decisions(occupations, with_title: bool) -> list[tuple[esco.Occupation, str]]:
    nlu = advisor()
    return [(o, nlu.decide(esco.first_person(o, with_title))[0]) for o in occupations]


def test_decisions_on_descriptions(occupations):
    given = _decisions(occupations, with_title=True)
    scored = [(o.expected, label) for o, label in given if o.expected]
    right = sum(expected == label for expected, label in scored)
    share = right / len(scored)
    labels = ["CAIP", "CAIM", "ask"]
    other = sorted({label for _, label in scored if label not in labels})
    table = esco.confusion_table(scored, labels, labels + other)
    dual = Counter(label for o, label in given if o.expected is None)
    by_isco = [
        (esco.EXPECTED[o.isco_audience], label)
        for o, label in given
        if o.isco_audience in esco.EXPECTED
    ]
    isco_share = sum(e == g for e, g in by_isco) / len(by_isco)
    bare = _decisions(occupations, with_title=False)
    bare_scored = [(o.expected, label) for o, label in bare if o.expected]
    bare_share = sum(e == g for e, g in bare_scored) / len(bare_scored)
    wrong = [
        {"label": o.label, "isco": o.isco, "expected": o.expected, "given": label}
        for o, label in given
        if o.expected and o.expected != label
    ]
    _write(
        "decisions.md",
        f"Decisions on first-person descriptions (with the title): {right}/"
        f"{len(scored)} = {share:.3f}\nDual-audience occupations (not scored): "
        f"{dict(dual)}\nWithout the title (description only, not a target): "
        f"{bare_share:.3f}\nLabelled by the ISCO group alone, without the article's "
        f"named audiences: {isco_share:.3f} of {len(by_isco)}\n\n{table}\n",
    )
    _write("wrong.json", json.dumps(wrong, indent=1))
    print(table)
    assert share >= DECISION_MIN, f"decisions {share:.3f} < {DECISION_MIN}\n{table}"


def test_the_isco_table_labels_every_audience(occupations):
    counts = Counter(o.audience for o in occupations)
    assert all(counts[c] > 10 for c in ("CAIP", "CAIM", "both", "open")), counts
    assert set(kb.CODES) <= set(counts)


def test_first_person_turns_the_holder_into_i():
    job = esco.Occupation(
        label="tree surgeon",
        isco="6210",
        description="Tree surgeons prune trees. They keep their tools sharp.",
        audience="open",
        isco_audience="open",
    )
    assert esco.first_person(job) == (
        "As a tree surgeon, I prune trees. I keep my tools sharp."
    )
    assert esco.first_person(job, with_title=False).startswith("I prune trees.")
