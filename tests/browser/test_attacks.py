"""The browser wall on the attack corpus (tests/attacks/corpus.yaml), served by `kb serve`.

Every page of the corpus site is opened in headless Chromium, in sidebar order (so every
page is also seen as the neighbour its pagination names), and must show no dialog, run no
script, request nothing off-origin, stay on its route and restyle nothing. Each wall is
tested on its own:

  full            as shipped: the sanitizer (DOMPurify), Trusted Types and the CSP
  sanitizer-only  index.html without its CSP: the sanitizer alone
  no-trusted-types  a browser without Trusted Types: the sanitizer with wrapped setters
  csp-only        DOMPurify replaced by a stub that lets everything through: the CSP alone,
                  on the payloads a CSP can stop at all (`csp: true` in the corpus)

Evidence is gathered from outside the page: dialogs, requests and navigations through
Playwright, every script the page compiles through the DevTools protocol, and the DOM
through an isolated world the page's own scripts cannot reach.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route
from tests.attacks import Payload, build_attack_site, load_corpus

PAYLOADS = load_corpus()
SETTLE_MS = 150
"""After a page has rendered: time for handlers, refreshes and images to fire."""
CONFIGS = ("full", "sanitizer-only", "no-trusted-types", "csp-only")

HERE = Path(__file__).parent
FRAME_HOSTS = {"player.bilibili.com"}
"""iframe_hosts of the corpus site (tests/attacks.py)."""
AUDIT = (HERE / "audit.js").read_text(encoding="utf-8")
"""What is wrong with the page, evaluated in the auditor's world after every render."""


@dataclass
class Evidence:
    dialogs: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    audit: list[str] = field(default_factory=list)
    rendered: bool = True

    def problems(self, *, csp_only: bool = False) -> list[str]:
        """Everything that went wrong. With the sanitizer on, hostile markup must not even
        reach the page (and the CSP never has to step in); with the CSP alone, what counts
        is what it could not stop: scripts that ran, requests, dialogs, stylesheets."""
        found = [*self.dialogs, *self.scripts, *self.requests, *self.navigations]
        if csp_only:
            found += [a for a in self.audit if a.startswith("stylesheet")]
        else:
            found += self.audit
            found += [f"CSP had to stop: {v}" for v in self.violations]
        if not self.rendered:
            found.append("the page did not render")
        return found


@pytest.fixture(scope="module")
def attack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """The corpus site served by `kb serve` (a real process on loopback); yields its URL and
    the routes in sidebar order."""
    root = build_attack_site(tmp_path_factory.mktemp("browser-attacks"), PAYLOADS)
    log = root.parent / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "kb", "--root", str(root), "serve", "--port", "0", "--no-watch"],
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        url = _wait_for_address(log, process)
        routes = _sidebar_routes(root / "_sidebar.md")
        yield url, routes
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_address(log: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        match = re.search(r"serving (http://127\.0\.0\.1:\d+/)", log.read_text(encoding="utf-8"))
        if match:
            return match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"kb serve did not start:\n{log.read_text(encoding='utf-8')}")


def _sidebar_routes(sidebar: Path) -> list[str]:
    routes = []
    for target in re.findall(r"\]\((/[^)\s]*)\)", sidebar.read_text(encoding="utf-8")):
        route = target[:-3] if target.endswith(".md") else target
        if route not in routes:
            routes.append(route)
    return routes


class Tour:
    """One tab that visits routes in order and keeps what each visit caused."""

    def __init__(self, context: BrowserContext, base: str, config: str) -> None:
        self.base = base
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
        self.page: Page = context.new_page()
        self.current = "(loading)"
        self.evidence: dict[str, Evidence] = {}
        self.known_scripts: set[str] = set()
        self.loading = True
        self._cdp = context.new_cdp_session(self.page)
        self._cdp.on("Debugger.scriptParsed", self._on_script)
        self._cdp.on("Runtime.executionContextCreated", self._on_context)
        self._default_contexts: set[int] = set()
        self._world: int | None = None
        self._cdp.send("Runtime.enable")
        self._cdp.send("Debugger.enable")
        self._cdp.send("Page.enable")
        # The auditor's own world: page scripts can neither see nor change it.
        self._cdp.send(
            "Page.addScriptToEvaluateOnNewDocument",
            {"source": VIOLATIONS, "worldName": "kb-audit"},
        )
        self.page.on("dialog", self._on_dialog)
        self.page.on("request", self._on_request)
        # What reaches the network (a request the CSP refuses never does) and is not ours.
        context.route(_NOT_LOOPBACK, self._on_offsite)
        self.page.on("framenavigated", self._on_navigation)
        context.on("page", lambda popup: self._note("navigations", f"popup {popup.url}"))

    def _note(self, kind: str, what: str) -> None:
        getattr(self.evidence.setdefault(self.current, Evidence()), kind).append(what)

    def _on_context(self, event: dict) -> None:
        # The page's own world on the site's origin: not Playwright's or the auditor's, and
        # not the error page Chromium shows in a frame the CSP refused.
        context = event["context"]
        if context.get("auxData", {}).get("isDefault") and context.get("origin") == self.origin:
            self._default_contexts.add(context["id"])

    def _on_script(self, event: dict) -> None:
        url = event.get("url", "")
        if event.get("executionContextId") not in self._default_contexts:
            return  # Playwright's and the auditor's worlds
        path = urlsplit(url).path if url else ""
        if path in self.known_scripts:
            return
        if not url and self.loading:
            return  # the test's own init script (no-trusted-types), before the site's
        self._note("scripts", f"script ran: {url or '(inline)'} ({event.get('length')} chars)")

    def _on_dialog(self, dialog) -> None:  # type: ignore[no-untyped-def]
        self._note("dialogs", f"{dialog.type} dialog: {dialog.message[:80]}")
        dialog.dismiss()

    def _on_request(self, request) -> None:  # type: ignore[no-untyped-def]
        parts = urlsplit(request.url)
        if (
            parts.path.startswith("/docs/")
            and re.search(r"\.(js|css|html?|svg)$", parts.path)
            and request.resource_type in ("script", "stylesheet", "document")
        ):
            # Loaded to run, to style or to show as a page (fetched as data, it is sanitized).
            self._note("requests", f"{request.resource_type} {parts.path}")

    def _on_offsite(self, route: Route) -> None:
        request = route.request
        host = urlsplit(request.url).hostname
        if not (request.resource_type == "document" and host in FRAME_HOSTS):
            # (an embed the site allows, iframe_hosts, is aborted like the rest)
            self._note("requests", f"off-origin request {request.url[:100]}")
        route.abort()

    def _on_navigation(self, frame) -> None:  # type: ignore[no-untyped-def]
        if frame == self.page.main_frame:
            url = urlsplit(frame.url)
            if not frame.url.startswith(self.base) or url.path != urlsplit(self.base).path:
                self._note("navigations", f"navigated to {frame.url[:100]}")

    def start(self, first: str) -> None:
        self.page.goto(f"{self.base}#{first}")
        self._wait_rendered(first)
        self.known_scripts = set(
            self._isolated(
                "[...document.scripts].filter(s => s.src).map(s => new URL(s.src).pathname)"
            )
        )
        self._isolated(
            "document.documentElement.dataset.kbKnownScripts = "
            f"{json.dumps(json.dumps(sorted(self.known_scripts)))}"
        )
        self.loading = False

    def visit(self, route: str) -> None:
        self.current = route
        evidence = self.evidence.setdefault(route, Evidence())
        if not self.page.url.startswith(self.base):
            # An earlier page took the tab elsewhere (already noted): back to the site.
            self._world = None
            self.page.goto(f"{self.base}#{route}")
        self._isolated(f"location.hash = {json.dumps('#' + route)}")
        evidence.rendered = self._wait_rendered(route)
        self.page.wait_for_timeout(SETTLE_MS)
        evidence.audit.extend(self._isolated(AUDIT) or [])
        evidence.violations.extend(self._isolated(_TAKE_VIOLATIONS) or [])
        hash_now = self._isolated("location.hash")
        if hash_now.split("?")[0] != "#" + route:
            evidence.navigations.append(f"left its route for {hash_now[:80]}")

    def _wait_rendered(self, route: str) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._isolated("document.body && document.body.dataset.kbRoute") == route:
                return True
            self.page.wait_for_timeout(25)
        return False

    def _isolated(self, expression: str):  # type: ignore[no-untyped-def]
        """Evaluate in the auditor's isolated world (made again after a document change)."""
        for _ in range(2):
            if self._world is None:
                frame = self._cdp.send("Page.getFrameTree")["frameTree"]["frame"]["id"]
                world = self._cdp.send(
                    "Page.createIsolatedWorld", {"frameId": frame, "worldName": "kb-audit"}
                )
                self._world = world["executionContextId"]
            try:
                result = self._cdp.send(
                    "Runtime.evaluate",
                    {"expression": expression, "contextId": self._world, "returnByValue": True},
                )
                return result.get("result", {}).get("value")
            except Exception:  # noqa: BLE001 - the document changed under us: a new world
                self._world = None
        return None


VIOLATIONS = (HERE / "violations.js").read_text(encoding="utf-8")
"""In the auditor's world on every document: CSP violations of the live page."""
_TAKE_VIOLATIONS = r"""
(() => {
  const list = JSON.parse(document.documentElement.dataset.kbViolations || '[]');
  document.documentElement.dataset.kbViolations = '[]';
  return list;
})()
"""

PASS_THROUGH = (HERE / "pass-through-purify.js").read_text(encoding="utf-8")
"""A DOMPurify that lets everything through: what the CSP alone must hold against."""
_NO_TRUSTED_TYPES = "Object.defineProperty(window, 'trustedTypes', {value: undefined});"
_NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/])[a-z][a-z0-9+.-]*://", re.I)
_CSP_META = re.compile(r'\s*<meta http-equiv="Content-Security-Policy"[^>]*>')
_TRUSTED_TYPES = re.compile(r"\s*require-trusted-types-for 'script';\s*trusted-types [^;\"]*;?")


def _configure(context: BrowserContext, base: str, config: str) -> None:
    def index(route: Route) -> None:
        # kb serve sends the CSP twice, as a header and in the page's <meta>: both change.
        response = route.fetch()
        html = response.text()
        headers = {k: v for k, v in response.headers.items() if k != "content-security-policy"}
        if config == "no-trusted-types":
            html = _TRUSTED_TYPES.sub("", html)
            headers["content-security-policy"] = _TRUSTED_TYPES.sub(
                "", response.headers["content-security-policy"]
            )
        else:
            html = _CSP_META.sub("", html)
        route.fulfill(response=response, body=html, headers=headers)

    if config in ("sanitizer-only", "no-trusted-types", "no-walls"):
        context.route(base, index)
        context.route(base + "index.html", index)
    if config == "no-trusted-types":
        context.add_init_script(_NO_TRUSTED_TYPES)
    if config in ("csp-only", "no-walls"):
        context.route(
            "**/vendor/dompurify/purify.min.js",
            lambda route: route.fulfill(body=PASS_THROUGH, content_type="text/javascript"),
        )


Tours = dict[str, tuple[dict[str, Evidence], list[str]]]


@pytest.fixture(scope="module")
def tours(browser: Browser, attack_server: tuple[str, list[str]]) -> Iterator[Tours]:
    """The evidence of one tour per configuration, taken when a test first asks for it."""
    base, routes = attack_server

    class Lazy(dict):  # type: ignore[type-arg]
        def __missing__(self, config: str) -> tuple[dict[str, Evidence], list[str]]:
            self[config] = (_take_tour(browser, base, routes, config), routes)
            return self[config]

    yield Lazy()


def _take_tour(browser: Browser, base: str, routes: list[str], config: str) -> dict[str, Evidence]:
    wanted = {p.route for p in PAYLOADS if config != "csp-only" or p.csp}
    if config == "no-walls":
        wanted = {f"/docs/attacks/{id}" for id in UNGUARDED}
    visit = [r for r in routes if r in wanted or not r.startswith("/docs/attacks/")]
    # No service_workers="block": Playwright blocks them with a script of its own in every
    # frame, which the tour would count as a script the page ran (the site has none).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        _configure(context, base, config)
        walker = Tour(context, base, config)
        walker.start(visit[0])
        for route in visit:
            walker.visit(route)
        return walker.evidence
    finally:
        context.close()


def _neighbours(routes: list[str], route: str) -> list[str]:
    i = routes.index(route)
    return [routes[j] for j in (i - 1, i + 1) if 0 <= j < len(routes)]


def _assert_holds(tours: Tours, config: str, payload: Payload) -> None:
    evidence, routes = tours[config]
    assert payload.route in evidence, f"{payload.route} was never visited"
    seen = [payload.route, *_neighbours(routes, payload.route)]
    problems = {
        route: found
        for route in seen
        if route in evidence and (found := evidence[route].problems(csp_only=config == "csp-only"))
    }
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


IDS = [p.id for p in PAYLOADS]
CSP_PAYLOADS = [p for p in PAYLOADS if p.csp]


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_the_shipped_site_holds(tours: Tours, payload: Payload) -> None:
    """Sanitizer, Trusted Types and CSP together; the CSP never had to step in."""
    _assert_holds(tours, "full", payload)


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_the_sanitizer_holds_without_the_csp(tours: Tours, payload: Payload) -> None:
    _assert_holds(tours, "sanitizer-only", payload)


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_the_sanitizer_holds_without_trusted_types(tours: Tours, payload: Payload) -> None:
    _assert_holds(tours, "no-trusted-types", payload)


@pytest.mark.parametrize("payload", CSP_PAYLOADS, ids=[p.id for p in CSP_PAYLOADS])
def test_the_csp_holds_without_the_sanitizer(tours: Tours, payload: Payload) -> None:
    _assert_holds(tours, "csp-only", payload)


UNGUARDED = {
    "handler-img-onerror": "script ran",
    "meta-refresh-in-spaced-comment": "off-origin request https://evil.example/",
    "style-attribute-fullscreen-overlay": "sidebar covered",
}
"""Seed payloads, and what the tour must see when no wall stands in their way."""


@pytest.mark.parametrize(("payload_id", "seen"), sorted(UNGUARDED.items()))
def test_with_no_wall_the_tour_sees_the_attack(tours: Tours, payload_id: str, seen: str) -> None:
    """The evidence is real: with the sanitizer and the CSP both gone, the attacks work."""
    evidence, _ = tours["no-walls"]
    problems = evidence[f"/docs/attacks/{payload_id}"].problems()
    assert any(seen in problem for problem in problems), problems


@pytest.mark.parametrize("config", CONFIGS)
def test_clean_pages_render_with_nothing_to_report(tours: Tours, config: str) -> None:
    evidence, _ = tours[config]
    for route in ("/docs/", "/docs/notes/normal"):
        assert evidence[route].rendered, route
        assert evidence[route].problems() == [], route
