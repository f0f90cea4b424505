"""Single-page checks of the scan: references, a missing title, page size.

What a page renders as HTML is judged by the HTML gate (tests/test_gate.py).
"""

from __future__ import annotations

from kb.checks.page import check_page
from kb.markdown import scan_markdown
from kb.model import ParseContext
from kb.parser import parse_page

FILE = "docs/n/a.md"


def findings(body: str) -> list[tuple[int, str, str]]:
    scan = scan_markdown("# T\n" + body, body_line=5)
    return [(d.line, d.code, d.message) for d in check_page(FILE, scan)]


def test_undefined_reference_label_is_lnk205_at_its_line() -> None:
    assert findings("text\n\nsee [x][nowhere]\n") == [
        (8, "LNK205", "reference link label 'nowhere' is never defined")
    ]


def test_defined_reference_label_is_fine() -> None:
    assert findings("see [x][here]\n\n[here]: https://example.org\n") == []


def test_html_is_not_judged_by_the_scan() -> None:
    assert findings("<script>alert(1)</script>\n[x](javascript:alert(1))\n") == []


def test_missing_level_one_heading_is_md505() -> None:
    scan = scan_markdown("## only h2\n", body_line=5)
    found = [(d.line, d.code, d.severity.label) for d in check_page(FILE, scan)]
    assert found == [(0, "MD505", "warning")]


def test_a_page_above_the_size_limit_is_md504_and_not_scanned() -> None:
    ctx = ParseContext({}, (), 2, 2026)
    body = b"---\ntype: note\ntitle: x\n---\n# x\n\n" + b"[a](missing.md) " * 200
    page = parse_page(FILE, body, ctx)
    assert [(d.line, d.code, d.severity.label) for d in page.diagnostics] == [(0, "MD504", "error")]
    assert page.meta is None and page.links == ()
    small = parse_page(FILE, b"---\ntype: note\ntitle: x\n---\n# x\n", ctx)
    assert "MD504" not in {d.code for d in small.diagnostics}
