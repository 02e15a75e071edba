"""The job-title grammar and the activity cues, as spaCy entity-ruler patterns.

A title is a head noun with up to three modifiers ("senior machine learning
engineer"), or a head followed by "of" ("head of data"), or "chief ... officer".
`patterns()` turns the reviewed tables in `actions/audiences.yml` and
`actions/activities.yml` into entity-ruler patterns (on lemmas, so plurals and
verb forms match); `place()` reads a recognised title back into a role group of
`actions/roles.yml`. No Rasa import: the build script, the NLU component and the
ESCO validation all call these two functions.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent.parent / "actions"
AUDIENCES_FILE = DATA / "audiences.yml"
ACTIVITIES_FILE = DATA / "activities.yml"
ROLES_FILE = DATA / "roles.yml"
TITLE_ID = "title"
FRAME_ID = "frame"  # a title known by how it is introduced ("As a ...")
GRAMMAR_IDS = (TITLE_ID, FRAME_ID)
UNLISTED = "unlisted"  # the group of a title no table knows
GAP = 4  # words a "*" in a cue may stand for

# Words that never modify a title: function words and verbs taking people as
# objects ("supervise construction workers" names other people's job).
STOP = {
    "a", "an", "the", "i", "im", "am", "is", "are", "was", "were", "be", "been", "as",
    "of", "for", "with", "and", "or", "to", "in", "at", "on", "by", "from", "my", "our",
    "their", "his", "her", "your", "we", "they", "he", "she", "you", "who", "that",
    "this", "which", "other", "also", "all", "some", "many", "new", "work", "manage",
    "lead", "head", "supervise", "hire", "recruit", "mentor", "coach", "oversee",
    "direct", "support", "help", "train", "assist", "employ", "coordinate", "guide",
    "teach", "advise", "serve", "instruct", "include", "use", "make", "run", "own",
    "plan", "report", "ensure", "provide", "perform", "conduct", "handle", "liaise",
    "collaborate", "communicate", "prepare", "review", "check", "monitor", "become",
    "want", "like", "currently", "now", "just", "former", "formerly", "not", "no",
}  # fmt: skip
# Words before a title that make it someone else's job ("a team of engineers").
OBJECT_MARKERS = {
    "manage", "lead", "supervise", "hire", "recruit", "mentor", "coach", "oversee",
    "direct", "support", "help", "train", "assist", "employ", "coordinate", "guide",
    "teach", "advise", "serve", "instruct", "with", "of", "for", "alongside", "among",
    "between", "our", "by", "to", "from", "other", "like", "their", "my", "at",
}  # fmt: skip
# Words that make "lead", "leader" or "owner" a title ("team lead", "product owner").
LEAD_MODIFIERS = [
    "team", "tech", "technical", "project", "product", "business", "programme",
    "program", "ai", "data", "engineering", "squad", "shift", "section", "group",
    "practice", "delivery", "design", "ml", "analytics", "development", "platform",
    "qa", "quality", "sales", "marketing", "account", "process", "service", "site",
    "store", "unit", "department", "operations", "transformation", "innovation",
    "digital", "change", "thought", "risk", "compliance", "governance", "security",
    "it", "ict", "research", "science", "software", "cloud", "infrastructure",
    "integration", "support", "line", "ops", "enablement", "people", "customer",
]  # fmt: skip
OF_HEADS = {"head": "leader", "vp": "executive", "svp": "executive", "evp": "executive"}
MANAGING = ["director", "editor", "partner", "consultant", "engineer"]  # "managing X"
SKIPPED = {"a", "an", "the"}  # looked through when reading the words before a title
# A word just before a title that is a rank ("lead engineer") unless a subject
# makes it a verb ("we lead engineers").
RANK_OR_VERB = {"lead", "head"}
SUBJECTS = {"i", "we", "you", "they", "who", "and", "to", "also", "will", "can"}
SELF_MARKERS = {"as", "is", "am", "im", "i'm", "'m", "was", ":"}
SENIORITY = {
    "senior", "junior", "principal", "staff", "associate", "sr", "jr", "deputy",
    "acting", "interim", "regional", "global", "national", "local", "area",
    "district", "country", "freelance", "experienced", "certified", "lead",
}  # fmt: skip


def _load(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: must hold a mapping at the top level")
    return data


@cache
def audiences() -> dict[str, Any]:
    """The title table (heads, modifier domains, placement, ISCO groups)."""
    data = _load(AUDIENCES_FILE)
    for key in ("heads", "domains", "placement", "isco"):
        if key not in data:
            raise ValueError(f"{AUDIENCES_FILE}: missing {key}")
    return data


@cache
def activities() -> dict[str, Any]:
    """The activity cues, their weights and the decision thresholds."""
    data = _load(ACTIVITIES_FILE)
    for key in ("build", "lead", "weights", "ai_context", "rule"):
        if key not in data:
            raise ValueError(f"{ACTIVITIES_FILE}: missing {key}")
    return data


@cache
def head_kinds() -> dict[str, str]:
    """Head lemma -> kind ("builder", "leader", ...)."""
    kinds: dict[str, str] = {}
    for kind, words in audiences()["heads"].items():
        for word in words:
            kinds[word] = "leader" if kind == "leader_with_modifier" else kind
    return kinds


@cache
def named_phrases() -> dict[str, str]:
    """The article's and the project's listed phrases -> group (roles.yml)."""
    groups = _load(ROLES_FILE)["groups"]
    return {
        " ".join(phrase.lower().split()): name
        for name, spec in groups.items()
        for phrase in spec.get("phrases") or []
    }


def _modifier(required: bool = False) -> dict[str, Any]:
    token: dict[str, Any] = {
        "IS_ALPHA": True,
        "LOWER": {"NOT_IN": sorted(STOP)},
        "LEMMA": {"NOT_IN": sorted(STOP)},
    }
    if not required:
        token["OP"] = "?"
    return token


def title_patterns() -> list[dict[str, Any]]:
    """Entity-ruler patterns for titles (label `role`, id `title`)."""
    heads = audiences()["heads"]
    plain = sorted(
        word
        for kind, words in heads.items()
        if kind != "leader_with_modifier"
        for word in words
    )
    with_modifier = sorted(heads["leader_with_modifier"])
    leaders = sorted(
        heads["leader"] + heads["director"] + heads["executive"] + ["head"]
    )
    plain, with_modifier, leaders = (
        with_plurals(words) for words in (plain, with_modifier, leaders)
    )
    lead_modifier = {"LOWER": {"IN": LEAD_MODIFIERS}}
    lead_head = {"LOWER": {"IN": with_modifier}}
    # Heads alone: the modifiers before a head are added by `expand_left`, in
    # Python, which keeps the matcher to one token per pattern (fast).
    shapes = [
        [{"LOWER": {"IN": plain}}],
        [{"LOWER": {"REGEX": _suffix_regex()}}],
        [lead_modifier, lead_head],
        [lead_modifier, _modifier(True), lead_head],
        [
            {"LOWER": {"IN": leaders}},
            {"LOWER": "of"},
            {"LOWER": {"IN": ["a", "an", "the", "our"]}, "OP": "?"},
            _modifier(True),
            _modifier(),
        ],
        [
            {"LOWER": "chief"},
            _modifier(),
            _modifier(),
            {"LOWER": {"IN": ["officer", "officers"]}},
        ],
        [{"LOWER": {"IN": ["vp", "svp", "evp"]}}, {"LOWER": "of"}, _modifier(True)],
        [{"LOWER": "managing"}, {"LOWER": {"IN": with_plurals(MANAGING)}}],
    ]
    return [{"label": "role", "pattern": shape, "id": TITLE_ID} for shape in shapes]


MODIFIERS_MAX = 3  # words a title may carry before its head


def _of_head(lemmas: list[str], kinds: dict[str, str]) -> int | None:
    """The head of a title with "of" after it ("head of data", "IT manager of a
    bank"): the word just before the first "of", when it is a head."""
    if "of" not in lemmas[1:-1]:
        return None
    head = lemmas.index("of", 1) - 1
    return head if lemmas[head] in kinds or lemmas[head] in OF_HEADS else None


def expand_left(tokens: list[tuple[str, str, bool]], start: int, floor: int) -> int:
    """Where a title starts once its modifiers are added ("senior data" + "engineer").

    Args:
        tokens: (lower, lemma, is alphabetic) for each token of the message.
        start: the first token of the recognised title.
        floor: the first token the title may take (the end of the entity before it).
    """
    new = start
    while new > floor and start - new < MODIFIERS_MAX:
        lower, lemma, alpha = tokens[new - 1]
        if lower == "-" and new - 2 >= floor and tokens[new - 2][2]:
            new -= 1  # a hyphenated modifier: "computer-aided", "full-stack"
            continue
        if not alpha or lower in STOP or lemma in STOP:
            break
        new -= 1
    return new


def with_plurals(words: list[str]) -> list[str]:
    """Head nouns and their plurals (heads match by form: "engineering" is no head)."""
    forms = set(words)
    for word in words:
        if word.endswith("man"):
            forms.add(word[:-3] + "men")
        elif word.endswith("y") and word[-2:] not in ("ay", "ey", "oy"):
            forms.add(word[:-1] + "ies")
        elif word.endswith(("s", "sh", "ch", "x")):
            forms.add(word + "es")
        else:
            forms.add(word + "s")
    return sorted(forms)


def _suffix_regex() -> str:
    endings = "|".join(sorted(audiences().get("suffixes") or {}))
    return rf"^[a-z]+({endings})s?$"


def _kind(lemma: str) -> str | None:
    kinds = head_kinds()
    for word in (lemma, lemma.rstrip("s")):
        if word in kinds:
            return kinds[word]
        for ending, kind in (audiences().get("suffixes") or {}).items():
            if word.endswith(ending):
                return kind
    return None


def _cue_tokens(nlp: Any, phrase: str) -> list[dict[str, Any]]:
    tokens: list[dict[str, Any]] = []
    for chunk in phrase.split():
        if chunk == "*":  # plain words only: a quoted cue never carries markup
            gap = {"OP": "?", "TEXT": {"REGEX": r"^[A-Za-z0-9][A-Za-z0-9-]*$|^-$"}}
            tokens.extend(dict(gap) for _ in range(GAP))
        elif chunk == "#":
            tokens.append({"LIKE_NUM": True})
        elif chunk.startswith("="):
            tokens.extend({"LOWER": t.lower_} for t in nlp.make_doc(chunk[1:]))
        else:
            tokens.extend({"LEMMA": t.lemma_} for t in nlp(chunk.lower()))
    return tokens


def activity_patterns(nlp: Any) -> list[dict[str, Any]]:
    """Entity-ruler patterns for activity cues (`activity`, id `side:strength`)."""
    table = activities()
    found = []
    for side in ("build", "lead"):
        for strength, phrases in table[side].items():
            for phrase in phrases:
                found.append(
                    {
                        "label": "activity",
                        "pattern": _cue_tokens(nlp, phrase),
                        "id": f"{side}:{strength}",
                    }
                )
    return found


def _words(text: str) -> list[str]:
    return text.lower().replace("-", " ").split()


def _has(words: list[str], phrase: str) -> bool:
    target = _words(phrase)
    size = len(target)
    return any(words[i : i + size] == target for i in range(len(words) - size + 1))


def _named(words: list[str]) -> str | None:
    """A listed phrase: the whole title, or its last words when they are 2+."""
    names = named_phrases()
    core = [w for w in words if w not in SENIORITY] or words
    for candidate in (words, core):
        text = " ".join(candidate)
        for form in (text, text[:-1] if text.endswith("s") else text):
            if form in names:
                return names[form]
    for start in range(1, len(core) - 1):
        tail = " ".join(core[start:])
        for form in (tail, tail[:-1] if tail.endswith("s") else tail):
            if form in names and " " in form:
                return names[form]
    return None


def place(words: list[str], lemmas: list[str] | None = None) -> str | None:
    """Return the role group of a recognised title, or None.

    Args:
        words: the title's words, lower case ("senior", "data", "engineers").
        lemmas: their lemmas, when known (the head is looked up by lemma).
    """
    given = zip(words, lemmas or words, strict=True)
    pairs = [(w.lower(), m.lower()) for w, m in given]
    pairs = [(w, m) for w, m in pairs if w != "-"]  # "full-stack": full, stack
    words, lemmas = [w for w, _ in pairs], [m for _, m in pairs]
    named = _named(words)
    if named:
        return named
    kinds = head_kinds()
    of_head = _of_head(lemmas, kinds)
    if len(lemmas) > 1 and lemmas[0] == "chief" and lemmas[-1] == "officer":
        kind, head = "chief", 0
    elif of_head is not None:
        # "head of data", "IT manager of a regional bank": the word before "of"
        head = of_head
        kind = OF_HEADS.get(lemmas[head]) or kinds[lemmas[head]]
    else:
        head = len(lemmas) - 1
        found = _kind(lemmas[head])
        if found is None:
            return None
        kind = found
    modifiers = [w for i, w in enumerate(words) if i != head]
    rules = audiences()["placement"][kind]
    for domain, group in rules.items():
        if domain == "default":
            continue
        if any(_has(modifiers, phrase) for phrase in audiences()["domains"][domain]):
            return group
    return rules["default"]


def article_class(title: str) -> str | None:
    """The class (CAIP, CAIM, both) of a title naming one of the article's audiences."""
    words = set(_words(title.replace(",", " ")))
    for audience, entries in audiences()["article_titles"].items():
        if any(set(entry) <= words for entry in entries):
            return audience
    return None


def isco_class(code: str) -> str:
    """The audience class (CAIP, CAIM, both, open) of an ISCO-08 group code."""
    table = audiences()["isco"]
    for size in range(len(code), 0, -1):
        if code[:size] in table:
            return table[code[:size]]
    return table["default"]


def is_self(tokens: list[tuple[str, str]]) -> bool:
    """True when the words before a title introduce the person's own job."""
    for lower, _ in reversed(tokens):
        if lower in SKIPPED:
            continue
        return lower in SELF_MARKERS
    return False


def is_object(tokens: list[tuple[str, str]]) -> bool:
    """True when the words before a title make it someone else's job.

    Args:
        tokens: (lower, lemma) pairs of up to three words before the title,
            nearest last; stop at sentence punctuation before calling.
    """
    for index in range(len(tokens) - 1, -1, -1):
        lower, lemma = tokens[index]
        if lower in SKIPPED:
            continue
        if lower in SELF_MARKERS:
            return False
        if lower in RANK_OR_VERB and index == len(tokens) - 1:
            # "lead data engineer" is a rank; "I lead data engineers" a verb
            return index > 0 and tokens[index - 1][0] in SUBJECTS
        if lower in OBJECT_MARKERS or lemma in OBJECT_MARKERS:
            return True
    return False
