"""The static mirror (`kb export`) in headless Chromium.

The repository's mirror is the one the Pages workflow deploys (`kb publish` puts it in
`static/`): a paper page must show its math typeset and carry its description, Chinese
search must find a word from the middle of a sentence, and a link to a Chinese heading must
land on it in the mirror as in docsify. The attack corpus of the docsify site is built into
a mirror too, and each wall is tested on its own: the sanitizer (nh3, at export) with the
CSP stripped, the CSP with the sanitizer switched off, and both as shipped.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route
from tests.attacks import build_attack_site, load_corpus
from tests.browser.conftest import serve_on_loopback

from kb.config import load_settings
from kb.mirror import ExportOptions, export
from kb.site import load_site

PAYLOADS = load_corpus()
_NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/])[a-z][a-z0-9+.-]*://", re.I)
_CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')
AUDIT = (Path(__file__).parent / "mirror-audit.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def attack_mirrors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The corpus site's mirror with the sanitizer on and off, each served on loopback."""
    tmp = tmp_path_factory.mktemp("mirror-attacks")
    root = build_attack_site(tmp, PAYLOADS)
    site = load_site(load_settings(root), use_cache=False)
    urls = {}
    with contextlib.ExitStack() as stack:
        for name, sanitize in (("sanitized", True), ("unsanitized", False)):
            out = tmp / name / "static"
            out.parent.mkdir()
            export(site, out, ExportOptions(strict=False, sanitize=sanitize))
            serve = contextlib.contextmanager(serve_on_loopback)(tmp / name)
            base = stack.enter_context(serve)
            urls[name] = base.rsplit("/", 2)[0] + "/static/"
        yield urls


def _tour(browser: Browser, base: str, ids: list[str], *, csp: bool) -> dict[str, list[str]]:
    """Open every payload's page; what went wrong on each."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    found: dict[str, list[str]] = {}
    current = ["(start)"]

    def note(what: str) -> None:
        found.setdefault(current[0], []).append(what)

    def offsite(route: Route) -> None:
        if not (route.request.resource_type == "document" and "bilibili" in route.request.url):
            note(f"off-origin request {route.request.url[:80]}")
        route.abort()

    def strip_csp(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=_CSP_META.sub("", response.text()))

    context.route(_NOT_LOOPBACK, offsite)
    if not csp:
        context.route(re.compile(r"^http://127\.0\.0\.1:\d+/.*/(index\.html)?$"), strip_csp)
    page = context.new_page()
    page.on("dialog", lambda dialog: (note(f"dialog {dialog.message[:40]}"), dialog.dismiss()))
    context.on("page", lambda popup: note(f"popup {popup.url}"))
    try:
        for payload_id in ids:
            current[0] = payload_id
            url = f"{base}attacks/{payload_id}/"
            page.goto(url, wait_until="load")
            page.wait_for_timeout(100)
            if urlsplit(page.url).path != urlsplit(url).path:
                note(f"navigated to {page.url[:80]}")
                continue
            for problem in page.evaluate(AUDIT):
                note(problem)
    finally:
        context.close()
    return found


def test_the_sanitizer_alone_holds_the_corpus(
    browser: Browser, attack_mirrors: dict[str, str]
) -> None:
    found = _tour(browser, attack_mirrors["sanitized"], [p.id for p in PAYLOADS], csp=False)
    assert found == {}


def test_the_csp_alone_holds_what_a_csp_can_hold(
    browser: Browser, attack_mirrors: dict[str, str]
) -> None:
    ids = [p.id for p in PAYLOADS if p.csp]
    found = _tour(browser, attack_mirrors["unsanitized"], ids, csp=True)
    ran = {
        k: [v for v in problems if v.startswith(("dialog", "off-origin", "navigated", "popup"))]
        for k, problems in found.items()
    }
    assert {k: v for k, v in ran.items() if v} == {}


def test_both_walls_as_shipped(browser: Browser, attack_mirrors: dict[str, str]) -> None:
    found = _tour(browser, attack_mirrors["sanitized"], [p.id for p in PAYLOADS], csp=True)
    assert found == {}


def test_without_walls_the_tour_sees_the_attacks(
    browser: Browser, attack_mirrors: dict[str, str]
) -> None:
    """The control: with neither wall, the same tour must find what the payloads do."""
    ids = [p.id for p in PAYLOADS if p.csp]
    found = _tour(browser, attack_mirrors["unsanitized"], ids, csp=False)
    assert len(found) >= len(ids) // 2, sorted(found)


def _mirror_page(browser: Browser, url: str) -> tuple[Page, list[str]]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    return page, errors


def test_a_paper_page_renders_its_math_and_has_its_description(
    browser: Browser, repo_site_url: str
) -> None:
    page, errors = _mirror_page(browser, repo_site_url + "static/papers/katzman-2018-deepsurv/")
    try:
        page.wait_for_selector("article .katex", timeout=10000)
        assert page.locator("article .arithmatex").count() >= 10
        assert (
            page.locator("article .arithmatex .katex").count()
            == page.locator("article .arithmatex").count()
        )
        assert page.locator(".katex-error").count() == 0
        description = page.locator('meta[name="description"]').get_attribute("content") or ""
        assert description.startswith("用多层神经网络替代 Cox 模型中的线性预测子")
        assert "\\beta" not in description
        assert page.title().startswith("DeepSurv：")
        back = page.locator(".kb-mirror-source a")
        back.click()
        page.wait_for_selector(".markdown-section h1", timeout=15000)
        assert page.inner_text(".markdown-section h1").startswith("DeepSurv：")
        assert errors == []
    finally:
        page.close()


def test_chinese_search_finds_a_word_inside_a_sentence(
    browser: Browser, repo_site_url: str
) -> None:
    page, errors = _mirror_page(browser, repo_site_url + "static/")
    try:
        page.keyboard.press("/")
        search = page.locator("input.md-search__input")
        # inside a sentence: …比较同一患者在不同治疗下的预测风险，给出个体化治疗推荐。
        search.fill("个体化")
        search.press("End")
        page.wait_for_selector(".md-search-result__item", timeout=10000)
        links = page.locator(".md-search-result__link").evaluate_all(
            "items => items.map(a => a.getAttribute('href'))"
        )
        assert any("papers/katzman-2018-deepsurv/" in href for href in links)
        assert errors == []
    finally:
        page.close()


def test_a_link_to_a_chinese_heading_lands_on_it_in_both_sites(
    browser: Browser, repo_site_url: str
) -> None:
    heading = "生存分析与预后"
    page, errors = _mirror_page(browser, repo_site_url + "static/")
    try:
        page.locator(f'article a[href$="#{heading}"]').first.click()
        page.wait_for_url(re.compile(".*/static/papers/#"))
        assert unquote(urlsplit(page.url).fragment) == heading
        target = page.locator(f'[id="{heading}"]')
        assert target.count() == 1 and target.is_visible()
        top = target.evaluate("el => el.getBoundingClientRect().top")
        assert 0 <= top < 200  # scrolled to the heading
        # the same markdown link in docsify
        page.goto(repo_site_url + "#/docs/")
        page.wait_for_selector(".markdown-section h1", timeout=15000)
        page.locator(".markdown-section table a").first.click()
        page.wait_for_function(
            "id => document.getElementById(id) && location.hash.includes('?id=')", arg=heading
        )
        assert errors == []
    finally:
        page.close()


def test_the_published_site_points_crawlers_to_the_mirror(repo_site_url: str) -> None:
    import urllib.request

    with urllib.request.urlopen(repo_site_url + "robots.txt", timeout=10) as response:
        robots = response.read().decode()
    assert "User-agent: *" in robots
    with urllib.request.urlopen(repo_site_url + "index.html", timeout=10) as response:
        index = response.read().decode()
    assert 'href="static/"' in index
    path = Path(urlsplit(repo_site_url).path)
    assert path.name == "medai"
