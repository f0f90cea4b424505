"""Deterministic generator of a kb site with N pages, used by the build benchmark.

Layout (what `kb` expects):

    <site>/pyproject.toml               [tool.kb] table
    <site>/index.html, assets/          the repository's docsify page (kb renders pages with it)
    <site>/docs/README.md               home, type: guide
    <site>/docs/_data/vocabulary.yaml   copy of the repository's vocabulary
    <site>/docs/papers/                 ~70% of the pages, one flat folder, group_by: category
    <site>/docs/notes/<topic>/          ~30% of the pages over ~10 topic folders

Every link resolves and every `#anchor` is the docsify 5 slug of a heading on the target page.
Links only point at headings whose slug is the same in docsify 5 and in Python-Markdown with
`pymdownx.slugs.slugify(case="lower")`, so `mkdocs build --strict` with anchor validation agrees.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import random
import re
import shutil
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

import corpus

Vocabulary = dict[str, dict[str, object]]

PAPER_SHARE = 0.7
NOTE_TOPICS = (
    ("cnn", "卷积神经网络"),
    ("segmentation", "图像分割"),
    ("survival", "生存分析"),
    ("transformer", "Transformer 与注意力"),
    ("generative", "生成模型"),
    ("metrics", "评价指标"),
    ("statistics", "医学统计"),
    ("multimodal", "多模态融合"),
    ("explainability", "可解释性"),
    ("data", "数据与标注"),
)
NOTE_CONCEPTS = (
    "残差连接",
    "批归一化",
    "感受野",
    "空洞卷积",
    "跳跃连接",
    "Dice 损失",
    "交叉熵",
    "注意力图",
    "位置编码",
    "对比损失",
    "删失数据",
    "风险集",
    "Kaplan-Meier 曲线",
    "校准",
    "Bootstrap",
    "迁移学习",
    "数据增强",
    "类别不平衡",
    "早停",
    "学习率调度",
    "梯度裁剪",
    "特征融合",
    "Grad-CAM",
    "SHAP 值",
    "标注一致性",
    "缺失值插补",
)
NOTE_ASPECTS = ("原理", "推导", "实现细节", "常见误区", "调参经验", "案例分析", "与其他方法的比较")

# Headings: (level, text). Links target only those on which the slug dialects agree
# (`linkable_slug`).
PAPER_HEADINGS = (  # the paper template's sections (kb check MD507), with subsections
    (2, "一句话总结"),
    (2, "研究问题"),
    (2, "方法"),
    (3, "模型结构：{method} 编码器"),
    (3, "损失函数 (Loss Function)"),
    (3, "代码示例"),
    (2, "数据"),
    (2, "主要结果"),
    (3, "主要指标 C-index 与 AUC"),
    (3, "与 Cox 回归的比较（HR, 95% CI）"),
    (2, "局限与思考"),
    (2, "相关笔记"),
    (2, "链接"),
)
NOTE_HEADINGS = (
    (2, "核心概念"),
    (3, "直观理解？一个例子"),
    (2, "数学推导"),
    (3, "目标函数 Objective"),
    (2, "代码实现"),
    (2, "对比表格"),
    (2, "常见问题 FAQ"),
    (2, "延伸阅读"),
)


@dataclass
class Page:
    """One planned page; `rel` is relative to docs/ and always '/'-separated."""

    rel: str
    kind: str
    title: str
    front: dict[str, object]
    headings: list[tuple[int, str]]
    anchors: list[tuple[str, str]] = field(default_factory=list)
    """(slug, heading text) of the headings other pages may link to."""


@dataclass(frozen=True)
class Site:
    root: Path
    pages: int
    papers: int
    notes: int
    page_paths: list[str]
    """Paths of the content pages (relative to root), for warm-build edits."""
    bytes_total: int


# ---------------------------------------------------------------- slugs


_DOCSIFY_STRIP = re.compile(r"[\u2000-\u206F\u2E00-\u2E7F\\'!\"#$%&()*+,./:;<=>?@\[\]^`{|}~]")
_PYMD_STRIP = re.compile(r"[^\w\- ]")


def docsify_slug(text: str, form: str = "NFC") -> str:
    """docsify 5 heading slug (no emoji or HTML handling: generated headings have none)."""
    slug = unicodedata.normalize(form, text.strip())
    slug = re.sub(r"[A-Z]+", lambda m: m.group(0).lower(), slug)
    slug = re.sub(r"\s", "-", _DOCSIFY_STRIP.sub("", slug))
    return "_" + slug if slug[:1].isdigit() else slug


def pymdownx_slug(text: str) -> str:
    """`pymdownx.slugs.slugify(case="lower")` for plain-text headings."""
    slug = unicodedata.normalize("NFC", text).strip()
    slug = re.sub(r"[A-Z]", lambda m: m.group(0).lower(), slug)
    return _PYMD_STRIP.sub("", slug).replace(" ", "-")


def linkable_slug(text: str) -> str | None:
    """The anchor of a heading if every slug dialect agrees on it, else None."""
    slugs = {docsify_slug(text, "NFC"), docsify_slug(text, "NFKD"), pymdownx_slug(text)}
    return slugs.pop() if len(slugs) == 1 else None


# ---------------------------------------------------------------- planning


def split_counts(total: int) -> tuple[int, int]:
    """(papers, notes) for a site of `total` pages including the home page."""
    papers = round(total * PAPER_SHARE)
    return papers, total - 1 - papers


def unique(make: Callable[[random.Random], str], rng: random.Random, seen: set[str]) -> str:
    """Draw from `make(rng)` until the value is new; a series number as a last resort."""
    value = make(rng)
    for _ in range(20):
        if value not in seen:
            break
        value = make(rng)
    series = 2
    base = value
    while value in seen:
        value = f"{base}（{series}）"
        series += 1
    seen.add(value)
    return value


def paper_front(
    rng: random.Random, n: int, title: str, title_zh: str, vocab: Vocabulary
) -> dict[str, object]:
    front: dict[str, object] = {
        "type": "paper",
        "title": title,
        "title_zh": title_zh,
        "authors": corpus.authors(rng),
        "year": rng.randint(2015, 2026),
        "venue": rng.choice(corpus.VENUES),
    }
    roll = rng.random()
    if roll < 0.8:
        front["doi"] = f"10.1234/bench.{n}"
    if roll > 0.6:
        front["arxiv"] = f"2101.{n:05d}"
    if rng.random() < 0.5:
        front["code"] = f"https://github.com/bench-lab/paper-{n}"
    front["category"] = rng.choice(sorted(vocab["categories"]))
    for key in ("tasks", "modalities", "areas"):
        front[key] = rng.sample(sorted(vocab[key]), rng.randint(1, 3))
    added = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 330))
    front["added"] = added
    return front


def plan_papers(rng: random.Random, count: int, vocab: Vocabulary) -> list[Page]:
    titles: set[str] = set()
    titles_zh: set[str] = set()
    pages = []
    for n in range(1, count + 1):
        title = unique(corpus.english_title, rng, titles)
        title_zh = unique(corpus.chinese_title, rng, titles_zh)
        method = rng.choice(corpus.EN_METHODS)
        headings = [(lvl, text.format(method=method)) for lvl, text in PAPER_HEADINGS]
        front = paper_front(rng, n, title, title_zh, vocab)
        pages.append(Page(f"papers/p{n:05d}.md", "paper", title_zh, front, headings))
    return pages


def note_title(rng: random.Random) -> str:
    return f"{rng.choice(NOTE_CONCEPTS)}的{rng.choice(NOTE_ASPECTS)}"


def plan_notes(rng: random.Random, count: int) -> list[Page]:
    titles: set[str] = set()
    pages = []
    for n in range(1, count + 1):
        slug = NOTE_TOPICS[(n - 1) % len(NOTE_TOPICS)][0]
        title = unique(note_title, rng, titles)
        front: dict[str, object] = {"type": "note", "title": title}
        if rng.random() < 0.5:
            front["order"] = n
        headings = list(NOTE_HEADINGS)
        pages.append(Page(f"notes/{slug}/n{n:05d}.md", "note", title, front, headings))
    return pages


def assign_anchors(pages: list[Page]) -> None:
    for page in pages:
        page.anchors = [(a, text) for _, text in page.headings if (a := linkable_slug(text))]


# ---------------------------------------------------------------- rendering


def relative_link(source: str, target: str) -> str:
    """Relative path from page `source` to page `target` (both relative to docs/)."""
    return posixpath.relpath(target, posixpath.dirname(source) or ".")


def link_line(rng: random.Random, page: Page, target: Page) -> str:
    href = relative_link(page.rel, target.rel)
    if target.anchors and rng.random() < 0.6:
        anchor, heading = rng.choice(target.anchors)
        return f"- [{target.title} · {heading}]({href}#{anchor})"
    return f"- [{target.title}]({href})"


def yaml_flow(value: object) -> str:
    """One YAML value on one line: lists in flow style, scalars quoted only when needed."""
    items = value if isinstance(value, list) else [value]
    text = yaml.safe_dump(items, allow_unicode=True, default_flow_style=True, width=1_000_000)
    text = text.strip()
    return text if isinstance(value, list) else text[1:-1]


def front_matter(front: dict[str, object]) -> str:
    lines = [f"{key}: {yaml_flow(value)}" for key, value in front.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"


def section_blocks(rng: random.Random, level: int, text: str, index: int) -> list[str]:
    """The heading line, a one-sentence paragraph and the section's special block, if any."""
    blocks = [f"{'#' * level} {text}", corpus.sentence(rng)]
    if index == 0:
        blocks.append(f"记号约定：风险函数写作 {rng.choice(corpus.INLINE_MATH)}。")
    if index == 1:
        blocks.append(corpus.display_math(rng))
    if "代码" in text:
        blocks.append(corpus.code_block(rng))
    if "结果" in text or "表格" in text:
        blocks.append(corpus.results_table(rng))
    return blocks


def fill(rng: random.Random, blocks: list[str], paragraphs: list[int], budget: int) -> None:
    """Grow random paragraphs one sentence at a time until the text reaches `budget` bytes."""
    size = sum(len(block.encode()) + 2 for block in blocks)
    while size < budget:
        index = rng.choice(paragraphs)
        extra = corpus.sentence(rng)
        blocks[index] += extra
        size += len(extra.encode())


def render_page(rng: random.Random, page: Page, targets: list[Page], budget: int) -> str:
    """Front matter, `# title`, sections and links; the body is about `budget` bytes."""
    blocks = [f"# {page.title}"]
    if page.kind == "paper":
        blocks.append(f"> {page.front['title']}（{page.front['venue']}，{page.front['year']}）")
    paragraphs = []
    for index, (level, text) in enumerate(page.headings[:-1]):
        paragraphs.append(len(blocks) + 1)
        blocks.extend(section_blocks(rng, level, text, index))
    level, text = page.headings[-1]
    blocks.append(f"{'#' * level} {text}")
    blocks.append("\n".join(link_line(rng, page, target) for target in targets))
    fill(rng, blocks, paragraphs, budget)
    return front_matter(page.front) + "\n" + "\n\n".join(blocks) + "\n"


def render_home(pages: list[Page], counts: tuple[int, int]) -> str:
    front = front_matter({"type": "guide", "title": "首页"})
    intro = (
        f"本站是基准测试生成的示例知识库，共收录 {counts[0]} 篇论文解读与 {counts[1]} 篇学习笔记。"
        "页面之间通过相对链接互相引用，部分链接指向具体小节。"
    )
    lines = [f"- [{p.title}]({p.rel})" for p in pages[:: max(1, len(pages) // 20)][:20]]
    return front + "\n# 首页\n\n" + intro + "\n\n## 精选页面\n\n" + "\n".join(lines) + "\n"


# ---------------------------------------------------------------- files


PYPROJECT = """\
[project]
name = "kb-bench-site"
version = "0.0.0"

[tool.kb]
docs_dir = "docs"
sidebar = "_sidebar.md"
vocabulary = "docs/_data/vocabulary.yaml"
data_dir = "docs/_data"
"""


def write_yaml(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")


def write_sections(docs: Path) -> None:
    write_yaml(
        docs / "papers" / "_section.yaml",
        {
            "title": "论文解读",
            "order": 10,
            "description": "医学 AI 论文的中文解读，按研究类别分组。",
            "group_by": "category",
        },
    )
    write_yaml(
        docs / "notes" / "_section.yaml",
        {"title": "学习笔记", "order": 20, "description": "算法与统计方法的学习笔记。"},
    )
    for order, (slug, title) in enumerate(NOTE_TOPICS, start=1):
        write_yaml(
            docs / "notes" / slug / "_section.yaml",
            {"title": title, "order": order * 10, "description": f"{title}相关的学习笔记。"},
        )


def pick_targets(rng: random.Random, page: Page, pool: list[Page]) -> list[Page]:
    targets: list[Page] = []
    wanted = rng.randint(3, 5)
    while len(targets) < wanted:
        target = rng.choice(pool)
        if target is not page and target not in targets:
            targets.append(target)
    return targets


def iter_rendered(rng: random.Random, pages: list[Page]) -> Iterator[tuple[Page, str]]:
    for page in pages:
        budget = rng.randint(2048, 4096)
        yield page, render_page(rng, page, pick_targets(rng, page, pages), budget)


REPO = Path(__file__).resolve().parents[1]


def write_runtime(root: Path) -> None:
    """The site's docsify page, as the repository's (its CSP written for this site's settings:
    no iframe hosts)."""
    from kb.policy import render_csp, with_csp  # noqa: PLC0415 - kb is on the path when run

    index = (REPO / "index.html").read_text(encoding="utf-8")
    (root / "index.html").write_text(with_csp(index, render_csp(())), encoding="utf-8")
    shutil.copytree(REPO / "assets", root / "assets")


def generate_site(root: Path, total: int, seed: int, vocabulary: Path) -> Site:
    """Write a fresh site of `total` pages (home included) under `root`."""
    if total < 20:
        raise ValueError("a benchmark site needs at least 20 pages")
    if root.exists():
        shutil.rmtree(root)
    docs = root / "docs"
    (docs / "_data").mkdir(parents=True)
    shutil.copyfile(vocabulary, docs / "_data" / "vocabulary.yaml")
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    write_runtime(root)
    write_sections(docs)
    vocab = yaml.safe_load(vocabulary.read_text(encoding="utf-8"))
    rng = random.Random(f"kb-bench-{seed}-{total}")
    papers, notes = split_counts(total)
    pages = plan_papers(rng, papers, vocab) + plan_notes(rng, notes)
    assign_anchors(pages)
    size = 0
    for page, text in iter_rendered(rng, pages):
        path = docs / page.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode()
        path.write_bytes(data)
        size += len(data)
    (docs / "README.md").write_text(render_home(pages, (papers, notes)), encoding="utf-8")
    page_paths = [f"docs/{p.rel}" for p in pages]
    return Site(root, total, papers, notes, page_paths, size)
