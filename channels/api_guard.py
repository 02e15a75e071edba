"""Rasa's HTTP API answers this machine's own tools, not other web sites.

Declared in credentials.yml as a channel (Rasa imports it by name) with no route
of its own: when the server starts it adds one request check to the Rasa server,
for the HTTP API's routes only (not `/webhooks/...`, the widget's socket, nor the
health routes `/`, `/status`, `/version`):

- `Host` must name the server itself (loopback names, the interface it listens
  on, or `RASA_ALLOWED_HOSTS`), else 421: a DNS-rebinding page that points its own
  domain at 127.0.0.1 sends its own host name and is refused;
- a request a browser marks with another site's `Origin` gets 403
  (`RASA_API_ORIGINS` lists any site allowed to call the API; none by default);
- a body on a write route must be JSON (`application/json`; the training and
  test routes also take `application/x-yaml`), else 415: a page cannot send a
  "simple" cross-site request (text/plain, form data) that Rasa would still parse.

`ADVISOR_API_GUARD=off` switches it off (stock Rasa behaviour).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
OPEN_PREFIXES = ("/webhooks/", "/socket.io")  # the channels, checked by themselves
HEALTH = ("/", "/status", "/version")  # read by probes under any host name
YAML_ROUTES = ("/model/train", "/model/test/")
JSON = "application/json"
YAML = ("application/x-yaml", "application/yaml", "text/yaml", "text/x-yaml")


def _names(variable: str) -> set[str]:
    raw = os.environ.get(variable, "")
    return {part.strip().lower().rstrip("/") for part in raw.split(",") if part.strip()}


def allowed_hosts() -> set[str]:
    """Host names (no port) the API answers to."""
    interface = os.environ.get("RASA_INTERFACE", "").strip().lower()
    hosts = set(LOOPBACK_HOSTS) | _names("RASA_ALLOWED_HOSTS")
    if interface and interface not in ("0.0.0.0", "::"):
        hosts.add(interface)
    return hosts


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:5005
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def refusal(request: Request) -> HTTPResponse | None:
    """The answer to an API request from another site, or None to let it through."""
    path = request.path
    if path in HEALTH or path.startswith(OPEN_PREFIXES):
        return None
    host = _host_name(request.headers.get("host", ""))
    if host not in allowed_hosts():
        return response.json(
            {"error": "This server does not answer to that host name."}, status=421
        )
    origin = (request.headers.get("origin") or "").strip().lower().rstrip("/")
    if origin and origin not in _names("RASA_API_ORIGINS"):
        return response.json(
            {"error": "The API does not answer requests from other web sites."},
            status=403,
        )
    if request.method in ("POST", "PUT", "PATCH") and request.body:
        kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        allowed = (JSON, *YAML) if path.startswith(YAML_ROUTES) else (JSON,)
        if kind not in allowed:
            return response.json(
                {"error": f"Send the body as {' or '.join(allowed[:2])}."}, status=415
            )
    return None


async def _check(request: Request) -> HTTPResponse | None:
    return refusal(request)


def enabled() -> bool:
    return os.environ.get("ADVISOR_API_GUARD", "").strip().lower() != "off"


class ApiGuard(InputChannel):
    """A channel with no route: it adds the API check when the server starts."""

    @classmethod
    def name(cls) -> str:
        return "api_guard"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        guard = Blueprint("api_guard", __name__)

        @guard.listener("before_server_start")
        async def add_check(app: Sanic, _loop: Any) -> None:
            if not enabled():
                logger.warning("ADVISOR_API_GUARD=off: the HTTP API answers any site.")
                return
            if _check not in app.request_middleware:
                app.register_middleware(_check, "request")

        return guard
