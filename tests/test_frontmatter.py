"""Splitting a page into front matter and body, with true file line numbers."""

from __future__ import annotations

import pytest
import yaml

import kb.frontmatter
import kb.yamlio
from kb.frontmatter import normalize_text, split_front_matter
from tests.work import assert_work_below

FILE = "docs/notes/x.md"


def test_front_matter_and_body_are_split_with_the_body_line() -> None:
    front, found = split_front_matter("---\ntype: note\ntitle: 标题\n---\n# 标题\n", FILE)
    assert found == []
    assert front.present
    assert front.doc is not None
    assert front.doc.data == {"type": "note", "title": "标题"}
    assert front.body == "# 标题\n"
    assert front.body_line == 5


def test_yaml_lines_are_file_lines() -> None:
    front, _ = split_front_matter("---\ntype: note\ntitle: 标题\n---\n", FILE)
    assert front.doc is not None
    assert front.doc.line("type") == 2
    assert front.doc.line("title") == 3


def test_three_dots_close_the_front_matter() -> None:
    front, found = split_front_matter("---\ntitle: x\n...\nbody\n", FILE)
    assert found == []
    assert front.doc is not None and front.doc.data == {"title": "x"}
    assert front.body == "body\n"
    assert front.body_line == 4


def test_closing_fence_may_carry_trailing_spaces_and_end_the_file() -> None:
    front, found = split_front_matter("---\ntitle: x\n---  ", FILE)
    assert found == []
    assert front.doc is not None and front.doc.data == {"title": "x"}
    assert front.body == ""


def test_unclosed_front_matter_is_fm102_on_line_1() -> None:
    front, found = split_front_matter("---\ntitle: x\n# 标题\n", FILE)
    assert [(d.code, d.line) for d in found] == [("FM102", 1)]
    assert "never closed" in found[0].message
    assert front.present and front.doc is None
    assert front.body_line == 1


@pytest.mark.parametrize(
    "text",
    ["", "# 标题\n", "----\ntitle: x\n----\n", "text\n---\ntitle: x\n---\n", " ---\na: 1\n---\n"],
)
def test_text_without_a_leading_fence_has_no_front_matter(text: str) -> None:
    front, found = split_front_matter(text, FILE)
    assert found == []
    assert not front.present
    assert front.doc is None
    assert front.body == text
    assert front.body_line == 1


def test_empty_front_matter_is_present_with_no_data() -> None:
    front, found = split_front_matter("---\n---\n# x\n", FILE)
    assert found == []
    assert front.present
    assert front.doc is not None and front.doc.data is None
    assert front.body_line == 3


def test_a_horizontal_rule_later_in_the_body_is_not_a_closer_for_the_body() -> None:
    front, _ = split_front_matter("---\na: 1\n---\n# x\n\n---\n\ny\n", FILE)
    assert front.body == "# x\n\n---\n\ny\n"


def test_yaml_syntax_error_points_at_the_file_line() -> None:
    _, found = split_front_matter("---\ntype: note\ntitle: a: b\n---\n", FILE)
    assert [(d.code, d.line, d.column) for d in found] == [("FM102", 3, 9)]


def test_normalize_text_strips_bom_and_converts_crlf_and_cr() -> None:
    assert normalize_text(b"\xef\xbb\xbf---\r\na: 1\r\n---\rbody") == "---\na: 1\n---\nbody"


def test_normalize_text_rejects_invalid_utf8() -> None:
    with pytest.raises(UnicodeDecodeError):
        normalize_text(b"\xff\xfe---")


def test_bom_and_crlf_page_keeps_line_numbers() -> None:
    text = normalize_text(b"\xef\xbb\xbf---\r\ntype: note\r\norder: x\r\n---\r\n# T\r\n")
    front, _ = split_front_matter(text, FILE)
    assert front.doc is not None
    assert front.doc.line("order") == 3
    assert front.body == "# T\n"
    assert front.body_line == 5


def test_unclosed_flow_sequence_is_reported_where_it_opens_not_on_the_closing_fence() -> None:
    # PyYAML only notices at the end of the block; line 4 is the closing '---', which is not
    # YAML at all. The '[' that is never closed is on line 3.
    _, found = split_front_matter("---\ntype: note\ntitle: [unclosed\n---\n# T\n", FILE)
    assert [(d.code, d.line) for d in found] == [("FM102", 3)]


BOMB = (
    "---\n"
    "type: note\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
    "---\n"
    "# 标题\n"
)


def test_an_alias_bomb_in_front_matter_is_fm115_at_file_lines_in_little_work() -> None:
    # Walking the expanded aliases takes 9**9 steps; the work is counted, with no clock
    # (tests/work.py: the lines of kb's and PyYAML's Python), and stopped at the limit.
    result = []
    assert_work_below(
        lambda: result.append(split_front_matter(BOMB, FILE)),
        (kb.frontmatter, kb.yamlio),
        20 * len(BOMB),
        also=[yaml],
    )
    front, found = result[0]
    assert front.present and front.doc is None
    assert front.body == "# 标题\n" and front.body_line == 13
    assert {d.code for d in found} == {"FM115"}
    assert [(d.line, d.column) for d in found[:3]] == [(3, 4), (4, 4), (4, 8)]


@pytest.mark.parametrize("depth", [500, 100_000])
def test_deeply_nested_front_matter_is_a_finding_not_a_crash(depth: int) -> None:
    for value in ("[" * depth + "]" * depth, "{a: " * depth + "1" + "}" * depth):
        front, found = split_front_matter(f"---\ntype: note\ntitle: {value}\n---\n# T\n", FILE)
        assert front.doc is None
        assert [(d.code, d.line) for d in found] == [("FM115", 3)]
