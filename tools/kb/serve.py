"""`kb serve`: build, vendor the front-end files, serve on loopback, rebuild on change."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import re
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

from kb.build import apply, plan_generated, run_checks
from kb.config import Settings
from kb.diagnostics import Severity
from kb.policy import SANDBOX_CSP, render_csp
from kb.report import escape_line, format_text
from kb.site import load_site, save_cache

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


def vendor(settings: Settings, *, live: bool = False) -> list[str]:
    """Copy the pinned front-end files into vendor/ and write the site info (edit link, build)."""
    from kb.assets import vendor_assets
    from kb.runtime import find_node_modules

    info = {"editUrl": edit_url(settings), "build": build_hash(settings)}
    if live:
        info["live"] = "1"
    written = vendor_assets(
        find_node_modules(settings),
        settings.path(settings.vendor_dir),
        info,
        settings.iframe_hosts,
    )
    if live:
        _LIVE["build"] = info["build"]  # announced only once kb-site.js carries it
    return written


def repository_url(settings: Settings) -> str:
    """The https URL of the git origin, or '' (it goes into the link checker's User-Agent)."""
    remote = _git(settings.root, "config", "--get", "remote.origin.url")
    match = re.match(r"^(?:https://|git@)([\w.-]+)[/:]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", remote)
    return "https://{}/{}/{}".format(*match.groups()) if match else ""


def edit_url(settings: Settings) -> str:
    """The "edit this page" template: from settings, else from the git remote; '' if unknown."""
    if settings.edit_url:
        return settings.edit_url
    remote = _git(settings.root, "config", "--get", "remote.origin.url")
    branch = _git(settings.root, "symbolic-ref", "--short", "HEAD") or "main"
    match = re.match(r"^(?:https://|git@)([\w.-]+)[/:]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", remote)
    if not match:
        return ""
    host, owner, repo = match.groups()
    edit = "-/edit" if "gitlab" in host else "edit"
    return f"https://{host}/{owner}/{repo}/{edit}/{branch}/{{path}}"


def build_hash(settings: Settings) -> str:
    """Changes whenever any file under docs/ or the sidebar changes."""
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted([*settings.docs_path.rglob("*"), settings.path(settings.sidebar)]):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _git(root: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


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
        self._csp = f"{self.site_csp}; frame-ancestors 'none'" if is_page else SANDBOX_CSP
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
    rebuild(settings)
    vendor(settings, live=watch)
    handler = type("Handler", (SiteHandler,), {"site_csp": render_csp(settings.iframe_hosts)})
    handler = partial(handler, directory=str(settings.root))
    bind = (host or settings.serve_host, settings.serve_port if port is None else port)
    server = http.server.ThreadingHTTPServer(bind, handler)
    address = f"http://{bind[0]}:{server.server_address[1]}/"
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


def rebuild(settings: Settings) -> None:
    """sidebar + tables + check, reporting only findings."""
    site = load_site(settings)
    changes, problems = plan_generated(site)
    for file in apply(site, changes):
        print(escape_line(f"kb: wrote {file}"), file=sys.stderr)
    if changes:
        site = load_site(settings, reuse=site)
    found = [d for d in run_checks(site, [], problems) if d.severity >= Severity.WARNING]
    save_cache(site)
    from kb.search import write_index  # noqa: PLC0415 - search imports this module

    print(write_index(site), file=sys.stderr)
    sys.stderr.write(format_text(found))
    sys.stderr.flush()


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
            rebuild(settings)
            vendor(settings, live=True)
        except Exception as exc:  # noqa: BLE001 - keep serving; the next change retries
            print(escape_line(f"kb: rebuild failed: {exc}"), file=sys.stderr, flush=True)
        before = _snapshot(settings)
