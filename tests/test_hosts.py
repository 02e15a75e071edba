"""Every server the launcher starts listens on 127.0.0.1 unless the user asks
otherwise (RASA_INTERFACE, ACTION_HOST, WEB_HOST), one rule for all three
(infra/settings.py).

Uses tests/test_launch.py's throwaway project with stand-in servers.
"""

from __future__ import annotations

import pytest

from infra.settings import reachable
from tests.test_launch import launch_in, project  # noqa: F401 (a fixture)


def started(calls: str) -> tuple[str, str, str]:
    actions, web, rasa = calls.split("---\n")[:3]
    return actions, web, rasa


def test_by_default_the_action_server_and_the_page_listen_on_loopback(
    project,  # noqa: F811
    capsys,
):
    code, _, err, calls = launch_in(project, "server", capsys)
    assert code == 0, err
    actions, web, _ = started(calls)
    assert "SANIC_HOST=127.0.0.1" in actions
    assert web.startswith("python scripts/serve_web.py --host 127.0.0.1 ")


@pytest.mark.parametrize("name", ["ACTION_HOST", "WEB_HOST"])
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "web.example.org"])
def test_beyond_loopback_without_an_api_token_is_refused(
    project, capsys, name, host  # noqa: F811
):
    code, _, err, calls = launch_in(
        project, "server", capsys, RASA_AUTH_TOKEN="none", **{name: host}
    )
    assert code == 2 and name in err and host in err and "RASA_AUTH_TOKEN" in err
    assert calls == ""  # nothing was started


@pytest.mark.parametrize("name", ["ACTION_HOST", "WEB_HOST", "RASA_INTERFACE"])
@pytest.mark.parametrize(
    "host", ["0.0.0.0 --cors *", "http://0.0.0.0", "*", "host:8080:x", "a_b"]
)
def test_a_host_that_is_no_host_is_refused(project, capsys, name, host):  # noqa: F811
    code, _, err, calls = launch_in(project, "check", capsys, **{name: host})
    assert code == 2 and name in err and "host name or an IP address" in err
    assert calls == ""


def test_asked_for_and_protected_by_a_token_each_server_gets_its_host(
    project,  # noqa: F811
    capsys,
):
    code, out, err, calls = launch_in(
        project,
        "server",
        capsys,
        RASA_AUTH_TOKEN="t0k3n-" + "x" * 20,
        ACTION_HOST="0.0.0.0",
        WEB_HOST="0.0.0.0",
    )
    assert code == 0, err + out
    actions, web, rasa = started(calls)
    assert "SANIC_HOST=0.0.0.0" in actions
    assert web.startswith("python scripts/serve_web.py --host 0.0.0.0 ")
    assert "--interface 127.0.0.1" in rasa  # each setting moves its own server only


def test_a_server_is_reached_where_it_listens():
    assert reachable("0.0.0.0") == "127.0.0.1" and reachable("::") == "127.0.0.1"
    assert reachable("192.0.2.10") == "192.0.2.10"
    assert reachable("2001:db8::1") == "[2001:db8::1]"
