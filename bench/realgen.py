"""Benchmark sites made of the repository's real pages: its docs/ with the papers cloned to N.

Layout of `<root>` (what `kb` expects; N counts every markdown page under docs/):

    pyproject.toml          the repository's [tool.kb] table, with max_page_kb raised (see below)
    index.html, assets/     the repository's docsify page, verbatim (same settings, same CSP)
    docs/                   a copy of the repository's docs/ (without _404.md), and in docs/papers/
                            N - (real pages) clones `<slug>-rNNNNN.md` of the real paper pages,
                            taken in turn

A clone is its source page byte for byte except for the values that identify a paper, so that
titles and identifiers stay unique (kb reports duplicate papers, FM112):

- `title` gets ` (replica N)`, `title_zh` and the `# ` heading that repeats it get `（副本 N）`;
- `doi` gets `.rN`; `arxiv` becomes `00BB.NNNNN` (a valid id no real paper has); `pmid` becomes
  `900000000 + N`.

Links stay as written: a clone sits next to its source, so every relative link and anchor
resolves to the same page. The generated regions (the papers index, each note's backlinks, the
sidebar) grow with the clones: the papers index lists every paper, so it passes the default
`max_page_kb` (512) from about 2,000 papers on. The site raises `max_page_kb` so that the
generated pages are checked like any other and the site stays clean at every size.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import yaml

from sitegen import Site

REPO = Path(__file__).resolve().parents[1]
MAX_PAGE_KB = 16_384
"""The papers index of a 10,000-page site is about 3 MB; every other page stays far below."""
LEFT_OUT = ("_404.md",)
"""docsify's not-found view: its only link is the absolute `/docs/`, which mkdocs refuses."""
CLONE = re.compile(r"-r\d{5}\.md$")

_FRONT = re.compile(r"\A---\n(.*?\n)---\n", re.S)


def kb_table(repo: Path = REPO) -> str:
    """The repository's `[tool.kb]` table as written (up to the next table)."""
    text = (repo / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r"^\[tool\.kb\]\n(?:(?!\[).*\n)*", text, re.M)
    if match is None:
        raise ValueError("pyproject.toml has no [tool.kb] table")
    return match.group(0).rstrip() + "\n"


def pyproject() -> str:
    return (
        '[project]\nname = "kb-bench-real-site"\nversion = "0.0.0"\n\n'
        + kb_table()
        + f"max_page_kb = {MAX_PAGE_KB}\n"
    )


def source_papers(docs: Path) -> list[Path]:
    """The real paper pages, in a fixed order."""
    pages = []
    for path in sorted((docs / "papers").glob("*.md")):
        match = _FRONT.match(path.read_text(encoding="utf-8"))
        if match and (yaml.safe_load(match.group(1)) or {}).get("type") == "paper":
            pages.append(path)
    return pages


def _set(front: str, key: str, value: object) -> str:
    """Replace the one-line top-level `key:` with `value` (JSON is valid YAML flow)."""
    line = f"{key}: {json.dumps(value, ensure_ascii=False)}"
    new, count = re.subn(rf"^{key}:[^\n]*$", lambda _: line, front, count=1, flags=re.M)
    if count != 1:
        raise ValueError(f"no one-line '{key}:' in the front matter")
    return new


def arxiv_id(n: int) -> str:
    """A valid, unique old-style-looking arXiv id that no real paper has (months 00)."""
    return f"00{n // 100_000:02d}.{n % 100_000:05d}"


def clone_page(text: str, n: int) -> str:
    """The page `text` as clone number `n`: unique title, title_zh and identifiers."""
    match = _FRONT.match(text)
    if match is None:
        raise ValueError("page has no front matter")
    front, body = match.group(1), text[match.end() :]
    meta = yaml.safe_load(front)
    front = _set(front, "title", f"{meta['title']} (replica {n})")
    title_zh = meta.get("title_zh")
    if isinstance(title_zh, str):
        new_zh = f"{title_zh}（副本 {n}）"
        front = _set(front, "title_zh", new_zh)
        body = body.replace(f"\n# {title_zh}\n", f"\n# {new_zh}\n", 1)
    if meta.get("doi"):
        front = _set(front, "doi", f"{meta['doi']}.r{n}")
    if meta.get("arxiv"):
        front = _set(front, "arxiv", arxiv_id(n))
    if meta.get("pmid"):
        front = _set(front, "pmid", 900_000_000 + n)
    return f"---\n{front}---\n{body}"


def generate_real_site(root: Path, total: int, repo: Path = REPO) -> Site:
    """Write a fresh site of `total` markdown pages under `root` (see the module docstring)."""
    if root.exists():
        shutil.rmtree(root)
    docs = root / "docs"
    shutil.copytree(repo / "docs", docs, ignore=shutil.ignore_patterns(*LEFT_OUT))
    (root / "pyproject.toml").write_text(pyproject(), encoding="utf-8")
    shutil.copyfile(repo / "index.html", root / "index.html")
    shutil.copytree(repo / "assets", root / "assets")
    real = sum(1 for _ in docs.rglob("*.md"))
    clones = total - real
    if clones < 0:
        raise ValueError(f"a real-page site has at least {real} pages (the repository's own)")
    sources = source_papers(docs)
    texts = [path.read_text(encoding="utf-8") for path in sources]
    page_paths = []
    for n in range(1, clones + 1):
        index = (n - 1) % len(sources)
        path = sources[index].with_name(f"{sources[index].stem}-r{n:05d}.md")
        path.write_text(clone_page(texts[index], n), encoding="utf-8")
        page_paths.append(path.relative_to(root).as_posix())
    size = sum(path.stat().st_size for path in docs.rglob("*.md"))
    papers = len(sources) + clones
    return Site(root, total, papers, total - papers, page_paths, size)
