"""YAML parsing that remembers where every key and item is."""

from __future__ import annotations

from kb.yamlio import parse_yaml

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
    assert [d.code for d in found] == ["FM102"]
