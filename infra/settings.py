"""The settings `make run` takes from the environment, checked before anything starts.

A refused setting raises `Refused` with the reason, and the launcher starts nothing
(infra/launch.py). Every server listens on 127.0.0.1 unless the user asks otherwise
(RASA_INTERFACE, ACTION_HOST, WEB_HOST), and the same rule holds for each: a host
must be a host name or an IP address, and none may be beyond this machine while
Rasa's HTTP API runs without a token (RASA_AUTH_TOKEN=none), which is for loopback
only. Rasa's HTTP API gets a token by default: RASA_AUTH_TOKEN, or one made at start
and written to TOKEN_FILE (mode 0600).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from infra.commands import LIMITS, MODEL, ROOT, base_env, rasa_server_command

LOOPBACK = re.compile(r"^(127(\.\d{1,3}){3}|localhost|::1|\[::1\])$")
HOST = re.compile(
    r"^(\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$"
)
EVERY_INTERFACE = ("0.0.0.0", "::", "[::]")
ORIGIN = re.compile(r"^https?://[^/*\s]+$")
TOKEN_FILE = "var/api-token"  # a token made at start, readable by the user only
HOSTS = ("RASA_INTERFACE", "ACTION_HOST", "WEB_HOST")  # where each server listens


def _host(environ: Mapping[str, str], name: str) -> str:
    """The host a server listens on (127.0.0.1 unless asked), or `Refused`."""
    value = environ.get(name, "").strip() or "127.0.0.1"
    if not HOST.match(value):
        raise Refused(f"{name} must be a host name or an IP address, not '{value}'.")
    return value


def reachable(host: str) -> str:
    """The address to reach a server listening on `host` from this machine."""
    if host in EVERY_INTERFACE or LOOPBACK.match(host):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class Refused(ValueError):
    """A setting that would make the advisor unsafe or unusable; nothing starts."""


@dataclass(frozen=True)
class Settings:
    """What `make run` takes from the environment, checked."""

    action_port: int = 5055
    rasa_port: int = 5005
    web_port: int = 8080
    interface: str = "127.0.0.1"
    enable_api: bool = True
    token: str = ""
    generated: bool = False  # the token was made at start (written to TOKEN_FILE)
    max_body: int = 65536
    origins: tuple[str, ...] = ()
    action_url: str = ""
    model: str = MODEL
    action_host: str = "127.0.0.1"
    web_host: str = "127.0.0.1"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """The settings, or `Refused` with the reason."""

        def number(name: str, default: int) -> int:
            value = environ.get(name, "").strip() or str(default)
            if not value.isdigit() or not 0 < int(value) < 65536:
                raise Refused(f"{name} must be a port number, not '{value}'.")
            return int(value)

        ports = {
            n: number(n, d)
            for n, d in (("ACTION_PORT", 5055), ("RASA_PORT", 5005), ("WEB_PORT", 8080))
        }
        hosts = {name: _host(environ, name) for name in HOSTS}
        interface = hosts["RASA_INTERFACE"]
        api = environ.get("RASA_ENABLE_API", "").strip() or "true"
        if api not in ("true", "false"):
            raise Refused("RASA_ENABLE_API must be true or false.")
        body = environ.get("RASA_MAX_BODY_BYTES", "").strip() or "65536"
        if not re.fullmatch(r"[0-9]{4,9}", body) or int(body) < 1024:
            raise Refused(
                "RASA_MAX_BODY_BYTES must be a number of bytes from 1024 to 999999999."
            )
        token = environ.get("RASA_AUTH_TOKEN", "").strip()
        generated = False
        if token.lower() == "none":  # the user asks for an API without a token
            token = ""
            if api == "true" and not LOOPBACK.match(interface):
                raise Refused(
                    f"RASA_AUTH_TOKEN=none: the Rasa HTTP API (--enable-api) would "
                    f"listen on {interface}, beyond this machine, without a token: "
                    "anyone who reaches the port could read every conversation. Set "
                    "a token (16 characters or more), or RASA_ENABLE_API=false, or "
                    "leave RASA_INTERFACE at 127.0.0.1."
                )
            for name, host in hosts.items():
                if api == "true" and not LOOPBACK.match(host):
                    raise Refused(
                        f"RASA_AUTH_TOKEN=none keeps the advisor on this machine "
                        f"(an HTTP API without a token), but {name} asks for {host}, "
                        f"beyond it. Set a token (16 characters or more), or "
                        f"RASA_ENABLE_API=false, or leave {name} at 127.0.0.1."
                    )
        elif not token and api == "true":
            token, generated = secrets.token_urlsafe(24), True
        if token and len(token) < 16:
            raise Refused("RASA_AUTH_TOKEN is shorter than 16 characters.")
        web = ports["WEB_PORT"]
        raw = (
            environ.get("WEB_ORIGINS")
            or f"http://localhost:{web},http://127.0.0.1:{web}"
        )
        origins = tuple(o for o in ("".join(x.split()) for x in raw.split(",")) if o)
        for origin in origins:
            if not ORIGIN.match(origin):
                raise Refused(
                    "WEB_ORIGINS must list origins like https://example.org "
                    f"(no '*', no path): '{origin}'."
                )
        if not origins:
            raise Refused("WEB_ORIGINS lists no origin.")
        action = ports["ACTION_PORT"]
        return cls(
            action_port=action,
            rasa_port=ports["RASA_PORT"],
            web_port=web,
            interface=interface,
            enable_api=api == "true",
            token=token,
            generated=generated,
            max_body=int(body),
            origins=origins,
            action_url=environ.get("ACTION_SERVER_URL")
            or f"http://{reachable(hosts['ACTION_HOST'])}:{action}/webhook",
            action_host=hosts["ACTION_HOST"],
            web_host=hosts["WEB_HOST"],
        )

    def rasa_command(self, root: Path = ROOT) -> list[str]:
        return rasa_server_command(
            self.model,
            self.rasa_port,
            action_url=self.action_url,
            interface=self.interface,
            enable_api=self.enable_api,
            token=self.token or None,
            root=root,
        )

    def limits(self) -> dict[str, str]:
        """Sanic's caps on request bodies and WebSocket messages (the Rasa server)."""
        return dict.fromkeys(LIMITS, str(self.max_body))

    def rasa_env(self, environ: Mapping[str, str]) -> dict[str, str]:
        return base_env(environ, WEB_ORIGINS=",".join(self.origins), **self.limits())

    def shown(self) -> str:
        """The Rasa command and its limits as `check` prints them, token hidden."""
        command = [
            ("***" if self.token and part == self.token else part)
            for part in self.rasa_command()
        ]
        limits = " ".join(f"{name}={self.max_body}" for name in LIMITS)
        return f"WEB_ORIGINS={','.join(self.origins)} {limits} {' '.join(command)}"

    def api_note(self) -> str:
        if not self.enable_api:
            return "HTTP API off"
        if self.generated:
            return f"HTTP API on {self.interface}, token in {TOKEN_FILE}"
        if self.token:
            return f"HTTP API on {self.interface}, token required"
        return "HTTP API on localhost only, no token"
