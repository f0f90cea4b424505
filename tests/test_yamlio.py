"""YAML parsing that remembers where every key and item is."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
import yaml

import kb.yamlio
from kb.diagnostics import Diagnostic
from kb.yamlio import MAX_DATA_BYTES, MAX_DEPTH, parse_yaml, read_yaml_file
from tests.helpers import KbRunner, SiteBuilder
from tests.work import assert_linear, assert_work_below

FILE = "docs/_data/x.yaml"

NESTED = """\
title: 标题
authors:
  - 甲
  - 乙
meta:
  inner:
    deep: 1
flow: [a, b]
"""


def test_lines_of_keys_items_and_nested_keys() -> None:
    doc, found = parse_yaml(NESTED, FILE)
    assert found == []
    assert doc is not None
    assert doc.line() == 1
    assert doc.line("title") == 1
    assert doc.line("authors") == 2
    assert doc.line("authors", 0) == 3
    assert doc.line("authors", 1) == 4
    assert doc.line("meta", "inner", "deep") == 7
    assert doc.line("flow", 1) == 8


def test_unknown_path_falls_back_to_the_deepest_known_prefix() -> None:
    doc, _ = parse_yaml(NESTED, FILE)
    assert doc is not None
    assert doc.line("meta", "inner", "missing") == 6
    assert doc.line("nothing") == 1


def test_first_line_offsets_every_line() -> None:
    doc, _ = parse_yaml("a: 1\nb:\n  - x\n", FILE, first_line=2)
    assert doc is not None
    assert (doc.line("a"), doc.line("b"), doc.line("b", 0)) == (2, 3, 4)


def test_duplicate_key_is_fm110_on_the_second_key() -> None:
    _, found = parse_yaml("title: a\nyear: 1\ntitle: b\n", FILE)
    assert [(d.code, d.line) for d in found] == [("FM110", 3)]
    assert found[0].message == "duplicate key 'title' (first on line 1)"


def test_duplicate_keys_in_nested_mappings_are_found() -> None:
    _, found = parse_yaml("outer:\n  k: 1\n  k: 2\nother:\n  k: 3\n", FILE)
    assert [(d.code, d.line) for d in found] == [("FM110", 3)]


def test_syntax_error_reports_line_and_column() -> None:
    doc, found = parse_yaml("a: 1\nb: c: d\n", FILE, first_line=5)
    assert doc is None
    assert [(d.code, d.line, d.column) for d in found] == [("FM102", 6, 5)]
    assert found[0].message.startswith("YAML syntax: ")


def test_tab_indentation_error_is_reported_at_its_line() -> None:
    doc, found = parse_yaml("a:\n  b: 1\n\tc: 2\n", FILE)
    assert doc is None
    assert [(d.code, d.line) for d in found] == [("FM102", 3)]


def test_invalid_date_value_is_reported_at_its_own_line() -> None:
    # `2024-13-45` looks like a date to YAML but is not one; the finding must point at it.
    _, found = parse_yaml("title: x\ntype: note\nadded: 2024-13-45\n", FILE, first_line=2)
    assert len(found) == 1
    assert found[0].code in ("FM102", "FM106")
    assert found[0].line == 4


def test_empty_document_has_no_data() -> None:
    doc, found = parse_yaml("# only a comment\n", FILE, first_line=3)
    assert found == []
    assert doc is not None
    assert doc.data is None
    assert doc.line() == 3


def test_values_are_constructed_safely() -> None:
    doc, found = parse_yaml("a: !!python/object/apply:os.system ['true']\n", FILE)
    assert doc is None
    assert [(d.code, d.line, d.column) for d in found] == [("FM115", 1, 4)]
    assert found[0].message == "YAML tag '!!python/object/apply:os.system' is not supported"


def _bomb(levels: int) -> str:
    """The "billion laughs" alias bomb: each level lists the previous one nine times."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


# Work is counted, with no clock (tests/work.py): the lines of kb's and PyYAML's Python, the
# characters kb's regular expressions read. A limit stops runaway work where it is.
WORK_MODULES = (kb.yamlio,)


def _parse_counted(text: str, limit: int, first_line: int = 2) -> tuple[object, list[Diagnostic]]:
    """parse_yaml(text) within `limit` units of work."""
    result: list[tuple[object, list[Diagnostic]]] = []
    assert_work_below(
        lambda: result.append(parse_yaml(text, FILE, first_line)),
        WORK_MODULES,
        limit,
        also=[yaml],
    )
    return result[0]


@pytest.mark.parametrize("levels", [9, 10])
def test_alias_bombs_are_fm115_in_little_work_and_memory(levels: int) -> None:
    # Walking the expanded document takes 9**levels steps: far past 20 units a character.
    text = _bomb(levels)
    tracemalloc.start()
    try:
        doc, found = _parse_counted(text, 20 * len(text))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert doc is None
    assert peak < 5_000_000
    assert {d.code for d in found} == {"FM115"}
    assert (found[0].line, found[0].column, found[0].message) == (
        2,
        5,
        "YAML anchor '&a0' is not supported",
    )
    assert found[1].message == "YAML anchor '&a1' is not supported"
    assert found[2].message == "YAML alias '*a0' is not supported"
    assert "write the value out in full" in found[0].hint
    assert len(found) == 10  # capped: a hostile file can hold thousands


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("a: 1\nb: &x 2\n", 2, 4, "YAML anchor '&x' is not supported"),
        ("a: 1\nb:\n  - 1\n  - *x\n", 4, 5, "YAML alias '*x' is not supported"),
        ("a: 1\nb: !!binary aGk=\n", 2, 4, "YAML tag '!!binary' is not supported"),
        ("a: 1\nb: !custom x\n", 2, 4, "YAML tag '!custom' is not supported"),
        ("a: 1\nb: !!str 1\n", 2, 4, "YAML tag '!!str' is not supported"),
        ("a: !!set {x, y}\n", 1, 4, "YAML tag '!!set' is not supported"),
        ("a: 1\nb:\n  <<: {c: 1}\n", 3, 3, "YAML merge key '<<' is not supported"),
        ("a: {&k key: v}\n", 1, 5, "YAML anchor '&k' is not supported"),
    ],
)
def test_anchors_aliases_tags_and_merge_keys_are_fm115_where_they_occur(
    text: str, line: int, column: int, message: str
) -> None:
    doc, found = parse_yaml(text, FILE)
    assert doc is None
    assert [(d.code, d.line, d.column, d.message) for d in found] == [
        ("FM115", line, column, message)
    ]


def test_a_quoted_merge_key_is_an_ordinary_key() -> None:
    doc, found = parse_yaml("'<<': 1\nx: [a, b]\n", FILE)
    assert found == []
    assert doc is not None and doc.data == {"<<": 1, "x": ["a", "b"]}


def test_ampersands_and_stars_inside_values_are_plain_text() -> None:
    doc, found = parse_yaml("a: R&D *draft* !\nb: 'x &y'\n", FILE)
    assert found == []
    assert doc is not None and doc.data == {"a": "R&D *draft* !", "b": "x &y"}


def _nested(kind: str, depth: int) -> str:
    if kind == "flow list":
        return "a: " + "[" * depth + "]" * depth + "\n"
    if kind == "flow mapping":
        return "a: " + "{b: " * depth + "1" + "}" * depth + "\n"
    if kind == "unclosed flow":
        return "a: " + "[" * depth + "\n"
    if kind == "block lists":
        return "- " * depth + "x\n"
    return "".join(" " * level + "k:\n" for level in range(depth)) + " " * depth + "v\n"


@pytest.mark.parametrize(
    "kind", ["flow list", "flow mapping", "unclosed flow", "block lists", "block mappings"]
)
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 100_000])
def test_deep_nesting_is_refused_without_an_exception(kind: str, depth: int) -> None:
    if kind == "block mappings":
        depth = min(depth, 2_000)  # the indentation alone grows quadratically
    text = _nested(kind, depth)
    doc, found = _parse_counted(text, 100_000)  # libyaml stops at 1,000 levels
    assert doc is None
    assert found and {d.code for d in found} <= {"FM115", "FM102"}
    if kind != "unclosed flow":
        deep = [d for d in found if "levels deep" in d.message]
        assert deep and deep[0].message.endswith(f"at most {MAX_DEPTH} allowed")


@pytest.mark.parametrize(
    "kind", ["flow list", "flow mapping", "unclosed flow", "block lists", "block mappings"]
)
def test_deep_nesting_is_refused_in_linear_work(kind: str) -> None:
    assert_linear(
        lambda text: parse_yaml(text, FILE), lambda depth: _nested(kind, depth), 250, WORK_MODULES
    )


def test_the_depth_limit_leaves_room_for_real_data() -> None:
    doc, found = parse_yaml(_nested("flow list", MAX_DEPTH - 1), FILE)
    assert found == []
    assert doc is not None
    doc, found = parse_yaml(_nested("block mappings", MAX_DEPTH - 1), FILE)
    assert found == []
    assert doc is not None


def test_the_depth_message_names_the_depth() -> None:
    _, found = parse_yaml("a:\n  - " + "[" * 20 + "]" * 20 + "\n", FILE, first_line=5)
    assert [(d.code, d.line) for d in found] == [("FM115", 6)]
    assert found[0].message == f"nesting is 22 levels deep, at most {MAX_DEPTH} allowed"


@pytest.mark.parametrize(
    "text",
    [
        "a: 1" + ":30" * 300 + ".5\n",  # a base-60 float too large for a float
        "a: 1" + ":30" * 100_000 + "\n",  # a base-60 int PyYAML builds in quadratic time
        "a: " + "9" * 5000 + "\n",  # more digits than Python converts
        "a: 2026-02-30\n",
        "a: =\n",
        "? [a]\n: 1\n",
        "2020-01-01: x\n",
        "a: [1\n",
        "\t- x\n",
        "a: b\n---\nc: d\n",
    ],
)
def test_values_yaml_cannot_build_are_fm102_not_exceptions(text: str) -> None:
    # PyYAML would build a base-60 int digit by digit: 100,000 steps.
    doc, found = _parse_counted(text, 10_000, first_line=1)
    assert doc is None
    assert [d.code for d in found] == ["FM102"]
    assert len(found[0].message) < 200


def test_a_date_key_is_fm102_at_its_line() -> None:
    _, found = parse_yaml("a: 1\n2020-01-01: x\n", FILE)
    assert [(d.code, d.line) for d in found] == [("FM102", 2)]
    assert "a key must be text" in found[0].message


def test_read_yaml_file_refuses_files_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n" * 301)
    text, found = read_yaml_file(path, "docs/_data/big.yaml", limit=1500)
    assert text is None
    assert [(d.code, d.file, d.line) for d in found] == [("FM114", "docs/_data/big.yaml", 0)]
    assert (
        found[0].message == "docs/_data/big.yaml is larger than 1500 bytes, so kb does not read it"
    )
    assert read_yaml_file(path, "x.yaml", limit=1505)[1] == []


def test_read_yaml_file_decodes_bom_and_newlines_and_reports_bad_utf8(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\r\nb: 2\r")
    assert read_yaml_file(path, "a.yaml") == ("a: 1\nb: 2\n", [])
    path.write_bytes(b"a: \xff\n")
    text, found = read_yaml_file(path, "a.yaml")
    assert text is None
    assert [(d.code, d.message) for d in found] == [("FM102", "not valid UTF-8 (byte 3)")]


def test_kb_check_reports_oversized_yaml_files_without_reading_them(
    site: SiteBuilder, kb: KbRunner
) -> None:
    big = "rows: []\n" + "# padding\n" * (MAX_DATA_BYTES // 10)
    root = site(
        {
            "docs/README.md": "---\ntype: guide\ntitle: 首页\n---\n# 首页\n",
            "docs/_data/big.yaml": big,
            "docs/notes/_section.yaml": big,
            "docs/notes/a.md": "---\ntype: note\ntitle: A\n---\n# A\n",
        }
    )
    code, out, err = kb(root, "check", "--format", "json", "--no-cache")
    assert code == 2, err
    found = {(d["file"], d["code"]) for d in json.loads(out)["diagnostics"]}
    assert ("docs/_data/big.yaml", "FM114") in found
    assert ("docs/notes/_section.yaml", "FM114") in found
    messages = [d["message"] for d in json.loads(out)["diagnostics"] if d["code"] == "FM114"]
    assert "docs/_data/big.yaml is larger than 1 MB, so kb does not read it" in messages


def test_read_yaml_file_never_follows_a_symlink(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n", encoding="utf-8")
    link = tmp_path / "data.yaml"
    link.symlink_to(secret)
    text, found = read_yaml_file(link, "docs/_data/data.yaml")
    assert text is None
    assert [(d.code, d.message) for d in found] == [
        ("FM114", "docs/_data/data.yaml is not a regular file, so kb does not read it")
    ]
