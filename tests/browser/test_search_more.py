"""Search results ten at a time: "显示更多" appends the next ten rows and fetches the display
blocks of those rows only. The fixture site has too few results for any query, so this module
serves it with TOTAL generated notes that all hold QUERY (``base_url`` is overridden: the
``site`` tab opens that site)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import urlopen

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from conftest import Site

HOME = "/docs/"
QUERY = "分页"
TOTAL = 25
PAGE_ROWS = 10  # PAGE_ROWS in assets/kb-search.js
INDEX = "vendor/search/"


def _route(n: int) -> str:
    return f"/docs/more/p{n:02d}"


def _title(n: int) -> str:
    # Shown as text in the results; as HTML it would load x-more-N.png and run its handler.
    return f'第 {n:02d} 篇 <img src="x-more-{n}.png" onerror="window.__kbMore = {n}">'


def _note(n: int) -> str:
    # Note n holds the query word TOTAL + 1 - n times, in its body only: the ranks follow n.
    uses = "，".join([QUERY] * (TOTAL + 1 - n))
    return f"---\ntype: note\ntitle: '{_title(n)}'\n---\n\n生成的笔记：{uses}。\n"


@pytest.fixture(scope="module")
def base_url(serve_fixture_site_with: Callable[[Mapping[str, str]], str]) -> str:
    """The fixture site plus the generated notes (overrides conftest's base_url)."""
    return serve_fixture_site_with({f"{_route(n)[1:]}.md": _note(n) for n in range(1, TOTAL + 1)})


def _served(base_url: str, name: str) -> Any:
    with urlopen(base_url + INDEX + name) as response:  # noqa: S310 - the loopback server
        return json.load(response)


def _blocks(base_url: str) -> dict[str, int]:
    """Route → the display block that holds it, read from the served index (not the page)."""
    manifest = _served(base_url, "index.json")
    assert not manifest["overlay"]  # every page is in the base blocks
    count = -(-manifest["pages"] // manifest["block"])
    return {
        record[0]: number
        for number in range(count)
        for record in _served(base_url, f"p-{number}.json")["pages"]
    }


def _fetched(site: Site, since: int) -> list[str]:
    """Paths (in the site) requested since request number `since`, in order."""
    root = urlsplit(site.base_url).path
    return [unquote(urlsplit(url).path).removeprefix(root) for url in site.requests[since:]]


def test_show_more_appends_the_next_rows_and_their_blocks_only(site: Site) -> None:
    blocks = _blocks(site.base_url)
    site.open(HOME)
    page = site.page
    box = page.locator(".sidebar input[type=search]")
    rows = page.locator(".kb-search-result")
    more = page.locator(".kb-search-more button")
    since = len(site.requests)
    box.fill(QUERY)
    expect(page.locator(".kb-search-status")).to_have_text(f"找到 {TOTAL} 条结果")

    shown = 0
    fetched_blocks: set[int] = set()
    while shown < TOTAL:
        before, shown = shown, min(shown + PAGE_ROWS, TOTAL)
        expect(rows).to_have_count(shown)
        # Earlier rows stay as they were; the new ones continue the ranking, each route once.
        hrefs = rows.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
        assert hrefs == [f"#{_route(n)}" for n in range(1, shown + 1)]
        expect(rows.locator(".kb-search-title")).to_have_text(
            [_title(n) for n in range(1, shown + 1)]
        )
        # Snippets come from the new rows' own pages, fetched now and no others.
        expect(page.locator(".kb-search-result:has(.kb-search-snippet mark)")).to_have_count(shown)
        new = [_route(n) for n in range(before + 1, shown + 1)]
        fetched = _fetched(site, since)
        assert sorted(p for p in fetched if p.endswith(".md")) == [f"{r[1:]}.md" for r in new]
        # The display blocks of the new rows, each once, and nothing else from the index.
        needed = {blocks[route] for route in new} - fetched_blocks
        index = [p.removeprefix(INDEX) for p in fetched if p.startswith(INDEX)]
        if before == 0:  # the query itself: the manifest, then its one token's bucket
            assert index[0] == "index.json" and re.fullmatch(r"i-\d+\.txt", index[1])
            index = index[2:]
        assert sorted(index) == [f"p-{number}.json" for number in sorted(needed)]
        assert needed, "the rows of this page should need a block not yet fetched"
        fetched_blocks |= needed
        if shown < TOTAL:
            expect(more).to_have_count(1)
            expect(more).to_have_text(f"显示更多（还有 {TOTAL - shown} 条）")
            since = len(site.requests)
            more.click()
    expect(more).to_have_count(0)
    expect(page.locator(".kb-search-more")).to_have_count(0)

    # The titles' markup stayed text: no element, no image request, no handler ran.
    assert page.locator(".kb-search-results img").count() == 0
    assert page.evaluate("window.__kbMore") is None
    site.assert_clean()


def test_arrow_keys_reach_the_appended_rows(site: Site) -> None:
    site.open(HOME)
    page = site.page
    box = page.locator(".sidebar input[type=search]")
    rows = page.locator(".kb-search-result")
    selected = page.locator('.kb-search-result[aria-current="true"]')
    box.fill(QUERY)
    expect(rows).to_have_count(PAGE_ROWS)
    page.keyboard.press("ArrowDown")
    expect(rows.first).to_have_attribute("aria-current", "true")
    # Pressed from the keyboard, the button gives the focus back to the box, not to <body>.
    page.locator(".kb-search-more button").press("Enter")
    expect(rows).to_have_count(2 * PAGE_ROWS)
    expect(box).to_be_focused()
    for _ in range(PAGE_ROWS):
        page.keyboard.press("ArrowDown")
    expect(selected).to_have_count(1)
    expect(rows.nth(PAGE_ROWS)).to_have_attribute("aria-current", "true")
    expect(selected).to_be_in_viewport()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(rows.nth(PAGE_ROWS - 2)).to_have_attribute("aria-current", "true")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    site.wait_rendered(_route(PAGE_ROWS + 1))
    site.assert_clean()


def test_a_double_click_adds_the_next_rows_once(site: Site) -> None:
    site.open(HOME)
    page = site.page
    rows = page.locator(".kb-search-result")
    page.locator(".sidebar input[type=search]").fill(QUERY)
    expect(rows).to_have_count(PAGE_ROWS)
    # Both clicks land before the next rows' display block arrives.
    page.locator(".kb-search-more button").dblclick()
    expect(rows).to_have_count(2 * PAGE_ROWS)
    expect(page.locator(".kb-search-more button")).to_have_text(
        f"显示更多（还有 {TOTAL - 2 * PAGE_ROWS} 条）"
    )
    page.wait_for_timeout(200)  # a second batch would have arrived by now
    hrefs = rows.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert hrefs == [f"#{_route(n)}" for n in range(1, 2 * PAGE_ROWS + 1)]
    site.assert_clean()
