"""ESCO v1.1.1 occupations as validation data, read at test time, never copied.

Measured on ESCO v1.1.1 (© European Union), https://esco.ec.europa.eu, used under
CC BY 4.0. The folder is `../shared/data/esco-1.1.1` beside the clone, or the one
`ESCO_DIR` names. Each occupation is labelled through the project's audience
table (actions/audiences.yml, `isco`) by its ISCO-08 group; its description is
turned into what a person would type, in the first person.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from components import titles

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT.parent / "shared" / "data" / "esco-1.1.1"
EXPECTED = {"CAIP": "CAIP", "CAIM": "CAIM", "open": "ask"}
PRONOUNS = [
    (r"\bThey are\b", "I am"),
    (r"\bthey are\b", "I am"),
    (r"\bThey were\b", "I was"),
    (r"\bthey were\b", "I was"),
    (r"\bThey\b", "I"),
    (r"\bthey\b", "I"),
    (r"\bthemselves\b", "myself"),
    (r"\bThem\b", "Me"),
    (r"\bthem\b", "me"),
    (r"\bTheir\b", "My"),
    (r"\btheir\b", "my"),
]


def esco_dir() -> Path | None:
    """The ESCO folder, or None when it is not on this machine."""
    folder = Path(os.environ.get("ESCO_DIR") or DEFAULT_DIR)
    return folder if (folder / "occupations_en.csv").is_file() else None


@dataclass(frozen=True)
class Occupation:
    """One ESCO occupation, labelled by its ISCO group."""

    label: str
    isco: str
    description: str
    audience: str  # CAIP, CAIM, both, open (the article's named audience, or ISCO's)
    isco_audience: str  # from the ISCO group alone

    @property
    def expected(self) -> str | None:
        """The decision the article's audiences call for; None for dual groups."""
        return EXPECTED.get(self.audience)


def occupations(folder: Path) -> list[Occupation]:
    """Every ESCO occupation with a description."""
    with open(folder / "occupations_en.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        Occupation(
            label=row["preferredLabel"].strip(),
            isco=row["iscoGroup"].strip(),
            description=" ".join(row["description"].split()),
            audience=titles.article_class(row["preferredLabel"])
            or titles.isco_class(row["iscoGroup"].strip()),
            isco_audience=titles.isco_class(row["iscoGroup"].strip()),
        )
        for row in rows
        if row["description"].strip()
    ]


def _plural(word: str) -> str:
    if word.endswith("man"):
        return rf"(?:{word}|{word[:-3]}men)"
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy")):
        return rf"(?:{word}|{word[:-1]}ies)"
    return rf"(?:{re.escape(word)}(?:s|es)?)"


def _subject(label: str) -> re.Pattern[str]:
    """The occupation's name in the plural, as its description opens."""
    words = [_plural(w) if w.isalpha() else re.escape(w) for w in label.split()]
    return re.compile(r"^(?:the |an? )?" + r"\s+".join(words) + r"\b", re.IGNORECASE)


def first_person(occupation: Occupation, with_title: bool = True) -> str:
    """The description as its holder would type it.

    "Civil engineers design ..." becomes "As a civil engineer, I design ..."
    (or "I design ..." without the title); "They"/"their" become "I"/"my".
    """
    text = occupation.description
    subject = _subject(occupation.label)
    opened = bool(subject.search(text))
    if opened:
        text = subject.sub("I", text, count=1)
    for pattern, replacement in PRONOUNS:
        text = re.sub(pattern, replacement, text)
    text = re.sub(r"\bI (is|are)\b", "I am", text)
    if not with_title:
        return text
    if opened:
        return f"As a {occupation.label}, {text}"
    return f"I'm a {occupation.label}. {text}"


def confusion_table(
    pairs: list[tuple[str, str]], rows: list[str], cols: list[str]
) -> str:
    """A Markdown confusion table: rows are expected, columns what was given."""
    counts = Counter(pairs)
    lines = ["| expected \\ given | " + " | ".join(cols) + " | accuracy |"]
    lines.append("|---" * (len(cols) + 2) + "|")
    for row in rows:
        total = sum(counts[(row, col)] for col in cols)
        right = counts[(row, row)]
        share = f"{right / total:.3f}" if total else "n/a"
        cells = " | ".join(str(counts[(row, col)]) for col in cols)
        lines.append(f"| {row} ({total}) | {cells} | {share} |")
    return "\n".join(lines)
