"""Serve the advisor's web page and its chat widget (standard library and PyYAML).

    .venv/bin/python scripts/serve_web.py [--port 8080] [--rasa-url http://localhost:5005]

Serves exactly these paths, and nothing else:
  /, /index.html      web/index.html, with the Rasa server's URL and the facts filled in
  /app.js, /app.css   the page's own script and styles (web/)
  /webchat/webchat.js the bundle web/node_modules/rasa-webchat/lib/index.js

The bundle's CSS imports a web font from Google; those imports are removed when it is
served, so the page fetches nothing from outside this site and the Rasa server. A
Content-Security-Policy header backs that up: scripts, styles, fonts and images come
from this site only, and connections go to the Rasa server or to this machine.

The page states no fact of its own: each `{{ path }}` in it names an entry of the
facts file (actions/certifications.yml), filled in here, HTML-escaped; a list
becomes list items. A placeholder the facts file lacks stops the server at start.

Environment defaults: WEB_HOST (127.0.0.1), WEB_PORT (8080), RASA_URL
(http://localhost:$RASA_PORT, RASA_PORT defaulting to 5005).
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
from functools import lru_cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra import wording  # noqa: E402

WEB = ROOT / "web"
BUNDLE = WEB / "node_modules" / "rasa-webchat" / "lib" / "index.js"
BUNDLE_PATH = "/webchat/webchat.js"
LOOPBACK_SOURCES = (
    "http://localhost:* ws://localhost:* http://127.0.0.1:* ws://127.0.0.1:*"
)
FONT_IMPORT = re.compile(r"@import url\(https://fonts\.googleapis\.com/[^)]*\);")
ANY_REMOTE_IMPORT = re.compile(r"@import\s+url\(\s*['\"]?(https?:)?//", re.IGNORECASE)
RASA_META = re.compile(r'<meta name="rasa-url" content="[^"]*">')
FACT = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")

FILES = {
    "/app.js": (WEB / "app.js", "text/javascript; charset=utf-8"),
    "/app.css": (WEB / "app.css", "text/css; charset=utf-8"),
}


class SetupError(RuntimeError):
    """The page cannot be served as it is (bundle missing or changed)."""


@lru_cache(maxsize=1)
def bundle() -> bytes:
    """The widget bundle with its remote font imports removed."""
    if not BUNDLE.is_file():
        raise SetupError(
            f"{BUNDLE.relative_to(ROOT)} is missing: run `npm ci --prefix web`."
        )
    text = BUNDLE.read_text(encoding="utf-8")
    text = FONT_IMPORT.sub("", text)
    if ANY_REMOTE_IMPORT.search(text):
        raise SetupError(
            "The widget bundle imports a remote stylesheet; refusing to serve it."
        )
    return text.encode("utf-8")


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
            # the widget injects its CSS in <style> elements and sets inline styles
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
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
    meta = f'<meta name="rasa-url" content="{html.escape(rasa_origin)}">'

    class Handler(BaseHTTPRequestHandler):
        server_version = "advisor-web"

        def version_string(self) -> str:
            return self.server_version

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
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
                    RASA_META.sub(meta, page(), count=1).encode("utf-8"),
                    "text/html; charset=utf-8",
                )
            if path == BUNDLE_PATH:
                return bundle(), "text/javascript; charset=utf-8"
            if path in FILES:
                file, content_type = FILES[path]
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
            self._send(HTTPStatus.OK, *found)

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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        rasa_origin = check_rasa_url(args.rasa_url)
        bundle()  # fail now, not on the first page view
        page()
    except (ValueError, SetupError) as error:
        print(f"serve_web: {error}", file=sys.stderr)
        return 2
    server = ThreadingHTTPServer((args.host, args.port), make_handler(rasa_origin))
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
