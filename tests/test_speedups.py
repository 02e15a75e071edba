"""The Rasa speed-ups (infra/speedups.py) give exactly Rasa's own results."""

from __future__ import annotations

import asyncio
import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from infra import runtime, speedups

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "advisor.tar.gz"

# The speed patches of the runtime's registry (not the failure handling, which the
# reliability tests check with real servers), installed once for this module.
SPEED_PATCHES = [
    p for p in runtime.PATCHES if p.test.startswith("tests/test_speedups.py")
]
for _patch in SPEED_PATCHES:
    _patch.install()
ACTION = RemoteAction("action_recommend", None)

VALID_EVENTS: list[dict[str, Any]] = [
    {"event": "slot", "name": "recommended_certification", "value": "CAIP"},
    {"event": "slot", "name": "job_role", "value": None, "timestamp": None},
    {"event": "active_loop", "name": "clarify_form"},
    {"event": "active_loop", "name": None},
    {"event": "followup", "name": "action_recommend"},
    {"event": "action", "name": "action_listen", "policy": None, "confidence": None},
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
    {"event": "bot", "text": "Hello", "data": {"buttons": []}},
    {"event": "restart"},
    {"event": "rewind"},
    {"event": "reset_slots"},
    {"event": "session_started"},
]


def _mutations(event: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """Broken and odd variants of a valid event."""
    out = []
    for key in list(event):
        for value in (None, 5, "x", [], {}, True):
            changed = dict(event)
            changed[key] = value
            out.append(changed)
        dropped = dict(event)
        dropped.pop(key)
        out.append(dropped)
    out.append({**event, "event": "no_such_event"})
    out.append({**event, "extra": rng.random()})
    return out


def _rasa_accepts(response: Any) -> bool:
    try:
        speedups.ORIGINALS["validate_action_result"](ACTION, copy.deepcopy(response))
        return True
    except ValidationError:
        return False


def _ours_accepts(response: Any) -> bool:
    try:
        ACTION._validate_action_result(copy.deepcopy(response))
        return True
    except ValidationError as error:
        assert "Failed to validate Action server response" in error.message
        return False


def test_the_validator_accepts_and_rejects_exactly_what_rasa_does() -> None:
    rng = random.Random(5)
    responses: list[Any] = [
        {"events": VALID_EVENTS, "responses": [{"text": "hi"}]},
        {"events": [], "responses": []},
        {},
        {"events": "not a list"},
        {"events": [5]},
        {"responses": [5]},
        {"events": [{"no_event_key": 1}]},
    ]
    for event in VALID_EVENTS:
        responses += [{"events": [m]} for m in _mutations(event, rng)]
    decisions = [(_ours_accepts(r), _rasa_accepts(r)) for r in responses]
    assert all(ours == theirs for ours, theirs in decisions)
    # the comparison covered both outcomes
    assert {theirs for _, theirs in decisions} == {True, False}


def test_event_classes_are_found_as_rasa_finds_them() -> None:
    names = {c.type_name for c in all_subclasses(Event)}
    for name in names:
        assert Event.resolve_by_type(name) is speedups.ORIGINALS["resolve_by_type"](
            name
        )
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", default=Event) is Event


@pytest.mark.skipif(not MODEL.exists(), reason="needs `make train`")
def test_the_graph_runs_to_the_same_results_as_with_dask() -> None:
    agent = Agent.load(str(MODEL))
    runner = agent.processor.graph_runner
    nlu_target = [
        name for name in runner._instantiated_nodes if "FallbackClassifier" in name
    ]
    texts = ["hi", "I'm a data scientist", "does CAIM need programming?", "🍕", ""]
    for text in texts:
        inputs = {"__message__": [UserMessage(text)]}
        ours = runner.run(inputs=copy.deepcopy(inputs), targets=nlu_target)
        theirs = speedups.ORIGINALS["graph_run"](
            runner, inputs=copy.deepcopy(inputs), targets=nlu_target
        )
        assert list(ours) == list(theirs)
        ours_msg, theirs_msg = ours[nlu_target[0]][0], theirs[nlu_target[0]][0]
        ours_data, theirs_data = ours_msg.as_dict(), theirs_msg.as_dict()
        doc = "text_spacy_doc"  # a spaCy Doc: equal text, not the same object
        assert str(ours_data.pop(doc, "")) == str(theirs_data.pop(doc, ""))
        assert ours_data == theirs_data

    async def predictions() -> list[tuple[str, str]]:
        seen = []
        # the predictions only: no action server, so the actions say nothing in both
        for text in ["hello", "are you a bot?", "thanks", "bye"]:
            await agent.handle_text(text, sender_id="speedups-test")
            tracker = await agent.tracker_store.retrieve("speedups-test")
            seen.append(
                (
                    text,
                    [e.action_name for e in tracker.events if e.type_name == "action"],
                )
            )
        return seen

    with_ours = asyncio.run(predictions())
    DaskGraphRunner.run = speedups.ORIGINALS["graph_run"]
    try:
        agent = Agent.load(str(MODEL))
        with_dask = asyncio.run(predictions())
    finally:
        speedups._patch_graph_runner()
    assert with_ours == with_dask


def test_debug_copies_are_made_only_for_debug_logging() -> None:
    import inspect
    import logging
    import re

    from rasa.core import processor
    from rasa.core.policies import memoization, rule_policy

    for module in (processor, memoization, rule_policy):
        # the assumption the patch rests on: `copy` feeds debug log lines only
        source = inspect.getsource(module)
        for match in re.finditer(r"copy\.(\w+)\(", source):
            assert match.group(1) == "deepcopy"
            call_start = source.rfind("structlogger.debug(", 0, match.start())
            assert call_start != -1
            assert source.count("(", call_start, match.start()) > source.count(
                ")", call_start, match.start()
            ), "a deepcopy outside a debug log call"
        value = {"events": [{"event": "slot"}]}
        rasa_logger = logging.getLogger("rasa")
        level = rasa_logger.level
        try:
            rasa_logger.setLevel(logging.INFO)
            assert module.copy.deepcopy(value) is value
            rasa_logger.setLevel(logging.DEBUG)
            copied = module.copy.deepcopy(value)
            assert copied == value and copied is not value
        finally:
            rasa_logger.setLevel(level)


@pytest.mark.skipif(not MODEL.exists(), reason="needs `make train`")
def test_the_rule_policy_finds_the_same_rules() -> None:
    agent = Agent.load(str(MODEL))
    nodes = agent.processor.graph_runner._instantiated_nodes
    node = next(n for name, n in nodes.items() if name.startswith("run_RulePolicy"))
    policy = node._component
    rng = random.Random(9)
    checked = matched = 0
    # the model's rules, plus variants whose last state names no previous action
    # (rules that any latest state may match)
    variants = {}
    for key in list(policy.lookup["rules"])[::4]:
        states = copy.deepcopy(policy._rule_key_to_state(key))
        states[-1].pop("prev_action", None)
        variants[json.dumps(states, sort_keys=True)] = "action_listen"
    lookups = [
        policy.lookup["rules"],
        policy.lookup["rules_for_loop_unhappy_path"],
        {**policy.lookup["rules"], **variants},
    ]
    for lookup in lookups:
        keys = list(lookup)
        every_state = [
            state for key in keys for state in policy._rule_key_to_state(key)
        ]
        for _ in range(300):
            # histories made of whole rules one after another, and of single states
            # from any rule in any order (these reach a rule's first state)
            states: list[dict] = []
            for key in rng.sample(keys, k=min(len(keys), rng.randint(1, 6))):
                states += copy.deepcopy(policy._rule_key_to_state(key))
            mixed = copy.deepcopy(
                [rng.choice(every_state) for _ in range(rng.randint(1, 8))]
            )
            if rng.random() < 0.5:  # a conversation start: no previous action
                mixed[0].pop("prev_action", None)
            for history in (states, mixed):
                ours = policy._get_possible_keys(lookup, history)
                theirs = speedups.ORIGINALS["rule_possible_keys"](
                    policy, lookup, history
                )
                assert ours == theirs
                checked += 1
                matched += bool(theirs)
    assert checked >= 1800 and matched > 0  # histories with and without a rule


def test_request_bodies_decode_to_the_same_json() -> None:
    import math

    agent_like = {
        "next_action": "action_recommend",
        "sender_id": "é/ü 🍕",
        "tracker": {"events": VALID_EVENTS, "slots": {"job_role": "CTO/CIO"}},
        "numbers": [0.1, 1e-300, 1.0000000000000002, 10**20, -0.0],
    }
    assert json.loads(speedups.to_json(agent_like)) == agent_like
    # what ujson refuses goes through the standard library, as before
    nan = json.loads(speedups.to_json({"x": float("nan")}))["x"]
    assert math.isnan(nan)
    with pytest.raises(TypeError):
        speedups.to_json({"x": object()})
