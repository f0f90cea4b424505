"""Search over the prebuilt index, in Chromium: nothing downloaded before the reader searches,
only the fragments a query needs, Chinese bigrams, ranking, keyboard, facets, highlights,
and no way for page content to run script through the results."""

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


def _index_requests(site: Site) -> list[str]:
    return [u.rsplit("/vendor/search/", 1)[1] for u in site.requests if "/vendor/search/" in u]


def test_a_visitor_who_never_searches_downloads_no_index(site: Site) -> None:
    site.open(HOME)
    site.page.wait_for_load_state("networkidle")
    assert _index_requests(site) == []
    # docsify's search would fetch every sidebar page now; only the home page and sidebar load.
    paths = [urlsplit(url).path for url in site.requests]
    markdown = sorted(p.rsplit("/medai/", 1)[1] for p in paths if p.endswith(".md"))
    assert markdown == ["_sidebar.md", "docs/README.md"]
    # Focusing the box loads the manifest, and only it.
    site.page.locator(".sidebar input[type=search]").focus()
    site.page.wait_for_function(READY)
    assert _index_requests(site) == [f"index.json?build={site.build}"]
    site.assert_clean()


def test_a_query_fetches_only_the_buckets_of_its_tokens(site: Site) -> None:
    site.open(HOME)
    _search(site, "池化")
    expect(site.page.locator(".kb-search-result").first).to_be_visible()
    fetched = _index_requests(site)
    assert fetched[0] == f"index.json?build={site.build}"
    buckets = [name for name in fetched if name.startswith("i-")]
    blocks = [name for name in fetched if name.startswith("p-")]
    assert len(buckets) == 1 and len(blocks) == 1  # one token, one page of results
    assert len(fetched) == 3
    site.assert_clean()


def test_bigrams_find_what_substring_search_misses(site: Site) -> None:
    site.open(HOME)
    # 卷积网络 is not a substring of 卷积神经网络: docsify's built-in search finds nothing.
    _search(site, "卷积网络")
    assert _hrefs(site)[0] == f"#{CNN}"  # the title holds two of its three bigrams
    first = site.page.locator(".kb-search-result").first
    expect(first.locator(".kb-search-title mark").first).to_have_text("卷积")
    # A body hit links to the section that holds it, with the snippet from there.
    _search(site, "共享权重")
    section = first.locator("a.kb-search-section")
    expect(section).to_contain_text("› 卷积层")
    expect(section.locator(".kb-search-snippet")).to_contain_text("卷积神经网络（CNN）用共享权重")
    assert _hrefs(site)[:2] == [f"#{CNN}", f"#{CNN}?id=卷积层"]
    section.click()
    site.wait_rendered(CNN)
    heading = site.page.locator("#main h2", has_text="卷积层")
    expect(heading).to_be_in_viewport()
    site.assert_clean()


def test_title_hits_rank_above_body_hits(site: Site) -> None:
    site.open(HOME)
    _search(site, "池化")
    assert _hrefs(site)[0] == f"#{CNN}?id=池化层"  # a heading, not a passing mention
    _search(site, "研究问题")
    assert _hrefs(site)[0] == "#/docs/papers/bello-2019-cardiac-motion?id=研究问题"
    site.assert_clean()


def test_highlights_stay_on_the_words_when_nfkc_changes_lengths(site: Site) -> None:
    site.open(HOME)
    _search(site, "共享权重")
    # "…" and "①" fold (NFKC) to three characters and one: marks still cover the words.
    marks = site.page.locator(".kb-search-result").first.locator(".kb-search-section mark")
    expect(marks.first).to_have_text("共享权重")
    texts = site.page.evaluate(
        "() => window.KB_SEARCH.markRanges('…①卷积…网络', '卷积网络').map(r => r.join('-'))"
    )
    assert texts == ["2-4", "5-7"]


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
    page.keyboard.type("卷积层")
    expect(page.locator(".kb-search-result").first).to_be_visible()
    rows = page.locator(".kb-search-result")
    page.keyboard.press("ArrowUp")  # from the box: the last row
    expect(rows.last).to_have_attribute("aria-current", "true")
    expect(page.locator('.kb-search-result[aria-current="true"]')).to_have_count(1)
    page.keyboard.press("ArrowDown")  # past the last result, back to the first
    expect(rows.first).to_have_attribute("aria-current", "true")
    selected = page.locator('.kb-search-result[aria-current="true"] a').first
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
    # No word of it is on the site (a query with some words on the site lists those pages).
    _search(site, "zqxwvk 龘靐")
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


def test_browser_tokens_and_buckets_match_python(site: Site) -> None:
    from kb.searchtext import bucket, tokenize

    site.open(HOME)
    samples = [
        "卷积神经网络",
        "ResNet-50 的 Dice 系数",
        "Ｃｏｘ模型",
        "癌",
        "ひらがな 한국어 x",
        "…①ﬁ",
    ]
    browser = site.page.evaluate("xs => xs.map(x => window.KB_SEARCH.tokenize(x))", samples)
    assert browser == [tokenize(text) for text in samples]
    tokens = [t for text in samples for t in tokenize(text)]
    buckets = site.page.evaluate("ts => ts.map(t => window.KB_SEARCH.bucketOf(t, 1024))", tokens)
    assert buckets == [bucket(t) for t in tokens]
