"""Browser-test fixtures: a throwaway copy of the site served on loopback, and headless Chromium.

The site is built the way it is hosted: index.html + assets/ from the repo, vendor/ written by
``kb.assets.vendor_assets`` from node_modules, and the small fixture pages in ``site/``. It is
served under a sub-path (``/medai/``) to prove that every asset URL is relative.
"""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    Route,
    sync_playwright,
)

from kb import cli as kb_cli
from kb.assets import AssetError, vendor_assets
from kb.config import Settings
from kb.pipeline import write_search_index as write_index
from kb.site import load_site

REPO = Path(__file__).resolve().parents[2]
FIXTURE_SITE = Path(__file__).parent / "fixture"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SUB_PATH = "medai"
EDIT_URL = "https://github.com/example/medai-notes/edit/main/{path}"
BUILD = "test-build-1"
LOOPBACK_HOSTS = frozenset({"127.0.0.1"})
_NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/])[a-z][a-z0-9+.-]*://", re.IGNORECASE)
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 740}
TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Expose each phase's report on the item so fixtures can screenshot failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the site once per session in a temporary directory; return its serve root."""
    serve_root = tmp_path_factory.mktemp("serve")
    build_fixture_site(serve_root)
    return serve_root


def build_fixture_site(serve_root: Path, extra_pages: Mapping[str, str] | None = None) -> None:
    """The fixture site in ``serve_root/SUB_PATH``, with ``extra_pages`` ({path in the site:
    markdown}) added before the search index is written."""
    site = serve_root / SUB_PATH
    site.mkdir()
    shutil.copy2(REPO / "index.html", site / "index.html")
    shutil.copytree(REPO / "assets", site / "assets")
    shutil.copytree(FIXTURE_SITE, site, dirs_exist_ok=True)
    shutil.copy2(REPO / "docs" / "_404.md", site / "docs" / "_404.md")
    for name, text in (extra_pages or {}).items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    try:
        vendor_assets(REPO / "node_modules", site / "vendor", {"editUrl": EDIT_URL, "build": BUILD})
    except AssetError as exc:
        pytest.fail(f"cannot build the test site: {exc}")
    write_search_index(site)


@pytest.fixture(scope="session")
def serve_fixture_site_with(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[Mapping[str, str]], str]]:
    """A factory: the fixture site plus extra pages ({path in the site: markdown}), built and
    served like base_url until the session ends; returns the site's URL. A test module that
    overrides ``base_url`` with it gets the ``site`` tab on that site."""
    with contextlib.ExitStack() as servers:

        def serve(extra_pages: Mapping[str, str]) -> str:
            serve_root = tmp_path_factory.mktemp("serve-extra")
            build_fixture_site(serve_root, extra_pages)
            return servers.enter_context(contextlib.contextmanager(serve_on_loopback)(serve_root))

        yield serve


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".md": "text/markdown; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".svg": "image/svg+xml",
        ".woff2": "font/woff2",
    }

    def end_headers(self) -> None:
        # Without it Chromium's heuristic cache may serve an older .md (see trial-install.md).
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, fmt: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def base_url(site_root: Path) -> Iterator[str]:
    """Serve the site on 127.0.0.1 (random port) in a thread; yield the site's URL."""
    yield from serve_on_loopback(site_root)


@pytest.fixture(scope="session")
def repo_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The repository's own site exactly as the Pages workflow deploys it (`kb publish`),
    served under a sub-path like https://<user>.github.io/<repo>/."""
    serve_root = tmp_path_factory.mktemp("repo-serve")
    code = kb_cli.run(["--root", str(REPO), "publish", str(serve_root / SUB_PATH)])
    if code != 0:
        pytest.fail(f"kb publish failed with exit {code}: see the report above")
    yield from serve_on_loopback(serve_root)


def write_search_index(site: Path) -> None:
    """vendor/search-index.json, as `kb build` writes it, tagged with the test build."""
    write_index(load_site(Settings(root=site), use_cache=False), site / "vendor", BUILD)


def serve_on_loopback(serve_root: Path) -> Iterator[str]:
    handler = functools.partial(_Handler, directory=str(serve_root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{SUB_PATH}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium and fonts-noto-cjk; "
            "`./dev test` installs them (or: apt-get install -y chromium fonts-noto-cjk)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Site:
    """One browser tab on the test site, recording what it fetched and logged."""

    page: Page
    base_url: str
    edit_url: str = EDIT_URL
    build: str = BUILD
    requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def goto(self, hash_route: str = "") -> None:
        """Open index.html with the given hash (e.g. ``#/docs/notes/math``)."""
        self.page.goto(self.base_url + hash_route)

    def wait_rendered(self, route_path: str) -> None:
        """Wait until docsify has finished rendering ``route_path`` (e.g. ``/docs/``)."""
        self.page.wait_for_function(
            "path => document.body.dataset.kbRoute === path", arg=route_path
        )

    def open(self, route_path: str) -> None:
        """Open a route in a fresh page load and wait for it to render."""
        if self.page.url != "about:blank":
            # Only the hash would change: force a real load instead of an in-app navigation.
            self.page.goto("about:blank")
        self.goto("#" + route_path)
        self.wait_rendered(route_path)

    def navigate(self, route_path: str) -> None:
        """Change the hash in the running app (no reload) and wait for the render."""
        self.page.evaluate("path => { location.hash = '#' + path; }", route_path)
        self.wait_rendered(route_path)

    def assert_clean(self) -> None:
        """Nothing left 127.0.0.1, nothing failed to load, nothing logged an error."""
        assert self.external_requests == [], "requests left 127.0.0.1"
        assert self.failed_responses == [], "some requests failed"
        assert self.console_errors == [], "the page logged errors"


def _new_site(context: BrowserContext, base_url: str) -> Site:
    page = context.new_page()
    site = Site(page=page, base_url=base_url)

    def on_request(request: Request) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss"):
            if url.hostname in LOOPBACK_HOSTS:
                site.requests.append(request.url)
            else:
                site.external_requests.append(request.url)

    def block(route: Route) -> None:
        route.abort("blockedbyclient")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            site.console_errors.append(f"{message.text} @ {message.location.get('url', '')}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            site.failed_responses.append(f"{response.status} {response.url}")

    # Only requests to other hosts are intercepted (and refused): routing every local request
    # through Playwright would make each page load several times slower.
    context.route(_NOT_LOOPBACK, block)
    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: site.console_errors.append(f"pageerror: {error}"))
    page.on("response", on_response)
    page.on("requestfailed", lambda req: site.failed_responses.append(f"failed {req.url}"))
    return site


def _site_fixture(
    request: pytest.FixtureRequest,
    browser: Browser,
    base_url: str,
    viewport: dict[str, int],
    *,
    bypass_csp: bool = False,
) -> Iterator[Site]:
    context = browser.new_context(
        viewport=viewport,
        locale="zh-CN",
        service_workers="block",
        device_scale_factor=1,
        bypass_csp=bypass_csp,
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        site = _new_site(context, base_url)
        yield site
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            site.page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture
def site(request: pytest.FixtureRequest, browser: Browser, base_url: str) -> Iterator[Site]:
    """A desktop-sized tab (1280x900) on the test site."""
    yield from _site_fixture(request, browser, base_url, DESKTOP)


@pytest.fixture
def repo_site(
    request: pytest.FixtureRequest, browser: Browser, repo_site_url: str
) -> Iterator[Site]:
    """A desktop-sized tab on the repository's own site."""
    yield from _site_fixture(request, browser, repo_site_url, DESKTOP)


@pytest.fixture
def audit_site(
    request: pytest.FixtureRequest, browser: Browser, repo_site_url: str
) -> Iterator[Site]:
    """A desktop tab on the repository's own site where a test may inject a checker (axe-core):
    the page's CSP and Trusted Types would refuse it, so they are bypassed in this tab only."""
    yield from _site_fixture(request, browser, repo_site_url, DESKTOP, bypass_csp=True)


@pytest.fixture
def audit_mobile_site(
    request: pytest.FixtureRequest, browser: Browser, repo_site_url: str
) -> Iterator[Site]:
    """As `audit_site`, phone-sized (375x740)."""
    yield from _site_fixture(request, browser, repo_site_url, MOBILE, bypass_csp=True)


@pytest.fixture
def mobile_site(request: pytest.FixtureRequest, browser: Browser, base_url: str) -> Iterator[Site]:
    """A phone-sized tab (375x740) on the test site."""
    yield from _site_fixture(request, browser, base_url, MOBILE)
