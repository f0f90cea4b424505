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
        Heading(25, 1, "Setext 一级", "setext-一级"),
        Heading(27, 2, "标题 :id=custom", "custom"),
        Heading(28, 2, "小结", "小结"),
        Heading(29, 2, "小结", "小结-1"),
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


def test_a_destination_that_looks_like_a_title_is_read_as_marked_reads_it() -> None:
    # marked 18 has no title-only form: `"t"` is the destination, `"t u"` no link at all.
    assert scan_markdown('[a]( "t u")\n').links == ()
    assert scan_markdown('[a]( "t")\n').links == (Link(1, 1, '"t"', "link"),)
    assert scan_markdown("[a]()\n").links == (Link(1, 1, "", "link"),)


# What docsify 5 makes of a page (marked 18, docsify's heading renderer, docsify-latex
# before it), case by case; tests/test_oracle.py checks the same against marked itself.


def _slugs(body: str) -> list[tuple[int, str, str]]:
    return [(h.level, h.text, h.slug) for h in scan_markdown(body).headings]


def _targets(body: str) -> list[tuple[str, str]]:
    return [(link.kind, link.target) for link in scan_markdown(body).links]


def test_a_heading_that_ends_in_inline_code_or_a_comment_keeps_it_in_its_slug() -> None:
    assert _slugs("### 类别 `category`\n") == [(3, "类别 `category`", "类别-category")]
    assert _slugs("## 方法 <!-- expect: MD507 -->\n") == [
        (2, "方法 <!-- expect: MD507 -->", "方法-")
    ]
    assert _slugs("## 结构 <img src='a.png'>\n")[0][2] == "结构-"


def test_headings_open_list_items_and_block_quotes() -> None:
    body = "1. #### 使用目标网络\n\n> ## 引用\n\n- # 条目\n\nfoo\n2. ## 不是标题\n"
    assert [(level, slug) for level, _, slug in _slugs(body)] == [
        (4, "使用目标网络"),
        (2, "引用"),
        (1, "条目"),
    ]


def test_any_javascript_space_after_the_hashes_makes_a_heading() -> None:
    assert _slugs("#\u3000标题\n") == [(1, "标题", "标题")]


def test_a_setext_heading_is_its_whole_paragraph_unless_the_paragraph_is_lazy() -> None:
    assert _slugs("a\nb\n===\n") == [(1, "a\nb", "a-b")]
    assert _slugs("# h\ntext\n---\n") == [(1, "h", "h"), (2, "text", "text")]
    assert _slugs("- item\nlazy\n---\n") == []
    assert _slugs("> quote\nlazy\n===\n") == []
    assert _slugs("a\n===\n===\n") == [(1, "a", "a")]


def test_formulas_in_a_heading_are_left_out_of_its_slug_as_docsify_latex_leaves_them() -> None:
    assert _slugs("## 求解$Ax=b$：可解性\n")[0][2] == "求解：可解性"
    assert _slugs("### 3.1 $K$ 折交叉验证\n")[0][2] == "_31--折交叉验证"
    assert _slugs("## 定义\\(L_2\\)范数\n")[0][2] == "定义范数"
    assert _slugs("## 价格 \\$5 和 `$x$`\n")[0][2] == "价格-5-和-x"
    assert _slugs("## 只有一个 $ 符号\n")[0][2] == "只有一个--符号"


def test_a_line_that_starts_with_a_comment_is_paragraph_text_under_docsify_latex() -> None:
    # docsify-latex writes `latex:delete` before such comments, so marked reads a paragraph.
    assert _slugs("<!-- note -->\nTitle\n-----\n") == [
        (2, "<!-- note -->\nTitle", "latexdelete-title")
    ]
    assert _slugs("<!--\n# 仍是标题\n-->\n") == [(1, "仍是标题", "仍是标题")]


def test_custom_ids_are_read_as_docsify_reads_its_config() -> None:
    assert [h.slug for h in scan_markdown("## A :id=Custom\n## B :id=中文\n").headings] == [
        "custom",
        "",
    ]
    assert [h.slug for h in scan_markdown("## A :id\n## B :id=x :id=y\n").headings] == ["", ""]
    assert [h.slug for h in scan_markdown("## A :id=x :id=x\n## B :id=x\n").headings] == [
        "x",
        "x-1",
    ]
    assert scan_markdown("## A `:id=x`\n").headings[0].slug == "a-idx"


def test_html_blocks_hide_markdown_but_not_their_tags() -> None:
    body = '<div>\n[a](x.md)\n# 不是标题\n<img src="i.png">\n</div>\n\n[b](y.md)\n'
    scan = scan_markdown(body)
    assert scan.headings == ()
    assert [(link.kind, link.target) for link in scan.links] == [
        ("html:img:src", "i.png"),
        ("link", "y.md"),
    ]
    # A lone tag cannot interrupt a paragraph: the link after it is markdown.
    assert _targets("text\n<span>\n[c](z.md)\n") == [("link", "z.md")]


def test_tags_in_html_blocks_are_read_as_the_browser_reads_them() -> None:
    body = '<div align="center">\n<img width="500" src={require("./a.png").default}/>\n</div>\n'
    assert _targets(body) == [("html:img:src", '{require("./a.png").default}/')]
    raw = "<div>\n<script>var s = '<img src=x.png>';</script>\n<!-- <img src=y.png> -->\n</div>\n"
    assert [tag.name for tag in scan_markdown(raw).tags] == ["div", "script"]


def test_images_inside_link_text_are_found() -> None:
    body = "[![stars](https://img.shields.io/a.svg)](https://github.com/a/b)\n"
    assert _targets(body) == [
        ("link", "https://github.com/a/b"),
        ("image", "https://img.shields.io/a.svg"),
    ]


def test_a_link_inside_link_text_wins() -> None:
    assert _targets("[a [b](c.md) d](e.md)\n") == [("link", "c.md")]
    assert _targets("![a [b](c.md)](e.png)\n") == [("image", "e.png"), ("link", "c.md")]


def test_link_destinations_keep_nested_parentheses_and_text_may_span_lines() -> None:
    body = "[例 [a-z]*(\\d{4}(\\D+))](https://regexper.com/#%5B(%5Cd(%5CD)))\n"
    assert _targets(body) == [("link", "https://regexper.com/#%5B(%5Cd(%5CD))")]
    assert _targets("[多行\n文字](a.md)\n") == [("link", "a.md")]
    assert _targets("[跨段\n\n文字](a.md)\n") == []
    assert _targets('[a](b "x \\" y")\n') == [("link", "b")]
    assert _targets("[a](foo\u3000bar)\n") == [("link", "foo\u3000bar")]


def test_a_reference_to_a_defined_label_is_read_before_an_inline_link() -> None:
    body = "[原创文章][2](Hollis原创)\n\n[2]: https://example.org/a\n"
    assert _targets(body) == [("definition", "https://example.org/a")]
    assert _targets("[原创文章][3](b.md)\n") == [("link", "b.md")]


def test_email_autolinks_are_mailto_links() -> None:
    assert _targets("联系 <apachecn@163.com>\n") == [("autolink", "mailto:apachecn@163.com")]


def test_definitions_start_a_paragraph_and_end_their_line() -> None:
    assert _targets("$$x$$\n[Analyse]: voir la formule(1.2)\n") == []
    assert _targets("[a]: voir la formule\n") == []
    scan = scan_markdown('[a]: <x y.md> "t"\n[b]:\n  z.md\n\ntext\n[c]: w.md\n')
    assert scan.ref_defs == frozenset({"a", "b"})
    assert [link.target for link in scan.links] == ["x y.md", "z.md"]


def test_reference_uses_may_have_empty_text() -> None:
    assert scan_markdown("![][1]\n\n[1]: a.png\n").ref_uses == (("1", 1, 2),)


def test_a_shortcut_reference_is_checked_at_its_definition() -> None:
    # `[label]` is not a reference use kb reports (undefined, it is plain text); its target
    # is the definition's, which is a link like any other.
    scan = scan_markdown("[Reference link by self]\n\n[reference link by self]: a.md\n")
    assert scan.ref_uses == ()
    assert [(link.kind, link.target) for link in scan.links] == [("definition", "a.md")]


def test_indented_code_is_four_columns_past_the_list_item_content() -> None:
    body = "* 使用深度学习:\n\n        [a](code.md)\n\n  [b](para.md)\n\n    [c](para2.md)\n"
    assert _targets(body) == [("link", "para.md"), ("link", "para2.md")]
    # Less indented than the item's content: the item has ended, this is code.
    assert _targets("10.  a\n\n    [d](code.md)\n") == []
    # A lazy paragraph line does not set the column; the paragraph's first line does.
    assert _targets(":   定义\n    续行\n\n    [e](code.md)\n") == []
    nested = "- a\n  - b\n\n    [f](para.md)\n\n        [g](code.md)\n"
    assert _targets(nested) == [("link", "para.md")]


def test_fences_in_block_quotes_and_deep_list_items_are_code() -> None:
    quoted = "> ```py\n> # 注释\n> [a](x.md)\n> ```\n# 标题\n"
    assert (_slugs(quoted), _targets(quoted)) == ([(1, "标题", "标题")], [])
    assert _targets("> ```\n> [a](x.md)\n\n[b](y.md)\n") == [("link", "y.md")]
    item = "10. 步骤\n    ```sh\n    [c](z.md) $HOME\n    ```\n[d](w.md)\n"
    scan = scan_markdown(item)
    assert ([link.target for link in scan.links], scan.issues) == (["w.md"], ())


def test_a_formula_or_comment_that_starts_a_list_item_hides_the_rest_of_the_line() -> None:
    # docsify-latex makes the formula a comment; after a list marker a comment starts an
    # HTML block, which runs to the end of its line.
    assert _targets("* $cas(x)$ 表示 [比较与设置](/ch7#cas) 操作\n") == []
    assert _targets("- <!-- 注 --> [a](x.md)\n- a $x$ [b](y.md)\n") == [("link", "y.md")]


def test_a_definition_may_follow_a_block_but_not_paragraph_text() -> None:
    for before in ("***", "> ## 引用", "# 标题", "标题\n==="):
        assert scan_markdown(f"{before}\n[r]: r.md\n").ref_defs == {"r"}, before
    # After docsify-latex, a comment or formula that starts a line is paragraph text.
    for before in ("<!-- 注 -->", "$x$", "===", "- 条目"):
        assert scan_markdown(f"{before}\n[r]: r.md\n").ref_defs == frozenset(), before


def test_a_formula_that_starts_a_setext_heading_line_leaves_latex_delete_in_its_id() -> None:
    assert _slugs("$x$\n---\n") == [(2, "$x$", "latexdelete")]
    assert _slugs("===\n===\n") == [(1, "===", "")]
