"""Tables stay readable: on a 1280 px desktop and a 390 px phone no column of the papers index
is squeezed to one character a line, and on the phone the table scrolls inside itself instead
of widening the page. Screenshots are kept in test-artifacts/ for a look."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conftest import ARTIFACTS

if TYPE_CHECKING:
    from conftest import Site

ROUTES = ["/docs/papers/", "/docs/notes/classification-metrics"]

# Short cells broken into lines of a character or two (lines counted from the line boxes of
# the text itself, not the cell, which grows with its row).
SQUEEZED = r"""
table => [...table.querySelectorAll('td, th')].filter(cell => {
  const text = cell.innerText.trim();
  if (!text || text.length > 6) return false;
  const range = document.createRange();
  range.selectNodeContents(cell);
  const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
  // fewer than two characters a line: a word broken into single characters
  return lines > 1 && text.replace(/\s/g, '').length / lines < 2;
}).map(cell => cell.innerText.trim())
"""


@pytest.mark.parametrize("width", [1280, 390])
def test_no_column_is_squeezed(repo_site: Site, width: int) -> None:
    page = repo_site.page
    page.set_viewport_size({"width": width, "height": 900})
    for route in ROUTES:
        repo_site.open(route)
        tables = page.locator("#main table")
        assert tables.count() > 0
        for i in range(tables.count()):
            squeezed = tables.nth(i).evaluate(SQUEEZED)
            assert squeezed == [], f"{route} at {width} px: {squeezed}"
        ARTIFACTS.mkdir(exist_ok=True)
        name = route.strip("/").replace("/", "-")
        page.screenshot(path=str(ARTIFACTS / f"table-{name}-{width}.png"), full_page=True)
        # The page itself never scrolls sideways: a wide table scrolls inside its own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
