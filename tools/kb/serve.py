"""`kb serve`: build, vendor the front-end files, serve on loopback, rebuild on change."""

from __future__ import annotations

import http.server
import io
import os
import sys
import threading
import time
from functools import partial
from pathlib import Path

from kb.config import Settings
from kb.diagnostics import Severity
from kb.pipeline import Mode, build
from kb.policy import SANDBOX_CSP, render_csp
from kb.report import escape_line, format_text
from kb.vendor import vendor

# Top-level names the site never needs; everything else under the root is served read-only.
_PRIVATE = {
    "node_modules",
    "tools",
    "tests",
    "bench",
    "pyproject.toml",
    "package.json",
    "package-lock.json",
    "dev",
}


_LIVE = {"build": ""}
"""The build the preview server announces at /__kb/build (live reload)."""


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with no-cache headers, UTF-8 markdown, and private folders hidden.

    The site page gets its Content-Security-Policy as a header too (with frame-ancestors,
    which a <meta> cannot carry); every other file gets a sandboxing CSP, so an .html or
    .svg opened on its own runs no script and loads nothing.
    """

    site_csp = ""
    """The CSP of index.html (kb.policy.render_csp); a server sets it in a subclass."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".md": "text/markdown; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".json": "application/json",
        ".woff2": "font/woff2",
        ".svg": "image/svg+xml",
    }

    def send_head(self):  # type: ignore[no-untyped-def]
        if self.path.split("?", 1)[0] == "/__kb/build":
            return self._send_build()
        local = Path(self.translate_path(self.path)).resolve()
        root = Path(self.directory).resolve()
        try:
            first = local.relative_to(root).parts[0] if local != root else ""
        except ValueError:
            first = ".."  # outside the site: translate_path should prevent it; refuse anyway
        if first.startswith(".") or first in _PRIVATE:
            self.send_error(404, "Not part of the site")
            return None
        is_page = local == root or local == root / "index.html"
        if is_page:
            self._csp = "; ".join(p for p in (self.site_csp, "frame-ancestors 'none'") if p)
        else:
            self._csp = SANDBOX_CSP
        return super().send_head()

    def _send_build(self) -> io.BytesIO:
        body = _LIVE["build"].encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", getattr(self, "_csp", SANDBOX_CSP))
        self.send_header("Referrer-Policy", "strict-origin-when-cross-origin")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        if args and str(args[1] if len(args) > 1 else "").startswith(("4", "5")):
            sys.stderr.write(f"kb serve: {format % args}\n")


def serve(settings: Settings, *, host: str | None, port: int | None, watch: bool) -> int:
    """Serve the site. A site without kb's content model is served as it is: kb writes
    nothing into it (no vendor/), and re-checks it on change without live reload."""
    _refresh(settings, watch)
    if watch and not settings.content_model:
        print(
            "kb: this site does not load kb's live reload: reload the page after a change",
            file=sys.stderr,
        )
    server = make_server(settings, host, port)
    address = f"http://{server.server_address[0]}:{server.server_address[1]}/"
    print(f"kb: serving {address} (Ctrl+C to stop)", file=sys.stderr, flush=True)
    if watch:
        threading.Thread(target=_watch, args=(settings,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def make_server(
    settings: Settings, host: str | None = None, port: int | None = None
) -> http.server.ThreadingHTTPServer:
    """The preview server for the site. Its page gets kb's CSP only when kb's content model
    (and kb's front end) is in use: another docsify site's index.html may load docsify from
    a CDN, which that CSP would refuse."""
    site_csp = render_csp(settings.iframe_hosts) if settings.content_model else ""
    handler = type("Handler", (SiteHandler,), {"site_csp": site_csp})
    bind = (host or settings.serve_host, settings.serve_port if port is None else port)
    return http.server.ThreadingHTTPServer(bind, partial(handler, directory=str(settings.root)))


def rebuild(settings: Settings) -> str:
    """Regenerate, re-index and check the site, reporting only findings; returns the new
    build hash."""
    result = build(settings, Mode.BUILD)
    for file in result.written:
        print(escape_line(f"kb: wrote {file}"), file=sys.stderr)
    if result.index:
        print(result.index, file=sys.stderr)
    sys.stderr.write(format_text([d for d in result.diagnostics if d.severity >= Severity.WARNING]))
    sys.stderr.flush()
    return result.site.build_hash()


def _refresh(settings: Settings, live: bool) -> None:
    """Rebuild; then, for kb's own front end, vendor/ for the preview (the build is announced
    only once kb-site.js carries it). Another docsify site gets nothing written into it."""
    build_hash = rebuild(settings)
    if not settings.content_model:
        return
    vendor(settings, build_hash, live=live)
    if live:
        _LIVE["build"] = build_hash


def _snapshot(settings: Settings) -> dict[str, tuple[int, int]]:
    state: dict[str, tuple[int, int]] = {}
    watched = [settings.docs_path, settings.path("pyproject.toml")]
    for top in watched:
        paths = [top] if top.is_file() else [Path(d) / f for d, _, fs in os.walk(top) for f in fs]
        for path in paths:
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            state[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return state


def _watch(settings: Settings, interval: float = 0.5) -> None:
    before = _snapshot(settings)
    while True:
        time.sleep(interval)
        now = _snapshot(settings)
        if now == before:
            continue
        print("kb: change detected, rebuilding", file=sys.stderr, flush=True)
        try:
            _refresh(settings, True)
        except Exception as exc:  # noqa: BLE001 - keep serving; the next change retries
            print(escape_line(f"kb: rebuild failed: {exc}"), file=sys.stderr, flush=True)
        before = _snapshot(settings)
