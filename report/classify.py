"""What the stored events mean: channels, and the advisor's own names.

Channels come from the user event's `input_channel` (the name each input channel
gives itself: `socketio` for the website widget, `slack`, `rest` for the guarded
REST channel, `cmdline` for `rasa shell`), and, when that is missing, from the form
of the sender id (`web:<hex>` for the widget, `slack:<team>:<user>` for Slack).

The intent, action and slot names are read from the project's own files (domain.yml,
config.yml, actions/certifications.yml, actions/roles.yml), never written out here,
so a renamed intent changes the report with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

# channel key -> what the operators call it, in the order the report shows them
CHANNELS = {
    "widget": "Website widget",
    "slack": "Slack",
    "rest": "REST",
    "shell": "Shell",
    "other": "Other",
}
INPUT_CHANNELS = {
    "socketio": "widget",
    "slack": "slack",
    "rest": "rest",
    "cmdline": "shell",
}
SENDER_PREFIXES = {"web:": "widget", "slack:": "slack"}


def channel_of(input_channel: str | None, sender_id: str | None = None) -> str:
    """The channel key of a user message (the SQL below says the same)."""
    if input_channel in INPUT_CHANNELS:
        return INPUT_CHANNELS[input_channel]
    for prefix, channel in SENDER_PREFIXES.items():
        if (sender_id or "").startswith(prefix):
            return channel
    return "other"


def channel_sql(input_channel: str, sender_id: str) -> str:
    """`channel_of` as an SQL CASE over two column expressions."""
    whens = [
        f"WHEN {input_channel} = '{name}' THEN '{key}'"
        for name, key in INPUT_CHANNELS.items()
    ]
    whens += [
        f"WHEN {sender_id} LIKE '{prefix}%' THEN '{key}'"
        for prefix, key in SENDER_PREFIXES.items()
    ]
    return "CASE " + " ".join(whens) + " ELSE 'other' END"


def _load(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot be read ({error})") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top")
    return data


@dataclass(frozen=True)
class RoleGroup:
    name: str
    label: str
    leans: str  # CAIP, CAIM, both or open (actions/roles.yml)


@dataclass(frozen=True)
class Vocabulary:
    """The names the report looks for in the events, from the project's files."""

    assistant_id: str
    actions: tuple[str, ...]
    job_intents: tuple[str, ...]
    questions: dict[str, str]  # question intent -> topic (certifications.yml)
    unknown_intent: str
    handoff_intent: str
    greet_intent: str
    fallback_intent: str
    fallback_action: str
    clarify_form: str  # its activation (an active_loop event) asks the question
    answer_slot: str
    recommendation_slot: str
    recommendations: tuple[str, ...]
    role_group_slot: str
    role_slot: str
    role_groups: dict[str, RoleGroup]
    unknown_topics: tuple[dict[str, Any], ...]

    def topic_of(self, text: str) -> str:
        """The not-covered topic (price, dates ...) of a question, or `other`."""
        from actions.knowledge import unknown_topic

        topic = unknown_topic(text)
        return topic["id"] if topic else "other"


@cache
def vocabulary(root: Path = ROOT) -> Vocabulary:
    """Read the advisor's names once."""
    domain = _load(root / "domain.yml")
    config = _load(root / "config.yml")
    facts = _load(root / "actions" / "certifications.yml")
    roles = _load(root / "actions" / "roles.yml")
    intents = [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]]
    questions = dict(facts["questions"])
    by_topic = {topic: intent for intent, topic in questions.items()}
    policies = {p["name"]: p for p in config.get("policies", [])}
    form_name, form = next(iter(domain["forms"].items()))
    answer_slot = form["required_slots"][0]
    recommendation = "recommended_certification"
    return Vocabulary(
        assistant_id=str(config.get("assistant_id", "")),
        actions=tuple(domain["actions"]),
        job_intents=tuple(i for i in intents if i.startswith("describe_job_")),
        questions=questions,
        unknown_intent=by_topic["unknown_fact"],
        handoff_intent=by_topic["handoff"],
        greet_intent="greet",
        fallback_intent="nlu_fallback",
        fallback_action=policies["RulePolicy"]["core_fallback_action_name"],
        clarify_form=form_name,
        answer_slot=answer_slot,
        recommendation_slot=recommendation,
        recommendations=tuple(domain["slots"][recommendation]["values"]),
        role_group_slot="role_group",
        role_slot="job_role",
        role_groups={
            name: RoleGroup(name, group["label"], group["leans"])
            for name, group in roles["groups"].items()
        },
        unknown_topics=tuple(facts["unknown_topics"]),
    )


def apology_texts() -> list[str]:
    """The channels' apologies (actions/wording.yml `apology`), as sent."""
    from infra.wording import say, templates

    return [say("apology", key) for key in templates()["apology"]]
