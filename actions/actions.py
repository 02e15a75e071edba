"""Custom actions: thin wrappers that read the tracker, ask `advice`, and reply.

Each action has one job. The reasoning lives in `advice.py` and `answers.py`, the
facts in `certifications.yml`, everything the bot says in `wording.yml` (the fixed
replies included: they quote facts, which Rasa's responses could not fill), the
channel formatting in `render.py`.
"""

from __future__ import annotations

import abc
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import advice, answers, vocabulary
from actions import decision as dec
from actions import knowledge as kb
from actions.render import Reply, render


def _intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _entity_values(tracker: Tracker, entity: str) -> list[str]:
    """The values of one entity in the latest message, vocabulary only."""
    return [
        str(item["value"])
        for item in vocabulary.recognised(tracker.latest_message)
        if item.get("entity") == entity
    ]


def _named_certification(tracker: Tracker) -> str | None:
    for value in _entity_values(tracker, "certification"):
        code = kb.certification_code(value)
        if code:
            return code
    return None


def _job_context(
    tracker: Tracker,
) -> tuple[str | None, kb.RoleGroup | None, str | None]:
    role = tracker.get_slot("job_role")
    return role, kb.find_group(role), tracker.get_slot("job_text")


class AdvisorAction(Action, abc.ABC):
    """Base for the advisor's actions: sends a `Reply` in the channel's style."""

    @abc.abstractmethod
    def name(self) -> str:
        """The action's name, as listed in domain.yml."""

    @staticmethod
    def send(dispatcher: CollectingDispatcher, tracker: Tracker, reply: Reply) -> None:
        """Render the reply for the tracker's channel and send it."""
        channel = tracker.get_latest_input_channel()
        dispatcher.utter_message(
            text=render(reply, channel), buttons=reply.buttons or None
        )


class ActionAssessJob(AdvisorAction):
    """Reads a job description: recommends, or flags that it must ask first."""

    def name(self) -> str:
        return "action_assess_job"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text")
        found = dec.decide(dec.Evidence.from_parse(tracker.latest_message))
        events: list[EventType] = [
            SlotSet("job_role", found.role),
            SlotSet("role_group", found.group.name if found.group else None),
            SlotSet("job_text", text),
            SlotSet("ai_involvement", None),
            SlotSet("recommended_certification", found.code),
            SlotSet("certification_in_focus", found.code),
            SlotSet("needs_clarification", found.code is None),
            SlotSet("decided_by", list(found.quotes) if found.code else None),
        ]
        if found.code:
            self.send(
                dispatcher,
                tracker,
                advice.recommendation(
                    found.code, found.role, found.group, text, quotes=found.quotes
                ),
            )
        return events


class ActionAskAiInvolvement(AdvisorAction):
    """Asks the clarifying question of the form, tailored to the role."""

    def name(self) -> str:
        return "action_ask_ai_involvement"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        role, group, _ = _job_context(tracker)
        if _asked_already(tracker):
            reply = Reply(buttons=advice.clarify_buttons()).add(
                advice.say("clarify", "reask")
            )
        else:
            reply = advice.clarifying_question(group, role)
        self.send(dispatcher, tracker, reply)
        return []


def _asked_already(tracker: Tracker) -> bool:
    """True when the question was already asked in an earlier turn.

    The first question comes in the same turn as `action_assess_job`; any later
    one follows a user message that arrived while the form was waiting.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") == "action_assess_job":
            return False
    return False


_BUILD_WORDS = re.compile(
    r"\b(build|building|builds|code|coding|develop|developing|implement|implementing|"
    r"hands-on|hands on|technical|engineer|engineering|program|programming|train|"
    r"training|models?|caip)\b"
)
_LEAD_WORDS = re.compile(
    r"\b(lead|leading|manage|managing|management|govern|governing|governance|oversee|"
    r"overseeing|oversight|strategy|strategic|policy|policies|roi|budget|caim)\b"
)


def read_answer(
    intent: str | None, text: str | None, parse: dict | None = None
) -> str | None:
    """Turn an answer to the clarifying question into "build", "lead" or None.

    A clicked or typed payload counts by its intent only. Otherwise the activity
    cues the NLU found decide ("I manage the technical AI projects" is the
    article's CAIP wording for IT managers); then words that point one way only
    ("I mostly write policy" is leading, whatever verb it uses); then the intent.
    """
    low = (text or "").lower()
    if not low.startswith("/"):  # a typed or clicked payload: only its intent counts
        if parse:
            cues_only = {**parse, "intent_ranking": [], "intent": {}}
            leaning = dec.lean(dec.Evidence.from_parse(cues_only))
            if leaning:
                return leaning
        build, lead = bool(_BUILD_WORDS.search(low)), bool(_LEAD_WORDS.search(low))
        if build != lead:
            return "build" if build else "lead"
    if intent == dec.BUILDER_INTENT:
        return "build"
    if intent == dec.LEADER_INTENT:
        return "lead"
    return None


class ValidateClarifyForm(FormValidationAction):
    """Accepts "build" or "lead" from buttons, intents or free text."""

    def name(self) -> str:
        return "validate_clarify_form"

    async def validate_ai_involvement(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if slot_value in advice.ANSWER_TO_CODE:
            return {"ai_involvement": slot_value}
        answer = read_answer(
            _intent(tracker), str(slot_value or ""), tracker.latest_message
        )
        return {"ai_involvement": answer}


class ActionRecommend(AdvisorAction):
    """Recommends after the clarifying question has been answered."""

    def name(self) -> str:
        return "action_recommend"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answer = tracker.get_slot("ai_involvement")
        code = advice.ANSWER_TO_CODE.get(answer or "")
        if code is None:
            self.send(dispatcher, tracker, advice.fallback())
            return []
        role, group, text = _job_context(tracker)
        self.send(
            dispatcher, tracker, advice.recommendation(code, role, group, text, answer)
        )
        return [
            SlotSet("recommended_certification", code),
            SlotSet("certification_in_focus", code),
            SlotSet("needs_clarification", False),
        ]


class ActionExplain(AdvisorAction):
    """Answers "why?" about the recommendation."""

    def name(self) -> str:
        return "action_explain"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        role, group, text = _job_context(tracker)
        reply = advice.explanation(
            tracker.get_slot("recommended_certification"),
            role,
            group,
            text,
            tracker.get_slot("ai_involvement"),
            quotes=tracker.get_slot("decided_by") or (),
        )
        self.send(dispatcher, tracker, reply)
        return []


class ActionOtherCertification(AdvisorAction):
    """Answers "what about the other one?"."""

    def name(self) -> str:
        return "action_other_certification"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        current = tracker.get_slot("recommended_certification")
        named = _named_certification(tracker)
        # "what about CAIM?" names the one wanted: describe it as "the other".
        basis = kb.other(named) if named else current
        self.send(dispatcher, tracker, answers.other_certification(basis))
        return []


class ActionCompare(AdvisorAction):
    """Shows CAIP and CAIM side by side."""

    def name(self) -> str:
        return "action_compare"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        self.send(dispatcher, tracker, answers.comparison())
        return []


class ActionAnswerQuestion(AdvisorAction):
    """Answers a question about the facts, for the certification asked about."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # a question intent names its topic; anything else is a question the
        # article may not answer (only the question rules run this action)
        topic = kb.question_topic(_intent(tracker)) or "unknown_fact"
        named = _named_certification(tracker)
        code = named or tracker.get_slot("certification_in_focus")
        reply = answers.fact_answer(topic, code, tracker.latest_message.get("text"))
        self.send(dispatcher, tracker, reply)
        return [SlotSet("certification_in_focus", named)] if named else []


class ActionFallback(AdvisorAction):
    """Says what the bot can do when it did not understand."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        self.send(dispatcher, tracker, advice.fallback())
        return []


class FixedReplyAction(AdvisorAction, abc.ABC):
    """Sends one fixed reply (wording.yml `replies`), with its buttons."""

    reply: str  # the reply's key under `replies`

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        self.send(dispatcher, tracker, advice.fixed_reply(self.reply))
        return []


def _fixed_reply_action(action_name: str, reply: str) -> type[FixedReplyAction]:
    """The action `action_name` (as the rules name it), sending the reply `reply`."""

    def name(self: FixedReplyAction) -> str:
        return action_name

    return type(
        "".join(part.title() for part in action_name.split("_")),
        (FixedReplyAction,),
        {"__module__": __name__, "reply": reply, "name": name},
    )


# The fixed replies, one action each: the rules choose between them.
ActionGreet = _fixed_reply_action("action_greet", "greet")
ActionHelp = _fixed_reply_action("action_help", "help")
ActionGoodbye = _fixed_reply_action("action_goodbye", "goodbye")
ActionThank = _fixed_reply_action("action_thank", "thank")
ActionBotChallenge = _fixed_reply_action("action_bot_challenge", "bot_challenge")
ActionOutOfScope = _fixed_reply_action("action_out_of_scope", "out_of_scope")


class ActionRestart(AdvisorAction):
    """Rasa's `action_restart`, overridden: it says the conversation starts over
    (wording.yml `replies.start_over`), then restarts it as Rasa's does."""

    def name(self) -> str:
        return "action_restart"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        self.send(dispatcher, tracker, advice.fixed_reply("start_over"))
        return [Restarted()]
