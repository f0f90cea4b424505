"""Single-page checks: unsafe HTML and URLs, page size, missing title."""

from __future__ import annotations

import pytest

from kb.checks.page import check_page, script_scheme
from kb.markdown import scan_markdown

FILE = "docs/n/a.md"
HOSTS = ("player.bilibili.com",)


def findings(body: str, *, size: int = 0, max_kb: int = 512) -> list[tuple[int, int, str, str]]:
    scan = scan_markdown("# T\n" + body, body_line=5)
    return [
        (d.line, d.column, d.code, d.message) for d in check_page(FILE, scan, size, HOSTS, max_kb)
    ]


@pytest.mark.parametrize(
    ("html", "code", "message"),
    [
        ("<script>alert(1)</script>", "SEC601", "raw <script> element"),
        ('<SCRIPT SRC="x.js"></SCRIPT>', "SEC601", "raw <script> element"),
        ("<img src=x onerror=alert(1)>", "SEC602", "inline event handler 'onerror' on <img>"),
        ('<div OnClick="x()">', "SEC602", "inline event handler 'onclick' on <div>"),
        ('<a href="javascript:alert(1)">', "SEC603", "javascript: URL in a <a href>"),
        ('<a href="jav&#x61;script:alert(1)">', "SEC603", "javascript: URL in a <a href>"),
        ('<a href="java\tscript:alert(1)">', "SEC603", "javascript: URL in a <a href>"),
        ('<a href="javascript&colon;alert(1)">', "SEC603", "javascript: URL in a <a href>"),
        ("[x](javascript:alert(1))", "SEC603", "javascript: URL in a link"),
        ("[x](JAVASCRIPT:alert(1))", "SEC603", "javascript: URL in a link"),
        ("[x]: vbscript:msgbox(1)", "SEC603", "vbscript: URL in a definition"),
        ("<javascript:alert(1)>", "SEC603", "javascript: URL in a autolink"),
        ('<a xlink:href="javascript:alert(1)">', "SEC603", "javascript: URL in a <a xlink:href>"),
        (
            '<iframe src="data:text/html,<script>x</script>">',
            "SEC603",
            "data: URL in a <iframe src>",
        ),
        ("![x](data:image/svg+xml;base64,PHN2Zz4=)", "SEC603", "data: URL in a image"),
        (
            '<iframe src="https://evil.example/x">',
            "SEC604",
            "iframe from 'evil.example' is not allowed",
        ),
        (
            '<iframe src="http://player.bilibili.com/x">',
            "SEC604",
            "iframe from 'player.bilibili.com' is not allowed",
        ),
        ("<iframe>", "SEC604", "iframe from '' is not allowed"),
        ('<object data="x.swf">', "SEC605", "<object> is not allowed in pages"),
        ("<embed src=x.swf>", "SEC605", "<embed> is not allowed in pages"),
        ("<style>body{}</style>", "SEC605", "<style> is not allowed in pages"),
        ('<base href="https://evil.example/">', "SEC605", "<base> is not allowed in pages"),
        ('<meta http-equiv="refresh" content="0">', "SEC605", "<meta> is not allowed in pages"),
        ('<form action="https://evil.example/">', "SEC605", "<form> is not allowed in pages"),
        (
            '<span style="background:url(https://x/t.gif)">',
            "SEC605",
            "style attribute on <span> loads a URL",
        ),
    ],
)
def test_unsafe_html_and_urls(html: str, code: str, message: str) -> None:
    found = [(c, m) for _, _, c, m in findings(html + "\n")]
    assert (code, message) in found
    assert {c for c, _ in found} <= {code, "SEC603", "SEC604", "SEC605"}


@pytest.mark.parametrize(
    "html",
    [
        '<iframe src="https://player.bilibili.com/player.html?bvid=1"></iframe>',
        '<a href="https://example.org/javascript:">ok</a>',
        "![png](data:image/png;base64,iVBORw0KGgo=)",
        '<img src="../_media/a.png" alt="x" width="10">',
        '<span style="color: red">红</span>',
        "[x](notes/javascript.md)",
        "<details><summary>展开</summary>内容</details>",
    ],
)
def test_safe_html_is_not_reported(html: str) -> None:
    assert findings(html + "\n") == []


@pytest.mark.parametrize(
    "body",
    [
        "```html\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n```\n",
        "`<script>alert(1)</script>` and `[x](javascript:alert(1))`\n",
        '\n    <iframe src="https://evil.example/"></iframe>\n',
        "<!-- <object data=x></object> -->\n",
    ],
)
def test_payloads_in_code_and_comments_are_not_reported(body: str) -> None:
    assert findings(body) == []


def test_unsafe_findings_carry_line_and_column() -> None:
    assert findings("text\n\nok <script>x</script>\n")[0][:3] == (8, 4, "SEC601")


def test_backtick_inside_an_attribute_does_not_hide_an_event_handler() -> None:
    codes = [code for _, _, code, _ in findings('<img src="`" onerror=alert(1) x="`">\n')]
    assert "SEC602" in codes


def test_code_span_opening_before_a_comment_does_not_hide_a_script() -> None:
    codes = [code for _, _, code, _ in findings("`a <!-- b` <script>alert(1)</script> -->\n")]
    assert codes == ["SEC601"]


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("javascript:x", "javascript:"),
        (" \x01JaVa\nScRiPt:x", "javascript:"),
        ("VBScript:x", "vbscript:"),
        ("data:text/html,x", "data:"),
        ("https://example.org", ""),
        ("notes/javascript.md", ""),
    ],
)
def test_script_scheme(url: str, scheme: str) -> None:
    assert script_scheme(url) == scheme


def test_page_size_limit_is_md504_on_the_whole_file() -> None:
    assert findings("", size=2049, max_kb=2) == [(0, 0, "MD504", "page is 2 KB (limit 2 KB)")]
    assert findings("", size=2048, max_kb=2) == []


def test_missing_level_one_heading_is_md505() -> None:
    scan = scan_markdown("## only h2\n", body_line=5)
    found = [(d.line, d.code, d.severity.label) for d in check_page(FILE, scan, 0, HOSTS, 512)]
    assert found == [(0, "MD505", "warning")]
