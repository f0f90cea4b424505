"""The model of one page: what parsing it yields (`ParsedPage`), what every run needs of it
(`PageInfo`), and the compact builtin-only encoding the cache and the workers exchange."""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from kb.diagnostics import Diagnostic
from kb.routes import DocsifyRules, link_targets, resolve_links
from kb.vocabulary import Term
from kb.yamlio import YamlPath

if TYPE_CHECKING:
    from kb.markdown import Heading, Link
    from kb.render.regions import Region


@dataclass(frozen=True)
class ParseContext:
    """Everything besides the file itself that a page's parse result depends on."""

    vocabulary: Mapping[str, Mapping[str, Term]]
    iframe_hosts: tuple[str, ...]
    max_page_kb: int
    year: int
    content_model: bool = True
    """Front matter schema, paper sections, titles: only where `[tool.kb]` switches them on."""
    rules: DocsifyRules | None = None
    """The site's docsify link rules; None: this repository's (relativePath on, no alias)."""
    math: bool = True
    """`$…$` is math (a math plugin renders it): unbalanced delimiters are findings."""


class ParsedPage(NamedTuple):
    file: str
    """Repo-relative posix path."""
    meta: dict[str, Any] | None
    """Front matter when it is a valid mapping, else None."""
    lines: dict[YamlPath, int]
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    regions: tuple[Region, ...]
    diagnostics: tuple[Diagnostic, ...]
    """Findings that depend on this page alone."""
    search: Any = None
    """What the search index needs of the page (`kb.searchtext.page_part`); None for pages
    that are not content (special pages, unreadable files). Cached apart from the page."""

    @property
    def page_type(self) -> str:
        return str(self.meta.get("type", "")) if self.meta else ""

    @property
    def title(self) -> str:
        return str(self.meta.get("title", "")) if self.meta else ""

    @property
    def is_draft(self) -> bool:
        return bool(self.meta and self.meta.get("draft") is True)

    def key_line(self, key: str) -> int:
        return self.lines.get((key,), 1)


class PageInfo:
    """What every run needs about every page, cheap to load from the cache.

    The front matter is kept as a marshal blob and decoded on first use: a warm run whose
    metadata did not change never decodes it (generated files are memoised on the blobs).
    """

    __slots__ = (
        "file",
        "meta_blob",
        "diagnostics",
        "targets",
        "has_regions",
        "page_type",
        "draft",
        "anchors",
        "_meta",
    )

    def __init__(
        self,
        file: str,
        meta_blob: bytes,
        diagnostics: tuple[Diagnostic, ...],
        targets: tuple[str, ...],
        has_regions: bool,
        page_type: str = "",
    ) -> None:
        self.file = file
        self.meta_blob = meta_blob
        self.diagnostics = diagnostics
        self.targets = targets
        """Repo files the page's links and images point to (see kb.routes.link_targets)."""
        self.has_regions = has_regions
        self.page_type = page_type
        """The front matter's `type` ('' when none), known without decoding the metadata."""
        self.draft: bool | None = None
        """Known without decoding the metadata when it came from the cache."""
        self.anchors = ""
        """Digest of the page's heading slugs: links into it depend on nothing else of it."""
        self._meta: Any = _UNSET

    @property
    def meta(self) -> dict[str, Any] | None:
        if self._meta is _UNSET:
            self._meta = _decode_meta(marshal.loads(self.meta_blob))
        return self._meta  # type: ignore[no-any-return]

    @property
    def title(self) -> str:
        meta = self.meta
        return str(meta.get("title", "")) if meta else ""

    @property
    def is_draft(self) -> bool:
        if self.draft is None:
            meta = self.meta
            self.draft = bool(meta and meta.get("draft") is True)
        return self.draft


_UNSET = object()


# A compact, builtin-only form of a parsed page for the cache and for worker processes:
# marshal handles it far faster than pickle handles the objects. The part every run needs
# (PageInfo) is kept apart from the full parse only re-checked pages need (bytes, stored in
# lazily read cache shards).
EncodedPage = tuple[Any, ...]


def encode_page(page: ParsedPage, rules: DocsifyRules | None = None) -> tuple[EncodedPage, bytes]:
    """(what every run reads of the page, the full parse that only re-checks read)."""
    resolved = resolve_links(page.file, page.links, rules)
    full = marshal.dumps(
        (
            page.lines,
            tuple(tuple(h) for h in page.headings),
            tuple(tuple(link) for link in page.links),
            tuple(tuple(r) for r in page.regions),
            resolved,
        )
    )
    diagnostics = tuple(d.encode() for d in page.diagnostics)
    targets = link_targets(page.file, page.links, resolved, rules)
    meta_blob = marshal.dumps(_encode_value(page.meta))
    slugs = "\0".join(sorted({h.slug for h in page.headings}))
    anchors = hashlib.blake2b(slugs.encode(), digest_size=10).hexdigest()
    light = (
        page.file,
        meta_blob,
        diagnostics,
        targets,
        bool(page.regions),
        page.page_type,
        page.is_draft,
        anchors,
    )
    return light, full


def decode_info(data: EncodedPage) -> PageInfo:
    file, meta_blob, diagnostics, targets, has_regions, page_type, draft, anchors = data
    info = PageInfo(
        file, meta_blob, _decode_diagnostics(diagnostics), targets, has_regions, page_type
    )
    info.draft = draft
    info.anchors = anchors
    return info


def decode_refs(full: bytes) -> PageRefs:
    """Just what the link check needs, as plain tuples (no per-item objects)."""
    _, headings, links, _, resolved = marshal.loads(full)
    return PageRefs(links, resolved, frozenset(h[3] for h in headings))


class PageRefs(NamedTuple):
    links: tuple[tuple[int, int, str, str], ...]
    """(line, column, target, kind) as in `Link`."""
    resolved: tuple[tuple[str, str] | None, ...]
    """Per link: (target file or '' when outside, anchor); None for URLs and images."""
    slugs: frozenset[str]


def decode_page(full: bytes, info: PageInfo) -> ParsedPage:
    from kb.markdown import Heading, Link  # noqa: PLC0415 - most runs decode no page
    from kb.render.regions import Region  # noqa: PLC0415

    lines, headings, links, regions, _ = marshal.loads(full)
    new = tuple.__new__
    return ParsedPage(
        info.file,
        info.meta,
        lines,
        tuple([new(Heading, h) for h in headings]),
        tuple([new(Link, link) for link in links]),
        tuple([new(Region, r) for r in regions]),
        info.diagnostics,
    )


def _decode_diagnostics(encoded: tuple[Any, ...]) -> tuple[Diagnostic, ...]:
    return tuple(Diagnostic.decode(d) for d in encoded)


def _encode_value(value: Any) -> Any:
    """YAML data with dates turned into ('date', iso) tuples (YAML never yields tuples)."""
    if isinstance(value, dict):
        return {k: _encode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode_value(v) for v in value]
    if isinstance(value, dt.datetime):
        return ("datetime", value.isoformat())
    if isinstance(value, dt.date):
        return ("date", value.isoformat())
    return value


def _decode_meta(meta: Any) -> Any:
    """Fast path: most values are strings, numbers or lists of strings."""
    if type(meta) is not dict:
        return _decode_value(meta)
    out = {}
    for key, value in meta.items():
        kind = type(value)
        if kind is str or kind is int or kind is bool:
            out[key] = value
        elif kind is list and all(type(item) is str for item in value):
            out[key] = value
        else:
            out[key] = _decode_value(value)
    return out


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_value(v) for v in value]
    if isinstance(value, tuple):
        kind, text = value
        return (
            dt.datetime.fromisoformat(text) if kind == "datetime" else dt.date.fromisoformat(text)
        )
    return value
