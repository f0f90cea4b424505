"""model: the `Site` every generator and check reads, loaded by collect → parse (cached)."""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kb.cache import PageCache, context_salt, read_cache
from kb.collect import FoundFiles, Section, Signature, load_sections, walk_files
from kb.config import Settings, read_limit
from kb.diagnostics import Diagnostic
from kb.model import (
    EncodedPage,
    PageInfo,
    PageRefs,
    ParseContext,
    ParsedPage,
    decode_info,
    decode_page,
    decode_refs,
)
from kb.parse import is_special, parse_encoded, parse_pages
from kb.vocabulary import Term, load_vocabulary
from kb.writer import read_regular
from kb.yamlio import MAX_DATA_BYTES

T = TypeVar("T")
_MISSING = object()
FACT_FIELDS = (
    "title",
    "order",
    "title_zh",
    "year",
    "category",
    "tasks",
    "modalities",
    "areas",
    "doi",
    "arxiv",
)
"""What `Site.facts` keeps of a page's front matter."""


def _facts(info: PageInfo) -> dict[str, Any]:
    meta = info.meta or {}
    return {key: _builtin(meta[key]) for key in FACT_FIELDS if key in meta}


def _builtin(value: Any) -> Any:
    """A metadata value as the cache can keep it: scalars and lists of scalars as they are,
    anything else (dates, mappings) as text."""
    if isinstance(value, list):
        return [v if isinstance(v, str | int | float | bool) else str(v) for v in value]
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


class Pages(Mapping[str, ParsedPage]):
    """Pages by file, decoded from their cache entries on first access."""

    def __init__(
        self,
        encoded: dict[str, EncodedPage],
        infos: dict[str, PageInfo],
        full: Callable[[str], bytes],
    ) -> None:
        self._encoded = encoded
        self._infos = infos
        self._full = full
        self._decoded: dict[str, ParsedPage] = {}
        self._refs: dict[str, PageRefs] = {}

    def refs(self, file: str) -> PageRefs:
        """A page's links, their resolutions and its heading slugs, as plain tuples."""
        refs = self._refs.get(file)
        if refs is None:
            refs = self._refs[file] = decode_refs(self._full(file))
        return refs

    def __getitem__(self, file: str) -> ParsedPage:
        page = self._decoded.get(file)
        if page is None:
            page = self._decoded[file] = decode_page(self._full(file), self._infos[file])
        return page

    def __iter__(self) -> Iterator[str]:
        return iter(self._encoded)

    def __len__(self) -> int:
        return len(self._encoded)

    @property
    def encoded(self) -> dict[str, EncodedPage]:
        """The pages' cache entries (what `PageInfo`s are decoded from), by file."""
        return self._encoded


@dataclass
class Site:
    settings: Settings
    vocabulary: dict[str, dict[str, Term]]
    infos: dict[str, PageInfo]
    """Every page's metadata and own findings, by repo-relative file."""
    pages: Pages
    """Full parse results (headings, links, …), decoded lazily; includes special pages."""
    sections: dict[str, Section]
    files: set[str]
    """Every repo-relative file under docs/ plus the root files; link targets resolve here."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Findings from loading: vocabulary, section metadata."""
    stats: dict[str, int] = field(default_factory=dict)
    cache: PageCache | None = None
    """This run's cache state (never persisted with --no-cache)."""
    irregular: dict[str, str] = field(default_factory=dict)
    """Entries under docs/ and at the root that are not regular files (never read)."""
    signatures: dict[str, Signature] = field(default_factory=dict)
    """Regular file → (size, mtime_ns, ctime_ns, inode) as this run's walk saw it."""
    context: ParseContext | None = None
    """What every page's parse depended on (vocabulary, settings, year)."""
    _once: dict[str, Any] = field(default_factory=dict)

    def content_pages(self) -> list[PageInfo]:
        """Pages that appear on the site (not special, not drafts), in file order."""
        return self.once(
            "content_pages",
            lambda: [
                i for f, i in sorted(self.infos.items()) if not is_special(f) and not i.is_draft
            ],
        )

    def per_page(
        self, store: str, files: Iterable[str], compute: Callable[[PageInfo], T]
    ) -> dict[str, T]:
        """`compute(info)` for each of `files`, for values that depend on that page's content
        alone: kept between runs by page content, so after one page changes one value is
        computed again. The store keeps the values of exactly these files (builtin values
        only)."""
        kept = self.cache.extra(store) if self.cache is not None else {}
        values: dict[str, T] = {}
        fresh: dict[str, Any] = {}
        for file in files:
            key = f"{file}\0{self.key(file)}"
            value = kept.get(key, _MISSING)
            if value is _MISSING:
                value = compute(self.infos[file])
            values[file] = fresh[key] = value
        if len(fresh) != len(kept) - ("dirty" in kept) or any(k not in kept for k in fresh):
            kept.clear()
            kept.update(fresh)
            kept["dirty"] = True
        return values

    def facts(self) -> dict[str, dict[str, Any]]:
        """The front matter that site-wide outputs (sidebar, tables, duplicate check,
        search filters) read of every page (`FACT_FIELDS`), by file; kept between runs."""
        return self.once("facts", lambda: self.per_page("facts", sorted(self.infos), _facts))

    def papers(self) -> list[str]:
        """The paper pages among the content pages (`content_pages`), in file order."""
        return self.once(
            "papers", lambda: [i.file for i in self.content_pages() if i.page_type == "paper"]
        )

    def once(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` once per run (this Site); unlike `memo`, never persisted."""
        if name not in self._once:
            self._once[name] = compute()
        return self._once[name]  # type: ignore[no-any-return]

    def key(self, file: str) -> str:
        """Content key of a page (changes whenever the page or the toolchain changes)."""
        return self.cache.keys[file] if self.cache else ""

    def search_part(self, file: str) -> Any:
        """What the search index needs of a content page (`kb.searchtext.page_part`),
        computed when the page was parsed."""
        part = self.cache.parts.get(self.key(file)) if self.cache is not None else None
        return part if part is not None else self._parse_again(file)[2]

    def full_parse(self, file: str) -> bytes:
        """The full parse of a page (lines, headings, links, regions), as the cache keeps it."""
        full = self.cache.full.get(self.key(file)) if self.cache is not None else None
        return full if full is not None else self._parse_again(file)[1]

    def _parse_again(self, file: str) -> tuple[EncodedPage, bytes, Any]:
        """A page whose lazily stored parts the cache lost (a deleted shard file)."""
        assert self.context is not None
        limit = read_limit(self.settings.max_page_kb, file)
        raw = read_regular(str(self.settings.path(file)), limit)
        encoded, full, part = parse_encoded(file, raw, self.context)
        if self.cache is not None:
            self.cache.add(self.key(file), encoded, full, part)
        return encoded, full, part

    def folder_files(self, folder: str) -> list[str]:
        """The files directly in `folder` (repo-relative), sorted; indexed once per run."""
        return self.once("by_folder", self._by_folder).get(folder, [])

    def _by_folder(self) -> dict[str, list[str]]:
        by_folder: dict[str, list[str]] = {}
        for file in sorted(self.files):
            by_folder.setdefault(posixpath.dirname(file), []).append(file)
        return by_folder

    def build_hash(self) -> str:
        """Changes whenever a page (by content), the sidebar or any other file under docs/
        changes: the browser uses it to tell a stale search index or page cache."""
        digest = hashlib.blake2b(digest_size=8)
        keys = self.cache.keys if self.cache else {}
        for file in sorted(self.files):
            key = keys.get(file) or repr(self.signatures.get(file))
            digest.update(f"{file}\0{key}\n".encode())
        return digest.hexdigest()

    def metadata_signature(self) -> str:
        """Changes whenever any page's front matter, the set of pages or the sections change."""
        return self.once("metadata_signature", self._metadata_signature)

    def _metadata_signature(self) -> str:
        digest = hashlib.blake2b(repr(sorted(self.sections.items())).encode(), digest_size=20)
        digest.update((self.cache.salt if self.cache else "").encode())
        data_dir = self.settings.path(self.settings.data_dir)
        for path in sorted(data_dir.glob("*.yaml")) if data_dir.is_dir() else []:
            raw = read_regular(str(path), MAX_DATA_BYTES)
            digest.update(path.name.encode() + b"\0" + raw)
        infos = self.infos
        blobs = (f.encode() + b"\1" + infos[f].meta_blob for f in sorted(infos))
        digest.update(b"\0".join(blobs))
        return digest.hexdigest()

    def targets_signature(self) -> str:
        """Changes whenever any page's set of link targets changes (for backlink tables)."""
        return self.once("targets_signature", self._targets_signature)

    def _targets_signature(self) -> str:
        infos = self.infos
        text = "\1".join(f + "\0" + "\0".join(infos[f].targets) for f in sorted(infos))
        return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()

    def memo_findings(
        self, file: str, depends: tuple[str, ...], compute: Callable[[], Iterable[Diagnostic]]
    ) -> list[Diagnostic]:
        """Findings about `file` that depend on its content and on `depends` only: computed
        once per (content, depends) state and kept in the cache between runs."""
        cache = self.cache
        if cache is None:
            return list(compute())
        key = self.key(file)
        entry = cache.links.get(key)
        if entry is not None and entry[0] == depends:
            return [Diagnostic.decode(d) for d in entry[1]]
        found = list(compute())
        cache.links[key] = (depends, tuple(d.encode() for d in found))
        cache.dirty = True
        return found

    def known(self, fact: str) -> bool:
        """Whether an earlier run (or this one) `noted` this fact; facts name the content
        they hold for, so a changed input is a different fact."""
        if self.cache is None or fact not in self.cache.generated:
            return False
        self.cache.used.add(fact)
        return True

    def note(self, fact: str) -> None:
        if self.cache is not None:
            self.cache.generated[fact] = True
            self.cache.used.add(fact)
            self.cache.dirty = self.cache.generated_changed = True

    def memo_key(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()` once per `key`, which names everything the value depends on; kept
        between runs (builtin values only)."""
        if self.cache is None:
            return compute()
        self.cache.used.add(key)
        if key in self.cache.generated:
            return self.cache.generated[key]  # type: ignore[no-any-return]
        value = self.cache.generated[key] = compute()
        self.cache.dirty = self.cache.generated_changed = True
        return value

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` once per metadata state: generated output depends on metadata only."""
        if self.cache is None:
            return compute()
        return self.memo_key(f"{name}\0{self.metadata_signature()}", compute)


def load_site(
    settings: Settings,
    *,
    use_cache: bool = True,
    reuse: Site | None = None,
    walked: FoundFiles | None = None,
) -> Site:
    """collect → parse (cached, parallel) → model. `reuse`: a site loaded earlier in this run;
    `walked`: the files, when the caller collected them already."""
    vocab_file = settings.vocabulary
    if settings.content_model or vocab_file:
        vocabulary, found = load_vocabulary(settings.path(vocab_file), vocab_file)
    else:
        vocabulary, found = {}, []
    ctx = ParseContext(
        vocabulary,
        settings.iframe_hosts,
        settings.max_page_kb,
        dt.date.today().year,
        settings.content_model,
        settings.docsify.rules() if settings.docsify is not None else None,
        settings.docsify.math if settings.docsify is not None else True,
    )
    walked = walked or walk_files(settings)
    page_files, folders, files = walked.pages, walked.folders, walked.files
    if settings.content_model:
        sections, section_found = load_sections(settings, folders)
        found.extend(section_found)
    else:
        sections = {}
    salt = context_salt(ctx)
    if reuse is not None and reuse.cache is not None and reuse.cache.salt == salt:
        cache = reuse.cache
    elif use_cache:
        cache = read_cache(settings, salt)
    else:
        cache = PageCache(salt, persist=False)
    by_file, stats = parse_pages(settings, page_files, ctx, cache, walked.signatures)
    before = reuse.pages.encoded if reuse is not None else {}
    infos = {
        # A page reloaded in the same run keeps its info (and its decoded metadata).
        file: reuse.infos[file] if before.get(file) is encoded else decode_info(encoded)  # type: ignore[union-attr]
        for file, encoded in by_file.items()
    }
    pages = Pages(by_file, infos, lambda file: site.full_parse(file))
    site = Site(settings, vocabulary, infos, pages, sections, files, found, stats, cache)
    site.irregular = walked.irregular
    site.signatures = walked.signatures
    site.context = ctx
    return site
