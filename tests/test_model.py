"""Parsing one page file into the model."""

from __future__ import annotations

from kb.model import ParseContext
from kb.parser import parse_page
from kb.vocabulary import Term

CTX = ParseContext(
    vocabulary={
        "categories": {},
        "tasks": {},
        "modalities": {"mri": Term("mri", "MRI", 0, "")},
        "areas": {},
    },
    iframe_hosts=(),
    max_page_kb=512,
    year=2025,
)


def _codes(
    raw: bytes, *, special: bool = False, file: str = "docs/n/a.md"
) -> list[tuple[int, str]]:
    page = parse_page(file, raw, CTX, special=special)
    return sorted((d.line, d.code) for d in page.diagnostics)


def test_a_note_is_parsed_into_meta_headings_links() -> None:
    raw = "---\ntype: note\ntitle: 标题\norder: 2\n---\n# 标题\n\n## 小节\n[a](b.md)\n".encode()
    page = parse_page("docs/n/a.md", raw, CTX)
    assert page.diagnostics == ()
    assert (page.page_type, page.title, page.is_draft, page.key_line("order")) == (
        "note",
        "标题",
        False,
        4,
    )
    assert [(h.line, h.slug) for h in page.headings] == [(6, "标题"), (8, "小节")]
    assert [(link.line, link.target) for link in page.links] == [(9, "b.md")]


def test_draft_flag_needs_a_real_true() -> None:
    page = parse_page("docs/n/a.md", b"---\ntype: note\ntitle: T\ndraft: 'true'\n---\n# T\n", CTX)
    assert not page.is_draft
    page = parse_page("docs/n/a.md", b"---\ntype: note\ntitle: T\ndraft: true\n---\n# T\n", CTX)
    assert page.is_draft


def test_special_pages_need_no_front_matter() -> None:
    assert _codes(b"# 404\n", special=True, file="docs/_404.md") == []
    assert _codes(b"# 404\n") == [(1, "FM101")]


def test_invalid_utf8_is_md506_and_nothing_else() -> None:
    page = parse_page("docs/n/a.md", b"---\ntype: note\n\xff---\n", CTX)
    assert [(d.line, d.code) for d in page.diagnostics] == [(0, "MD506")]
    assert page.diagnostics[0].message.startswith("not valid UTF-8")
    assert page.meta is None


def test_empty_file() -> None:
    assert _codes(b"") == [(0, "MD505"), (1, "FM101")]


def test_broken_front_matter_gives_no_meta_but_the_body_is_still_checked() -> None:
    page = parse_page("docs/n/a.md", b"---\ntitle: a: b\n---\n# T\n[x](y.md)\n", CTX)
    assert page.meta is None
    assert [d.code for d in page.diagnostics] == ["FM102"]
    assert [link.line for link in page.links] == [5]


def test_stray_table_markers_are_tbl402_on_their_file_line() -> None:
    raw = b"---\ntype: note\ntitle: T\n---\n# T\n\ntext <!-- kb:table papers -->\n"
    assert _codes(raw) == [(7, "TBL402")]


def test_regions_are_found_with_file_lines() -> None:
    raw = b"---\ntype: note\ntitle: T\n---\n# T\n<!-- kb:table papers -->\n<!-- /kb:table -->\n"
    page = parse_page("docs/n/a.md", raw, CTX)
    assert [(r.line, r.spec) for r in page.regions] == [(6, "papers")]
