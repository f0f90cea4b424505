"""`<!-- kb:table … -->` regions: golden renders, specs, data files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kb.config import load_settings
from kb.diagnostics import Refusal
from kb.generate import plan_tables
from kb.render.regions import find_regions, stray_markers
from kb.render.tables import parse_spec, render_region, validate_data_table
from kb.site import Site, load_site
from kb.yamlio import parse_yaml
from tests.helpers import GOLDEN, SITES, KbRunner, SiteBuilder, assert_golden


def _load(root: Path) -> Site:
    return load_site(load_settings(root), use_cache=False)


def test_showcase_tables_match_golden() -> None:
    changes, problems = plan_tables(_load(SITES / "showcase"))
    assert problems == []
    assert [c.file for c in changes] == ["docs/papers/README.md"]
    assert_golden(changes[0].new, GOLDEN / "showcase" / "papers-README.md")


def test_rendered_tables_are_fresh_on_the_next_run(tmp_path: Path) -> None:
    root = tmp_path / "showcase"
    root.mkdir()
    page = root / "docs" / "papers" / "README.md"
    for source in (SITES / "showcase").rglob("*"):
        if source.is_file():
            target = root / source.relative_to(SITES / "showcase")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    changes, _ = plan_tables(_load(root))
    page.write_text(changes[0].new, encoding="utf-8")
    assert plan_tables(_load(root)) == ([], [])


@pytest.mark.parametrize(
    ("spec", "kind", "args"),
    [
        ("papers", "papers", {}),
        (
            "papers category=survival  task=classification",
            "papers",
            {"category": "survival", "task": "classification"},
        ),
        ('data name="my tools"', "data", {"name": "my tools"}),
    ],
)
def test_parse_spec(spec: str, kind: str, args: dict[str, str]) -> None:
    parsed = parse_spec(spec)
    assert (parsed.kind, parsed.args) == (kind, args)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "table marker names no table"),
        ("papers category", "expected key=value, got 'category'"),
        ("papers category=", "expected key=value, got 'category='"),
        ('papers "unclosed', "cannot read table spec 'papers \"unclosed': No closing quotation"),
    ],
)
def test_bad_specs_are_tbl403(spec: str, message: str) -> None:
    with pytest.raises(Refusal) as caught:
        parse_spec(spec)
    assert caught.value.code == "TBL403"
    assert str(caught.value) == message


def _paper(name: str, category: str, year: int, tasks: str, extra: str = "") -> str:
    return (
        f"---\ntype: paper\ntitle: {name} EN\ntitle_zh: {name}\nauthors: [A]\nyear: {year}\n"
        f"venue: V\ndoi: 10.1234/{year}.{len(name)}\ncategory: {category}\ntasks: [{tasks}]\n"
        f"modalities: [ct]\nareas: [oncology]\nadded: 2024-05-01\n{extra}---\n# {name}\n"
    )


PAPERS = {
    "docs/p/_section.yaml": "title: 论文\norder: 1\n",
    "docs/p/index.md": "---\ntype: guide\ntitle: 目录\n---\n# 目录\n",
    "docs/p/a.md": _paper("甲", "survival", 2020, "survival-analysis"),
    "docs/p/b.md": _paper("乙", "survival", 2022, "classification"),
    "docs/p/c.md": _paper("丙", "imaging", 2022, "segmentation, classification"),
    "docs/p/d.md": _paper("丁", "survival", 2023, "classification", "draft: true\n"),
}


@pytest.fixture
def render(site: SiteBuilder) -> Callable[[str], str]:
    """Render one region spec on docs/p/index.md of a site with three papers and a draft."""
    loaded = _load(site(PAPERS))
    page = loaded.pages["docs/p/index.md"]
    return lambda spec: render_region(loaded, page, spec)


def _labels(table: str) -> list[str]:
    return [
        line.split("](")[0].lstrip("| [") for line in table.splitlines() if line.startswith("| [")
    ]


def test_papers_newest_first_without_drafts(render: Callable[[str], str]) -> None:
    assert _labels(render("papers")) == ["丙", "乙", "甲"]


@pytest.mark.parametrize(
    ("spec", "labels"),
    [
        ("papers category=survival", ["乙", "甲"]),
        ("papers task=classification", ["丙", "乙"]),
        ("papers year=2022 category=imaging", ["丙"]),
        ("papers modality=ct area=oncology", ["丙", "乙", "甲"]),
    ],
)
def test_papers_filters(render: Callable[[str], str], spec: str, labels: list[str]) -> None:
    assert _labels(render(spec)) == labels


def test_papers_table_rows_link_relative_to_the_page(render: Callable[[str], str]) -> None:
    table = render("papers category=imaging")
    assert "| [丙](c.md) | 2022 | V | 分割、分类 | CT | — |" in table.splitlines()


def test_no_matching_papers(render: Callable[[str], str]) -> None:
    assert render("papers year=1999") == "\n暂无论文。\n\n"


def test_categories_count_published_papers(render: Callable[[str], str]) -> None:
    lines = render("categories").splitlines()
    assert "| 生存分析与预后 | 用深度学习或 Cox 类模型预测生存时间、死亡风险与预后。 | 2 |" in lines
    assert "| 医学影像分析 | 影像分割、重建、运动分析与影像表型。 | 1 |" in lines
    assert "| **合计** | | **3** |" in lines


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nosuch", "unknown table 'nosuch'"),
        ("papers colour=red", "unknown table argument 'colour'"),
        ("papers category=zebra", "category='zebra' is not in the vocabulary 'categories'"),
        ("papers year=20x2", "year='20x2' is not a year"),
        ("data", "data table needs name=<file in the data folder, without .yaml>"),
        ("data name=absent", "data file 'docs/_data/absent.yaml' not found"),
        ("codes x=1", "unknown table argument 'x'"),
    ],
)
def test_region_spec_errors_are_tbl403(
    render: Callable[[str], str], spec: str, message: str
) -> None:
    with pytest.raises(Refusal) as caught:
        render(spec)
    assert (caught.value.code, str(caught.value)) == ("TBL403", message)


def _data_site(site: SiteBuilder, yaml_text: str) -> str:
    loaded = _load(site({**PAPERS, "docs/_data/tools.yaml": yaml_text}))
    return render_region(loaded, loaded.pages["docs/p/index.md"], "data name=tools")


def test_data_table_escapes_pipes_and_newlines(site: SiteBuilder) -> None:
    table = _data_site(
        site,
        "columns:\n  - {key: name, title: 名称, link: false}\n"
        "  - {key: url, title: 链接, link: true, link_text: name}\n"
        'rows:\n  - name: "A | B"\n    url: https://example.org/a b\n'
        "  - name: |\n      第一行\n      第二行\n",
    )
    lines = [line.rstrip() for line in table.strip("\n").splitlines()]
    assert lines == [
        "| 名称 | 链接 |",
        "| --- | --- |",
        "| A \\| B | [A \\| B](https://example.org/a%20b) |",
        "| 第一行 第二行 | — |",
    ]


def test_data_link_column_may_omit_link_text(site: SiteBuilder) -> None:
    table = _data_site(
        site,
        "columns:\n  - {key: url, title: 链接, link: true}\nrows:\n  - {url: https://example.org/x}\n",
    )
    assert "| [https://example.org/x](https://example.org/x) |" in table


def test_data_table_columns_may_omit_link(site: SiteBuilder) -> None:
    # The documented shape is {key, title, link?, link_text?}: `link` is optional.
    table = _data_site(site, "columns:\n  - {key: name, title: 名称}\nrows:\n  - {name: PyCox}\n")
    assert [line.rstrip() for line in table.strip("\n").splitlines()] == [
        "| 名称 |",
        "| --- |",
        "| PyCox |",
    ]


def test_data_table_without_rows(site: SiteBuilder) -> None:
    table = _data_site(site, "columns:\n  - {key: name, title: 名称, link: false}\nrows: []\n")
    assert table == "\n暂无条目。\n\n"


def _shape(text: str) -> list[tuple[int, str, str]]:
    doc, found = parse_yaml(text, "docs/_data/x.yaml")
    assert doc is not None and found == []
    return [
        (d.line, d.code, d.message)
        for d in validate_data_table(doc.data, doc.line, "docs/_data/x.yaml")
    ]


def test_data_file_shape_problems_name_their_line() -> None:
    text = (
        "columns:\n  - {key: a, title: A}\n  - {title: B}\nrows:\n  - {a: 1, b: 2}\n  - just text\n"
    )
    assert _shape(text) == [
        (3, "FM114", "column needs 'key' and 'title'"),
        (5, "FM114", "row field 'b' is not a column"),
        (6, "FM114", "row must be a mapping"),
    ]


def test_data_file_without_columns() -> None:
    assert _shape("rows: []\n") == [
        (1, "FM114", "expected 'columns:' (a list) and 'rows:' (a list)")
    ]


def test_regions_in_code_are_ignored_and_unclosed_ones_have_no_end() -> None:
    text = (
        "<!-- kb:table papers -->\nold\n<!-- /kb:table -->\n"
        "```\n<!-- kb:table codes -->\n```\n"
        "<!-- kb:table categories -->\nrest\n"
    )
    regions = find_regions(text, first_line=5)
    assert [(r.line, r.spec, r.end >= 0, r.content) for r in regions] == [
        (5, "papers", True, "old\n"),
        (11, "categories", False, ""),
    ]


def test_stray_markers_are_reported_by_line() -> None:
    text = "a\n<!-- kb:table papers --> trailing\n<!-- /kb:table -->\nx <!-- kb:table codes -->\n"
    assert stray_markers(text) == [2, 4]


NOTE = (
    "---\ntype: note\ntitle: 生存笔记\n---\n# 生存笔记\n\n"
    "<!-- kb:table backlinks -->\n<!-- /kb:table -->\n"
)


def _backlink_site(site: SiteBuilder) -> Path:
    return site(
        {
            **PAPERS,
            "docs/n/_section.yaml": "title: 笔记\norder: 2\n",
            "docs/n/cox.md": NOTE,
            "docs/p/a.md": PAPERS["docs/p/a.md"] + "\n见[笔记](../n/cox.md#生存笔记)。\n",
            "docs/p/c.md": PAPERS["docs/p/c.md"] + "\n![图](../n/cox.md)\n",
            "docs/p/d.md": PAPERS["docs/p/d.md"] + "\n[草稿也链接](../n/cox.md)\n",
        }
    )


def test_backlinks_list_published_papers_that_link_here(site: SiteBuilder) -> None:
    loaded = _load(_backlink_site(site))
    table = render_region(loaded, loaded.pages["docs/n/cox.md"], "backlinks")
    assert _labels(table) == ["丙", "甲"]
    assert "| [甲](../p/a.md) | 2020 | V | 生存分析 | CT | — |" in table.splitlines()
    note = loaded.pages["docs/n/cox.md"]
    only_survival = render_region(loaded, note, "backlinks category=survival")
    assert _labels(only_survival) == ["甲"]


def test_backlinks_when_nothing_links_here(site: SiteBuilder) -> None:
    loaded = _load(site({**PAPERS, "docs/n/cox.md": NOTE}))
    table = render_region(loaded, loaded.pages["docs/n/cox.md"], "backlinks")
    assert table == "\n暂无论文页链接到本页。\n\n"


def test_backlinks_follow_a_new_link_through_the_cache(site: SiteBuilder, kb: KbRunner) -> None:
    # Adding a link changes no front matter: the cached render must still be redone.
    root = _backlink_site(site)
    note = root / "docs/n/cox.md"
    assert kb(root, "tables")[0] == 0
    assert _labels(note.read_text(encoding="utf-8")) == ["丙", "甲"]
    assert kb(root, "tables", "--check")[0] == 0
    paper = root / "docs/p/b.md"
    paper.write_text(paper.read_text(encoding="utf-8") + "\n[笔记](../n/cox.md)\n", "utf-8")
    assert kb(root, "tables")[0] == 0
    assert _labels(note.read_text(encoding="utf-8")) == ["丙", "乙", "甲"]
