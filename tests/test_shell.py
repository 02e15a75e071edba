"""`rasa shell` through a pseudo-terminal: buttons show as a choice list; plain
`rasa run actions` + `rasa shell` with no project variable."""

from __future__ import annotations

import pexpect
import pytest

from infra import launch
from infra.endpoints import endpoints_for
from tests import servers

UP, DOWN, ENTER = "\x1b[A", "\x1b[B", "\r"


@pytest.fixture(scope="module")
def shell():
    with servers.action_server() as action_url:
        env = servers._env(TERM="xterm")
        child = pexpect.spawn(
            str(servers.BIN / "rasa"),
            [
                "shell",
                "--model",
                str(servers.MODEL),
                "--endpoints",
                endpoints_for(action_url),
                "--interface",
                "127.0.0.1",
                "--port",
                str(servers.free_port()),
            ],
            cwd=str(servers.ROOT),
            env=env,
            encoding="utf-8",
            timeout=90,
            dimensions=(60, 400),
        )
        servers.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        child.logfile_read = open(
            servers.ARTIFACTS / "shell.log", "w", encoding="utf-8"
        )
        try:
            child.expect("Bot loaded", timeout=servers.READY_TIMEOUT)
            child.expect("Your input ->")
            yield child
        finally:
            child.terminate(force=True)
            child.logfile_read.close()


def _type_free_text(child: pexpect.spawn, text: str) -> None:
    """From a button list, pick "Type out your own message..." and type."""
    child.send(UP)  # the free-text choice is last; Up wraps round to it
    child.send(ENTER)
    child.expect("Your input ->")
    child.sendline(text)


def test_shell_recommends_and_asks_for_ambiguous_roles(shell):
    shell.sendline("I'm a data scientist building machine learning models")
    shell.expect("Certified Artificial Intelligence Professional")
    shell.expect(r"Why CAIP\?")  # a button, shown as a choice
    _type_free_text(shell, "I'm a compliance officer at a bank")
    shell.expect("Risk and compliance people appear in both audiences")
    shell.expect("I lead or govern AI")
    shell.send(DOWN)  # second choice: lead or govern
    shell.send(ENTER)
    shell.expect("Certified Artificial Intelligence Manager")


def test_plain_rasa_shell_works_with_none_of_the_projects_variables(tmp_path):
    """A Rasa user's habit: `rasa run actions`, then `rasa shell`, in the project root,
    the venv on PATH, nothing else set (Rasa's default ports 5055 and 5005)."""
    for port in (5055, 5005):
        assert not launch.port_open(port), f"port {port} is taken: stop what uses it"
    env = {
        "PATH": f"{servers.BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TERM": "xterm",
        "LANG": "C.UTF-8",
        "RASA_TELEMETRY_ENABLED": "false",  # Rasa's own switch; no network here
    }
    log = servers.ARTIFACTS / "plain-actions.log"
    actions = launch.Process(
        "plain-actions",
        log,
        cmd=["rasa", "run", "actions"],
        environment=env,
        ready_url="http://127.0.0.1:5055/health",
    )
    actions.start(wait=False)
    try:
        actions.wait_ready(servers.READY_TIMEOUT)
        child = pexpect.spawn(
            "rasa",
            ["shell"],
            cwd=str(servers.ROOT),
            env=env,
            encoding="utf-8",
            timeout=90,
            dimensions=(60, 400),
        )
        try:
            child.expect("Bot loaded", timeout=servers.READY_TIMEOUT)
            child.expect("Your input ->")
            child.sendline("I'm a data scientist")
            child.expect("Certified Artificial Intelligence Professional")
        finally:
            child.terminate(force=True)
    finally:
        actions.stop()
