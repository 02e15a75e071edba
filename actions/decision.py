"""The advisor's one decision rule: CAIP, CAIM, or one question first.

Evidence comes from the NLU (components/job_evidence.py): the person's own job
titles (placed in a role group of roles.yml by the title grammar), the activity
cues they used (build or lead, with a weight), and the classifier's reading.
The thresholds live in `activities.yml` under `rule`. The rule, in order:

1. A title in one audience (CAIP or CAIM) decides, unless the person's own words
   say otherwise: explicit statements for the other side ("I still write the
   training code") of at least `override_min`, and more than twice the title
   side's cue weight plus `decide_min`.
2. Otherwise the article's own wording of one audience decides ("an IT manager
   overseeing technical AI projects" is the article's CAIP audience).
3. A title in both audiences, two titles that disagree, no title, or a title in
   neither audience: the activities decide when one side leads by `decide_min`
   and has strong evidence. For a job outside AI (a nurse, a student), the text
   must also touch AI, software or data science ("I train models" counts); a
   job no audience names needs a wider margin (`unplaced_min`).
4. Anything else is truly undecidable: ask the clarifying question.

The `Decision` keeps the words that decided it, to quote them back.
No Rasa import: the action server, the tests and the ESCO check call `decide`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from actions import knowledge as kb
from actions import vocabulary

BUILDER_INTENT = "describe_job_builder"
LEADER_INTENT = "describe_job_leader"
SIDES = {"build": "CAIP", "lead": "CAIM"}
UNLISTED = "unlisted"  # the role group of a title known only by its frame ("As a ...")
OUTSIDE_AI = {"unrelated", "students"}  # groups the article leaves out of AI


@dataclass(frozen=True)
class Cue:
    """One thing the person said they do."""

    side: str  # "build" or "lead"
    text: str
    strength: str = "weak"  # "article", "explicit", "strong" or "weak"

    @property
    def weight(self) -> int:
        """The cue's weight, from `weights` in activities.yml."""
        return int(_table()["weights"].get(self.strength, 1))

    @property
    def strong(self) -> bool:
        return self.strength != "weak"

    @property
    def article(self) -> bool:
        return self.strength == "article"

    @property
    def explicit(self) -> bool:
        return self.strength in ("article", "explicit")


@dataclass
class Evidence:
    """What one job description says, as the NLU read it."""

    text: str = ""
    titles: list[tuple[str, str]] = field(default_factory=list)  # (words, group)
    cues: list[Cue] = field(default_factory=list)
    classifier: dict[str, float] = field(default_factory=dict)  # intent -> confidence

    @classmethod
    def from_parse(cls, parse: dict[str, Any]) -> Evidence:
        """Read the evidence from Rasa's parse data (tracker.latest_message).

        Only entities in the vocabulary count (actions/vocabulary.py).
        """
        titles, cues = [], []
        for entity in vocabulary.recognised(parse):
            value = str(entity.get("value") or "")
            if entity.get("entity") == "role" and entity.get("role") != "other":
                group = entity.get("group")
                if group is None:  # a role typed in a payload: listed phrases only
                    found = kb.find_group(value)
                    group = found.name if found else None
                if group in kb.groups_by_name():
                    titles.append((value, group))
            elif entity.get("entity") == "activity" and entity.get("role") in SIDES:
                strength = str(entity.get("group") or "weak")
                cues.append(Cue(entity["role"], value, strength))
        ranking = parse.get("intent_ranking") or []
        classifier = {r["name"]: float(r.get("confidence") or 0) for r in ranking}
        intent = parse.get("intent") or {}
        text = str(parse.get("text") or "")
        if intent.get("name") and (text.startswith("/") or not classifier):
            classifier[intent["name"]] = float(intent.get("confidence") or 1.0)
        return cls(text=text, titles=titles, cues=cues, classifier=classifier)

    def chosen(self) -> str | None:
        """CAIP or CAIM when the message is a payload naming a builder or leader."""
        if not self.text.startswith("/"):
            return None
        for intent, code in ((BUILDER_INTENT, "CAIP"), (LEADER_INTENT, "CAIM")):
            if self.classifier.get(intent):
                return code
        return None


@dataclass(frozen=True)
class Decision:
    """The advisor's reading of a job description."""

    code: str | None  # "CAIP", "CAIM", or None: ask first
    role: str | None  # the title it leaned on (the person's words)
    group: kb.RoleGroup | None
    quotes: tuple[str, ...] = ()  # the person's words that decided it
    basis: str = "none"  # "title", "words", "title_and_words", "classifier", "none"


@cache
def _table() -> dict[str, Any]:
    return kb.load_yaml(kb.HERE / "activities.yml")


@cache
def _ai_words() -> re.Pattern[str]:
    words = sorted(_table()["ai_context"], key=len, reverse=True)
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])", re.IGNORECASE)


def _touches_ai(evidence: Evidence) -> bool:
    """AI, software or data-science words, or a plain statement of building it."""
    if _ai_words().search(evidence.text):
        return True
    return any(cue.side == "build" and cue.explicit for cue in evidence.cues)


def _scores(evidence: Evidence) -> dict[str, dict[str, Any]]:
    """Per side: cue weight (`cues`), with the classifier's vote (`total`),
    strong weight (`strong`), article cues (`article`) and the words to quote."""
    rule = _table()["rule"]
    scores: dict[str, dict[str, Any]] = {
        side: {
            "cues": 0,
            "total": 0,
            "strong": 0,
            "explicit": 0,
            "article": 0,
            "quotes": [],
        }
        for side in SIDES
    }
    for cue in evidence.cues:
        score = scores[cue.side]
        score["cues"] += cue.weight
        score["total"] += cue.weight
        score["strong"] += cue.weight if cue.strong else 0
        score["article"] += cue.weight if cue.article else 0
        score["explicit"] += cue.weight if cue.explicit else 0
        if cue.strong and cue.text.lower() not in (q.lower() for q in score["quotes"]):
            score["quotes"].append(cue.text)
    for side, intent in (("build", BUILDER_INTENT), ("lead", LEADER_INTENT)):
        if evidence.classifier.get(intent, 0) >= rule["classifier_min"]:
            scores[side]["total"] += rule["classifier_bonus"]
            scores[side]["strong"] += rule["classifier_bonus"]
            scores[side]["classifier"] = True
    return scores


def _title(evidence: Evidence) -> tuple[str | None, kb.RoleGroup | None, set[str]]:
    """The title to lean on (dual and open titles first) and the classes seen."""
    groups = kb.groups_by_name()
    found = [(words, groups[name]) for words, name in evidence.titles]
    if not found:
        return None, None, set()
    rank = {"both": 0, "CAIP": 1, "CAIM": 1, "open": 2}
    if any(group.leans != "open" for _, group in found):  # "engineer at an operator"
        found = [(words, group) for words, group in found if group.leans != "open"]
    leans = {group.leans for _, group in found}
    words, group = min(found, key=lambda pair: rank[pair[1].leans])
    return words, group, leans


def decide(evidence: Evidence) -> Decision:
    """Apply the rule to one job description (see the module docstring)."""
    rule = _table()["rule"]
    chosen = evidence.chosen()
    if chosen:  # a clicked or typed "/describe_job_builder": the person chose
        return Decision(chosen, None, None, (), "choice")
    role, group, leans = _title(evidence)
    if group is not None and group.name == UNLISTED:
        role = None  # a title no table knows is not repeated back
    scores = _scores(evidence)
    if len(leans) == 1 and group and group.leans in kb.CODES:
        own = "build" if group.leans == "CAIP" else "lead"
        other = "lead" if own == "build" else "build"
        if (
            scores[other]["explicit"] >= rule["override_min"]
            and scores[other]["cues"] >= 2 * scores[own]["cues"] + rule["decide_min"]
        ):
            return _by_words(other, role, group, scores, "words")
        quotes = (role or "",) + tuple(scores[own]["quotes"][:2])
        return Decision(group.leans, role, group, quotes, "title")
    unplaced = group is not None and leans == {"open"}
    if group is not None and unplaced and not _touches_ai(evidence):
        if group.name in OUTSIDE_AI:
            return Decision(None, role, group, (role,) if role else (), "none")
        needed = rule["unplaced_min"]  # a job no audience names: plainer words
    else:
        needed = rule["decide_min"]
    article = _article_side(scores)
    if article:
        return _by_words(article, role, group, scores, "title_and_words")
    margin = scores["build"]["total"] - scores["lead"]["total"]
    side = "build" if margin > 0 else "lead"
    if abs(margin) >= needed and scores[side]["strong"] >= needed:
        return _by_words(
            side, role, group, scores, "title_and_words" if role else "words"
        )
    return Decision(None, role, group, (role,) if role else (), "none")


def _article_side(scores: dict[str, dict[str, Any]]) -> str | None:
    """The side whose audience the person described in the article's own words."""
    sides = [side for side in SIDES if scores[side]["article"]]
    return sides[0] if len(sides) == 1 else None


def _by_words(
    side: str,
    role: str | None,
    group: kb.RoleGroup | None,
    scores: dict[str, dict[str, Any]],
    basis: str,
) -> Decision:
    quotes = tuple(scores[side]["quotes"][:3])
    if not quotes and scores[side].get("classifier"):
        basis = "classifier"
    if role and basis == "title_and_words":
        quotes = (role, *quotes)
    return Decision(SIDES[side], role, group, quotes, basis)


def lean(evidence: Evidence) -> str | None:
    """Which way an answer to the clarifying question leans: "build", "lead" or None.

    Used for answers, not descriptions: any margin counts, since the person was
    just asked to choose.
    """
    scores = _scores(evidence)
    article = _article_side(scores)
    if article:
        return article
    margin = scores["build"]["total"] - scores["lead"]["total"]
    if margin == 0:
        return None
    return "build" if margin > 0 else "lead"
