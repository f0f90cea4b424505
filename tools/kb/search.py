"""The prebuilt search index: one JSON file the browser loads once (assets/kb-search.js).

Pages are cut into sections at `#`–`###` headings, each with its docsify 5 anchor. Text is
tokenised the same way here and in the browser: Latin letters and digits as lower-case
words, Chinese (and other CJK) as overlapping character bigrams, so 卷积网络 still finds
卷积神经网络 (卷积 + 网络) with no dictionary. The index holds, per token, the sections it
occurs in (delta-encoded), split into a title/heading field and a body field so that
heading hits rank above body hits. Section text is not stored: the browser shows a snippet
from the page itself, fetched only for the results on screen (assets/kb-search.js).

Format (version 1):

    {"v": 1, "build": "...",
     "pages": [[route, title, kind, year, [tasks], [modalities], category, meta], ...],
     "sections": [[page, anchor, heading], ...],
     "head": {token: postings}, "body": {token: postings},   (postings: see _deltas)
     "facets": {"year": [...], "task": {id: title}, "modality": {id: title}}}
"""

from __future__ import annotations

import gzip
import html
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.frontmatter import normalize_text, split_front_matter
from kb.markdown import scan_markdown
from kb.site import Site

VERSION = 1
META_CHARS = 80
"""Paper fields kept per page, shown when a result has no snippet yet."""
INDEX_FILE = "search-index.json"
"""In the vendor folder, next to the files `kb assets` copies (kb.assets.SEARCH_INDEX_FILE)."""

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"  # Han, kana, Hangul
_TOKEN = re.compile(rf"[a-z0-9]+|[{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*$", re.M)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]*)\]\[[^\]]*\]")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+.*$", re.M)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<!--.*?-->", re.S)
_INLINE_MARKS = re.compile(r"[*~`]+")
_BLOCK_MARKS = re.compile(r"[>|#]+|^\s*[-+]\s+|^\s*\d+\.\s+", re.M)
_FENCED = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?^ {0,3}\1[ \t]*$", re.M | re.S)
_SPACES = re.compile(r"\s+")


def tokenize(text: str) -> list[str]:
    """Words and CJK bigrams, in order; the browser's `tokenize` does the same."""
    text = unicodedata.normalize("NFKC", text).lower()
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        part = match.group()
        if _CJK_RUN.fullmatch(part):
            if len(part) == 1:
                tokens.append(part)
            else:
                tokens.extend(part[i : i + 2] for i in range(len(part) - 1))
        else:
            tokens.append(part)
    return tokens


def plain_text(markdown: str) -> str:
    """Readable text of a markdown fragment: syntax, tags and link targets removed."""
    text = _FENCE_LINE.sub(" ", markdown)
    text = _REF_DEF.sub(" ", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _INLINE_MARKS.sub("", _BLOCK_MARKS.sub(" ", text))
    text = html.unescape(text.replace("$$", " ").replace("$", ""))
    return _SPACES.sub(" ", text).strip()


@dataclass
class Section:
    anchor: str
    heading: str
    text: str


def split_sections(body: str, body_line: int, title: str) -> list[Section]:
    """The page cut at `#`–`###` headings. The first section (anchor "") is the page itself:
    its `#` title and the text before the first sub-heading."""
    # Code blocks are not prose: blanked, newlines kept so heading lines still match.
    body = _FENCED.sub(lambda m: "\n" * m.group().count("\n"), body)
    lines = body.split("\n")
    page = Section("", title, "")
    sections = [page]
    current, start = page, 0
    for heading in scan_markdown(body, body_line).headings:
        if heading.level > 3:
            continue
        index = heading.line - body_line
        current.text = _join(current.text, plain_text("\n".join(lines[start:index])))
        start = index + 1
        if heading.level == 1 and current is page and not page.text:
            continue  # the page's own title
        current = Section(heading.slug, plain_text(heading.text), "")
        sections.append(current)
    current.text = _join(current.text, plain_text("\n".join(lines[start:])))
    return sections


def _join(a: str, b: str) -> str:
    return f"{a} {b}".strip()


def build_index(site: Site, build: str = "") -> dict[str, Any]:
    vocabulary = site.vocabulary
    tasks = vocabulary.get("tasks", {})
    modalities = vocabulary.get("modalities", {})
    pages: list[list[Any]] = []
    sections: list[list[Any]] = []
    head: dict[str, list[int]] = defaultdict(list)
    body: dict[str, list[int]] = defaultdict(list)
    years: set[int] = set()
    used_tasks: dict[str, str] = {}
    used_modalities: dict[str, str] = {}
    for info in site.content_pages():
        meta = info.meta or {}
        raw = site.settings.path(info.file).read_bytes()
        try:
            front, _ = split_front_matter(normalize_text(raw), info.file)
        except UnicodeDecodeError:
            continue
        title = str(meta.get("title_zh") or meta.get("title") or "")
        if not title:
            first = next((h for h in scan_markdown(front.body).headings if h.level == 1), None)
            title = plain_text(first.text) if first else Path(info.file).stem
        kind = str(meta.get("type", ""))
        year = meta.get("year") if isinstance(meta.get("year"), int) else 0
        page_tasks = [t for t in meta.get("tasks") or [] if isinstance(t, str)]
        page_mods = [m for m in meta.get("modalities") or [] if isinstance(m, str)]
        if kind == "paper":
            if year:
                years.add(year)
            used_tasks.update({t: tasks[t].title for t in page_tasks if t in tasks})
            used_modalities.update({m: modalities[m].title for m in page_mods if m in modalities})
        described = _meta_text(meta, tasks, modalities)
        page_index = len(pages)
        pages.append(
            [
                _route(info.file),
                title,
                kind,
                year,
                page_tasks,
                page_mods,
                str(meta.get("category", "")),
                described[:META_CHARS],
            ]
        )
        for number, section in enumerate(split_sections(front.body, front.body_line, title)):
            sid = len(sections)
            heading = section.heading if section.anchor else title
            sections.append([page_index, section.anchor, heading])
            head_tokens = set(tokenize(heading))
            if number == 0:
                head_tokens |= set(tokenize(title)) | set(tokenize(str(meta.get("title", ""))))
            body_tokens = set(tokenize(section.text))
            if number == 0:
                body_tokens |= set(tokenize(described))
            for token in head_tokens:
                head[token].append(sid)
            for token in body_tokens - head_tokens:
                body[token].append(sid)
    return {
        "v": VERSION,
        "build": build,
        "pages": pages,
        "sections": sections,
        "head": {t: _deltas(ids) for t, ids in sorted(head.items())},
        "body": {t: _deltas(ids) for t, ids in sorted(body.items())},
        "facets": {
            "year": sorted(years, reverse=True),
            "task": dict(sorted(used_tasks.items(), key=lambda kv: kv[1])),
            "modality": dict(sorted(used_modalities.items(), key=lambda kv: kv[1])),
        },
    }


def _meta_text(meta: dict[str, Any], tasks: Any, modalities: Any) -> str:
    """Paper fields a reader may search for: authors, venue, year, task and modality names."""
    parts: list[str] = []
    authors = meta.get("authors")
    if isinstance(authors, list):
        parts.append(", ".join(str(a) for a in authors))
    for key in ("venue", "year", "description"):
        if meta.get(key):
            parts.append(str(meta[key]))
    for key, vocab in (("tasks", tasks), ("modalities", modalities)):
        for value in meta.get(key) or []:
            parts.append(vocab[value].title if value in vocab else str(value))
    return " · ".join(parts)


def _route(file: str) -> str:
    """docsify route of a page: `docs/papers/x.md` → `/docs/papers/x`."""
    path = file[:-3] if file.endswith(".md") else file
    if path.endswith("/README"):
        path = path[: -len("README")]
    return "/" + path


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"


def _deltas(ids: list[int]) -> str:
    """Section ids as gaps, each a little-endian base-32 varint: 32 digits end a number,
    32 more carry. `[3, 40, 41]` → `"3B11"`; about 1 character per posting."""
    out: list[str] = []
    last = 0
    for value in ids:
        gap, last = value - last, value
        while gap >= 32:
            out.append(_DIGITS[32 + (gap & 31)])
            gap >>= 5
        out.append(_DIGITS[gap])
    return "".join(out)


def decode_postings(text: str) -> list[int]:
    """Inverse of `_deltas` (the browser has the same function)."""
    ids: list[int] = []
    value = shift = last = 0
    for char in text:
        digit = _DIGITS.index(char)
        if digit >= 32:
            value |= (digit - 32) << shift
            shift += 5
        else:
            last += value | (digit << shift)
            ids.append(last)
            value = shift = 0
    return ids


def encode_index(index: dict[str, Any]) -> bytes:
    return json.dumps(index, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write_index(site: Site, out_dir: Path | None = None, build: str | None = None) -> str:
    """Write the index (default: `<vendor_dir>/search-index.json`, tagged with the site's
    build hash); returns a one-line summary for the CLI."""
    settings = site.settings
    out_dir = out_dir or settings.path(settings.vendor_dir)
    index = build_index(site, site.build_hash() if build is None else build)
    data = encode_index(index)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / INDEX_FILE
    if not path.is_file() or path.read_bytes() != data:
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    rel = path.relative_to(settings.root).as_posix() if path.is_relative_to(settings.root) else path
    return (
        f"kb: search index {rel}: {len(index['pages'])} pages, {len(index['sections'])} "
        f"sections, {len(data) / 1024:.0f} KB ({len(gzip.compress(data, 6)) / 1024:.0f} KB gzip)"
    )
