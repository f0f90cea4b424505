"""The test harness itself: inline expectations and golden files."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.diagnostics import make
from tests.helpers import actual_findings, assert_golden, collect_expectations, make_site


def test_expectations_in_markdown_yaml_and_other_files(tmp_path: Path) -> None:
    root = make_site(
        tmp_path,
        {
            "docs/a.md": (
                "---\n"
                "year: x  # expect: FM106\n"
                "---\n"
                "[x](y.md) <!-- expect: LNK201, SEC603 -->\n"
                "<!-- expect: MD505@0 -->\n"
                "<!-- expect: TBL403@+1 -->\n"
                "<!-- kb:table nosuch -->\n"
                "<!-- expect: FM113@0 in docs/b/_section.yaml -->\n"
            ),
            "docs/c/_section.yaml": "title: x  # expect: FM102\n",
            "docs/d.txt": "expect: LNK201\n",
        },
    )
    assert collect_expectations(root) == {
        ("docs/a.md", 2, "FM106"),
        ("docs/a.md", 4, "LNK201"),
        ("docs/a.md", 4, "SEC603"),
        ("docs/a.md", 0, "MD505"),
        ("docs/a.md", 7, "TBL403"),
        ("docs/b/_section.yaml", 0, "FM113"),
        ("docs/c/_section.yaml", 1, "FM102"),
    }


def test_expectation_lines_count_crlf_lines_like_kb(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"docs/a.md": b"a\r\nb\r\n<!-- expect: MD501 -->\r\n"})
    assert collect_expectations(root) == {("docs/a.md", 3, "MD501")}


def test_actual_findings_accepts_objects_and_json() -> None:
    d = make("LNK201", "docs/a.md", 3, "m")
    as_json = {"file": "docs/a.md", "line": 3, "code": "LNK201"}
    assert actual_findings([d]) == actual_findings([as_json]) == {("docs/a.md", 3, "LNK201")}


def test_make_site_writes_pyproject_and_vocabulary_unless_given(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"docs/a.md": "x"})
    assert "[tool.kb]" in (root / "pyproject.toml").read_text("utf-8")
    assert (root / "docs/_data/vocabulary.yaml").read_text("utf-8").startswith("#")
    own = make_site(tmp_path, {"docs/_data/vocabulary.yaml": "categories: {}\n"}, name="own")
    assert (own / "docs/_data/vocabulary.yaml").read_text("utf-8") == "categories: {}\n"


def test_assert_golden_compares_and_rewrites_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden = tmp_path / "golden" / "x.md"
    monkeypatch.setenv("UPDATE_GOLDEN", "1")
    assert_golden("一\n", golden)
    assert golden.read_bytes() == "一\n".encode()
    monkeypatch.delenv("UPDATE_GOLDEN")
    assert_golden("一\n", golden)
    with pytest.raises(AssertionError):
        assert_golden("二\n", golden)
    with pytest.raises(pytest.fail.Exception):
        assert_golden("x", tmp_path / "missing.md")
