"""The prebuilt search index: tokens, sections and anchors, postings, the file kb build writes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from kb.config import load_settings
from kb.search import (
    _deltas,
    build_index,
    decode_postings,
    plain_text,
    split_sections,
    tokenize,
)
from kb.site import load_site
from tests.helpers import KbRunner, SiteBuilder


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


def test_plain_text_drops_syntax_and_keeps_words() -> None:
    markdown = (
        "**粗体** 与 `代码`，[链接文字](https://x.org) ![图注](a.png) <b>标签</b> "
        "&lt;转义&gt; $x^2$"
    )
    assert plain_text(markdown) == "粗体 与 代码，链接文字 图注 标签 <转义> x^2"


def test_postings_round_trip() -> None:
    rng = random.Random(7)
    for _ in range(500):
        ids = sorted(rng.sample(range(200_000), rng.randint(1, 40)))
        assert decode_postings(_deltas(ids)) == ids
    assert _deltas([3, 40, 41]) == "3B11"


def test_sections_carry_docsify_anchors() -> None:
    body = (
        "# 标题\n\n导言。\n\n## 方法 A\n\n内容一。\n\n### 细节\n\n内容二。\n\n"
        "#### 太深\n\n仍属细节。\n"
    )
    sections = split_sections(body, 1, "页面")
    assert [(s.anchor, s.heading, s.text) for s in sections] == [
        ("", "页面", "导言。"),
        ("方法-a", "方法 A", "内容一。"),
        ("细节", "细节", "内容二。 太深 仍属细节。"),
    ]


PAPER = """---
type: paper
title: Deep survival
title_zh: 深度生存模型
authors: [Ada Lovelace]
year: 2021
venue: Nature Medicine
doi: "10.1000/x"
category: survival
tasks: [survival-analysis]
modalities: [ct]
areas: [oncology]
added: 2026-11-22
---

# 深度生存模型

## 方法

用卷积神经网络提取影像特征。

```python
secret_code_token = 1
```
"""


def test_index_of_a_site(site: SiteBuilder) -> None:
    root = site(
        {
            "docs/p/_section.yaml": "title: 论文\norder: 1\n",
            "docs/p/a.md": PAPER,
            "docs/p/draft.md": PAPER.replace(
                "title_zh: 深度生存模型", "title_zh: 草稿\ndraft: true"
            ),
        }
    )
    index = build_index(load_site(load_settings(root), use_cache=False), "b1")
    assert index["build"] == "b1"
    assert index["pages"] == [
        [
            "/docs/p/a",
            "深度生存模型",
            "paper",
            2021,
            ["survival-analysis"],
            ["ct"],
            "survival",
            "Ada Lovelace · Nature Medicine · 2021 · 生存分析 · CT",
        ]
    ]
    assert [s[:3] for s in index["sections"]] == [[0, "", "深度生存模型"], [0, "方法", "方法"]]
    head = {t: decode_postings(p) for t, p in index["head"].items()}
    body = {t: decode_postings(p) for t, p in index["body"].items()}
    assert head["生存"] == [0] and head["方法"] == [1]
    assert body["卷积"] == [1] and body["lovelace"] == [0]  # paper fields: the page section
    assert "secret" not in body  # code blocks are not prose
    assert index["facets"] == {
        "year": [2021],
        "task": {"survival-analysis": "生存分析"},
        "modality": {"ct": "CT"},
    }


def test_kb_build_writes_the_index_and_check_does_not(site: SiteBuilder, kb: KbRunner) -> None:
    root = site({"docs/p/_section.yaml": "title: 论文\norder: 1\n", "docs/p/a.md": PAPER})
    index = Path(root / "vendor" / "search-index.json")
    assert kb(root, "build", "--check")[0] in (0, 2)
    assert not index.exists()
    code, out, err = kb(root, "build")
    assert code == 2, out + err  # MD507: the page lacks template sections; the index is written

    data = json.loads(index.read_text(encoding="utf-8"))
    assert data["v"] == 1 and len(data["pages"]) == 1
    assert "kb: search index vendor/search-index.json: 1 pages, 2 sections" in err
