"""The static mirror (`kb export`): MkDocs + Material built from kb's model of the site.

Built for real (MkDocs runs) from a small fixture site and from the repository's docs; the
browser side (math, search, following links, the attack corpus) is in tests/browser.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from pathlib import Path

import pytest

from kb.config import load_settings
from kb.mirror import ExportError, ExportOptions, export, page_description, stage
from kb.pipeline import Mode, build
from kb.render.sidebar import nav_tree
from kb.site import load_site
from tests.helpers import GOLDEN, REPO, assert_golden, make_site

PAPER = """---
type: paper
title: "A deep model: with a colon"
title_zh: 深度模型：冒号也是标题的一部分
authors: [Ada Lovelace]
year: 2020
venue: Test Venue
doi: 10.1000/xyz123
category: survival
tasks: [survival-analysis]
modalities: [tabular]
areas: [oncology]
added: 2026-11-01
---

# 深度模型：冒号也是标题的一部分

> Lovelace A. *A deep model.* Test Venue (2020).

## 一句话总结

用神经网络替代线性预测子 $\\beta^\\top x$，并以偏似然为损失训练。

## 研究问题

把删失数据直接放进深度网络里训练，而不是先转换成分类问题。

## 方法

风险函数为 $h(t \\mid x) = h_0(t) \\exp(g(x))$：

$$
\\ell = -\\sum_i \\delta_i \\Big(g(x_i) - \\log \\sum_{j \\in R_i} e^{g(x_j)}\\Big)
$$

## 数据

模拟数据。

## 主要结果

C 指数 0.7。

## 局限与思考

样本量小。

## 相关笔记

- [研究背景](../notes/basics.md#研究背景-background)

## 链接

- 论文：https://doi.org/10.1000/xyz123
"""

NOTE = """---
type: note
title: 基础
order: 1
description: 删失与风险函数的基础知识。
---

# 基础

## 研究背景 Background

中间有一个词：比例风险模型在这里被提到。

## 小节：全角冒号

- 第一层
  - 第二层（两个空格缩进）
  - 第二层的另一项

## 小节：全角冒号

重复的标题。

```python
def hazard(t):
    return 0.5
```

| 列 | 值 |
| :--- | ---: |
| a | 1 |

跳到 [全角冒号](#小节：全角冒号)、[第二个](#小节：全角冒号-1)、
[论文](../papers/lovelace-2020-deep.md) 和 [论文的方法](../papers/lovelace-2020-deep.md?id=方法)。
"""

FILES = {
    "docs/README.md": (
        "---\ntype: guide\ntitle: 首页\n---\n# 首页\n\n欢迎。见 [笔记](notes/basics.md)。\n"
    ),
    "docs/notes/_section.yaml": "title: 笔记\norder: 2\n",
    "docs/notes/basics.md": NOTE,
    "docs/papers/_section.yaml": "title: 论文\norder: 1\ngroup_by: category\n",
    "docs/papers/README.md": "---\ntype: guide\ntitle: 论文索引\n---\n# 论文索引\n\n全部论文。\n",
    "docs/papers/lovelace-2020-deep.md": PAPER,
}


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the fixture site, its mirror), built once."""
    tmp = tmp_path_factory.mktemp("mirror")
    root = make_site(tmp, FILES)
    settings = load_settings(root)
    result = build(settings, Mode.BUILD, use_cache=False)
    assert [d for d in result.diagnostics if d.severity >= d.severity.ERROR] == []
    out = tmp / "out"
    options = ExportOptions(
        site_url="https://example.org/kb/static/",
        edit_url="https://github.com/o/r/edit/main/{path}",
        repo_url="https://github.com/o/r",
    )
    exported = export(result.site, out, options)
    assert exported.diagnostics == []
    assert exported.pages == 4
    return root, out


def _page(out: Path, url: str) -> str:
    return (out / url / "index.html").read_text(encoding="utf-8")


def test_every_heading_has_its_docsify_id(mirror: tuple[Path, Path]) -> None:
    root, out = mirror
    site = load_site(load_settings(root), use_cache=False)
    for file, url in (
        ("docs/notes/basics.md", "notes/basics"),
        ("docs/papers/lovelace-2020-deep.md", "papers/lovelace-2020-deep"),
    ):
        page = _page(out, url)
        ids = [html.unescape(i) for i in re.findall(r'<h[1-6] id="([^"]*)"', page)]
        assert ids == [h.slug for h in site.pages[file].headings]
    # full-width punctuation kept, repeats numbered as docsify numbers them
    note = _page(out, "notes/basics")
    assert 'id="研究背景-background"' in note
    assert 'id="小节：全角冒号"' in note and 'id="小节：全角冒号-1"' in note


def test_links_go_where_docsify_sends_them(mirror: tuple[Path, Path]) -> None:
    _, out = mirror
    note = _page(out, "notes/basics")
    hrefs = [html.unescape(h) for h in re.findall(r'<a href="([^"]*)"', note)]
    assert "#小节：全角冒号" in hrefs and "#小节：全角冒号-1" in hrefs
    assert "../../papers/lovelace-2020-deep/" in hrefs
    assert "../../papers/lovelace-2020-deep/#方法" in hrefs  # docsify's ?id= query
    paper = _page(out, "papers/lovelace-2020-deep")
    link = "../../notes/basics/#研究背景-background"
    assert f'href="{link}"' in paper
    # followed: the target file exists and holds the id
    target = posixpath.normpath(posixpath.join("papers/lovelace-2020-deep/", link.split("#")[0]))
    assert 'id="研究背景-background"' in _page(out, target)


def test_nav_has_the_sidebar_titles_in_the_sidebar_order(
    mirror: tuple[Path, Path], tmp_path: Path
) -> None:
    root, _ = mirror
    site = load_site(load_settings(root), use_cache=False)
    home, entries = nav_tree(site)
    out = tmp_path / "full-nav"  # every page carries the whole navigation
    assert export(site, out, ExportOptions(prune=False)).diagnostics == []
    sidebar = (root / "_sidebar.md").read_text(encoding="utf-8")
    labels = re.findall(r"^\s*- (?:\[([^\]]+)\]|(.+))", sidebar, re.M)
    wanted = [a or b for a, b in labels]
    page = (out / "index.html").read_text(encoding="utf-8")
    nav = page[page.index('class="md-nav md-nav--primary"') :]
    shown = [
        html.unescape(t).strip()
        for t in re.findall(r'<span class="md-ellipsis">\s*([^<]+?)\s*</span>', nav)
    ]
    shown = list(dict.fromkeys(shown))
    assert [label for label in shown if label in wanted] == wanted
    assert home is not None and entries


def test_chinese_words_inside_sentences_are_in_the_search_index(
    mirror: tuple[Path, Path],
) -> None:
    _, out = mirror
    index = json.loads((out / "search" / "search_index.json").read_text(encoding="utf-8"))
    separator = re.compile(index["config"]["separator"])
    hits = set()
    for doc in index["docs"]:
        tokens = {t.lower() for t in separator.split(doc["text"] + " " + doc["title"]) if t}
        if "比例风险模型" in tokens or {"比例", "风险", "模型"} <= tokens:
            hits.add(doc["location"].split("#")[0])
    # 比例风险模型 sits in the middle of 中间有一个词：比例风险模型在这里被提到。
    assert "notes/basics/" in hits
    assert index["config"]["lang"] == ["zh"]


def test_sitemap_descriptions_and_tags(mirror: tuple[Path, Path]) -> None:
    _, out = mirror
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert "https://example.org/kb/static/papers/lovelace-2020-deep/" in locs
    assert "https://example.org/kb/static/" in locs
    note = _page(out, "notes/basics")
    assert '<meta name="description" content="删失与风险函数的基础知识。">' in note
    paper = _page(out, "papers/lovelace-2020-deep")
    description = re.search(r'<meta name="description" content="([^"]*)"', paper)
    assert description is not None
    assert html.unescape(description.group(1)) == "用神经网络替代线性预测子，并以偏似然为损失训练。"
    assert "生存分析" in paper and 'class="md-tag' in paper  # the task's vocabulary title
    assert (out / "tags" / "index.html").is_file()
    assert '<link rel="canonical" href="https://example.org/kb/static/notes/basics/">' in note


def test_pages_link_back_to_docsify_and_carry_a_csp(mirror: tuple[Path, Path]) -> None:
    _, out = mirror
    paper = _page(out, "papers/lovelace-2020-deep")
    assert 'href="../../../#/docs/papers/lovelace-2020-deep">在交互版中打开本页</a>' in paper
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"', paper)
    assert csp is not None
    policy = html.unescape(csp.group(1))
    assert (
        "script-src 'self' 'sha256-" in policy
        and "'unsafe-inline'" not in policy.split("style-src-attr")[0]
    )
    assert paper.index("Content-Security-Policy") < paper.index("<script")
    assert "fonts.googleapis" not in paper and "fonts.gstatic" not in paper
    assert (out / "assets" / "katex" / "katex.min.js").is_file()
    assert (out / "assets" / "licenses" / "katex.txt").is_file()


def test_code_is_highlighted_and_pages_have_an_edit_link(mirror: tuple[Path, Path]) -> None:
    _, out = mirror
    note = _page(out, "notes/basics")
    assert '<div class="highlight"><pre><span></span><code><span class="k">def</span>' in note
    assert 'href="https://github.com/o/r/edit/main/docs/notes/basics.md"' in note
    tags = _page(out, "tags")
    assert "github.com/o/r/edit" not in tags  # a page kb made has no source to edit


def test_math_is_left_for_katex(mirror: tuple[Path, Path]) -> None:
    _, out = mirror
    paper = _page(out, "papers/lovelace-2020-deep")
    assert paper.count('class="arithmatex"') == 3
    assert "\\(h(t \\mid x) = h_0(t) \\exp(g(x))\\)" in html.unescape(paper)


def test_nested_lists_and_aligned_tables_render_as_marked_renders_them(
    mirror: tuple[Path, Path],
) -> None:
    _, out = mirror
    note = _page(out, "notes/basics")
    assert re.search(r"<li>第一层\s*<ul>\s*<li>第二层", note)
    assert '<th style="text-align:left">列</th>' in note


def test_a_link_out_of_the_docs_folder_is_reported_by_kb_check(tmp_path: Path) -> None:
    files = {
        **FILES,
        "README.md": "# repo\n",
        "docs/notes/basics.md": NOTE + "\n回到 [仓库说明](../../README.md)。\n",
    }
    root = make_site(tmp_path, files)
    result = build(load_settings(root), Mode.BUILD, use_cache=False)
    found = [d for d in result.diagnostics if d.code == "LNK219"]
    assert len(found) == 1
    line = NOTE.count("\n") + 2
    assert (found[0].file, found[0].line) == ("docs/notes/basics.md", line)
    assert "docs/README.md" in found[0].hint


def test_the_output_folder_is_replaced_only_when_kb_wrote_it(
    mirror: tuple[Path, Path], tmp_path: Path
) -> None:
    root, _ = mirror
    site = load_site(load_settings(root), use_cache=False)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="not written by `kb export`"):
        export(site, foreign, ExportOptions())
    assert (foreign / "keep.txt").read_text() == "mine"
    link = tmp_path / "link"
    link.symlink_to(foreign)
    with pytest.raises(ExportError, match="symlink"):
        export(site, link, ExportOptions())


def test_a_page_mkdocs_cannot_build_stops_the_export_and_keeps_the_old_mirror(
    mirror: tuple[Path, Path], tmp_path: Path
) -> None:
    files = {**FILES, "README.md": "# repo\n"}
    files["docs/notes/basics.md"] = NOTE + "\n[仓库](../../README.md)\n"
    root = make_site(tmp_path, files)
    site = build(load_settings(root), Mode.BUILD, use_cache=False).site
    out = tmp_path / "out"
    out.mkdir()
    (out / ".kb-export").write_text("")
    (out / "old.html").write_text("old")
    result = export(site, out, ExportOptions())
    found = [d for d in result.diagnostics if d.code == "EXP801"]
    assert found and found[0].file == "docs/notes/basics.md"
    assert found[0].line == NOTE.count("\n") + 2
    assert (out / "old.html").read_text() == "old"


def test_a_site_without_the_content_model_gets_a_clear_error(tmp_path: Path) -> None:
    root = make_site(tmp_path, FILES, kb_toml="content_model = false\n")
    site = load_site(load_settings(root), use_cache=False)
    with pytest.raises(ExportError, match="content model"):
        export(site, tmp_path / "out", ExportOptions())


@pytest.mark.parametrize(
    ("meta", "body", "expected"),
    [
        ({"description": "给定的描述。"}, "", "给定的描述。"),
        ({"type": "paper"}, "## 一句话总结\n\n用 $x$ 做 **分类**。\n\n## 下一节\n", "用 做 分类。"),
        ({"type": "note"}, "## 一句话总结\n\n不是论文。\n", ""),
        ({"type": "paper"}, "## 一句话总结\n\n" + "很长的句子。" * 40, "很长的句子。" * 26),
    ],
)
def test_page_description(meta: dict, body: str, expected: str) -> None:
    assert page_description(meta, body) == expected


def test_the_repository_docs_export_cleanly(tmp_path: Path) -> None:
    """Every page of the real site: no MkDocs warning, every docsify id, nothing sanitized."""
    settings = load_settings(REPO)
    site = load_site(settings)
    result = export(site, tmp_path / "static", ExportOptions())
    assert result.diagnostics == []
    home, entries = nav_tree(site)
    assert result.pages >= 50
    for info in site.content_pages():
        if info.file.endswith("/_404.md"):
            continue
        rel = info.file[len("docs/") : -len(".md")]
        url = rel[: -len("README")] if rel.endswith("README") else rel + "/"
        page = (tmp_path / "static" / url / "index.html").read_text(encoding="utf-8")
        ids = {html.unescape(i) for i in re.findall(r' id="([^"]*)"', page)}
        missing = [h.slug for h in site.pages[info.file].headings if h.slug not in ids]
        assert missing == [], info.file


def test_the_staged_config_and_page_match_the_golden_files(tmp_path: Path) -> None:
    """What kb hands MkDocs: mkdocs.yml and a paper page with the mirror's front matter."""
    root = make_site(tmp_path, FILES)
    site = build(load_settings(root), Mode.BUILD, use_cache=False).site
    options = ExportOptions(
        site_url="https://example.org/kb/static/", edit_url="https://e.org/{path}"
    )
    stage(site, tmp_path / "stage", out_dir=tmp_path / "out", options=options)
    config = json.loads((tmp_path / "stage" / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config.pop("site_dir") == str(tmp_path / "out")
    assert [Path(hook).name for hook in config.pop("hooks")] == ["mirror_hooks.py"]
    text = json.dumps(config, ensure_ascii=False, indent=2) + "\n"
    assert_golden(text, GOLDEN / "mirror" / "mkdocs.json")
    paper = tmp_path / "stage" / "docs" / "papers" / "lovelace-2020-deep.md"
    assert_golden(paper.read_text(encoding="utf-8"), GOLDEN / "mirror" / "lovelace-2020-deep.md")
