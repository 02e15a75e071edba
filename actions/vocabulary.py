"""What the advisor may repeat back: its own vocabulary, never arbitrary text.

Entities reach the actions from two places: the NLU (components/job_evidence.py,
spans of the user's message that the project's entity ruler matched) and typed
payloads (`/describe_job_builder{"role": "..."}`: any text at all, chosen by
whoever sends it). Every action reads entities through `recognised`, which keeps
only values in the project's vocabulary:

- `role`: plain words (letters, digits, spaces, hyphens, apostrophes, `&+/.`; at
  most MAX_ROLE_WORDS) that are a phrase of the role gazetteer (actions/roles.yml), or,
  from the NLU, a title the title grammar placed in a role group
  (components/titles.py); a typed role must be a listed phrase;
- `certification`: CAIP or CAIM, by code or full name (the NLU gives the code);
- `activity`: a cue the NLU matched (plain words, a side and a strength).

Anything else is dropped before an action reads it, so no slot is set from it and
no reply repeats it. No Rasa import.
"""

from __future__ import annotations

import re
from typing import Any

from actions import knowledge as kb

MAX_ROLE_WORDS = 8  # "senior machine learning engineer", "head of ..."
MAX_CHARS = 80
# words, with hyphens, apostrophes and "&+/." inside ("full-stack", "P&L"); no
# character Markdown, Slack or HTML read as markup once escaped (render.py)
PLAIN = re.compile(r"[\w'’ &+/.-]*[^\W_][\w'’ &+/.-]*")
ENTITIES = ("role", "certification", "activity")
SIDES = ("build", "lead")


def plain_words(value: Any) -> bool:
    """True for short text of words only: nothing a renderer could read as markup."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_CHARS:
        return False
    return PLAIN.fullmatch(value) is not None and "_" not in value


def is_role(value: Any, group: Any = None) -> bool:
    """A job title of the vocabulary.

    Args:
        value: the entity's value.
        group: the role group the NLU placed it in; None for a typed payload,
            which then must be a phrase of roles.yml.
    """
    if not plain_words(value) or len(value.split()) > MAX_ROLE_WORDS:
        return False
    if group is None:
        return kb.find_group(value) is not None
    return isinstance(group, str) and group in kb.groups_by_name()


def is_certification(value: Any) -> bool:
    """CAIP or CAIM, named by its code or its full name (any case)."""
    if not plain_words(value):
        return False
    names = {
        name.lower()
        for code in kb.CODES
        for name in (code, kb.certification(code)["full_name"])
    }
    return kb.normalise(value) in names


def is_activity(value: Any, side: Any) -> bool:
    """An activity cue the NLU matched: plain words with a side (build or lead)."""
    return side in SIDES and plain_words(value)


def keep(entity: Any) -> bool:
    """True when one entity of Rasa's parse data is in the vocabulary."""
    if not isinstance(entity, dict):
        return False
    name, value = entity.get("entity"), entity.get("value")
    if name == "role":
        return is_role(value, entity.get("group"))
    if name == "certification":
        return is_certification(value)
    if name == "activity":
        return is_activity(value, entity.get("role"))
    return False


def recognised(parse: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The entities of a parse (tracker.latest_message) that are in the vocabulary."""
    entities = (parse or {}).get("entities") or []
    return [entity for entity in entities if keep(entity)]
