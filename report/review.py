"""`make review`: the messages the advisor did not understand, as training data.

The period's messages that fell back (the NLU's `nlu_fallback`, or the fallback
action ran) or whose intent had low confidence are read from the store (the
candidates chosen in SQL), masked (report/privacy.py), de-duplicated (near-identical
messages are one example) and written as a Rasa NLU file: each example under the
intent the stored parse ranked highest after the fallback, a suggestion for a person
to correct. The file goes to --out (default results/review/nlu_review.yml), never
into data/: Rasa would train on it as it is.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from report.classify import Vocabulary
from report.privacy import group_key, mask
from report.queries import Period, turns
from report.store import Store

HEADER = """\
# Messages the advisor did not understand, or understood with low confidence,
# {period}. Masked: [email], [phone], [number], [mention] stand for personal data.
# Each example sits under the intent the NLU ranked highest after the fallback: a
# SUGGESTION. Move each example to the right intent (or delete it), check the file
# with `rasa data validate`, then move the examples into data/nlu/ and `make train`.
# metadata: how many times it was sent, in how many conversations, the confidence.
"""


def _suggestion(data: dict[str, Any], fallback_intent: str) -> tuple[str, float]:
    parse = data.get("parse_data") or {}
    ranking = parse.get("intent_ranking") or [parse.get("intent") or {}]
    for entry in ranking:
        name = entry.get("name")
        if name and name != fallback_intent:
            return str(name), float(entry.get("confidence") or 0.0)
    return "out_of_scope", 0.0


def candidates(
    store: Store, vocabulary: Vocabulary, period: Period, threshold: float
) -> list[tuple[str, str, str, float]]:
    """(text, sender, suggested intent, confidence) of the messages to review."""
    found = []
    with turns(store, vocabulary, period) as t:
        rows = t.connection.execute(
            sa.text(
                "SELECT e.data, t.sender_id FROM r_turns t JOIN events e ON "
                "e.sender_id = t.sender_id AND e.timestamp = t.user_ts AND "
                "e.type_name = 'user' WHERE (t.assistant_id = :assistant_id OR "
                "t.assistant_id IS NULL) AND (t.fell_back = 1 OR t.confidence < "
                ":threshold)"
            ),
            {**t.params, "threshold": threshold},
        )
        for raw, sender in rows:
            try:
                data = json.loads(raw)
            except ValueError:
                continue  # a corrupt row: the report names it
            text = str(data.get("text") or "").strip()
            if not text or text.startswith("/"):  # a button payload, not words
                continue
            intent, confidence = _suggestion(data, vocabulary.fallback_intent)
            found.append((text, sender, intent, confidence))
    return found


def review(
    store: Store,
    vocabulary: Vocabulary,
    period: Period,
    threshold: float,
    out: Path,
    min_count: int = 1,
) -> int:
    """Write the NLU file; returns how many examples it holds."""
    groups: dict[str, dict[str, Any]] = {}
    for text, sender, intent, confidence in candidates(
        store, vocabulary, period, threshold
    ):
        key = group_key(text)
        if not key:
            continue
        group = groups.setdefault(
            key,
            {
                "text": mask(text),
                "senders": set(),
                "times": 0,
                "votes": defaultdict(float),
            },
        )
        group["senders"].add(sender)
        group["times"] += 1
        group["votes"][intent] += max(confidence, 1e-6)
    by_intent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for group in sorted(groups.values(), key=lambda g: (-len(g["senders"]), g["text"])):
        if len(group["senders"]) < min_count:
            continue
        intent = max(group["votes"], key=group["votes"].get)
        share = group["votes"][intent] / group["times"]
        by_intent[intent].append(
            {
                "text": group["text"],
                "metadata": {
                    "times": group["times"],
                    "conversations": len(group["senders"]),
                    "confidence": round(share, 2),
                },
            }
        )
    document = {
        "nlu": [
            {"intent": intent, "examples": examples}
            for intent, examples in sorted(by_intent.items())
        ],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    when = " to ".join(
        time.strftime("%Y-%m-%d", time.gmtime(ts))
        for ts in (period.since, period.until)
    )
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=88)
    out.write_text(
        HEADER.format(period=when) + 'version: "3.1"\n' + body, encoding="utf-8"
    )
    return sum(len(examples) for examples in by_intent.values())
