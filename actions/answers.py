"""Answers to questions about the facts, as `Reply` objects.

One kind of fact (audience, focus, tools ...) for one or both certifications, the
side-by-side comparison, and the certification that was not recommended. Which
question intent gets which answer is listed once, under `questions` in the facts
file. Pure functions over `knowledge` and the wording templates; no Rasa import.
"""

from __future__ import annotations

from typing import Any

from actions import knowledge as kb
from actions.advice import clarify_buttons, fallback, pick_buttons
from actions.render import Bullets, Reply, Table
from infra.wording import say, template


def other_certification(code: str | None) -> Reply:
    """Describe the certification that was not recommended."""
    if code is None:
        return Reply(buttons=pick_buttons()).add(say("other", "pick_one"))
    other = kb.other(code)
    facts = kb.certification(other)
    reply = Reply(buttons=[{"title": say("buttons", "compare"), "payload": "/compare"}])
    return reply.add(
        say("other", "intro", code=other, full_name=facts["full_name"]),
        facts["summary"].strip(),
        *_focus(other),
    )


def comparison() -> Reply:
    """A side-by-side comparison of the two certifications."""
    certs = [kb.certification(code) for code in kb.CODES]

    def row(key: str, cell: Any) -> list[str]:
        return [template("compare_rows", key), *(cell(cert) for cert in certs)]

    table = Table(
        headers=["", *kb.CODES],
        rows=[
            row("purpose", lambda cert: cert["verbs"]),
            row("audience", lambda cert: _join(cert["audience"])),
            row("focus", lambda cert: _join(cert["focus"])),
            row("approach", lambda cert: _listed(cert["approach"], "approach_none")),
            row("programming", lambda cert: cert["programming_in_short"]),
            row("tools", lambda cert: _listed(cert["tools"], "tools_none")),
        ],
    )
    relation = kb.facts()["relationship"]
    return Reply().add(
        say("facts", "compare_intro"),
        table,
        say("facts", "compare_close", complement=relation["complement"].strip()),
    )


def _join(items: list[dict[str, str]]) -> str:
    return "; ".join(item["text"] for item in items)


def _listed(items: list[str], none_key: str) -> str:
    """A fact list in one table cell, or the wording for the article giving none."""
    return "; ".join(items) if items else template("compare_rows", none_key)


def fact_answer(topic: str, code: str | None, text: str | None = None) -> Reply:
    """Answer a question about one kind of fact, for one or both certifications.

    Args:
        topic: the kind of answer (`questions` in the facts file names it per
            question intent).
        code: CAIP or CAIM when the user named one (or one is under discussion).
        text: the user's words, to spot a topic the article does not cover.
    """
    handler = _FACT_HANDLERS.get(topic)
    if handler is None:
        return fallback()
    codes = [code] if code else list(kb.CODES)
    return handler(codes, text)


def _per_code(build):  # type: ignore[no-untyped-def]
    def handler(codes: list[str], text: str | None) -> Reply:
        reply = Reply()
        for code in codes:
            reply.add(*build(code))
        return reply

    return handler


def _overview(code: str) -> list[Any]:
    facts = kb.certification(code)
    return [
        say(
            "facts",
            "overview",
            code=code,
            full_name=facts["full_name"],
            summary=facts["summary"].strip(),
        )
    ]


def _audience(code: str) -> list[Any]:
    items = [item["text"] for item in kb.certification(code)["audience"]]
    return [Bullets(say("facts", "audience", code=code), items)]


def _focus(code: str) -> list[Any]:
    items = [item["text"] for item in kb.certification(code)["focus"]]
    return [Bullets(say("facts", "focus", code=code), items)]


def _approach(code: str) -> list[Any]:
    facts = kb.certification(code)
    if facts["approach"]:
        return [Bullets(say("facts", "approach", code=code), facts["approach"])]
    return [Bullets(say("facts", "approach_none", code=code), facts["prepares"])]


def _outcomes(code: str) -> list[Any]:
    return [
        Bullets(say("facts", "outcomes", code=code), kb.certification(code)["prepares"])
    ]


def _tools(code: str) -> list[Any]:
    facts = kb.certification(code)
    if facts["tools"]:
        return [Bullets(say("facts", "tools", code=code), facts["tools"])]
    owners = [other for other in kb.CODES if kb.certification(other)["products"]]
    products = [
        name for other in owners for name in kb.certification(other)["products"]
    ]
    return [
        say(
            "facts",
            "tools_none",
            code=code,
            without_tools=facts["without_tools"],
            products=", ".join(products),
            owner=" and ".join(owners),
        )
    ]


def _programming(code: str) -> list[Any]:
    programming = kb.certification(code)["programming"].strip()
    return [say("facts", "programming", programming=programming)]


def _both(codes: list[str], text: str | None) -> Reply:
    relation = kb.facts()["relationship"]
    return Reply().add(
        say(
            "facts",
            "both_pair",
            complement=relation["complement"].strip(),
            both_needed=relation["both_needed"].strip(),
        ),
        say("facts", "both_choice", question=relation["deciding_question"]),
    )


def _why_fail(codes: list[str], text: str | None) -> Reply:
    failure = kb.facts()["failure"]
    relation = kb.facts()["relationship"]
    return Reply().add(
        Bullets(say("facts", "why_fail_intro"), failure["reasons"]),
        Bullets(say("facts", "why_fail_effects"), failure["effects"]),
        say("facts", "why_fail_close", both_needed=relation["both_needed"].strip()),
    )


def _how_to_choose(codes: list[str], text: str | None) -> Reply:
    relation = kb.facts()["relationship"]
    return Reply(buttons=clarify_buttons()).add(
        say(
            "facts",
            "how_to_choose",
            question=relation["deciding_question"],
            one_line=relation["one_line"],
        ),
        say("facts", "how_to_choose_ask"),
    )


def _source(codes: list[str], text: str | None) -> Reply:
    return Reply().add(say("facts", "source"))


def _unknown(codes: list[str], text: str | None) -> Reply:
    topic = kb.unknown_topic(text)
    if topic:
        return Reply().add(say("facts", "unknown", label=topic["label"]))
    return Reply().add(say("facts", "unknown_generic"))


def _handoff(codes: list[str], text: str | None) -> Reply:
    return Reply().add(say("facts", "handoff"))


_FACT_HANDLERS = {
    "overview": _per_code(_overview),
    "audience": _per_code(_audience),
    "focus": _per_code(_focus),
    "approach": _per_code(_approach),
    "outcomes": _per_code(_outcomes),
    "tools": _per_code(_tools),
    "programming": _per_code(_programming),
    "both": _both,
    "why_fail": _why_fail,
    "how_to_choose": _how_to_choose,
    "source": _source,
    "unknown_fact": _unknown,
    "handoff": _handoff,
}
FACT_TOPICS = tuple(_FACT_HANDLERS)
