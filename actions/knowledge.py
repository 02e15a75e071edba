"""The advisor's knowledge: facts about CAIP and CAIM, the roles it recognises.

Loads `certifications.yml` and `roles.yml` (next to this file) once, checks their
shape, and answers look-ups, including which question intents the facts answer.
No Rasa import: everything here is plain Python and unit-tested on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from infra.wording import DataFileError, load_yaml

HERE = Path(__file__).resolve().parent
FACTS_FILE = HERE / "certifications.yml"
ROLES_FILE = HERE / "roles.yml"
CODES = ("CAIP", "CAIM")
CERTIFICATION_KEYS = (
    "full_name",
    "short_purpose",
    "verbs",
    "verbs_ing",
    "summary",
    "focus",
    "approach",
    "audience",
    "prepares",
    "tools",
    "products",
    "programming",
    "programming_in_short",
    "choose_if",
)


KnowledgeError = DataFileError  # a knowledge file is missing or malformed


@dataclass(frozen=True)
class RoleGroup:
    """A family of job titles and where the article places it."""

    name: str
    leans: str  # "CAIP", "CAIM", "both" or "open"
    label: str
    audience: str | None = None  # audience id when leans is CAIP/CAIM
    dual: str | None = None  # id under dual_audiences when leans is "both"

    @property
    def is_clear(self) -> bool:
        """True when the group sits in exactly one certification's audience."""
        return self.leans in CODES


def _require(data: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    missing = [key for key in keys if key not in data]
    if missing:
        raise KnowledgeError(f"{where}: missing {', '.join(missing)}")


@cache
def facts(path: Path = FACTS_FILE) -> dict[str, Any]:
    """Return the facts file, loaded once and checked.

    Raises:
        KnowledgeError: the file is unreadable or a required entry is missing.
    """
    data = load_yaml(path)
    _require(
        data,
        ("source", "certifications", "relationship", "failure", "dual_audiences"),
        str(path),
    )
    _require(data, ("unknown_topics", "questions"), str(path))
    for code in CODES:
        cert = data["certifications"].get(code)
        if not isinstance(cert, dict):
            raise KnowledgeError(f"{path}: certifications.{code} is missing")
        _require(cert, CERTIFICATION_KEYS, f"{path}: certifications.{code}")
        if not cert["tools"]:
            _require(cert, ("without_tools",), f"{path}: certifications.{code}")
    return data


@cache
def _roles_file(path: Path = ROLES_FILE) -> dict[str, Any]:
    """The roles file, loaded once and checked."""
    data = load_yaml(path)
    _require(data, ("groups",), str(path))
    for name, spec in data["groups"].items():
        where = f"{path}: groups.{name}"
        _require(spec, ("leans", "label", "phrases"), where)
        if spec["leans"] not in (*CODES, "both", "open"):
            raise KnowledgeError(f"{where}: leans must be CAIP, CAIM, both or open")
    return data


@cache
def groups_by_name(path: Path = ROLES_FILE) -> dict[str, RoleGroup]:
    """Return every role group by its name (groups without phrases included)."""
    return {
        name: RoleGroup(
            name=name,
            leans=spec["leans"],
            label=spec["label"],
            audience=spec.get("audience"),
            dual=spec.get("dual"),
        )
        for name, spec in _roles_file(path)["groups"].items()
    }


@cache
def role_groups(path: Path = ROLES_FILE) -> dict[str, RoleGroup]:
    """Return every role phrase mapped to its group, loaded once and checked."""
    groups = groups_by_name(path)
    return {
        normalise(phrase): groups[name]
        for name, spec in _roles_file(path)["groups"].items()
        for phrase in spec["phrases"] or []
    }


def role_phrases() -> dict[str, list[str]]:
    """Return group name -> phrases, for building the entity ruler."""
    groups = _roles_file()["groups"]
    return {name: list(spec["phrases"] or []) for name, spec in groups.items()}


def normalise(text: str) -> str:
    """Lower-case and squeeze white space."""
    return " ".join(text.lower().split())


def certification(code: str) -> dict[str, Any]:
    """Return the facts for CAIP or CAIM."""
    return facts()["certifications"][code]


def question_topic(intent: str | None) -> str | None:
    """Return the kind of answer a question intent gets, None for other intents."""
    return facts()["questions"].get(intent or "")


def other(code: str) -> str:
    """Return the other certification's code."""
    return "CAIM" if code == "CAIP" else "CAIP"


_CERT_WORDS = {
    "caip": "CAIP",
    "professional": "CAIP",
    "technical": "CAIP",
    "caim": "CAIM",
    "manager": "CAIM",
    "management": "CAIM",
}


def certification_code(value: str | None) -> str | None:
    """Map a mention ("caip", "the manager one", "CAIM") to CAIP or CAIM."""
    if not value:
        return None
    words = re.findall(r"[a-z]+", value.lower())
    found = {_CERT_WORDS[word] for word in words if word in _CERT_WORDS}
    return found.pop() if len(found) == 1 else None


def find_group(role: str | None) -> RoleGroup | None:
    """Return the group of a recognised role phrase (plural forms allowed)."""
    if not role:
        return None
    groups = role_groups()
    key = normalise(role)
    if key in groups:
        return groups[key]
    singular = re.sub(r"s$", "", key)
    return groups.get(singular)


_ACRONYMS = {
    "ai",
    "ml",
    "it",
    "nlp",
    "cv",
    "bi",
    "hr",
    "vp",
    "ceo",
    "cto",
    "cio",
    "coo",
    "cfo",
    "cdo",
    "cro",
    "dpo",
    "ciso",
    "grc",
    "pmo",
    "caio",
    "llm",
    "mlops",
}


def display_role(role: str | None) -> str | None:
    """Return a recognised role in its listed, singular form, acronyms restored.

    "data scientists" -> "data scientist", "it manager" -> "IT manager".
    """
    if not role:
        return None
    key = normalise(role)
    if key not in role_groups() and re.sub(r"s$", "", key) in role_groups():
        key = re.sub(r"s$", "", key)
    words = key.split()
    return " ".join(word.upper() if word in _ACRONYMS else word for word in words)


def audience_text(code: str, audience_id: str) -> str | None:
    """Return the article's wording of one audience of a certification."""
    for item in certification(code)["audience"]:
        if item["id"] == audience_id:
            return item["text"]
    return None


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text) is not None


def matched_focus(text: str | None, code: str) -> list[str]:
    """Return the focus areas of `code` that the user's own words touch."""
    if not text:
        return []
    low = normalise(text)
    return [
        item["text"]
        for item in certification(code)["focus"]
        if any(_contains(low, phrase) for phrase in item.get("match", []))
    ]


def unknown_topic(text: str | None) -> dict[str, Any] | None:
    """Return the not-covered topic a question is about (price, dates...)."""
    low = normalise(text or "")
    for topic in facts()["unknown_topics"]:
        if any(_contains(low, phrase) for phrase in topic["match"]):
            return topic
    return None


def dual_audience(dual_id: str) -> dict[str, Any]:
    """Return how a role that is in both audiences appears in each."""
    return facts()["dual_audiences"][dual_id]
