"""The search index: tokens, a page's part (sections, anchors, entries), and the files
write_index assembles from parts: a base written once, an overlay for later edits."""

from __future__ import annotations

import json
import marshal
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kb.model import ParseContext
from kb.parser import parse_page
from kb.search import BLOCK, OVERLAY_PAGES, bucket_count, facets, write_index
from kb.searchtext import (
    BUCKETS,
    KIND,
    MODALITIES,
    POSTINGS,
    SECTIONS,
    TASKS,
    YEAR,
    bucket,
    count_tokens,
    distinct_tokens,
    facet_token,
    joined_tokens,
    page_part,
    plain_text,
    split_sections,
    tokenize,
)
from kb.vocabulary import Term
from tests.helpers import KbRunner, SiteBuilder

CASES = Path(__file__).parent / "js" / "tokenize-cases.json"
VOCABULARY = {
    "tasks": {"survival-analysis": Term("survival-analysis", "生存分析", 1, "")},
    "modalities": {"ct": Term("ct", "CT", 1, "")},
}


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("卷积神经网络", ["卷积", "积神", "神经", "经网", "网络"]),
        ("ResNet-50 的 Dice", ["resnet", "50", "的", "dice"]),
        ("Ｃｏｘ模型", ["cox", "模型"]),  # full-width letters fold (NFKC)
        ("癌", ["癌"]),
        ("", []),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_tokens_and_buckets_are_the_ones_the_browser_checks() -> None:
    # tests/js/kb-search.test.mjs checks assets/kb-search.js against the same file.
    for case in json.loads(CASES.read_text(encoding="utf-8")):
        assert tokenize(case["text"]) == case["tokens"], case["text"]
        assert [bucket(t) for t in case["tokens"]] == case["buckets"], case["text"]


_TEXT = st.text(
    st.sampled_from(
        list("卷积神经网络の한국 abcXYZ019-·，。（）…①ﬁ㎏Ａｂ１éÇİΣ")
        + ["\u0301", "\u3099", "ｶ", "\u3038"]
    )
    | st.characters(),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
@example("cafe\u0301 a\u0328\u0301b \u1100\u1161\u11a8x ｶﾞ か\u3099き")  # composition
@example("Ａ①ﬁ…㎏x² İI ΣΑΣ 〸ゟ")  # NFKC and case mappings that make tokens
def test_distinct_tokens_are_the_tokens_without_repeats(text: str) -> None:
    # distinct_tokens skips NFKC for text it cannot change: that shortcut must be invisible.
    assert set(distinct_tokens(text)) == set(tokenize(text))
    assert count_tokens(text) == Counter(tokenize(text))


def test_plain_text_drops_syntax_and_keeps_words() -> None:
    markdown = (
        "**粗体** 与 `代码`，[链接文字](https://x.org) ![图注](a.png) <b>标签</b> "
        "&lt;转义&gt; $x^2$"
    )
    assert plain_text(markdown) == "粗体 与 代码，链接文字 图注 标签 <转义> x^2"
    assert plain_text("  方法  A ") == "方法 A"


def test_sections_carry_docsify_anchors() -> None:
    body = (
        "# 标题\n\n导言。\n\n## 方法 A\n\n内容一。\n\n### 细节\n\n内容二。\n\n"
        "#### 太深\n\n仍属细节。\n"
    )
    assert split_sections(body, 1, "页面") == [
        ("", "页面", "导言。"),
        ("方法-a", "方法 A", "内容一。"),
        ("细节", "细节", "内容二。 太深 仍属细节。"),
    ]
    assert page_part("docs/a.md", None, body, 1, VOCABULARY)[SECTIONS] == (
        ("方法-a", "方法 A"),
        ("细节", "细节"),
    )


def entries(part: tuple[Any, ...]) -> dict[str, list[int] | None]:
    """A part's entries: token → head sections, or None for a body token; every entry
    must sit in the piece of its token's bucket."""
    pieces = part[POSTINGS].decode().split("|")
    assert len(pieces) == BUCKETS
    found: dict[str, list[int] | None] = {}
    for number, piece in enumerate(pieces):
        for entry in piece.split():
            token, _, sections = entry.partition("#")
            token = token.partition("~")[0]
            assert bucket(token) == number, entry
            found[token] = [int(s, 36) for s in sections.split(".")] if sections else None
    return found


PAPER_META = {
    "type": "paper",
    "title": "Deep survival",
    "title_zh": "深度生存模型",
    "authors": ["Ada Lovelace"],
    "year": 2021,
    "venue": "Nature Medicine",
    "category": "survival",
    "tasks": ["survival-analysis"],
    "modalities": ["ct"],
}
PAPER_BODY = """
# 深度生存模型

导言：用[卷积网络](https://example.org/hidden-words)。

## 方法

用卷积神经网络提取影像特征。

```python
secret_code_token = 1
```

### 细节 `Cox`

<span title="attribute-words">标签</span> &amp; 实体。

#### 太深

仍属细节。
"""


def test_page_part_of_a_paper() -> None:
    part = page_part("docs/p/a.md", PAPER_META, PAPER_BODY, 5, VOCABULARY)
    route, title, kind, year, tasks, modalities, category, meta = part[:8]
    assert (route, title, kind, year, tasks, modalities, category) == (
        "/docs/p/a",
        "深度生存模型",
        "paper",
        2021,
        ("survival-analysis",),
        ("ct",),
        "survival",
    )
    assert meta == "Ada Lovelace · Nature Medicine · 2021 · 生存分析 · CT"
    # The leading `#` title is the page itself; `####` is no section.
    assert part[SECTIONS] == (("方法", "方法"), ("细节-cox", "细节 Cox"))
    found = entries(part)
    assert found["生存"] == [0] and found["survival"] == [0]  # both titles head the page
    assert found["方法"] == [1] and found["cox"] == [2]
    assert found["卷积"] is None and found["lovelace"] is None and found["实体"] is None
    assert "卷积~2" in part[POSTINGS].decode().replace("|", " ").split()  # twice in the body
    assert found[facet_token("year", "2021")] is None
    assert found[facet_token("task", "survival-analysis")] is None
    for hidden in ("secret", "hidden", "example", "attribute", "span", "amp"):
        assert hidden not in found  # code, link targets, tags and entities are not prose
    marshal.dumps(part)  # the parse cache stores it as it is


def test_a_page_without_front_matter_takes_its_title_from_its_heading() -> None:
    part = page_part("docs/notes/README.md", None, "# 笔记\n\n正文。\n", 1, VOCABULARY)
    assert part[:3] == ("/docs/notes/", "笔记", "")
    assert part[SECTIONS] == ()
    assert not any(t.startswith("!") for t in entries(part))  # filters are for papers
    assert page_part("docs/x.md", None, "正文。\n", 1, VOCABULARY)[1] == "x"


def test_generated_tables_are_not_indexed_with_the_page() -> None:
    body = (
        "# 生存分析\n\n笔记正文讲删失。\n\n## 引用本笔记的论文\n\n<!-- kb:table backlinks -->\n\n"
        "| 论文 |\n| --- |\n| [卷积网络分割肝脏](../papers/x.md) |\n\n## 表内标题\n\n"
        "<!-- /kb:table -->\n\n## 参考文献\n\n教科书。\n"
    )
    raw = f"---\ntype: note\ntitle: 生存分析\n---\n{body}".encode()
    context = ParseContext(VOCABULARY, (), 512, 2026)
    part = parse_page("docs/notes/s.md", raw, context).search
    found = entries(part)
    assert "删失" in found and "教科" in found
    assert "卷积" not in found and "肝脏" not in found  # the table is each paper's own
    assert [anchor for anchor, _ in part[SECTIONS]] == ["引用本笔记的论文", "参考文献"]


def _pages(count: int, *, edited: dict[int, str] | None = None) -> list[tuple[str, str, Any]]:
    edited = edited or {}
    pages = []
    for i in range(count):
        text = edited.get(i, f"第{i}页的正文，关于卷积网络。")
        meta = {**PAPER_META, "title_zh": f"论文{i}", "year": 2000 + i % 3}
        part = page_part(f"docs/p/{i:03d}.md", meta, f"## 方法\n\n{text}\n", 1, VOCABULARY)
        pages.append((f"docs/p/{i:03d}.md", f"key-{i}-{hash(text)}", part))
    return pages


def _write(out: Path, pages: list[tuple[str, str, Any]], build: str, state: dict[str, Any]) -> str:
    parts = {file: part for file, _, part in pages}
    papers = [{"year": p[3], "tasks": list(p[4]), "modalities": list(p[5])} for p in parts.values()]
    return write_index(
        out,
        [(file, key) for file, key, _ in pages],
        parts.__getitem__,
        facets(papers, VOCABULARY),
        build,
        state,
    )


def _written(summary: str) -> int:
    return int(summary.rsplit(", ", 1)[1].split()[0])


def test_first_build_writes_the_base(tmp_path: Path) -> None:
    state: dict[str, Any] = {}
    pages = _pages(40)
    summary = _write(tmp_path, pages, "b1", state)
    folder = tmp_path / "search"
    manifest = json.loads((folder / "index.json").read_bytes())
    buckets = bucket_count(40)
    assert manifest["build"] == "b1" and manifest["buckets"] == buckets == 16
    assert manifest["pages"] == manifest["count"] == 40 and manifest["overlay"] == ""
    assert manifest["facets"]["year"] == [2002, 2001, 2000]
    assert manifest["facets"]["task"] == {"survival-analysis": "生存分析"}
    names = sorted(p.name for p in folder.iterdir())
    blocks = [f"p-{k}.json" for k in range(-(-40 // BLOCK))]
    assert names == sorted(["index.json", *blocks, *(f"i-{b}.txt" for b in range(buckets))])
    assert _written(summary) == len(names)
    # A bucket file: the base id, then one line per page with its entries of the bucket.
    lines = (folder / f"i-{bucket('卷积') % buckets}.txt").read_text().split("\n")
    assert lines[0] == manifest["base"] and len(lines) == 40 + 2
    assert all("卷积" in line.split() for line in lines[1:41])
    block = json.loads((folder / "p-1.json").read_bytes())
    assert block["base"] == manifest["base"]
    first = BLOCK  # the first page of block 1
    assert block["pages"][0] == [
        f"/docs/p/{first:03d}",
        f"论文{first}",
        pages[first][2][7],
        [["方法", "方法"]],
    ]
    assert state["dirty"] is True
    marshal.dumps(state)
    # Nothing changed: nothing is written, and the state need not be saved.
    state["dirty"] = False
    assert _written(_write(tmp_path, pages, "b1", state)) == 0
    assert state["dirty"] is False


def test_an_edit_writes_the_overlay_and_the_manifest_only(tmp_path: Path) -> None:
    state: dict[str, Any] = {}
    _write(tmp_path, _pages(40), "b1", state)
    folder = tmp_path / "search"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    summary = _write(tmp_path, _pages(40, edited={7: "改写后提到联邦学习。"}), "b2", state)
    assert _written(summary) == 2
    manifest = json.loads((folder / "index.json").read_bytes())
    assert manifest["dead"] == [7] and manifest["pages"] == 40
    overlay = (folder / manifest["overlay"]).read_text().split("\n")
    assert overlay[0] == manifest["base"]
    assert json.loads(overlay[1])[0] == "/docs/p/007"
    assert "联邦" in overlay[2].replace("|", " ").split()
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert {n for n in after if after[n] != before.get(n)} == {"index.json", manifest["overlay"]}
    # A second edit replaces the overlay; the first one is deleted.
    edits = {7: "改写后提到联邦学习。", 9: "又一处改动。"}
    _write(tmp_path, _pages(40, edited=edits), "b3", state)
    second = json.loads((folder / "index.json").read_bytes())
    assert second["dead"] == [7, 9] and second["overlay"] != manifest["overlay"]
    assert not (folder / manifest["overlay"]).exists()
    # A removed page is dead too.
    _write(tmp_path, _pages(40, edited=edits)[1:], "b4", state)
    assert json.loads((folder / "index.json").read_bytes())["dead"] == [0, 7, 9]


def test_a_large_overlay_is_folded_into_a_new_base(tmp_path: Path) -> None:
    state: dict[str, Any] = {}
    count = OVERLAY_PAGES + 10
    _write(tmp_path, _pages(count), "b1", state)
    folder = tmp_path / "search"
    first = json.loads((folder / "index.json").read_bytes())
    edits = {i: f"改动{i}" for i in range(OVERLAY_PAGES + 1)}
    _write(tmp_path, _pages(count, edited=edits), "b2", state)
    second = json.loads((folder / "index.json").read_bytes())
    assert second["base"] != first["base"]
    assert second["dead"] == [] and second["overlay"] == ""
    assert not any(p.name.startswith("o-") for p in folder.iterdir())


def test_files_of_an_unrecorded_index_are_removed_and_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "search"
    folder.mkdir()
    for name in ("i-999.txt", "p-77.json", "o-0123abcd.txt", "notes.txt"):
        (folder / name).write_text("x")
    (tmp_path / "search-index.json").write_text("{}")  # kb's previous single-file index
    _write(tmp_path, _pages(3), "b1", {})
    names = {p.name for p in folder.iterdir()}
    assert "notes.txt" in names
    assert not names & {"i-999.txt", "p-77.json", "o-0123abcd.txt"}
    assert not (tmp_path / "search-index.json").exists()


def test_kb_build_writes_the_index_and_check_does_not(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(
        {
            "docs/p/_section.yaml": "title: 论文\norder: 1\n",
            "docs/p/a.md": "---\n"
            + json.dumps({**PAPER_META, "areas": ["oncology"]})
            + "\n---\n"
            + PAPER_BODY,
        }
    )
    manifest = root / "vendor" / "search" / "index.json"
    assert kb(root, "build", "--check")[0] in (0, 2)
    assert not manifest.exists()
    code, out, err = kb(root, "build")
    assert code in (0, 2), out + err
    data = json.loads(manifest.read_bytes())
    assert data["v"] == 2 and data["count"] == 1
    assert "kb: search index vendor/search: 1 pages" in err


def _write(out: Path, pages: list[tuple[str, str, Any]], build: str, state: dict[str, Any]) -> str:
    """write_index as the pipeline calls it: parts on demand, facets from the papers."""
    parts = {file: part for file, _, part in pages}
    papers = [
        {"year": p[YEAR], "tasks": list(p[TASKS]), "modalities": list(p[MODALITIES])}
        for p in parts.values()
        if p[KIND] == "paper"
    ]
    keys = [(file, key) for file, key, _ in pages]
    return write_index(out, keys, parts.__getitem__, facets(papers, VOCABULARY), build, state)


def test_the_stored_inert_ranges_are_the_computed_ones() -> None:
    from kb import searchtext  # noqa: PLC0415

    # Python 3.11 has Unicode 14.0.0, for which the ranges are stored; others compute them.
    assert unicodedata.unidata_version == "14.0.0"
    assert searchtext._INERT_UNICODE_14 == searchtext._inert_ranges()


def test_hyphenated_latin_terms_are_also_indexed_as_one_word() -> None:
    text = "U-Net 与 Kaplan–Meier 曲线、ResNet-50，以及 well known 的 t-SNE"
    assert joined_tokens(text) == ["unet", "kaplanmeier", "resnet50", "tsne"]
    assert joined_tokens("没有连字符的 unet") == []
    part = page_part("docs/notes/a.md", {"title": "分割"}, "# 分割\n\nU-Net 的跳跃连接。\n", 1, {})
    postings = part[POSTINGS].decode() if isinstance(part[POSTINGS], bytes) else str(part[POSTINGS])
    assert "unet" in postings  # a query of `unet` reaches the page
