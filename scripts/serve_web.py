"""Serve the advisor's web page and its chat widget (standard library and PyYAML).

    .venv/bin/python scripts/serve_web.py [--port 8080] [--rasa-url http://localhost:5005]

Serves exactly these paths, and nothing else:
  /, /index.html      web/index.html, with the Rasa server's URL and the facts filled in
  /app.css            the page's styles
  /widget/...         the chat widget (web/widget/: embed.js, the one tag other sites
                      use, widget.js, dom.js, markdown.js, session.js, widget.css) and
                      /widget/vendor/socket.io.esm.min.js (from web/node_modules)

The page fetches nothing from outside this site and the Rasa server; its
Content-Security-Policy says so (scripts, styles, images from this site only,
connections to the Rasa server or this machine). The widget's files are sent with
`Access-Control-Allow-Origin: *` so that another site's page can load them with the
one tag (docs/channels.md); they hold no secret.

The page states no fact of its own: each `{{ path }}` in it names an entry of the
facts file (actions/certifications.yml), filled in here, HTML-escaped; a list
becomes list items. A placeholder the facts file lacks stops the server at start.

A slow or silent client cannot hold the server (scripts/page_server.py): a connection
silent for --idle-timeout seconds (default 10) or whose request is not complete after
--connection-timeout seconds (default 30) is closed, and requests are answered by a
bounded pool of --threads workers (default 16).

Environment defaults: WEB_HOST (127.0.0.1), WEB_PORT (8080), RASA_URL
(http://localhost:$RASA_PORT, RASA_PORT defaulting to 5005).
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from page_server import PageServer  # noqa: E402

from infra import wording  # noqa: E402

WEB = ROOT / "web"
WIDGET = WEB / "widget"
SOCKET_IO = WEB / "node_modules" / "socket.io-client" / "dist" / "socket.io.esm.min.js"
LOOPBACK_SOURCES = (
    "http://localhost:* ws://localhost:* http://127.0.0.1:* ws://127.0.0.1:*"
)
RASA_ATTRIBUTE = re.compile(r'data-rasa-url="[^"]*"')
FACT = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"

FILES = {"/app.css": (WEB / "app.css", CSS)}
WIDGET_FILES = {
    "/widget/vendor/socket.io.esm.min.js": (SOCKET_IO, JS),
    **{
        f"/widget/{name}": (WIDGET / name, JS)
        for name in ("embed.js", "widget.js", "dom.js", "markdown.js", "session.js")
    },
    "/widget/widget.css": (WIDGET / "widget.css", CSS),
}


class SetupError(RuntimeError):
    """The page cannot be served as it is (a file missing or a fact unknown)."""


def check_files() -> None:
    """Raise SetupError when a file the page needs is missing."""
    for file, _ in WIDGET_FILES.values():
        if not file.is_file():
            hint = " run `npm ci --prefix web`." if "node_modules" in file.parts else ""
            raise SetupError(
                f"{file.relative_to(ROOT)} is missing:{hint or ' restore it.'}"
            )


def _fact_text(item: Any) -> str:
    text = item["text"] if isinstance(item, dict) else item
    return html.escape(" ".join(str(text).split()))


def fill_facts(page: str, facts: dict[str, Any]) -> str:
    """`page` with each `{{ path }}` replaced by that entry of the facts.

    Raises:
        SetupError: a placeholder names no entry of the facts.
    """

    def fact(match: re.Match[str]) -> str:
        item: Any = facts
        for key in match.group(1).split("."):
            if not isinstance(item, dict) or key not in item:
                raise SetupError(
                    f"web/index.html: {match.group(0)} is not in "
                    f"{wording.FACTS_FILE.relative_to(ROOT)}"
                )
            item = item[key]
        if isinstance(item, list):
            return "".join(f"<li>{_fact_text(entry)}</li>" for entry in item)
        return _fact_text(item)

    return FACT.sub(fact, page)


def page() -> str:
    """web/index.html with the facts filled in (read at each call: edits show)."""
    html_page = (WEB / "index.html").read_text(encoding="utf-8")
    try:
        facts = wording.load_yaml(wording.FACTS_FILE)
    except wording.DataFileError as error:
        raise SetupError(str(error)) from error
    return fill_facts(html_page, facts)


def check_rasa_url(url: str) -> str:
    """Return the origin of an http(s) URL, or raise ValueError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def csp(rasa_origin: str) -> str:
    """The page's Content-Security-Policy for a Rasa server at `rasa_origin`."""
    ws_origin = "ws" + rasa_origin[len("http") :]
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'none'",
            f"connect-src 'self' {rasa_origin} {ws_origin} {LOOPBACK_SOURCES}",
            "frame-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def make_handler(rasa_origin: str) -> type[BaseHTTPRequestHandler]:
    policy = csp(rasa_origin)
    attribute = f'data-rasa-url="{html.escape(rasa_origin)}"'

    class Handler(BaseHTTPRequestHandler):
        server_version = "advisor-web"

        def version_string(self) -> str:
            return self.server_version

        def _send(
            self, status: int, body: bytes, content_type: str, shared: bool = False
        ) -> None:
            self.send_response(status)
            if shared:  # the widget's files, loaded by other sites' pages
                self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Content-Security-Policy", policy)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _content(self, path: str) -> tuple[bytes, str] | None:
            if path in ("/", "/index.html"):
                return (
                    RASA_ATTRIBUTE.sub(attribute, page(), count=1).encode("utf-8"),
                    "text/html; charset=utf-8",
                )
            if path in FILES or path in WIDGET_FILES:
                file, content_type = FILES.get(path) or WIDGET_FILES[path]
                return file.read_bytes(), content_type
            return None

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            path = urlsplit(self.path).path
            try:
                found = self._content(path)
            except (OSError, SetupError) as error:
                self.log_error("%s", error)
                self._send(
                    HTTPStatus.INTERNAL_SERVER_ERROR,
                    str(error).encode(),
                    "text/plain; charset=utf-8",
                )
                return
            if found is None:
                self._send(
                    HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain; charset=utf-8"
                )
                return
            self._send(HTTPStatus.OK, *found, shared=path in WIDGET_FILES)

        do_HEAD = do_GET  # noqa: N815

    return Handler


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    rasa_port = os.environ.get("RASA_PORT", "5005")
    parser = argparse.ArgumentParser(
        description="Serve the advisor's web page and chat widget."
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("WEB_HOST", "127.0.0.1"),
        help="interface to listen on (default 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("WEB_PORT", "8080")),
        help="port to listen on (default 8080)",
    )
    parser.add_argument(
        "--rasa-url",
        default=os.environ.get("RASA_URL", f"http://localhost:{rasa_port}"),
        help="the Rasa server the widget connects to (default http://localhost:5005)",
    )
    parser.add_argument(
        "--threads", type=int, default=16, help="most connections served at once"
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=10.0,
        help="seconds a connection may send nothing (default 10)",
    )
    parser.add_argument(
        "--connection-timeout",
        type=float,
        default=30.0,
        help="seconds a connection may stay open (default 30)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        rasa_origin = check_rasa_url(args.rasa_url)
        check_files()  # fail now, not on the first page view
        page()
    except (ValueError, SetupError) as error:
        print(f"serve_web: {error}", file=sys.stderr)
        return 2
    server = PageServer(
        (args.host, args.port),
        make_handler(rasa_origin),
        threads=args.threads,
        idle_timeout=args.idle_timeout,
        connection_timeout=args.connection_timeout,
    )
    shown = "localhost" if args.host in ("127.0.0.1", "::1") else args.host
    address = f"http://{shown}:{server.server_address[1]}/"
    print(f"Advisor page: {address} (chat via Rasa at {rasa_origin})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
