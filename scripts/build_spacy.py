"""Build the project's spaCy pipeline: blank English, lookup lemmatizer, entity ruler.

Nothing is downloaded: the lemma tables come from the installed
spacy-lookups-data package, the entity patterns from the project's own data
(actions/roles.yml for listed roles, the job-title grammar and activity cues of
components/titles.py, the two certifications' codes and full names from
actions/certifications.yml). The pipeline is written to models/spacy/advisor_en
and loaded by Rasa's SpacyNLP by path.

Usage: python scripts/build_spacy.py [OUTPUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import spacy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions import knowledge  # noqa: E402
from components import titles  # noqa: E402

DEFAULT_OUTPUT = ROOT / "models" / "spacy" / "advisor_en"


def certification_phrases() -> dict[str, list[str]]:
    """Each certification's code and full name (from the facts file), lower case."""
    return {
        code: [code.lower(), knowledge.certification(code)["full_name"].lower()]
        for code in knowledge.CODES
    }


def _token_patterns(nlp: spacy.language.Language, phrase: str) -> list[list[dict]]:
    """Match a phrase by its lower-case words, the last one also in the plural.

    Not by lemma: the lookup table reads "cleaner" as "clean" and "drivers" as
    "drive", so a lemma pattern for a title would match a verb. One pattern per
    form, exact words only, keeps the matcher fast (no set predicate per token).
    """
    words = [token.lower_ for token in nlp.make_doc(phrase.lower())]
    *first, last = words
    return [
        [{"LOWER": word} for word in first] + [{"LOWER": form}]
        for form in titles.with_plurals([last])
    ]


# Lookup entries that would make a cue match the wrong words: the table lists
# "ai" as a form of "have" (from "ain't"), so the cue "ai strategy" matched
# "the organisation's strategy" ("'s" is "have" too).
LEMMA_FIXES = {"ai": "ai"}


def build(output: Path = DEFAULT_OUTPUT) -> Path:
    """Build the pipeline and write it to `output`; return the path."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lemma lookup table from spacy-lookups-data
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    for form, lemma in LEMMA_FIXES.items():
        table[form] = lemma
    patterns = []
    for group, phrases in knowledge.role_phrases().items():
        for phrase in phrases:
            for tokens in _token_patterns(nlp, phrase):
                patterns.append({"label": "role", "pattern": tokens, "id": group})
    for code, phrases in certification_phrases().items():
        for phrase in phrases:
            for tokens in _token_patterns(nlp, phrase):
                patterns.append(
                    {"label": "certification", "pattern": tokens, "id": code}
                )
    patterns += titles.title_patterns()
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(patterns)
    # Activity cues second, never over a title: "tech lead of the ML team" keeps
    # its title, and the cue "lead ... team" does not count twice.
    cue_patterns = titles.activity_patterns(nlp)  # lemmas from the pipeline so far
    cues = nlp.add_pipe(
        "entity_ruler", name="activity_ruler", config={"overwrite_ents": False}
    )
    cues.add_patterns(cue_patterns)
    nlp.meta["name"] = "advisor_en"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "CAIP/CAIM advisor: tokens, lookup lemmas, role entities"
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return output


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    path = build(target)
    print(f"spaCy pipeline written to {path}")
