"""The advisor's reasoning: recommend CAIP or CAIM and say why, as `Reply` objects.

The recommendation, "why?", the clarifying question, the fixed replies and the
fallback (questions about the facts: `answers.py`). Pure functions over
`knowledge` and the wording templates (`wording.yml`, read by `infra.wording`),
filled from the facts; no Rasa import.
"""

from __future__ import annotations

from actions import knowledge as kb
from actions.render import Bullets, Reply
from infra.wording import say

ANSWER_TO_CODE = {"build": "CAIP", "lead": "CAIM"}
# The fixed replies (wording.yml `replies`) and their buttons: (wording key, payload).
REPLY_BUTTONS = {
    "greet": [
        ("compare", "/compare"),
        ("how_to_choose", "/ask_how_to_choose"),
        ("each_covers", "/ask_focus"),
    ],
    "help": [("compare", "/compare"), ("how_to_choose", "/ask_how_to_choose")],
}


def _verbs_ing(code: str) -> str:
    return kb.certification(code)["verbs_ing"]


def fixed_reply(name: str) -> Reply:
    """One of the fixed replies (greeting, help, thanks ...), with its buttons."""
    buttons = [
        {"title": say("buttons", key), "payload": payload}
        for key, payload in REPLY_BUTTONS.get(name, [])
    ]
    return Reply(buttons=buttons).add(say("replies", name))


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


def pick_buttons() -> list[dict[str, str]]:
    """One button per certification: "What does CAIP cover?"."""
    return [
        {
            "title": say("buttons", "focus", code=code),
            "payload": f'/ask_focus{{"certification":"{code}"}}',
        }
        for code in kb.CODES
    ]


def fallback() -> Reply:
    """What the bot says when it did not understand."""
    buttons = [
        {"title": say("buttons", "describe"), "payload": "/help"},
        {"title": say("buttons", "compare"), "payload": "/compare"},
        *pick_buttons(),
    ]
    return Reply(buttons=buttons).add(say("fallback", "text"))
