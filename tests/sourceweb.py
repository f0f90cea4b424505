"""A loopback server replaying Crossref and arXiv answers (tests/sources/README.md says where
their format comes from), for `kb.sources` and `kb new --doi/--arxiv`."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).parent / "sources"


class Replay(http.server.BaseHTTPRequestHandler):
    agents: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.agents.append(self.headers.get("User-Agent", ""))
        parts = urlsplit(self.path)
        if parts.path.startswith("/works/"):
            self._work(unquote(parts.path[len("/works/") :]))
        elif parts.path == "/api/query":
            self._arxiv(parse_qs(parts.query).get("id_list", [""])[0])
        else:
            self._send(404, b"not found", "text/plain")

    def _work(self, doi: str) -> None:
        doi = doi.lower()  # DOIs are case-insensitive, and so is Crossref
        files = {
            "10.1186/s12874-018-0482-1": "crossref-deepsurv.json",
            "10.9999/markup": "crossref-markup.json",
            "10.9999/noauthors": "crossref-noauthors.json",
        }
        if doi in files:
            self._send(200, (FIXTURES / files[doi]).read_bytes(), "application/json")
        elif doi == "10.9999/limited":
            self._send(429, b"Too Many Requests", "text/plain", {"Retry-After": "7"})
        elif doi == "10.9999/down":
            self._send(503, b"<html>maintenance</html>", "text/html")
        elif doi == "10.9999/slow":
            time.sleep(1.5)
            self._send(200, b"{}", "application/json")
        elif doi == "10.9999/garbage":
            self._send(200, b"<html>not json</html>", "text/html")
        elif doi == "10.9999/list":
            self._send(200, b'{"status":"ok","message-type":"work-list","message":{}}', "x/y")
        else:  # Crossref answers an unknown DOI with 404 "Resource not found."
            self._send(404, b"Resource not found.", "text/plain")

    def _arxiv(self, arxiv_id: str) -> None:
        if arxiv_id == "1606.00931":
            body = (FIXTURES / "arxiv-deepsurv.xml").read_bytes()
            self._send(200, body, "application/atom+xml")
        elif arxiv_id == "2001.00001":  # a feed with no entry
            self._send(200, b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "x/y")
        elif arxiv_id == "2001.00002":
            self._send(200, b"<feed", "application/atom+xml")
        else:
            self._send(200, (FIXTURES / "arxiv-unknown.xml").read_bytes(), "application/atom+xml")

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that timed out has hung up before the slow answer: expected


@contextmanager
def replay() -> Iterator[str]:
    """Serve the answers on a free loopback port; yields the base URL."""
    server = _Server(("127.0.0.1", 0), Replay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
