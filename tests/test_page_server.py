"""The page server (scripts/page_server.py under serve_web.py) cannot be held by slow
or silent clients.

The server runs in this process on a free loopback port with small limits, so the
tests can count its threads; every wait is bounded and every socket closed.
"""

from __future__ import annotations

import http.client
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import page_server  # noqa: E402
import serve_web  # noqa: E402

IDLE, LIFETIME, THREADS = 1.0, 3.0, 4


@contextmanager
def running() -> Iterator[int]:
    server = page_server.PageServer(
        ("127.0.0.1", 0),
        serve_web.make_handler("http://127.0.0.1:5005"),
        threads=THREADS,
        idle_timeout=IDLE,
        connection_timeout=LIFETIME,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def half_open(port: int, first_bytes: bytes = b"GET / HTTP/1.1\r\n") -> socket.socket:
    """A client that starts a request and never finishes it."""
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(first_bytes)
    return client


def closed_by_server(client: socket.socket, within: float) -> bool:
    client.settimeout(within)
    try:
        while client.recv(4096):  # a 408 or nothing, then the end
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def get(port: int, path: str = "/widget/embed.js", timeout: float = 20) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def page_threads() -> int:
    return sum(t.name.startswith("page-worker") for t in threading.enumerate())


def test_a_half_open_connection_is_closed_after_the_idle_timeout():
    with running() as port, ExitStack() as stack:
        client = stack.enter_context(half_open(port))
        started = time.monotonic()
        assert closed_by_server(client, within=IDLE + 5)
        assert time.monotonic() - started >= IDLE * 0.8  # not before the timeout


def test_a_trickling_client_is_cut_off_after_the_connection_timeout():
    with running() as port, ExitStack() as stack:
        client = stack.enter_context(half_open(port, b"G"))
        client.settimeout(0.5)
        started, closed = time.monotonic(), False
        while time.monotonic() - started < LIFETIME + 5:
            try:  # one byte well within the idle timeout, forever
                client.sendall(b"E")
                if client.recv(4096) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:  # reset or broken pipe: the server closed it
                closed = True
                break
        assert closed
        assert time.monotonic() - started >= LIFETIME * 0.8


def test_many_half_open_connections_neither_block_clients_nor_add_threads():
    with running() as port, ExitStack() as stack:
        assert get(port) == 200
        for _ in range(THREADS * 10):  # ten times as many as the pool has threads
            stack.enter_context(half_open(port))
        time.sleep(0.3)
        assert page_threads() <= THREADS  # a bounded pool, not a thread each
        # a real client is served once the idle timeout frees the workers
        assert get(port, timeout=IDLE / 2) == 200  # at once, not after the timeout
        assert page_threads() <= THREADS


@pytest.mark.parametrize(
    "path", ["/widget/embed.js", "/widget/vendor/socket.io.esm.min.js", "/app.css"]
)
def test_the_widget_files_are_served_to_other_sites_and_nothing_else(path):
    with running() as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path, headers={"Origin": "https://example.org"})
        response = connection.getresponse()
        assert response.status == 200
        shared = response.getheader("Access-Control-Allow-Origin")
        assert shared == ("*" if path.startswith("/widget/") else None)
        policy = response.getheader("Content-Security-Policy")
        assert "script-src 'self';" in policy and "style-src 'self';" in policy
        assert "unsafe" not in policy  # no inline script or style is needed
        connection.close()
        for other in ("/widget/", "/widget/../app.css", "/web/widget/embed.js"):
            assert get(port, other) == 404
