"""Chinese segmentation for search: character bigrams (what kb uses) against jieba.

    ./dev bench search-quality

Both run over this repository's own pages (docs/), with the same sections and the same
ranking as assets/kb-search.js (heading hits ×3, idf weights, share of the query matched,
phrase bonus); only the tokenizer differs. jieba (pinned, installed under .bench/) segments
pages with `cut_for_search` and queries with `cut`, as mkdocs-material does. Each query
names the page a reader wants; the table gives its rank with each tokenizer (1 = first)
and the mean reciprocal rank.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JIEBA = "0.42.1"

# (query, the page a reader looking for it wants)
QUERIES: list[tuple[str, str]] = [
    ("卷积网络", "/docs/notes/deep-learning-basics"),
    ("残差学习", "/docs/notes/classification-backbones"),
    ("比例风险", "/docs/notes/survival-analysis"),
    ("生存曲线", "/docs/notes/survival-analysis"),
    ("一致性指数", "/docs/notes/survival-analysis"),
    ("召回率", "/docs/notes/classification-metrics"),
    ("类别不平衡", "/docs/notes/classification-metrics"),
    ("图像分割", "/docs/notes/medical-image-segmentation"),
    ("Dice 损失", "/docs/notes/medical-image-segmentation"),
    ("中期融合", "/docs/notes/multimodal-fusion"),
    ("多模态数据融合", "/docs/notes/multimodal-fusion"),
    ("对抗网络", "/docs/notes/deep-learning-basics"),
    ("循环神经网络", "/docs/notes/deep-learning-basics"),
    ("射血分数", "/docs/papers/ouyang-2020-echonet-dynamic"),
    ("心脏运动", "/docs/papers/bello-2019-4dsurvival"),
    ("联邦学习", "/docs/papers/elhussein-2023-pcbfl"),
    ("数字孪生", "/docs/papers/camps-2024-cardiac-digital-twin"),
    ("骨肉瘤", "/docs/papers/spreafico-2024-osteosarcoma-rdi"),
    ("血管分割", "/docs/papers/sun-2021-robust-vessel-segmentation"),
    ("个体生存分布", "/docs/papers/haider-2020-isd-d-calibration"),
]


def ensure_jieba() -> None:
    target = REPO / ".bench" / "search-tools"
    if not (target / "jieba").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            + ["--target", str(target), f"jieba=={JIEBA}"],
            check=True,
        )
    sys.path.insert(0, str(target))


def rank(
    sections: list[tuple[str, str, str]],
    doc_tokens: Callable[[str], list[str]],
    query_tokens: Callable[[str], list[str]],
) -> Callable[[str], list[str]]:
    """A search function (query → page routes, best first) for one tokenizer."""
    head: dict[str, set[int]] = defaultdict(set)
    body: dict[str, set[int]] = defaultdict(set)
    for sid, (_, heading, text) in enumerate(sections):
        for token in doc_tokens(heading):
            head[token].add(sid)
        for token in doc_tokens(text):
            body[token].add(sid)
    total = len(sections)

    def search(query: str) -> list[str]:
        tokens = list(dict.fromkeys(t for t in query_tokens(query) if t.strip()))
        # A token no page has (积网 of 卷积网络: the seam between two words) cannot help.
        known = [t for t in tokens if t in head or t in body]
        tokens = known or tokens
        scores: dict[int, float] = defaultdict(float)
        hits: dict[int, int] = defaultdict(int)
        for token in tokens:
            h, b = head.get(token, set()), body.get(token, set()) - head.get(token, set())
            idf = math.log(1 + total / (1 + len(h) + len(b)))
            for sid in h:
                scores[sid] += 3 * idf
                hits[sid] += 1
            for sid in b:
                scores[sid] += idf
                hits[sid] += 1
        need = len(tokens) if len(tokens) <= 2 else math.ceil(len(tokens) * 0.6)
        ranked = []
        for sid, score in scores.items():
            if hits[sid] < need:
                continue
            route, heading, _ = sections[sid]
            score *= hits[sid] / len(tokens)
            if query.lower() in heading.lower():
                score *= 3
            elif hits[sid] == len(tokens) and len(tokens) > 1:
                score *= 1.5
            ranked.append((-score, sid, route))
        pages: list[str] = []
        for _, _, route in sorted(ranked):
            if route not in pages:
                pages.append(route)
        return pages

    return search


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO / "tools"))
    from kb.config import load_settings  # noqa: PLC0415
    from kb.frontmatter import normalize_text, split_front_matter  # noqa: PLC0415
    from kb.searchtext import route, split_sections, tokenize  # noqa: PLC0415
    from kb.site import load_site  # noqa: PLC0415

    ensure_jieba()
    import jieba  # noqa: PLC0415

    jieba.setLogLevel(60)
    site = load_site(load_settings(REPO), use_cache=False)
    sections: list[tuple[str, str, str]] = []
    for info in site.content_pages():
        front, _ = split_front_matter(
            normalize_text(site.settings.path(info.file).read_bytes()), ""
        )
        title = str((info.meta or {}).get("title_zh") or (info.meta or {}).get("title") or "")
        for _, heading, text in split_sections(front.body, front.body_line, title):
            sections.append((route(info.file), heading, text))

    def jieba_doc(text: str) -> list[str]:
        return [t.lower() for t in jieba.cut_for_search(text) if t.strip()]

    def jieba_query(text: str) -> list[str]:
        return [t.lower() for t in jieba.cut(text) if t.strip()]

    engines = {
        "bigrams": rank(sections, tokenize, tokenize),
        "jieba": rank(sections, jieba_doc, jieba_query),
    }
    print("| query | wanted page | bigrams rank | jieba rank |")
    print("| --- | --- | ---: | ---: |")
    reciprocal: dict[str, list[float]] = defaultdict(list)
    for query, wanted in QUERIES:
        cells = []
        for name, search in engines.items():
            found = search(query)
            position = found.index(wanted) + 1 if wanted in found else 0
            reciprocal[name].append(1 / position if position else 0.0)
            cells.append(str(position) if position else "not found")
        print(f"| {query} | {wanted.rsplit('/', 1)[1]} | {cells[0]} | {cells[1]} |")
    for name, values in reciprocal.items():
        found = sum(v > 0 for v in values)
        print(
            f"{name}: mean reciprocal rank {sum(values) / len(values):.3f}, "
            f"found {found}/{len(values)}, first {sum(v == 1 for v in values)}/{len(values)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
