"""The advisor's reasoning: decide CAIP or CAIM and say why, as `Reply` objects.

Pure functions over `knowledge` and the wording templates; no Rasa import.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from actions import knowledge as kb
from actions.render import Bullets, Reply, Table

WORDING_FILE = kb.HERE / "wording.yml"

ANSWER_TO_CODE = {"build": "CAIP", "lead": "CAIM"}


@cache
def wording() -> dict[str, Any]:
    """Return the wording templates, loaded once."""
    return kb._load_yaml(WORDING_FILE)


def say(section: str, key: str, **values: Any) -> str:
    """Fill one template from wording.yml."""
    return str(wording()[section][key]).format(**values)


def _verbs_ing(code: str) -> str:
    return say("verbs_ing", code)


def _why_line(
    code: str, role: str | None, group: kb.RoleGroup | None, answer: str | None
) -> str:
    role = kb.display_role(role)
    if group and group.leans == code and group.audience:
        return say(
            "recommend",
            "role_in_audience",
            role=role,
            code=code,
            audience=kb.audience_text(code, group.audience),
        )
    if group and group.leans == "both" and group.dual:
        dual = kb.dual_audience(group.dual)
        if answer:
            return say(
                "recommend",
                "role_dual_answer",
                role=role,
                code=code,
                answer=say("answers", answer),
                audience=dual[code],
            )
        return say(
            "recommend",
            "role_dual_intent",
            role=role,
            code=code,
            verbs_ing=_verbs_ing(code),
            audience=dual[code],
        )
    if answer:
        return say("recommend", "answer_only", code=code, answer=say("answers", answer))
    if role:
        return say(
            "recommend", "role_other", role=role, code=code, verbs_ing=_verbs_ing(code)
        )
    return say("recommend", "no_role", code=code, verbs_ing=_verbs_ing(code))


def quoted(words: tuple[str, ...] | list[str]) -> str:
    """'"a", "b" and "c"': the person's own words, whitespace squeezed."""
    items = [f'"{" ".join(w.split())}"' for w in words if w and w.strip()]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _quote_line(quotes: tuple[str, ...] | list[str]) -> list[str]:
    text = quoted(quotes)
    return [say("recommend", "quotes", quotes=text)] if text else []


def _focus_block(code: str, text: str | None) -> Bullets:
    matched = kb.matched_focus(text, code)
    if matched:
        return Bullets(say("recommend", "focus_matched", code=code), matched)
    general = [item["text"] for item in kb.certification(code)["focus"][:3]]
    return Bullets(say("recommend", "focus_general", code=code), general)


def follow_up_buttons(code: str) -> list[dict[str, str]]:
    """Buttons offered after a recommendation."""
    other = kb.other(code)
    return [
        {"title": say("buttons", "why", code=code), "payload": "/ask_why"},
        {"title": say("buttons", "other", other=other), "payload": "/ask_other"},
        {"title": say("buttons", "compare"), "payload": "/compare"},
    ]


def recommendation(
    code: str,
    role: str | None,
    group: kb.RoleGroup | None,
    text: str | None,
    answer: str | None = None,
    quotes: tuple[str, ...] | list[str] = (),
) -> Reply:
    """The recommendation message, explained from the user's own words."""
    facts = kb.certification(code)
    other = kb.other(code)
    other_facts = kb.certification(other)
    reply = Reply(buttons=follow_up_buttons(code))
    reply.add(
        say("recommend", "headline", code=code, full_name=facts["full_name"]),
        _why_line(code, role, group, answer),
        *_quote_line(quotes),
        _focus_block(code, text),
        say(
            "recommend",
            "other_line",
            other=other,
            other_purpose=other_facts["short_purpose"],
            other_verbs=other_facts["verbs"],
        ),
    )
    return reply


def explanation(
    code: str | None,
    role: str | None,
    group: kb.RoleGroup | None,
    text: str | None,
    answer: str | None = None,
    quotes: tuple[str, ...] | list[str] = (),
) -> Reply:
    """Answer "why?" about the current recommendation."""
    if code is None:
        return Reply().add(say("why", "no_recommendation"))
    facts = kb.certification(code)
    relation = kb.facts()["relationship"]
    reply = Reply(buttons=follow_up_buttons(code)[1:])
    return reply.add(
        say("why", "question", question=relation["deciding_question"]),
        _why_line(code, role, group, answer),
        *_quote_line(quotes),
        say("why", "choose_if", code=code, choose_if=facts["choose_if"]),
        _focus_block(code, text),
    )


def clarifying_question(group: kb.RoleGroup | None, role: str | None) -> Reply:
    """The sharp question for a role that fits both audiences (or neither)."""
    role = kb.display_role(role)
    if group and group.leans == "both" and group.dual:
        text = kb.dual_audience(group.dual)["question"].strip()
    elif group and group.name == "unrelated":
        text = say(
            "clarify",
            "open",
            role=role or group.label,
            question=say("clarify", "unrelated_question"),
        )
    elif group:
        text = say(
            "clarify",
            "open",
            role=group.label,
            question=say("clarify", "open_question"),
        )
    else:
        text = say("clarify", "generic", question=say("clarify", "open_question"))
    return Reply(buttons=clarify_buttons()).add(text)


def clarify_buttons() -> list[dict[str, str]]:
    """The two answers to the clarifying question."""
    return [
        {"title": say("buttons", "build"), "payload": "/describe_job_builder"},
        {"title": say("buttons", "lead"), "payload": "/describe_job_leader"},
    ]


def other_certification(code: str | None) -> Reply:
    """Describe the certification that was not recommended."""
    if code is None:
        return Reply(buttons=_pick_buttons()).add(say("other", "pick_one"))
    other = kb.other(code)
    facts = kb.certification(other)
    reply = Reply(buttons=[{"title": say("buttons", "compare"), "payload": "/compare"}])
    return reply.add(
        say("other", "intro", code=other, full_name=facts["full_name"]),
        facts["summary"].strip(),
        *_focus(other),
    )


def _pick_buttons() -> list[dict[str, str]]:
    return [
        {
            "title": say("buttons", "focus", code=code),
            "payload": f'/ask_focus{{"certification":"{code}"}}',
        }
        for code in kb.CODES
    ]


def comparison() -> Reply:
    """A side-by-side comparison of the two certifications."""
    caip, caim = kb.certification("CAIP"), kb.certification("CAIM")
    rows = wording()["compare_rows"]
    table = Table(
        headers=rows["headers"],
        rows=[
            [rows["purpose"], caip["verbs"], caim["verbs"]],
            [rows["audience"], _join(caip["audience"]), _join(caim["audience"])],
            [rows["focus"], _join(caip["focus"]), _join(caim["focus"])],
            [rows["approach"], "; ".join(caip["approach"]), rows["approach_caim"]],
            [rows["programming"], rows["programming_caip"], rows["programming_caim"]],
            [rows["tools"], rows["tools_caip"], "; ".join(caim["tools"])],
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


def fact_answer(topic: str, code: str | None, text: str | None = None) -> Reply:
    """Answer a question about one kind of fact, for one or both certifications.

    Args:
        topic: the question intent without its ``ask_`` prefix.
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
        return [Bullets(say("facts", "approach_caip"), facts["approach"])]
    return [Bullets(say("facts", "approach_caim"), facts["prepares"])]


def _outcomes(code: str) -> list[Any]:
    return [
        Bullets(say("facts", "outcomes", code=code), kb.certification(code)["prepares"])
    ]


def _tools(code: str) -> list[Any]:
    facts = kb.certification(code)
    if facts["tools"]:
        return [Bullets(say("facts", "tools_caim"), facts["tools"])]
    return [say("facts", "tools_caip")]


def _programming(code: str) -> list[Any]:
    key = f"programming_{code.lower()}"
    return [
        say("facts", key, programming=kb.certification(code)["programming"].strip())
    ]


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


def _source_values() -> dict[str, str]:
    source = kb.facts()["source"]
    return {
        "publisher": source["publisher"],
        "title": source["title"],
        "date": source["date"],
        "email": source["contact_email"],
    }


def _source(codes: list[str], text: str | None) -> Reply:
    return Reply().add(say("facts", "source", **_source_values()))


def _unknown(codes: list[str], text: str | None) -> Reply:
    topic = kb.unknown_topic(text)
    values = _source_values()
    if topic:
        return Reply().add(say("facts", "unknown", label=topic["label"], **values))
    return Reply().add(say("facts", "unknown_generic", **values))


def _handoff(codes: list[str], text: str | None) -> Reply:
    return Reply().add(say("facts", "handoff", **_source_values()))


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


def fallback() -> Reply:
    """What the bot says when it did not understand."""
    return Reply(
        buttons=[
            {"title": say("buttons", "describe"), "payload": "/help"},
            {"title": say("buttons", "compare"), "payload": "/compare"},
            {
                "title": say("buttons", "focus", code="CAIP"),
                "payload": '/ask_focus{"certification":"CAIP"}',
            },
            {
                "title": say("buttons", "focus", code="CAIM"),
                "payload": '/ask_focus{"certification":"CAIM"}',
            },
        ]
    ).add(say("fallback", "text"))
