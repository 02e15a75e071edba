"""The NLU's evidence about a job: titles, activities, and "this is a job description".

Runs after the intent classifier. From the spaCy doc (the project's entity ruler,
see `components/titles.py`) it emits:

- `role` entities: job titles, `group` = the role group the title grammar placed
  it in (actions/roles.yml), `role` = "self" or "other" ("a team of engineers"
  names other people's job);
- `activity` entities: what the person says they do, `role` = "build" or
  "lead", `group` = the cue's strength ("article", "strong", "weak");
- `certification` entities, as before.

And it routes: a message that names the person's job or lists what they do, and
is not phrased as a question, is a job description even when the classifier
read it as a question about the certifications (as is a long first-person
account of one's work, "I ... . I ..."); a message the classifier read
as a job description, hesitantly, with no title and no activity in it
("xqzt plovk") goes to the fallback. The classifier's own reading is kept in
the output (`job_router`) so the change is visible, never silent.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components import frames, titles

DESCRIBE_PREFIX = "describe_job_"
QUESTION = re.compile(
    r"\?|^\s*(what|which|who|whom|whose|why|how|when|where|is|are|can|could|should|"
    r"would|do|does|did|will|tell me|explain|compare|show me|give me)\b"
    r"|\bdifferences? between\b",
    re.IGNORECASE,
)
NEGATORS = {
    "not",
    "n't",
    "never",
    "nt",
    "no",
    "nobody",
}  # a cue right after one counts for the other side ("no budget", "nobody reports")
NEGATION_REACH = 2
OPPOSITE = {"build": "lead", "lead": "build"}
COORDINATORS = {"or", "and", ",", "/", "&"}
SENTENCE_ENDS = {".", "!", "?", ";", "\n"}
ROUTE_MIN_WEIGHT = 3  # activity weight that makes a message a job description
UNSURE_BELOW = 0.6  # a job-description intent with no evidence needs this confidence
FALLBACK = "nlu_fallback"
NOT_UNDERSTOOD = {FALLBACK, "out_of_scope"}  # readings a list of duties may override
LONG_ACCOUNT = 15  # words; with two first-person clauses, a job description
ASKING = re.compile(
    r"\b(can|could|would) you\b|\btell me\b|\bwant to know\b|\bwonder|\bquestions?\b|"
    r"\bhelp me\b|\bplease\b|\binterested in\b",
    re.IGNORECASE,
)
LIST_JOINS = re.compile(r"[,;\n\u2022]|\band\b")  # separators of a list of duties
# Asking which one suits oneself: with the person's own title, a job description
# ("I'm a CTO. Which one should I take?" gets the CTO's question, not the general
# advice on choosing); a comparison only when it asks about oneself.
CHOOSING, COMPARE = "ask_how_to_choose", "compare"
FOR_ME = re.compile(r"\bfor me\b|\bshould i\b|\bwhich (one|of)\b", re.IGNORECASE)
FIRST_PERSON = re.compile(
    r"(?:^|[.;,]\s*|\band\s+)I\s+(?!am\s+(?:interested|curious)\b)"
)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    is_trainable=False,
    model_from="SpacyNLP",
)
class JobEvidence(GraphComponent, EntityExtractorMixin):
    """Titles, activity cues and job-description routing from the spaCy doc."""

    @classmethod
    def required_components(cls) -> list[type]:
        """SpacyNLP must run first (it makes the doc)."""
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """`route`: read a non-question with job evidence as a job description."""
        return {"route": True}

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        """Create the component (nothing to train)."""
        return cls(config)

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        """Add the evidence entities to each message and route job descriptions."""
        for message in messages:
            text = message.get(TEXT) or ""
            doc = message.get("text_spacy_doc") or model.model(text.lower())
            found = self.add_extractor_name(evidence_entities(doc, text))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
            if self._config.get("route", True):
                _route(message, text, found)
        return messages


def evidence_entities(doc: Any, text: str) -> list[dict[str, Any]]:
    """The `role`, `activity` and `certification` entities of one spaCy doc."""
    same_length = len(doc.text) == len(text)
    found = []
    tokens = [(t.lower_, t.lemma_.lower(), t.is_alpha) for t in doc]
    spans = _ranks_dropped(_with_modifiers(doc, tokens))
    roles = {
        i for ent, kind, _ in spans if kind == "role" for i in range(ent.start, ent.end)
    }
    ends = {ent.end: ent.start for ent, kind, _ in spans if kind == "role"}
    framed = frames.frame_titles([(low, alpha) for low, _, alpha in tokens], set(ends))
    for start, end in framed:
        frame = set(range(start, end))
        if roles & frame and ends.get(end, start) <= start:
            continue  # the grammar's title is the whole frame, or ends elsewhere
        # the whole frame is the person's title: a title no table knows, or one
        # ending on a known head ("As a corporate training manager, ...")
        ent_id = titles.TITLE_ID if end in ends else titles.FRAME_ID
        spans = [s for s in spans if not frame & set(range(s[0].start, s[0].end))]
        spans.append((doc[start:end], "role", ent_id))
    previous: tuple[int, str] | None = None  # (end token, role) of the last title
    for ent, label, ent_id in sorted(spans, key=lambda item: item[0].start):
        value = text[ent.start_char : ent.end_char] if same_length else ent.text
        entity: dict[str, Any] = {
            "entity": label,
            "value": value,
            "start": ent.start_char,
            "end": ent.end_char,
            "confidence": None,
        }
        if label == "role":
            words = [t.lower_ for t in ent]
            lemmas = [t.lemma_.lower() for t in ent]
            group = ent_id if ent_id not in titles.GRAMMAR_IDS else None
            entity["group"] = group or titles.place(words, lemmas)
            if entity["group"] is None and ent_id == titles.FRAME_ID:
                entity["group"] = titles.UNLISTED
            entity["role"] = "other" if _names_someone_else(doc, ent.start) else "self"
            if previous and _coordinated(doc, previous[0], ent.start):
                entity["role"] = previous[1]  # "with engineers or managers": both other
            previous = (ent.end, entity["role"])
            if entity["group"] is None:
                continue
        elif label == "activity":
            side, strength = ent_id.split(":")
            negator = _negator(doc, ent.start)
            if negator is not None:  # "I haven't trained a model in a year"
                side = OPPOSITE[side]
                begin = doc[negator].idx
                entity["start"] = begin
                entity["value"] = text[begin : ent.end_char] if same_length else ""
                entity["value"] = entity["value"] or doc[negator : ent.end].text
            entity["role"], entity["group"] = side, strength
        elif label == "certification":
            entity["value"] = ent_id or value
        found.append(entity)
    return found


def _with_modifiers(
    doc: Any, tokens: list[tuple[str, str, bool]]
) -> list[tuple[Any, str, str]]:
    """The ruler's entities, each title extended over its modifiers.

    A cue inside the extended title is dropped: the title is read as a title.
    """
    blocking = [e for e in doc.ents if e.label_ != "activity"]
    spans = []
    for ent in doc.ents:
        if ent.label_ != "role":
            spans.append((ent, ent.label_, ent.ent_id_))
            continue
        floor = max((e.end for e in blocking if e.end <= ent.start), default=0)
        start = titles.expand_left(tokens, ent.start, floor)
        # a listed phrase with words before it is placed again as a whole title
        ent_id = ent.ent_id_ if start == ent.start else titles.TITLE_ID
        spans.append((doc[start : ent.end], "role", ent_id))
    titled = [(ent.start, ent.end) for ent, kind, _ in spans if kind == "role"]
    return [
        (ent, kind, ent_id)
        for ent, kind, ent_id in spans
        if kind == "role" or not any(a <= ent.start and ent.end <= b for a, b in titled)
    ]


def _coordinated(doc: Any, end: int, start: int) -> bool:
    """True when only "or", "and" or a comma join two titles."""
    between = [t.lower_ for t in doc[end:start]]
    return 0 < len(between) <= 2 and all(w in COORDINATORS for w in between)


def _negator(doc: Any, start: int) -> int | None:
    """The token that negates the cue starting at `start`, if one of the two
    words before it does ("haven't trained", "never code", "not building")."""
    for index in range(start - 1, max(-1, start - 1 - NEGATION_REACH), -1):
        token = doc[index]
        if token.is_punct:
            return None
        if token.lower_ in NEGATORS:
            return index - 1 if token.lower_ == "n't" and index > 0 else index
    return None


def _ranks_dropped(spans: list[tuple[Any, str, str]]) -> list[tuple[Any, str, str]]:
    """A rank read as a title of its own before another title is the other's
    rank: "principal engineer" is an engineer, not a school principal."""
    starts = {ent.start for ent, kind, _ in spans if kind == "role"}
    return [
        (ent, kind, ent_id)
        for ent, kind, ent_id in spans
        if not (
            kind == "role"
            and ent.end in starts
            and all(t.lower_ in titles.SENIORITY for t in ent)
        )
    ]


def _names_someone_else(doc: Any, start: int) -> bool:
    """True when a title names another person's job.

    Words just before it decide ("a team of engineers", "as a nurse"); past the
    first sentence, only a title the person gives themselves counts ("... Now I
    am a team lead"), not the people they mention ("with school administrators").
    """
    before: list[tuple[str, str]] = []
    for token in reversed(doc[max(0, start - 3) : start]):
        if token.is_punct and token.text != ":":
            break
        before.insert(0, (token.lower_, token.lemma_.lower()))
    if titles.is_object(before):
        return True
    later = any(t.text in SENTENCE_ENDS for t in doc[:start])
    return later and not titles.is_self(before)


def _tells_own_work(text: str) -> bool:
    """A long first-person account: "I ... . I ..." over several clauses."""
    words = text.split()
    if len(words) < LONG_ACCOUNT or ASKING.search(text):
        return False
    return len(FIRST_PERSON.findall(text)) >= 2


def _lists_tasks(text: str, found: list[dict[str, Any]]) -> bool:
    """A list of duties, as job ads and occupational databases write them:
    "Install ..., configure ... and document ...", with two activities or more.
    Only read so when the classifier did not understand the message."""
    if len(text.split()) < LONG_ACCOUNT or ASKING.search(text):
        return False
    cues = sum(e["entity"] == "activity" for e in found)
    return cues >= 2 and len(LIST_JOINS.findall(text)) >= 2


def _route(message: Message, text: str, found: list[dict[str, Any]]) -> None:
    intent = message.get(INTENT) or {}
    name = intent.get("name") or ""
    if text.lstrip().startswith("/"):
        return
    evidence = any(e["entity"] in ("role", "activity") for e in found)
    ranking = message.get(INTENT_RANKING_KEY) or []
    describe = [r for r in ranking if r["name"].startswith(DESCRIBE_PREFIX)]
    if name.startswith(DESCRIBE_PREFIX):
        # how sure the classifier is that this describes a job, of whichever kind
        sure = sum(r.get("confidence") or 0 for r in describe)
        sure = sure or intent.get("confidence") or 0
        if not evidence and sure < UNSURE_BELOW:
            # no title, no activity, a hesitant classifier: not a job description
            fallback = {"name": FALLBACK, "confidence": intent.get("confidence")}
            message.set(INTENT, fallback, add_to_output=True)
            message.set("job_router", {"classifier_intent": intent}, add_to_output=True)
        return
    own_title = any(e["entity"] == "role" and e["role"] == "self" for e in found)
    asks_for_self = own_title and (
        name == CHOOSING or (name == COMPARE and bool(FOR_ME.search(text)))
    )
    if not asks_for_self and (
        QUESTION.search(text) or any(e["entity"] == "certification" for e in found)
    ):
        return  # a question, or a message about CAIP or CAIM themselves
    weights = titles.activities()["weights"]
    weight = sum(weights[e["group"]] for e in found if e["entity"] == "activity")
    if not (
        own_title
        or weight >= ROUTE_MIN_WEIGHT
        or _tells_own_work(text)
        or (name in NOT_UNDERSTOOD and _lists_tasks(text, found))
    ):
        return
    best = describe[0]["name"] if describe else f"{DESCRIBE_PREFIX}ambiguous"
    message.set(INTENT, {"name": best, "confidence": 1.0}, add_to_output=True)
    message.set("job_router", {"classifier_intent": intent}, add_to_output=True)
