"""Collecting the site, and the parse cache that must never hide a change."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from kb.collect import find_files
from kb.config import load_settings
from kb.schema import PAPER_SECTIONS
from kb.site import Site, load_site
from tests.helpers import KbRunner, SiteBuilder


def _note(title: str, body: str = "") -> str:
    return f"---\ntype: note\ntitle: {title}\n---\n# {title}\n{body}"


def _paper(modality: str) -> str:
    return (
        "---\ntype: paper\ntitle: P\ntitle_zh: 论文\nauthors: [A]\nyear: 2020\nvenue: V\n"
        f"doi: 10.1234/p\ncategory: survival\ntasks: [classification]\nmodalities: [{modality}]\n"
        "areas: [oncology]\nadded: 2024-05-01\n---\n# 论文\n"
        + "".join(f"\n## {name}\n\n{name}。\n" for name in PAPER_SECTIONS)
    )


FILES = {
    "docs/n/_section.yaml": "title: 笔记\norder: 1\n",
    "docs/n/a.md": _note("A"),
    "docs/n/b.md": _note("B"),
    "docs/n/c.md": _note("C"),
    "docs/n/p.md": _paper("mri"),
}


def _load(root: Path, *, use_cache: bool = True) -> Site:
    return load_site(load_settings(root), use_cache=use_cache)


_STATS = re.compile(r"kb: (\d+) pages \((\d+) parsed, (\d+) cached\)")


class Run(NamedTuple):
    stats: tuple[int, int, int]
    """(pages, parsed, cached) as `kb build` reports them."""
    codes: dict[str, list[str]]
    """Codes of the findings by file."""


@pytest.fixture
def run(kb: KbRunner) -> Callable[..., Run]:
    """One `kb build --check` (writes nothing but the cache): stats and findings."""

    def invoke(root: Path, *args: str) -> Run:
        code, out, err = kb(root, "build", "--check", "--format", "json", *args)
        assert code in (0, 2), err
        match = _STATS.search(err)
        assert match, err
        codes: dict[str, list[str]] = {}
        for d in json.loads(out)["diagnostics"]:
            codes.setdefault(d["file"], []).append(d["code"])
        pages, parsed, cached = (int(g) for g in match.groups())
        return Run((pages, parsed, cached), codes)

    return invoke


def test_find_files_lists_pages_sections_and_every_file(site: SiteBuilder) -> None:
    root = site(
        {
            **FILES,
            "docs/_404.md": "# 404\n",
            "docs/_media/x.png": b"png",
            "docs/_data/extra.md": "not a page",
            "docs/.hidden/secret.md": "x",
            "README.md": "# repo\n",
        }
    )
    pages, folders, files = find_files(load_settings(root))
    assert pages == ["docs/_404.md", "docs/n/a.md", "docs/n/b.md", "docs/n/c.md", "docs/n/p.md"]
    assert folders == ["docs/n"]
    assert {"docs/_media/x.png", "docs/_data/extra.md", "README.md", "pyproject.toml"} <= files
    assert not any(f.startswith("docs/.hidden") for f in files)


def test_second_run_parses_nothing(site: SiteBuilder, run: Callable[..., Run]) -> None:
    root = site(FILES)
    assert run(root).stats == (4, 4, 0)
    assert run(root).stats == (4, 0, 4)


def test_editing_one_page_reparses_exactly_it_and_its_findings_change(
    site: SiteBuilder, run: Callable[..., Run]
) -> None:
    root = site(FILES)
    assert "docs/n/b.md" not in run(root).codes
    (root / "docs/n/b.md").write_text("---\ntype: note\ntitle: B\n---\n[x](missing.md)\n", "utf-8")
    again = run(root)
    assert again.stats == (4, 1, 3)
    assert again.codes["docs/n/b.md"] == ["MD505", "LNK201"]


def test_a_same_size_edit_with_the_old_mtime_is_seen(
    site: SiteBuilder, run: Callable[..., Run]
) -> None:
    root = site(FILES)
    page = root / "docs/n/a.md"
    run(root)
    before = page.stat()
    page.write_text(_note("A").replace("type: note", "type: nope"), "utf-8")
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert page.stat().st_size == before.st_size
    after = run(root)
    assert after.stats == (4, 1, 3)
    assert after.codes["docs/n/a.md"] == ["FM104"]


def test_a_page_replaced_by_another_file_is_seen(
    site: SiteBuilder, run: Callable[..., Run]
) -> None:
    root = site(FILES)
    run(root)
    replacement = root / "new.md"
    replacement.write_text(_note("A", "[x](gone.md)\n"), "utf-8")
    os.replace(replacement, root / "docs/n/a.md")
    assert run(root).codes["docs/n/a.md"] == ["LNK201"]


def test_a_vocabulary_change_is_never_hidden_by_the_cache(
    site: SiteBuilder, run: Callable[..., Run]
) -> None:
    root = site(FILES)
    assert "docs/n/p.md" not in run(root).codes
    vocabulary = root / "docs/_data/vocabulary.yaml"
    text = vocabulary.read_text("utf-8")
    assert "  mri: {title: MRI}\n" in text
    vocabulary.write_text(text.replace("  mri: {title: MRI}\n", ""), "utf-8")
    assert run(root).codes["docs/n/p.md"] == ["FM107"]


def test_a_settings_change_is_never_hidden_by_the_cache(
    site: SiteBuilder, run: Callable[..., Run]
) -> None:
    iframe = '<iframe src="https://v.example.org/x"></iframe>\n'
    root = site({**FILES, "docs/n/a.md": _note("A", iframe)})
    assert run(root).codes["docs/n/a.md"] == ["SEC604"]
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text("utf-8") + 'iframe_hosts = ["v.example.org"]\n', "utf-8"
    )
    assert "docs/n/a.md" not in run(root).codes


def test_a_change_of_a_link_target_is_never_hidden_by_the_cache(
    site: SiteBuilder, run: Callable[..., Run]
) -> None:
    root = site({**FILES, "docs/n/a.md": _note("A", "[b](b.md#intro)\n")})
    assert run(root).codes["docs/n/a.md"] == ["LNK202"]
    (root / "docs/n/b.md").write_text(_note("B", "## Intro\n"), "utf-8")
    assert "docs/n/a.md" not in run(root).codes
    (root / "docs/n/b.md").unlink()
    assert run(root).codes["docs/n/a.md"] == ["LNK201"]


def test_a_link_target_turning_draft_is_never_hidden_by_the_cache(
    site: SiteBuilder, run: Callable[..., Run]
) -> None:
    root = site({**FILES, "docs/n/a.md": _note("A", "[b](b.md)\n")})
    assert "docs/n/a.md" not in run(root).codes
    draft = "---\ntype: note\ntitle: B\ndraft: true\n---\n# B\n"
    (root / "docs/n/b.md").write_text(draft, "utf-8")
    assert run(root).codes["docs/n/a.md"] == ["LNK207"]


def test_links_into_a_page_are_not_rechecked_when_its_anchors_stay(
    site: SiteBuilder, kb: KbRunner
) -> None:
    root = site(
        {
            **FILES,
            "docs/n/a.md": _note("A", "[b](b.md#intro)\n"),
            "docs/n/b.md": _note("B", "## Intro\n"),
        }
    )
    assert kb(root, "build")[0] == 0
    linker = load_site(load_settings(root))
    state = linker.cache.links[linker.key("docs/n/a.md")][0] if linker.cache else None
    (root / "docs/n/b.md").write_text(_note("B", "## Intro\n\nMore text.\n"), "utf-8")
    edited = load_site(load_settings(root))
    assert edited.key("docs/n/b.md") != linker.key("docs/n/b.md")
    assert edited.infos["docs/n/b.md"].anchors == linker.infos["docs/n/b.md"].anchors
    assert edited.cache is not None and state is not None
    assert edited.cache.links[edited.key("docs/n/a.md")][0] == state


def test_lost_lazy_cache_shards_are_parsed_again(
    site: SiteBuilder, run: Callable[..., Run], kb: KbRunner
) -> None:
    root = site({**FILES, "docs/n/a.md": _note("A", "[b](b.md#nope)\n")})
    assert kb(root, "build")[0] == 2
    for path in (root / ".kb-cache").glob("*-??.marshal"):  # full parses and search parts
        path.unlink()
    assert run(root).codes["docs/n/a.md"] == ["LNK202"]
    (root / "docs/n/b.md").write_text(_note("B", "## Nope\n"), "utf-8")
    assert "docs/n/a.md" not in run(root).codes
    assert kb(root, "build")[0] == 0


def test_a_file_rewritten_in_place_is_checked_again(
    site: SiteBuilder, run: Callable[..., Run]
) -> None:
    safe = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>'
    root = site({**FILES, "docs/_media/x.svg": safe})
    assert "docs/_media/x.svg" not in run(root).codes
    hostile = safe.replace("<rect", '<rect onload="alert(1)"')
    (root / "docs/_media/x.svg").write_text(hostile, "utf-8")
    assert run(root).codes["docs/_media/x.svg"]
    (root / "docs/_media/x.svg").write_text(safe, "utf-8")
    assert "docs/_media/x.svg" not in run(root).codes


def test_renaming_a_page_is_seen(site: SiteBuilder, run: Callable[..., Run]) -> None:
    root = site({**FILES, "docs/n/a.md": _note("A", "[c](c.md)\n")})
    assert "docs/n/a.md" not in run(root).codes
    (root / "docs/n/c.md").rename(root / "docs/n/d.md")
    assert run(root).codes["docs/n/a.md"] == ["LNK201"]
    assert _load(root, use_cache=False).pages.keys() == {
        "docs/n/a.md",
        "docs/n/b.md",
        "docs/n/d.md",
        "docs/n/p.md",
    }


def test_generated_files_are_rechecked_after_every_kind_of_change(
    site: SiteBuilder, kb: KbRunner
) -> None:
    table = "<!-- kb:table data name=tools -->\n<!-- /kb:table -->\n"
    tools = "columns:\n  - {key: n, title: 名称, link: false}\nrows:\n  - {n: 甲}\n"
    root = site({**FILES, "docs/n/t.md": _note("T", table), "docs/_data/tools.yaml": tools})
    assert kb(root, "build")[0] == 0
    assert kb(root, "build", "--check")[0] == 0
    edits: list[tuple[str, str, str, str]] = [
        ("_sidebar.md", "- [A]", "- [手改的 A]", "SB301"),
        ("docs/n/_section.yaml", "笔记", "札记", "SB301"),
        ("docs/n/b.md", "title: B", "title: Bee", "SB301"),
        ("docs/_data/tools.yaml", "甲", "乙", "TBL401"),
        ("docs/n/t.md", "<!-- /kb:table -->", "改动\n<!-- /kb:table -->", "TBL401"),
    ]
    for file, old, new, code in edits:
        path = root / file
        text = path.read_text("utf-8")
        assert old in text
        path.write_text(text.replace(old, new), "utf-8")
        result, out, _ = kb(root, "build", "--check")
        assert (result, code in out) == (2, True), f"a change to {file} went unnoticed"
        assert kb(root, "build")[0] == 0


def test_no_cache_parses_everything_and_writes_no_cache(
    site: SiteBuilder, run: Callable[..., Run]
) -> None:
    root = site(FILES)
    assert run(root, "--no-cache").stats == (4, 4, 0)
    assert not (root / ".kb-cache").exists()
    run(root)
    assert run(root, "--no-cache").stats == (4, 4, 0)
    assert run(root).stats == (4, 0, 4)


def test_a_corrupt_cache_is_ignored(site: SiteBuilder, run: Callable[..., Run]) -> None:
    root = site(FILES)
    run(root)
    cache_files = [p for p in (root / ".kb-cache").rglob("*") if p.is_file()]
    assert cache_files
    for path in cache_files:
        path.write_bytes(b"\x00not a cache")
    assert run(root).stats == (4, 4, 0)
    assert run(root).stats == (4, 0, 4)


def test_sections_are_read_with_defaults(site: SiteBuilder) -> None:
    root = site(
        {
            "docs/a/_section.yaml": "title: 甲\norder: 2\ndescription: 说明\ngroup_by: category\n",
            "docs/a/x.md": _note("X"),
            "docs/b/x.md": _note("Y"),
        }
    )
    loaded = _load(root, use_cache=False)
    a, b = loaded.sections["docs/a"], loaded.sections["docs/b"]
    assert (a.title, a.order, a.description, a.group_by, a.draft) == (
        "甲",
        2,
        "说明",
        "category",
        False,
    )
    assert (b.title, b.order) == ("b", 1000)
    assert [(d.file, d.line, d.code) for d in loaded.diagnostics] == [
        ("docs/b/_section.yaml", 0, "FM113")
    ]
