"""Every change the advisor makes to Rasa, in one list; for Rasa 3.6.21 only.

Stock Rasa runs the advisor; the patches below make it faster (the profile and
`make bench` justify each one) or fix a failure Rasa hides. Each `Patch` names the
Rasa symbols it replaces, why, and the test that compares it with Rasa's own
function (`grep -n "replaces=" infra/runtime.py` lists them all).

Where it is installed: Rasa creates the tracker store named in endpoints.yml
(`infra.stores.EnvTrackerStore`) before anything else of the project, in every
command that serves the assistant (`rasa run`, `rasa shell`, `rasa interactive`,
`make run`, the cluster); its constructor calls `install()`, and nothing else does.
That is also the last moment for `unwrapped_store`, which must be in place before
Rasa's `Agent` wraps the store. With another tracker store nothing is installed,
and the REST channel says so at start-up (`installed()`).

Switches:
- `ADVISOR_STOCK_RASA=1`: install nothing; stock Rasa runs the advisor (slower; a
  failed action or a database outage then behaves as stock Rasa does).
- Any Rasa version but `PINNED_RASA`: `install()` refuses, with the reason.

No patch is applied at import time: importing this module changes nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

PINNED_RASA = "3.6.21"
STOCK_VARIABLE = "ADVISOR_STOCK_RASA"


class RuntimeRefused(RuntimeError):
    """The installed Rasa is not the version the patches were written for."""


@dataclass(frozen=True)
class Patch:
    """One change to Rasa: what it replaces, why, and the test that checks it."""

    name: str
    replaces: tuple[str, ...]
    why: str
    test: str
    install: Callable[[], None]


def _speedup(name: str) -> Callable[[], None]:
    def install() -> None:
        from infra import speedups

        getattr(speedups, name)()

    return install


def _failed_turns() -> None:
    from infra import action_failures

    action_failures.install()


def _circuit_breaker() -> None:
    from infra import circuit_breaker

    circuit_breaker.install()


def _unwrapped_store() -> None:
    from infra import stores

    stores.unwrap_store()


PATCHES: tuple[Patch, ...] = (
    Patch(
        name="action_validation",
        replaces=("rasa.core.actions.action.RemoteAction._validate_action_result",),
        why="Speed: one jsonschema validator per event type, built once; Rasa builds "
        "one for every response (about half the CPU of a turn in the profile).",
        test="tests/test_speedups.py::"
        "test_the_validator_accepts_and_rejects_exactly_what_rasa_does",
        install=_speedup("_patch_action_validation"),
    ),
    Patch(
        name="endpoint_sessions",
        replaces=("rasa.utils.endpoints.EndpointConfig.session",),
        why="Speed: one keep-alive aiohttp session per event loop for the action "
        "server, bodies encoded with ujson; Rasa opens a connection per call.",
        test="tests/test_speedups.py::test_request_bodies_decode_to_the_same_json",
        install=_speedup("_patch_endpoint_sessions"),
    ),
    Patch(
        name="graph_runner",
        replaces=("rasa.engine.runner.dask.DaskGraphRunner.run",),
        why="Speed: the model graph's execution order worked out once per target "
        "set and run in order; dask rebuilds and orders the graph on every run.",
        test="tests/test_speedups.py::"
        "test_the_graph_runs_to_the_same_results_as_with_dask",
        install=_speedup("_patch_graph_runner"),
    ),
    Patch(
        name="event_lookup",
        replaces=("rasa.shared.core.events.Event.resolve_by_type",),
        why="Speed: an event class found by its name once, then remembered; Rasa "
        "walks every Event subclass for every stored event it reads.",
        test="tests/test_speedups.py::test_event_classes_are_found_as_rasa_finds_them",
        install=_speedup("_patch_event_lookup"),
    ),
    Patch(
        name="debug_copies",
        replaces=(
            "rasa.core.processor.copy",
            "rasa.core.policies.memoization.copy",
            "rasa.core.policies.rule_policy.copy",
        ),
        why="Speed: deep copies made only for debug log lines are skipped when "
        "debug logging is off.",
        test="tests/test_speedups.py::test_debug_copies_are_made_only_for_debug_logging",
        install=_speedup("_patch_debug_copies"),
    ),
    Patch(
        name="rule_lookup",
        replaces=("rasa.core.policies.rule_policy.RulePolicy._get_possible_keys",),
        why="Speed: the rule policy stops narrowing its rules once nothing can change "
        "and checks the latest state only against rules that can match it.",
        test="tests/test_speedups.py::test_the_rule_policy_finds_the_same_rules",
        install=_speedup("_patch_rule_lookup"),
    ),
    Patch(
        name="failed_turns",
        replaces=("rasa.core.processor.MessageProcessor._run_action",),
        why="Bug: when a custom action cannot run, Rasa saves a half-run turn and the "
        "conversation answers nothing from then on; here the turn is dropped and the "
        "channel apologises.",
        test="tests/reliability/test_cluster.py::"
        "test_d_action_server_down_gets_an_apology_then_recovers",
        install=_failed_turns,
    ),
    Patch(
        name="circuit_breaker",
        replaces=("rasa.core.processor.MessageProcessor.is_action_limit_reached",),
        why="Bug: a turn that trips Rasa's circuit breaker is saved unfinished and "
        "the user gets no answer, nor for any later message (the count runs on over "
        "the broken turn); here the count starts at the user's message, and a trip "
        "drops the turn and the channel apologises.",
        test="tests/test_breaker.py::"
        "test_the_count_is_rasas_on_every_well_formed_turn",
        install=_circuit_breaker,
    ),
    Patch(
        name="unwrapped_store",
        replaces=("rasa.core.agent.Agent._create_tracker_store",),
        why="Bug: Rasa's FailSafeTrackerStore answers a database outage with a new, "
        "empty conversation (RasaHQ/rasa#3243); the project's store is not wrapped, "
        "so an outage is reported to the user.",
        test="tests/reliability/test_env.py::"
        "test_the_env_tracker_store_is_not_wrapped_in_the_fail_safe_store",
        install=_unwrapped_store,
    ),
)

_installed: list[str] = []


def stock() -> bool:
    """True when `ADVISOR_STOCK_RASA` asks for stock Rasa."""
    return os.environ.get(STOCK_VARIABLE, "").strip().lower() in ("1", "true", "yes")


def check_version(version: str | None = None) -> None:
    """Refuse any Rasa but the pinned one: the patches replace private symbols."""
    if version is None:
        import rasa

        version = rasa.__version__
    if version != PINNED_RASA:
        raise RuntimeRefused(
            f"The advisor runs on Rasa {PINNED_RASA} only, and Rasa {version} is "
            f"installed. Run `make install` (requirements.txt pins {PINNED_RASA})."
        )


def install() -> list[str]:
    """Install every patch once per process; returns the names installed."""
    check_version()
    if _installed:
        return list(_installed)
    if stock():
        logger.info("%s is set: stock Rasa, no patches installed.", STOCK_VARIABLE)
        return []
    for patch in PATCHES:
        patch.install()
        _installed.append(patch.name)
    logger.info(
        "Rasa %s with the advisor's patches: %s.", PINNED_RASA, ", ".join(_installed)
    )
    return list(_installed)


def installed() -> list[str]:
    """The names of the patches installed in this process."""
    return list(_installed)


async def close() -> None:
    """Close what the patches opened (the action server sessions)."""
    if "endpoint_sessions" in _installed:
        from infra import speedups

        await speedups.close_sessions()
