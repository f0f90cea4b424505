"""The line-aware markdown scan: headings, links, tags, masking, math delimiters."""

from __future__ import annotations

from kb.markdown import Heading, Link, mask_code, scan_markdown

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
