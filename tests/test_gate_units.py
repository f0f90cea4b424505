"""The HTML gate judges the files kb generates (sidebar, table regions) in units, so that a
front-matter edit renders one unit again instead of megabytes of tables. The units must
find exactly what judging the whole file finds, line for line, on hostile metadata."""

from __future__ import annotations

import shutil
import zlib
from pathlib import Path

import pytest

from kb.checks.rendered import UNIT_ROWS, _chunked, split_generated, start_rendered
from kb.config import load_settings
from kb.generate import Owned, apply, owned, plan_generated
from kb.pipeline import Mode, build
from kb.site import load_site
from tests.helpers import make_site

SITES = Path(__file__).parent / "sites"

HOSTILE = {
    # (field, value) written into a paper's front matter; each shows in the sidebar or a row
    "img": ("title_zh", "'综述 <img src=x onerror=alert(1)>'"),
    "link": ("title_zh", "'[点我](javascript:alert(1))'"),
    "reference": ("title_zh", "'[点我][evil]'"),  # the papers index defines [evil] below
    "pipes": ("title_zh", "'a | b \\| c ` d * e _ f'"),
    "script-venue": ("venue", "'<script>alert(1)</script>'"),
    "js-code": ("code", "'javascript:alert(document.domain)'"),
    "data-code": ("code", "'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='"),
    "entity": ("title_zh", "'&lt;script&gt;&#106;avascript:'"),
    "html-comment": ("title_zh", "'<!-- 注释'"),
}


def _paper(slug: str, number: int, extra: tuple[str, str] | None) -> str:
    fields = {
        "type": "paper",
        "title": f"'A Paper Number {number}'",
        "title_zh": f"'第 {number} 篇论文'",
        "authors": "[Alice Zhang]",
        "year": str(2000 + number % 20),
        "venue": "Journal of Tests",
        "category": ["survival", "segmentation", "classification"][number % 3],
        "tasks": "[survival-analysis]",
        "modalities": "[ehr]",
    }
    if extra is not None:
        fields[extra[0]] = extra[1]
    front = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return f"---\n{front}---\n# 第 {number} 篇\n\n见 [笔记](../notes/survival-math.md)。\n"


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("units") / "site"
    shutil.copytree(SITES / "clean", root)
    shutil.rmtree(root / "docs" / "papers")
    files: dict[str, str] = {
        "docs/papers/_section.yaml": "title: 论文\norder: 1\ngroup_by: category\n",
        "docs/papers/README.md": (
            "# 论文\n\n<!-- kb:table papers-index -->\n<!-- /kb:table -->\n\n"
            "[evil]: javascript:alert(1)\n"
        ),
    }
    hostile = list(HOSTILE.values())
    for number in range(300):
        extra = hostile[number % len(hostile)] if number % 7 == 0 else None
        files[f"docs/papers/p{number:03d}.md"] = _paper(f"p{number:03d}", number, extra)
    note = root / "docs" / "notes" / "survival-math.md"
    note.write_text(
        note.read_text(encoding="utf-8")
        + "\n## 引用本笔记的论文\n\n<!-- kb:table backlinks -->\n<!-- /kb:table -->\n",
        encoding="utf-8",
    )
    make_site(root.parent, files, name="site")
    settings = load_settings(root)
    build(settings, Mode.BUILD)  # writes the sidebar and the tables
    return root


GENERATED = ("_sidebar.md", "docs/papers/README.md", "docs/notes/survival-math.md")


def _findings(root: Path, *, units: bool) -> set[tuple[str, int, str, str]]:
    site = load_site(load_settings(root), use_cache=False)
    rendering = start_rendered(site, (lambda file: owned(site, file)) if units else None)
    if units:
        assert set(GENERATED) <= set(rendering.parts), "every generated file was split"
    else:
        assert not rendering.parts
    return {(d.file, d.line, d.code, d.message) for d in rendering.finish() if d.file in GENERATED}


def test_units_find_what_the_whole_file_finds(site_root: Path) -> None:
    whole = _findings(site_root, units=False)
    in_units = _findings(site_root, units=True)
    # The same findings in the same files. Lines may differ where one render holds the same
    # payload many times: node places a finding by searching for its text, so the whole
    # file puts repeats on one line (and reports them once), a unit on a line of its own.
    assert {(f, code, m) for f, _, code, m in in_units} == {(f, code, m) for f, _, code, m in whole}
    assert len(in_units) >= len(whole)
    # Not vacuous: hostile `code` URLs reach every table as unsafe links. The titles stay
    # text wherever kb writes them (a title holding a javascript: link once became one).
    assert {file for file, *_ in whole} == set(GENERATED) - {"_sidebar.md"}


def test_each_generated_file_is_split_into_several_units(site_root: Path) -> None:
    site = load_site(load_settings(site_root), use_cache=False)
    for file in GENERATED:
        text = (site_root / file).read_text(encoding="utf-8")
        expected = owned(site, file)
        assert expected is not None
        units = split_generated(text, expected)
        assert units is not None and len(units) >= 2, file
        lines = sorted(n for unit in units for n in unit.lines)
        assert set(lines) == set(range(1, text.count("\n") + 1)), "every line is judged"


def test_a_file_that_is_not_kbs_output_is_judged_whole(site_root: Path) -> None:
    site = load_site(load_settings(site_root), use_cache=False)
    text = (site_root / "_sidebar.md").read_text(encoding="utf-8")
    expected = owned(site, "_sidebar.md")
    assert expected is not None
    assert split_generated(text + "- [手写](/docs/x.md)\n", expected) is None
    readme = (site_root / "docs/papers/README.md").read_text(encoding="utf-8")
    edited = readme.replace("| 2019 |", "| <img src=x onerror=alert(1)> |", 1)
    assert edited != readme
    regions = owned(site, "docs/papers/README.md")
    assert regions is not None
    assert split_generated(edited, regions) is None
    assert split_generated(readme, Owned(whole="x")) is None


def test_a_front_matter_edit_renders_only_the_units_that_hold_it(site_root: Path) -> None:
    root = site_root.parent / "edited"
    shutil.copytree(site_root, root)
    settings = load_settings(root)
    build(settings, Mode.BUILD)  # the verdicts of every unit in the cache
    page = root / "docs/papers/p150.md"
    page.write_text(
        page.read_text(encoding="utf-8").replace("第 150 篇论文", "第 150 篇论文（修订）"),
        encoding="utf-8",
    )
    site = load_site(settings)
    written = apply(site, plan_generated(site)[0])
    assert {"_sidebar.md", "docs/papers/README.md"} <= set(written)
    site = load_site(settings)
    rendering = start_rendered(site, lambda file: owned(site, file))
    misses: dict[str, int] = {}
    for file, _, unit in rendering.misses:
        assert unit is not None or file == "docs/papers/p150.md"
        misses[file] = misses.get(file, 0) + 1
    for file in ("_sidebar.md", "docs/papers/README.md"):
        units = len(rendering.parts[file]) + misses[file]
        # The unit holding the entry (and the README's frame, whose counts changed).
        assert 1 <= misses[file] <= 2 < units, (file, misses[file], units)
    assert any(d.file == "docs/papers/README.md" for d in rendering.finish())  # from cached units


def test_unit_boundaries_follow_content() -> None:
    rows = [(n, f"| row {n} |\n") for n in range(1, 2001)]
    head = [(0, "| h |\n"), (0, "| - |\n")]
    before = {unit.text for unit in _chunked(head, rows)}
    edited = [*rows[:1000], (1000, "| inserted |\n"), *rows[1000:]]
    after = {unit.text for unit in _chunked(head, edited)}
    assert len(after - before) <= 2  # the unit with the insertion (and perhaps its neighbour)
    assert all(len(unit.lines) <= UNIT_ROWS + 2 for unit in _chunked(head, rows))
    assert sum(zlib.crc32(line.encode()) % 32 == 0 for _, line in rows) > 10
