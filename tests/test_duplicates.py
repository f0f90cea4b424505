"""Duplicate paper detection."""

from __future__ import annotations

import pytest

from kb.checks.duplicates import check_duplicates, normalize_title
from kb.config import load_settings
from kb.site import load_site
from tests.helpers import SiteBuilder


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Deep Learning: A Study", "deep learning — a study"),
        ("Ｆｕｌｌ－Ｗｉｄｔｈ Title", "full-width title"),
        ("Café Study", "Cafe study"),
        ("生存分析：综述", "生存分析, 综述"),
    ],
)
def test_normalize_title_folds_case_width_accents_and_punctuation(a: str, b: str) -> None:
    assert normalize_title(a) == normalize_title(b)


def test_different_titles_stay_different() -> None:
    assert normalize_title("Deep Survival") != normalize_title("Deep Survival 2")


def _paper(title: str, ids: str, draft: str = "") -> str:
    return f'---\ntype: paper\ntitle: "{title}"\n{ids}{draft}---\n# x\n'


def test_duplicates_are_reported_on_the_later_file_at_the_key_line(
    site: SiteBuilder,
) -> None:
    root = site(
        {
            "docs/p/a.md": _paper("One", "doi: 10.1/A\narxiv: '1234.5678'\n"),
            "docs/p/b.md": _paper("Two", "doi: 10.1/a\n"),
            "docs/p/c.md": _paper("Three", "arxiv: '1234.5678v2'\n"),
            "docs/p/d.md": _paper("one", "url: https://example.org/x\n"),
            "docs/p/e.md": _paper("Five", "doi: 10.1/e\n"),
            "docs/n/note.md": "---\ntype: note\ntitle: One\n---\n# x\n",
        }
    )
    found = check_duplicates(load_site(load_settings(root), use_cache=False))
    assert [(d.file, d.line, d.message) for d in found] == [
        ("docs/p/b.md", 4, "same doi as 'docs/p/a.md'"),
        ("docs/p/c.md", 4, "same arxiv as 'docs/p/a.md'"),
        ("docs/p/d.md", 3, "same title as 'docs/p/a.md'"),
    ]
