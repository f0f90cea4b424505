"""Link, anchor and image findings, as docsify 5 (relativePath) would render the site."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kb.config import load_settings
from kb.pipeline import run_checks
from kb.site import load_site
from tests.helpers import SiteBuilder

PAGE = "docs/notes/a.md"


Finding = tuple[str, int, int, str, str, str]


def _note(body: str, title: str = "笔记", extra: str = "") -> str:
    return f"---\ntype: note\ntitle: {title}\n{extra}---\n# {title}\n\n{body}\n"


BASE = {
    "docs/notes/_section.yaml": "title: 笔记\norder: 1\n",
    "docs/notes/target.md": _note(
        "## C++ vs. Java & Python!\n\n## 数据集\n\n## 数据集\n\n## Δ 变化\n\n## Überblick\n", "目标"
    ),
    "docs/notes/draft.md": _note("", "草稿", "draft: true\n"),
    "docs/_media/ok.png": b"\x89PNG\r\n\x1a\n",
    "README.md": "# repo\n",
}


@pytest.fixture
def link_findings(site: SiteBuilder) -> Callable[[str], list[Finding]]:
    """Findings (file, line, column, code, message, hint) of links on docs/notes/a.md."""

    def run(body: str) -> list[Finding]:
        root = site({**BASE, PAGE: _note(body)})
        found = run_checks(load_site(load_settings(root), use_cache=False), [])
        return [
            (d.file, d.line, d.column, d.code, d.message, d.hint)
            for d in found
            if d.code.startswith("LNK")
        ]

    return run


def test_valid_links_have_no_findings(link_findings: Callable[[str], list[Finding]]) -> None:
    body = (
        "[t](target.md) [t](target) [t](./target.md#数据集-1)\n"
        "[t](target.md#%E6%95%B0%E6%8D%AE%E9%9B%86) [t](#/docs/notes/target?id=c-vs-java--python)\n"
        "[t](/docs/notes/target.md#C-VS-JAVA--PYTHON)\n"
        "[self](#笔记) [self](?id=笔记)\n"
        '![img](../_media/ok.png) <img src="/docs/_media/ok.png"> [ext](https://example.org/x.md)\n'
    )
    assert link_findings(body) == []


def test_links_out_of_the_docs_folder_work_in_docsify_but_not_in_the_mirror(
    link_findings: Callable[[str], list[Finding]],
) -> None:
    found = link_findings("[root](../../README.md) [abs](/README.md)\n")
    assert [f[3] for f in found] == ["LNK219", "LNK219"]


def test_anchor_case_is_folded_only_for_ascii_letters_as_docsify_does(
    link_findings: Callable[[str], list[Finding]],
) -> None:
    # docsify lowercases the percent-encoded `?id=` query, so only A-Z change case; a slug
    # keeps non-ASCII capitals such as Δ or Ü, and links must match them exactly.
    assert link_findings("[a](target.md#Δ-变化) [b](target.md#ÜBERBLICK)") == []
    found = link_findings("[c](target.md#δ-变化)")
    assert [(f[3], f[4]) for f in found] == [
        ("LNK202", "anchor '#δ-变化' not found in 'docs/notes/target.md'")
    ]


def test_missing_page_with_a_did_you_mean(link_findings: Callable[[str], list[Finding]]) -> None:
    assert link_findings("text [x](targt.md)") == [
        (
            PAGE,
            7,
            6,
            "LNK201",
            "link 'targt.md' points to missing 'docs/notes/targt.md'",
            "did you mean 'docs/notes/target.md'?",
        )
    ]


def test_missing_anchor_with_a_close_match(link_findings: Callable[[str], list[Finding]]) -> None:
    assert link_findings("[x](target.md#数据)") == [
        (
            PAGE,
            7,
            1,
            "LNK202",
            "anchor '#数据' not found in 'docs/notes/target.md'",
            "did you mean '#数据集'?",
        )
    ]


def test_docsify4_anchor_gets_the_docsify5_slug_as_hint(
    link_findings: Callable[[str], list[Finding]],
) -> None:
    found = link_findings("[x](target.md#c-vs-java-python)")
    assert [(f[3], f[5]) for f in found] == [
        ("LNK202", "'c-vs-java-python' is the docsify 4 slug; docsify 5 uses 'c-vs-java--python'")
    ]


def test_anchor_on_the_same_page_and_in_a_route(
    link_findings: Callable[[str], list[Finding]],
) -> None:
    found = link_findings("[x](#nowhere) [y](#/docs/notes/target?id=nowhere)")
    assert [(f[2], f[3], f[4]) for f in found] == [
        (1, "LNK202", f"anchor '#nowhere' not found in '{PAGE}'"),
        (15, "LNK202", "anchor '#nowhere' not found in 'docs/notes/target.md'"),
    ]


def test_images_missing_remote_and_outside(link_findings: Callable[[str], list[Finding]]) -> None:
    body = "![a](../_media/nope.png)\n![b](http://example.org/b.png)\n![c](../../../c.png)\n"
    assert [(f[1], f[3]) for f in link_findings(body)] == [
        (7, "LNK203"),
        (8, "LNK206"),
        (9, "LNK204"),
    ]


def test_html_image_sources_are_checked(link_findings: Callable[[str], list[Finding]]) -> None:
    found = link_findings('<img src="../_media/nope.png"> <img src="https://example.org/x.png">')
    assert [(f[2], f[3]) for f in found] == [(1, "LNK203"), (32, "LNK206")]


def test_link_leaving_the_repository(link_findings: Callable[[str], list[Finding]]) -> None:
    assert [f[3:5] for f in link_findings("[x](../../../etc/passwd)")] == [
        ("LNK204", "link '../../../etc/passwd' leaves the repository")
    ]


def test_link_to_a_draft_is_a_warning(link_findings: Callable[[str], list[Finding]]) -> None:
    assert [f[3:5] for f in link_findings("[x](draft.md)")] == [
        ("LNK207", "link 'draft.md' points to a draft page")
    ]


def test_undefined_reference_label(link_findings: Callable[[str], list[Finding]]) -> None:
    body = "See [the paper][nolabel] and [ok][def].\n\n[def]: target.md\n"
    assert [(f[1], f[3]) for f in link_findings(body)] == [(7, "LNK205")]


def test_only_undefined_labels_are_reported_and_labels_ignore_case(
    link_findings: Callable[[str], list[Finding]],
) -> None:
    body = (
        "[a][Def] [b][] [c][c] [d][Missing Label]\n\n"
        "[def]: target.md\n[B]: target.md\n[C]: target.md\n"
    )
    assert [(f[1], f[2], f[3]) for f in link_findings(body)] == [(7, 23, "LNK205")]


def test_reference_definition_targets_are_checked(
    link_findings: Callable[[str], list[Finding]],
) -> None:
    assert [(f[1], f[3]) for f in link_findings("[a][x]\n\n[x]: missing.md\n")] == [(9, "LNK201")]


def test_links_in_code_and_comments_are_not_checked(
    link_findings: Callable[[str], list[Finding]],
) -> None:
    body = (
        "```\n[a](missing-1.md)\n```\n\n"
        "`[b](missing-2.md)`\n\n"
        "<!-- [c](missing-3.md) -->\n\n"
        "    [d](missing-4.md)\n"
    )
    assert link_findings(body) == []


def test_draft_pages_may_link_to_drafts(site: SiteBuilder) -> None:
    root = site({**BASE, PAGE: _note("[x](draft.md)", extra="draft: true\n")})
    found = run_checks(load_site(load_settings(root), use_cache=False), [])
    assert [d.code for d in found] == []
