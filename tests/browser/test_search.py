"""Search over the prebuilt index, in Chromium: one request, Chinese bigrams, ranking,
keyboard, facets, and no way for page content to run script through the results."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from playwright.sync_api import expect

if TYPE_CHECKING:
    from conftest import Site

HOME = "/docs/"
CNN = "/docs/notes/cnn"
XSS = "/docs/notes/xss"
READY = "() => document.documentElement.dataset.kbSearch === 'ready'"


def _search(site: Site, query: str) -> None:
    box = site.page.locator(".sidebar input[type=search]")
    status = site.page.locator(".kb-search-status")
    box.fill("")
    expect(status).to_be_empty()
    box.fill(query)
    if query:
        expect(status).not_to_be_empty()


def _hrefs(site: Site) -> list[str]:
    return [
        unquote(href or "")
        for href in site.page.locator(".kb-search-result a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
    ]


def test_first_load_makes_one_index_request_and_no_page_crawl(site: Site) -> None:
    site.open(HOME)
    site.page.wait_for_function(READY)
    site.page.wait_for_load_state("networkidle")
    paths = [urlsplit(url).path for url in site.requests]
    assert sum(p.endswith("/vendor/search-index.json") for p in paths) == 1
    index_url = next(u for u in site.requests if "search-index.json" in u)
    assert urlsplit(index_url).query == f"build={site.build}"
    # docsify's search would fetch every sidebar page now; only the home page and sidebar load.
    markdown = sorted(p.rsplit("/medai/", 1)[1] for p in paths if p.endswith(".md"))
    assert markdown == ["_sidebar.md", "docs/README.md"]
    site.assert_clean()


def test_bigrams_find_what_substring_search_misses(site: Site) -> None:
    site.open(HOME)
    # 卷积网络 is not a substring of 卷积神经网络: docsify's built-in search finds nothing.
    _search(site, "卷积网络")
    hrefs = _hrefs(site)
    # The page whose title matches first, then its section whose text matches.
    assert hrefs[:2] == [f"#{CNN}", f"#{CNN}?id=卷积层"]
    section = site.page.locator(".kb-search-result").nth(1)
    expect(section.locator("mark").first).to_have_text("卷积")
    expect(section).to_contain_text("卷积神经网络（CNN）")
    section.locator("a").click()
    site.wait_rendered(CNN)
    heading = site.page.locator("#main h2", has_text="卷积层")
    expect(heading).to_be_in_viewport()
    site.assert_clean()


def test_title_hits_rank_above_body_hits(site: Site) -> None:
    site.open(HOME)
    _search(site, "池化")
    assert _hrefs(site)[0] == f"#{CNN}?id=池化层"  # a heading, not a passing mention
    _search(site, "研究问题")
    hrefs = _hrefs(site)
    assert hrefs[0] == "#/docs/papers/bello-2019-cardiac-motion?id=研究问题"
    # Exact phrase above scattered words: 生存分析 appears as a phrase in the 池化层 text,
    # only as 生存 + 分析 in the paper's title.
    _search(site, "生存分析")
    hrefs = _hrefs(site)
    assert hrefs.index(f"#{CNN}?id=池化层") < hrefs.index("#/docs/papers/bello-2019-cardiac-motion")
    site.assert_clean()


def test_paper_fields_are_searchable_and_filterable(site: Site) -> None:
    site.open(HOME)
    _search(site, "Nature Machine Intelligence")  # the venue, from the front matter
    assert _hrefs(site)[0] == "#/docs/papers/bello-2019-cardiac-motion"
    _search(site, "")
    year = site.page.locator(".kb-search-facet[name=year]")
    expect(year.locator("option")).not_to_have_count(1)
    year.select_option("2019")
    expect(site.page.locator(".kb-search-status")).to_have_text("找到 1 条结果")
    assert _hrefs(site) == ["#/docs/papers/bello-2019-cardiac-motion"]
    site.assert_clean()


def test_keyboard_navigation(site: Site) -> None:
    site.open(HOME)
    page = site.page
    page.keyboard.press("/")
    expect(page.locator(".sidebar input[type=search]")).to_be_focused()
    page.keyboard.type("卷积")
    expect(page.locator(".kb-search-result").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    selected = page.locator('.kb-search-result[aria-selected="true"] a')
    expect(selected).to_have_count(1)
    target = unquote(selected.get_attribute("href") or "")
    page.keyboard.press("Enter")
    page.wait_for_function("h => decodeURIComponent(location.hash) === h", arg=target)
    # docsify moves focus into the opened page; Escape there still closes the results.
    page.wait_for_function("() => Boolean(document.activeElement?.closest('#main'))")
    page.keyboard.press("Escape")
    expect(page.locator(".kb-search-result")).to_have_count(0)
    expect(page.locator(".sidebar-nav")).to_be_visible()  # the results gave way to the menu
    site.assert_clean()


def test_escape_in_the_box_clears_query_then_filters(site: Site) -> None:
    site.open(HOME)
    page = site.page
    box = page.locator(".sidebar input[type=search]")
    box.click()
    page.locator(".kb-search-facet[name=year]").select_option("2019")
    box.fill("心脏")
    expect(page.locator(".kb-search-result").first).to_be_visible()
    box.press("Escape")
    expect(box).to_have_value("")
    expect(page.locator(".kb-search-facet[name=year]")).to_have_value("2019")
    expect(page.locator(".kb-search-result")).to_have_count(1)  # the year filter alone
    box.press("Escape")
    expect(page.locator(".kb-search-facet[name=year]")).to_have_value("")
    expect(page.locator(".kb-search-result")).to_have_count(0)
    site.assert_clean()


def test_no_results_message(site: Site) -> None:
    site.open(HOME)
    _search(site, "不存在的关键词xyz")
    expect(site.page.locator(".kb-search-status")).to_have_text("没有找到结果")
    expect(site.page.locator(".kb-search-result")).to_have_count(0)


def test_payloads_in_a_page_execute_nothing(site: Site) -> None:
    site.open(XSS)
    page = site.page
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__kbXss") is None
    # Search results show the payload's text; no element from it reaches the DOM.
    _search(site, "注入载荷")
    results = page.locator(".kb-search-results")
    expect(results.locator(".kb-search-result").first).to_be_visible()
    assert results.locator("img, script").count() == 0
    expect(results).to_contain_text("<script>window.__kbXss = 'entity'</script>")
    _search(site, "恶意页面")
    assert results.locator("img, script").count() == 0
    page.wait_for_timeout(200)
    assert page.evaluate("window.__kbXss") is None
    # The CSP refused the payload's inline handlers and script (Chromium names docsify, which
    # inserted the page's HTML, as the source); nothing else was refused.
    payload = re.compile(r"Executing inline (event handler|script) violates|/x-[a-z]+\.png$")
    blocked = [e for e in site.console_errors if payload.search(e)]
    assert len(blocked) >= 1
    assert [e for e in site.console_errors if not payload.search(e)] == []
    assert site.external_requests == []


def test_crafted_route_loads_nothing_from_outside(site: Site) -> None:
    site.open(HOME)
    site.page.evaluate("location.hash = '#///attacker.example/x.md'")
    site.page.wait_for_function("() => location.hash === '#/attacker.example/x.md'")
    site.wait_rendered("/attacker.example/x.md")
    expect(site.page.locator("#main")).to_contain_text("404")
    assert site.external_requests == []
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in site.requests)


def test_browser_tokens_and_postings_match_python(site: Site) -> None:
    from kb.search import _deltas, tokenize

    site.open(HOME)
    samples = ["卷积神经网络", "ResNet-50 的 Dice 系数", "Ｃｏｘ模型", "癌", "ひらがな 한국어 x"]
    browser = site.page.evaluate("xs => xs.map(x => window.KB_SEARCH.tokenize(x))", samples)
    assert browser == [tokenize(text) for text in samples]
    ids = [0, 3, 40, 41, 5000, 5001, 1_000_000]
    assert site.page.evaluate("p => window.KB_SEARCH.decode(p)", _deltas(ids)) == ids
