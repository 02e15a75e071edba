"""Small patches to Rasa 3.6 that the profile justifies (README, "Performance").

Importing this module changes nothing: each `_patch_*` function is one entry of
the registry in `infra/runtime.py`, which installs them (or, with
`ADVISOR_STOCK_RASA=1`, does not).

1. Rasa validates every action-server response with `jsonschema.validate`, which
   checks the schema against its meta-schema and builds a new validator on every
   call: about half of the advisor's CPU time per turn in the py-spy profile. Here
   the validators are built once, and each event is checked against the schema of
   its own type (see `_event_validators`) instead of all 23; anything that does not
   pass goes through the full schema, so a bad response still raises the same
   `ValidationError` with Rasa's own explanation appended.
2. `EndpointConfig.request` opens a new aiohttp session, and so a new TCP
   connection, for every call to the action server. Here each event loop keeps one
   session per endpoint configuration, so connections are reused (keep-alive), and
   the request body (the whole conversation) is encoded with ujson (already a Rasa
   dependency; the standard `json` takes over for anything ujson refuses).
3. Rasa runs its model graph (NLU for every message, the policies for every
   predicted action: three or more runs per turn) through dask's scheduler, which
   rebuilds the task graph, orders it and formats a debug line with all inputs on
   every run. Here the execution order for each set of targets is worked out once
   and the same nodes are called in that order, in the same thread, with the same
   arguments; the outputs are identical.
4. Rasa finds an event's class by its type name by walking every subclass of
   `Event` (with an `inspect.isabstract` check each) for every event it reads:
   thousands of calls per turn when a stored conversation is loaded. Here each
   name is looked up that way once and then remembered.
5. Rasa's processor, rule policy and memoization policy deep-copy events, states
   and parse data for every debug log line, also when debug logging is off (the
   copies are made before the logger drops the line). In those modules, where
   `copy` is used for nothing else, the copy is made only when `rasa` logs debug.
6. The rule policy narrows its candidate rules turn by turn, walking back through
   the whole conversation even after no rule is left or every rule left is
   shorter than the distance walked (from there on every rule passes), and
   re-reversing each rule's states for every check, and checking every rule
   against the latest state. Here each rule is reversed once, the walk stops at
   that point, and the latest state is checked only against the rules that end
   with its previous action or with none: the same rules remain, and a long
   conversation no longer costs a pass over every turn for every prediction.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from typing import Any

import aiohttp
import ujson

logger = logging.getLogger(__name__)

# Rasa's own functions, kept for the tests that compare both.
ORIGINALS: dict[str, Any] = {}


# ---------------------------------------------------------------------------
# 1. one validator for action-server responses


def _event_validators(schema: dict[str, Any], validator_class: Any) -> dict | None:
    """One validator per event type, or None if the schema is not as expected.

    Rasa's event schema is `{type: object, properties, required, oneOf: [one
    subschema per event type, told apart by `event: {const: <type>}`]}`: for an
    event of type T only T's subschema can match, so "exactly one of 23 matches"
    is the same as "T's subschema matches", without checking the other 22.
    """
    items = schema.get("properties", {}).get("events", {}).get("items", {})
    variants = items.get("oneOf")
    if not isinstance(variants, list):
        return None
    base = {k: v for k, v in items.items() if k != "oneOf"}
    by_type: dict[str, Any] = {}
    for variant in variants:
        event_type = variant.get("properties", {}).get("event", {}).get("const")
        if not isinstance(event_type, str) or event_type in by_type:
            return None
        by_type[event_type] = validator_class({**base, "allOf": [variant]})
    return by_type


def _patch_action_validation() -> None:
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of on every response
    validator = validator_class(schema)
    by_type = _event_validators(schema, validator_class)
    without_events = {k: v for k, v in schema["properties"].items() if k != "events"}
    rest = validator_class({**schema, "properties": without_events})

    def quick_check(result: Any) -> bool:
        """True when the response is valid; False means "ask the full validator"."""
        if by_type is None or not isinstance(result, dict):
            return False
        events = result.get("events", [])
        if not isinstance(events, list) or not rest.is_valid(result):
            return False
        for event in events:
            name = event.get("event") if isinstance(event, dict) else None
            check = by_type.get(name) if isinstance(name, str) else None
            if check is None or not check.is_valid(event):
                return False
        return True

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if quick_check(result):
            return True
        try:  # the full schema decides, and gives Rasa's own error
            validator.validate(result)
            return True
        except ValidationError as e:
            e.message += (
                ". Failed to validate Action server response from API, "
                "make sure your response from the Action endpoint is valid. "
                "For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    ORIGINALS["validate_action_result"] = RemoteAction._validate_action_result
    RemoteAction._validate_action_result = _validate_action_result


# ---------------------------------------------------------------------------
# 2. one HTTP session (and its keep-alive connections) per loop and endpoint

_sessions: dict[tuple, aiohttp.ClientSession] = {}


class _Borrowed:
    """`async with` hands out the shared session and leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc: Any) -> bool:
        return False


# Idle connections are dropped by the client before the action server (Sanic closes
# them after 5 s), so a request never goes out on a connection being closed.
KEEPALIVE_S = 3.0


def _new_session(config: Any) -> aiohttp.ClientSession:
    """Rasa's own session settings, with a keep-alive connection pool."""
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT

    auth = None
    if config.basic_auth:
        auth = aiohttp.BasicAuth(
            config.basic_auth["username"], config.basic_auth["password"]
        )
    return aiohttp.ClientSession(
        headers=config.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S),
        json_serialize=to_json,
    )


def to_json(value: Any) -> str:
    """ujson when it can (several times faster), else the standard library.

    Used for request bodies to the action server and for stored events."""
    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(value)


def _patch_endpoint_sessions() -> None:
    from rasa.utils.endpoints import EndpointConfig

    own_session = EndpointConfig.session

    def shared_session(self: EndpointConfig) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: behave exactly like Rasa
            return own_session(self)
        key = (
            id(loop),
            tuple(sorted((self.headers or {}).items())),
            tuple(sorted((self.basic_auth or {}).items())),
        )
        session = _sessions.get(key)
        if session is None or session.closed or session._loop is not loop:
            session = _new_session(self)
            _sessions[key] = session
        return _Borrowed(session)

    ORIGINALS["endpoint_session"] = own_session
    EndpointConfig.session = shared_session


async def close_sessions() -> None:
    """Close the shared sessions of the running loop (at server stop)."""
    loop = asyncio.get_running_loop()
    for key, session in list(_sessions.items()):
        if key[0] == id(loop):
            _sessions.pop(key, None)
            await session.close()


# ---------------------------------------------------------------------------
# 3. the model graph, run in a precomputed order


def _execution_order(schema: Any, targets: tuple[str, ...]) -> list[tuple[str, list]]:
    """The nodes the targets need, each after its own needs (depth-first)."""
    order: list[tuple[str, list]] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in schema.nodes:
            return  # done already, or an input placeholder
        seen.add(name)
        needs = list(schema.nodes[name].needs.values())
        for need in needs:
            visit(need)
        order.append((name, needs))

    for target in targets:
        visit(target)
    return order


def _patch_graph_runner() -> None:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    def run(
        self: DaskGraphRunner,
        inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None,
    ) -> dict[str, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        orders = self.__dict__.setdefault("_orders", {})
        order = orders.get(run_targets)
        if order is None:
            order = orders[run_targets] = _execution_order(
                self._graph_schema, run_targets
            )
        # Each node returns (its name, its output); inputs are passed the same way.
        results: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are "
                    f"the same as node names in the graph schema."
                )
            results[name] = (name, value)
        try:
            for name, needs in order:
                node = self._instantiated_nodes[name]
                results[name] = node(*(results.get(need, need) for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)

    ORIGINALS["graph_run"] = DaskGraphRunner.run
    DaskGraphRunner.run = run


# ---------------------------------------------------------------------------
# 4. event classes by type name, looked up once


def _patch_event_lookup() -> None:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    walk_every_time = Event.resolve_by_type
    found: dict[str, type] = {}

    def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
        event_class = found.get(type_name)
        if event_class is None:
            event_class = next(
                (c for c in all_subclasses(Event) if c.type_name == type_name), None
            )
            if event_class is None:  # unknown name: Rasa's own answer or error
                return walk_every_time(type_name, default)
            found[type_name] = event_class
        return event_class

    ORIGINALS["resolve_by_type"] = walk_every_time
    Event.resolve_by_type = staticmethod(resolve_by_type)


# ---------------------------------------------------------------------------
# 5. no deep copies for debug lines that are not logged


class _CopyForDebugLogs:
    """Stands in for the `copy` module in modules that deep-copy only to log."""

    def __init__(self, logger_name: str) -> None:
        self._logger = logging.getLogger(logger_name)

    def deepcopy(self, value: Any, memo: dict | None = None) -> Any:
        if self._logger.isEnabledFor(logging.DEBUG):
            return copy.deepcopy(value, memo)
        return value  # only ever handed to a debug log call that drops it

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _patch_debug_copies() -> None:
    from rasa.core import processor
    from rasa.core.policies import memoization, rule_policy

    for module in (processor, memoization, rule_policy):
        ORIGINALS[f"{module.__name__}.copy"] = module.copy
        module.copy = _CopyForDebugLogs("rasa")


# ---------------------------------------------------------------------------
# 6. the rule policy stops narrowing when nothing can change any more


def _rules_by_last_action(
    rules_backwards: dict[str, list[dict]], lookup: dict[str, str]
) -> tuple[dict[str, set[str]], set[str]]:
    """The rules grouped by the action name in their last state's `prev_action`,
    and the rules without one (which any conversation state may match)."""
    from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
    from rasa.shared.nlu.constants import ACTION_NAME

    by_action: dict[str, set[str]] = {}
    others: set[str] = set()
    for key in lookup:
        previous = rules_backwards[key][0].get(PREVIOUS_ACTION) or {}
        name = previous.get(ACTION_NAME)
        if isinstance(name, str) and name and name != SHOULD_NOT_BE_SET:
            by_action.setdefault(name, set()).add(key)
        else:
            others.add(key)
    return by_action, others


def _patch_rule_lookup() -> None:
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.constants import PREVIOUS_ACTION
    from rasa.shared.nlu.constants import ACTION_NAME

    def _get_possible_keys(
        self: RulePolicy, lookup: dict[str, str], states: list[dict]
    ) -> set[str]:
        # Each rule's states, last first, parsed and reversed once per policy
        # (Rasa's `_is_rule_applicable` re-reverses them on every check).
        backwards: dict[str, list[dict]] = self.__dict__.setdefault(
            "_rules_backwards", {}
        )
        # A rule whose last state names a previous action can only match a
        # conversation whose last state names the same one (Rasa's
        # `_does_rule_match_state`), so the first turn checks only those rules and
        # the rules that name none.
        groups = self.__dict__.setdefault("_rules_by_last_action", {})
        if id(lookup) not in groups or groups[id(lookup)][0] is not lookup:
            for key in lookup:
                if key not in backwards:
                    backwards[key] = list(reversed(self._rule_key_to_state(key)))
            groups[id(lookup)] = (lookup, *_rules_by_last_action(backwards, lookup))
        _, by_action, others = groups[id(lookup)]
        possible = set(lookup.keys())
        for turn, state in enumerate(reversed(states)):
            # A rule of n states is applicable at every turn >= n, so past the
            # longest remaining rule, or with no rule left, the set stays as it is.
            if not possible or turn >= max(len(backwards[key]) for key in possible):
                break
            current_previous_action = state.get(PREVIOUS_ACTION)
            candidates = possible
            if turn == 0:
                name = (current_previous_action or {}).get(ACTION_NAME)
                candidates = others | by_action.get(name, set())
            remaining = set()
            for key in candidates:
                rule_states = backwards[key]
                if turn >= len(rule_states):
                    remaining.add(key)
                    continue
                # the checks of Rasa's `_is_rule_applicable`, in its order
                rule_previous_action = rule_states[turn].get(PREVIOUS_ACTION)
                if not rule_previous_action and not current_previous_action:
                    remaining.add(key)
                elif not rule_previous_action or not current_previous_action:
                    continue
                elif self._does_rule_match_state(rule_states[turn], state):
                    remaining.add(key)
            possible = remaining
        return possible

    ORIGINALS["rule_possible_keys"] = RulePolicy._get_possible_keys
    RulePolicy._get_possible_keys = _get_possible_keys
