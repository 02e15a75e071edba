"""An HTTP server for the advisor's page that no slow or silent client can hold.

Python's ThreadingHTTPServer gives each connection a thread that waits as long as the
client likes: 300 half-open connections hold 300 threads. PageServer instead reads
the request heads of all connections in one thread without blocking, closes those
that stall or trickle, and answers complete requests from a bounded pool of worker
threads that never wait for a client to send. Used by scripts/serve_web.py; tested
by tests/test_page_server.py. Standard library only.
"""

from __future__ import annotations

import io
import queue
import selectors
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


class _Received:
    """A connection whose request head is already read: the handler reads it from
    memory and writes to the socket."""

    def __init__(self, connection: socket.socket, head: bytes) -> None:
        self.connection, self.head = connection, head

    def makefile(self, *args: Any, **kwargs: Any) -> io.BytesIO:
        return io.BytesIO(self.head)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)


@dataclass
class _Arriving:
    """A connection whose request head is still coming in."""

    address: Any
    since: float
    last: float
    head: bytes = b""


class PageServer(HTTPServer):
    """An HTTP server that no slow or silent client can hold.

    One thread (the gate) reads the request heads of all connections at once,
    without blocking; a connection silent for `idle_timeout` seconds, or whose head
    is not complete after `connection_timeout` seconds or MAX_HEAD bytes, is
    closed. Complete requests go to a bounded pool of `threads` workers, which never
    wait for a client to send; a client too slow to receive is cut off after
    `idle_timeout` seconds. The page has no request bodies (GET and HEAD only).
    """

    request_queue_size = 128
    MAX_HEAD = 16384

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        threads: int = 16,
        idle_timeout: float = 10.0,
        connection_timeout: float = 30.0,
    ) -> None:
        super().__init__(address, handler)
        self.idle_timeout = idle_timeout
        self.connection_timeout = connection_timeout
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="page-worker")
        self.accepted: queue.SimpleQueue[
            tuple[socket.socket, Any]
        ] = queue.SimpleQueue()
        self.selector = selectors.DefaultSelector()
        self.closing = threading.Event()
        self.gate = threading.Thread(target=self._gather, name="page-gate", daemon=True)
        self.gate.start()

    def process_request(self, request: Any, client_address: Any) -> None:
        self.accepted.put((request, client_address))

    def _gather(self) -> None:
        while not self.closing.is_set():
            while not self.accepted.empty():
                connection, address = self.accepted.get()
                connection.setblocking(False)
                now = time.monotonic()
                arriving = _Arriving(address, now, now)
                self.selector.register(connection, selectors.EVENT_READ, arriving)
            for key, _ in self.selector.select(timeout=0.1):
                self._read(key.fileobj, key.data)  # type: ignore[arg-type]
            now = time.monotonic()
            for key in list(self.selector.get_map().values()):
                arriving = key.data
                if (
                    now - arriving.last > self.idle_timeout
                    or now - arriving.since > self.connection_timeout
                ):
                    self._drop(key.fileobj)  # type: ignore[arg-type]

    def _read(self, connection: socket.socket, arriving: _Arriving) -> None:
        try:
            chunk = connection.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk or len(arriving.head) + len(chunk) > self.MAX_HEAD:
            self._drop(connection)
            return
        arriving.head += chunk
        arriving.last = time.monotonic()
        if b"\r\n\r\n" in arriving.head or b"\n\n" in arriving.head:
            self.selector.unregister(connection)
            connection.setblocking(True)
            connection.settimeout(self.idle_timeout)
            self.pool.submit(self._serve, connection, arriving)

    def _drop(self, connection: socket.socket) -> None:
        self.selector.unregister(connection)
        connection.close()

    def _serve(self, connection: socket.socket, arriving: _Arriving) -> None:
        request = _Received(connection, arriving.head)
        try:
            self.finish_request(request, arriving.address)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 (a broken connection is logged, not fatal)
            self.handle_error(request, arriving.address)  # type: ignore[arg-type]
        finally:
            self.shutdown_request(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        print(f"serve_web: {client_address[0]}: {error!r}", file=sys.stderr)

    def server_close(self) -> None:
        self.closing.set()
        self.gate.join(timeout=2)
        for key in list(self.selector.get_map().values()):
            self._drop(key.fileobj)  # type: ignore[arg-type]
        super().server_close()
        self.pool.shutdown(wait=False, cancel_futures=True)
