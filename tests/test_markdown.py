"""The line-aware markdown scan: headings, links, tags, masking, math delimiters."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import kb.markdown
import kb.slugify
from kb.markdown import Heading, Link, external_links, mask_code, scan_markdown
from tests.work import assert_linear

HEADINGS = """\
# Title #
Setext 二级
----------

 ### Indented three
    # indented code, not a heading

```
# fenced, not a heading
```
- list item
---
<!-- # comment, not a heading -->
#no-space is not a heading
Setext 一级
===
## 标题 :id=custom
## 小结
## 小结
"""


def test_atx_and_setext_headings_with_levels_lines_and_slugs() -> None:
    headings = scan_markdown(HEADINGS, body_line=10).headings
    assert headings == (
        Heading(10, 1, "Title", "title"),
        Heading(11, 2, "Setext 二级", "setext-二级"),
        Heading(14, 3, "Indented three", "indented-three"),
        Heading(24, 1, "Setext 一级", "setext-一级"),
        Heading(26, 2, "标题 :id=custom", "custom"),
        Heading(27, 2, "小结", "小结"),
        Heading(28, 2, "小结", "小结-1"),
    )


def test_heading_text_keeps_inline_code_for_the_slug() -> None:
    headings = scan_markdown("## Use `kb check` now\n").headings
    assert headings == (Heading(1, 2, "Use `kb check` now", "use-kb-check-now"),)


def test_inline_links_images_autolinks_and_html_attributes_with_columns() -> None:
    body = (
        'A [link](a.md "t") and ![img](b.png) x <https://e.org/x>\n'
        '<a href="f.md" onclick="x">y</a> <img SRC=\'g.png\'>\n'
        "[esc\\]](i\\(j\\).md) [p](k(l).md) [sp](<my page.md>)\n"
    )
    assert scan_markdown(body, body_line=5).links == (
        Link(5, 3, "a.md", "link"),
        Link(5, 24, "b.png", "image"),
        Link(5, 41, "https://e.org/x", "autolink"),
        Link(6, 1, "f.md", "html:a:href"),
        Link(6, 34, "g.png", "html:img:src"),
        Link(7, 1, "i(j).md", "link"),
        Link(7, 20, "k(l).md", "link"),
        Link(7, 33, "my page.md", "link"),
    )


def test_reference_definitions_and_uses() -> None:
    body = "See [the paper][Ref] and [other][].\n\n[ref]: papers/a.md\n  [Other]: <b c.md>\n"
    scan = scan_markdown(body, body_line=3)
    assert scan.ref_defs == frozenset({"ref", "other"})
    assert scan.ref_uses == (("ref", 3, 5), ("other", 3, 26))
    assert Link(5, 8, "papers/a.md", "definition") in scan.links
    assert Link(6, 12, "b c.md", "definition") in scan.links


def test_tags_have_lowercase_names_and_unescaped_attribute_values() -> None:
    scan = scan_markdown("x <A HREF=\"jav&#x61;script:go()\" Title='t'>y</A>\n")
    assert len(scan.tags) == 1
    tag = scan.tags[0]
    assert (tag.line, tag.column, tag.name) == (1, 3, "a")
    assert tag.attrs == (("href", "javascript:go()"), ("title", "t"))


def test_code_and_comments_are_masked_but_offsets_are_kept() -> None:
    body = (
        "```\n[a](fenced.md)\n```\n"
        "`[b](inline.md)` and ``[c](`double`.md)``\n"
        "<!-- [d](comment.md)\n[e](comment2.md) -->\n"
        "\n    [f](indented.md)\n"
        "\n[g](kept.md)\n"
    )
    links = scan_markdown(body).links
    assert links == (Link(10, 1, "kept.md", "link"),)


def test_indented_continuation_of_a_list_item_is_not_code() -> None:
    body = "- item\n\n    [nested](nested.md)\n"
    assert scan_markdown(body).links == (Link(3, 5, "nested.md", "link"),)


def test_mask_code_keeps_comments_and_length() -> None:
    body = "a `code` <!-- c -->\n```\nx\n```\n"
    masked = mask_code(body)
    assert len(masked) == len(body)
    assert masked.count("\n") == body.count("\n")
    assert "code" not in masked and "x" not in masked
    assert "<!-- c -->" in masked


def test_unclosed_fence_masks_the_rest_and_is_md503() -> None:
    scan = scan_markdown("# T\n\n~~~\n[a](x.md)\n", body_line=4)
    assert [(i.code, i.line, i.column) for i in scan.issues] == [("MD503", 6, 1)]
    assert scan.links == ()


def test_longer_fence_is_not_closed_by_a_shorter_one() -> None:
    scan = scan_markdown("````\n```\n[a](x.md)\n````\n[b](y.md)\n")
    assert scan.issues == ()
    assert [link.target for link in scan.links] == ["y.md"]


def test_balanced_inline_and_display_math_has_no_issue_and_is_masked() -> None:
    body = "$a$ and $[x](math.md)$\n\n$$\nE = mc^2\n$$\n\n$$x$$ inline display\n"
    scan = scan_markdown(body)
    assert scan.issues == ()
    assert scan.links == ()


def test_odd_dollar_in_a_paragraph_is_md501_at_the_opening_dollar() -> None:
    scan = scan_markdown("title\n\ncosts $5 today\n\n$x$ fine\n", body_line=6)
    assert [(i.code, i.line, i.column) for i in scan.issues] == [("MD501", 8, 7)]


def test_escaped_dollars_and_dollars_in_code_are_not_math() -> None:
    body = "price \\$5 and \\$6, `$HOME`\n\n```sh\necho $PATH\n```\n"
    assert scan_markdown(body).issues == ()


def test_unclosed_display_math_is_md502() -> None:
    scan = scan_markdown("text\n\n$$\nx\n\nafter\n", body_line=2)
    assert [(i.code, i.line, i.column) for i in scan.issues] == [("MD502", 4, 1)]


def test_blank_line_ends_inline_math() -> None:
    scan = scan_markdown("a $x\n\ny$ b\n")
    assert [(i.code, i.line) for i in scan.issues] == [("MD501", 1), ("MD501", 3)]


def test_backticks_inside_html_attribute_values_do_not_hide_the_tag() -> None:
    # marked reads `<img src="`" …>` as raw HTML (it starts before the backtick), so the
    # browser runs its onerror handler; the scan must see the tag and all its attributes.
    scan = scan_markdown('x <img src="`" onerror=alert(1) x="`"> y\n')
    assert [tag.name for tag in scan.tags] == ["img"]
    assert ("onerror", "alert(1)") in scan.tags[0].attrs


def test_a_code_span_that_opens_before_a_comment_marker_is_code_not_comment() -> None:
    # marked: `a <!-- b` is inline code, so the <script> after it is live HTML.
    scan = scan_markdown("`a <!-- b` <script>alert(1)</script> -->\n")
    assert [tag.name for tag in scan.tags] == ["script"]


# Hostile pages: every pass must stay linear in the size of the body. Each family is scanned
# at two sizes and its work is counted, with no clock (tests/work.py: the lines of kb's Python,
# the characters its regular expressions and string searches read). Doubling the input of a
# linear pass at most doubles the work; a pass that rescans the rest of the body from each
# start about quadruples it (by 2.8 where, as for backtick runs of every length, the starts
# grow as the square root of the body).

LINEAR = 2.5
MODULES = (kb.markdown, kb.slugify)


def _unclosed_backticks(chars: int) -> str:
    """Runs of 1, 2, 3 … backticks in one paragraph: none is ever closed."""
    count = math.isqrt(2 * chars)
    return "".join("`" * length + " a " for length in range(1, count + 1))


ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "links": lambda n: "[a](b.md) " * n,
    "inline math": lambda n: "$x$ " * n,
    "inline math on many lines": lambda n: "$x$\n" * n,
    "display math": lambda n: "$$ " * n,
    "unclosed backtick runs of many lengths": lambda n: _unclosed_backticks(n),
    "single backticks": lambda n: "` a " * n,
    "nested brackets": lambda n: "[" * n + "a](b.md)" + "]" * n,
    "escaped brackets": lambda n: "[" + "\\[" * n,
    "link with spaces": lambda n: "[a](" + " " * n,
    "link open parens": lambda n: "[a](" * n,
    "less-than signs": lambda n: "<" * n,
    "unclosed tags": lambda n: "<a " * n,
    "unclosed quoted tags": lambda n: "<a x='<a x=\"" * n,
    "unclosed comments": lambda n: "<!-- " * n,
    "stars": lambda n: "*" * n,
    "underscores": lambda n: "_" * n,
    "reference uses": lambda n: "[a][b] " * n,
    "reference definitions": lambda n: "[a]: b.md\n" * n,
    "indented lines": lambda n: "- a\n\n" + "    x\n\n" * n,
    "indented blocks": lambda n: "para\n\n    code\n" * n,
    "atx headings": lambda n: "# h\n" * n,
    "closing hashes": lambda n: "# a" + " #" * n + " b\n",
    "setext headings": lambda n: "h\n=\n" * n,
    "fences": lambda n: "```\n" * n,
    "autolinks": lambda n: "<http://a " * n,
    "bare urls with parens": lambda n: "http://a.b/" + ")" * n,
}


def _size(make: Callable[[int], str], chars: int = 3_000) -> int:
    """The family's n for a body of about `chars` characters."""
    return max(100, chars * 1000 // len(make(1000)))


@pytest.mark.parametrize("family", ADVERSARIAL)
@pytest.mark.parametrize("scan", [scan_markdown, external_links], ids=["scan", "external"])
def test_hostile_pages_scan_in_linear_time(family: str, scan: Callable[[str], object]) -> None:
    make = ADVERSARIAL[family]
    assert_linear(scan, make, _size(make), MODULES, factor=LINEAR)


def test_links_are_located_in_linear_time_and_all_are_found() -> None:
    # Each link's line and column once counted the newlines before it: quadratic in links.
    def scan(body: str) -> object:
        return scan_markdown(body, body_line=3)

    assert_linear(scan, lambda n: "[a](b.md)\n" * n, 2_000, MODULES, factor=LINEAR)
    scan = scan_markdown("[a](b.md) " * 100_000, body_line=3)
    assert len(scan.links) == 100_000
    assert scan.links[0] == Link(3, 1, "b.md", "link")
    assert scan.links[-1] == Link(3, 999_991, "b.md", "link")


@pytest.mark.parametrize("piece", ["$x$ ", "$x$\n"])
def test_inline_math_scans_in_linear_time_without_issues(piece: str) -> None:
    # Each `$` once searched for the end of its paragraph again: quadratic in formulas.
    assert_linear(scan_markdown, lambda n: piece * n, 1_000, MODULES, factor=LINEAR)
    assert scan_markdown(piece * 125_000).issues == ()


def test_unclosed_backtick_runs_scan_in_linear_time() -> None:
    # Each unclosed run used to be read to the end of the paragraph: 90 s for a 1 MB page.
    assert_linear(scan_markdown, _unclosed_backticks, 3_000, MODULES, factor=LINEAR)
    scan = scan_markdown(_unclosed_backticks(1_000_000) + "[a](b.md)\n")
    assert [link.target for link in scan.links] == ["b.md"]


def test_results_on_hostile_pages_are_still_right() -> None:
    n = 5_000
    assert len(scan_markdown("[a][b] " * n).ref_uses) == n
    assert len(scan_markdown("[a]: b.md\n" * n).links) == n
    headings = scan_markdown("# h\n" * n).headings
    assert len(headings) == n and headings[-1] == Heading(n, 1, "h", f"h-{n - 1}")
    assert len(scan_markdown("h\n=\n" * n).headings) == n
    assert [link.target for link in scan_markdown("[" * n + "a](b.md)").links] == ["b.md"]
    assert scan_markdown("[" + "\\[" * n + "](c.md)").links == (Link(1, 1, "c.md", "link"),)
    tags = scan_markdown("<a " * n + ">").tags
    assert len(tags) == 1 and len(tags[0].attrs) == n - 1  # `<a` read as attribute names
    assert scan_markdown("<!-- " * n + "-->[a](b.md)").links == (
        Link(1, 5 * n + 4, "b.md", "link"),
    )
    unclosed = "".join("`" * length + " a " for length in range(2, 200))
    links = scan_markdown(unclosed + "`[c](d.md)` [a](b.md)").links
    assert [link.target for link in links] == ["b.md"]
    assert external_links("see http://a.b/(c)" + ")" * n) == [Link(1, 5, "http://a.b/(c)", "bare")]


def test_an_escaped_bracket_opens_no_link_but_an_escaped_backslash_does() -> None:
    # marked reads `\[` as a literal bracket; `\\[` is a literal backslash, then a link.
    assert scan_markdown("\\[a](x.md)\n").links == ()
    assert scan_markdown("\\\\[a](x.md)\n").links == (Link(1, 3, "x.md", "link"),)
    assert scan_markdown("[a\\[b](x.md)\n").links == (Link(1, 1, "x.md", "link"),)


def test_a_link_with_only_a_title_has_an_empty_target() -> None:
    assert scan_markdown('[a]( "t u")\n').links == (Link(1, 1, "", "link"),)
