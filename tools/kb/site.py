"""Collect the site's files and parse them into a `Site` (with a content-hash cache)."""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kb import __version__
from kb.config import Settings, read_limit
from kb.diagnostics import Diagnostic, make
from kb.model import (
    EncodedPage,
    PageInfo,
    PageRefs,
    ParseContext,
    ParsedPage,
    decode_info,
    decode_page,
    decode_refs,
    encode_page,
    parse_page,
)
from kb.schema import validate_section
from kb.vocabulary import Term, load_vocabulary
from kb.writer import read_regular
from kb.yamlio import MAX_DATA_BYTES, parse_yaml, read_yaml_file

T = TypeVar("T")
SECTION_FILE = "_section.yaml"
_STATE_NAME = "state.marshal"
_GATE_NAME = "gate.marshal"
_GATE_FORMAT = "kb-gate-1"
"""HTML-gate verdicts do not depend on kb's Python code: kept apart from the salted parts."""
_SHARD_NAME = "pages-{:x}.marshal"
_SHARDS = 16
_CACHE_FORMAT = f"kb-cache-{__version__}-3"
_PARALLEL_MIN = 200
"""Below this many pages to parse, a process pool costs more than it saves."""


@dataclass(frozen=True)
class Section:
    folder: str
    """Repo-relative posix folder, e.g. ``docs/papers``."""
    title: str
    order: int
    description: str = ""
    group_by: str = ""
    draft: bool = False


class Pages(Mapping[str, ParsedPage]):
    """Pages by file, decoded from their cache entries on first access."""

    def __init__(self, encoded: dict[str, EncodedPage], infos: dict[str, PageInfo]) -> None:
        self._encoded = encoded
        self._infos = infos
        self._decoded: dict[str, ParsedPage] = {}
        self._refs: dict[str, PageRefs] = {}

    def refs(self, file: str) -> PageRefs:
        """A page's links, their resolutions and its heading slugs, as plain tuples."""
        refs = self._refs.get(file)
        if refs is None:
            refs = self._refs[file] = decode_refs(self._encoded[file])
        return refs

    def __getitem__(self, file: str) -> ParsedPage:
        page = self._decoded.get(file)
        if page is None:
            page = self._decoded[file] = decode_page(self._encoded[file], self._infos[file])
        return page

    def __iter__(self) -> Iterator[str]:
        return iter(self._encoded)

    def __len__(self) -> int:
        return len(self._encoded)


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
    irregular: dict[str, str] = field(default_factory=dict)
    """Entries under docs/ and at the root that are not regular files (never read)."""
    """This run's cache state; None when caching is off."""
    _signature: str | None = None

    def content_pages(self) -> list[PageInfo]:
        """Pages that appear on the site (not special, not drafts), in file order."""
        return [i for f, i in sorted(self.infos.items()) if not _is_special(f) and not i.is_draft]

    def key(self, file: str) -> str:
        """Content key of a page (changes whenever the page or the toolchain changes)."""
        return self.cache.keys[file] if self.cache else ""

    def metadata_signature(self) -> str:
        """Changes whenever any page's front matter, the set of pages or the sections change."""
        if self._signature is None:
            digest = hashlib.blake2b(repr(sorted(self.sections.items())).encode(), digest_size=20)
            digest.update((self.cache.salt if self.cache else "").encode())
            data_dir = self.settings.path(self.settings.data_dir)
            for path in sorted(data_dir.glob("*.yaml")) if data_dir.is_dir() else []:
                raw = read_regular(str(path), MAX_DATA_BYTES)
                digest.update(path.name.encode() + b"\0" + raw)
            for file in sorted(self.infos):
                digest.update(file.encode() + b"\0")
                digest.update(self.infos[file].meta_blob)
            self._signature = digest.hexdigest()
        return self._signature

    def targets_signature(self) -> str:
        """Changes whenever any page's set of link targets changes (for backlink tables)."""
        digest = hashlib.blake2b(digest_size=20)
        for file in sorted(self.infos):
            digest.update(file.encode() + b"\0" + "\0".join(self.infos[file].targets).encode())
            digest.update(b"\1")
        return digest.hexdigest()

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` once per metadata state: generated output depends on metadata only."""
        if self.cache is None:
            return compute()
        key = f"{name}\0{self.metadata_signature()}"
        self.cache.used.add(key)
        if key in self.cache.generated:
            return self.cache.generated[key]  # type: ignore[no-any-return]
        value = self.cache.generated[key] = compute()
        self.cache.dirty = True
        return value


@dataclass
class PageCache:
    """Parse results and cross-page check results, persisted between runs."""

    salt: str
    entries: dict[str, EncodedPage] = field(default_factory=dict)
    """Encoded parse result by content key."""
    keys: dict[str, str] = field(default_factory=dict)
    """Content key by file, for this run."""
    stats: dict[str, tuple[int, int, int, int, str]] = field(default_factory=dict)
    """file → (size, mtime_ns, ctime_ns, inode, key): lets unchanged files skip read + hash."""
    links: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    """Content key → (dependency state, encoded link findings)."""
    generated: dict[str, Any] = field(default_factory=dict)
    """Memoised sidebar, tables and duplicate findings, keyed by what they depend on."""
    rendered: dict[str, Any] = field(default_factory=dict)
    """HTML-gate verdicts: render key → (files read and their hashes, encoded findings)."""
    raw_stats: dict[str, tuple[int, int, int, int, str]] = field(default_factory=dict)
    """file → (size, mtime_ns, ctime_ns, inode, digest of its bytes), for the gate's keys."""
    used: set[str] = field(default_factory=set)
    """Keys of `generated` and `rendered` this run looked up or stored."""
    judged: bool = False
    """Whether this run ran the HTML gate: only then are verdicts it did not use stale."""
    dirty: bool = False
    """Whether the small state part (stats, links, generated) needs writing."""
    dirty_shards: set[int] = field(default_factory=set)
    """Entry shards that changed; only those files are rewritten."""
    persist: bool = True

    def add(self, key: str, encoded: EncodedPage) -> None:
        self.entries[key] = encoded
        self.dirty_shards.add(_shard(key))


def load_site(settings: Settings, *, use_cache: bool = True, reuse: Site | None = None) -> Site:
    """collect → parse (cached, parallel) → model. `reuse`: a site loaded earlier in this run."""
    vocab_file = settings.vocabulary
    vocabulary, found = load_vocabulary(settings.path(vocab_file), vocab_file)
    ctx = ParseContext(
        vocabulary, settings.iframe_hosts, settings.max_page_kb, dt.date.today().year
    )
    walked = walk_files(settings)
    page_files, folders, files = walked.pages, walked.folders, walked.files
    sections, section_found = load_sections(settings, folders)
    found.extend(section_found)
    salt = _context_salt(ctx)
    if reuse is not None and reuse.cache is not None and reuse.cache.salt == salt:
        cache = reuse.cache
    elif use_cache:
        cache = read_cache(settings, salt)
    else:
        cache = PageCache(salt, persist=False)
    by_file, stats = parse_pages(settings, page_files, ctx, cache)
    infos = {file: decode_info(encoded) for file, encoded in by_file.items()}
    pages = Pages(by_file, infos)
    site = Site(settings, vocabulary, infos, pages, sections, files, found, stats, cache)
    site.irregular = walked.irregular
    return site


def find_files(settings: Settings) -> tuple[list[str], list[str], set[str]]:
    """(page files, section folders, all regular files) under docs/, plus the root files,
    as repo-relative posix paths. See `walk_files`."""
    found = walk_files(settings)
    return found.pages, found.folders, found.files


@dataclass(frozen=True)
class FoundFiles:
    pages: list[str]
    """Markdown pages of the content model (not in `_`-folders), sorted."""
    folders: list[str]
    """Section folders under docs/ (not the docs folder itself, not `_`-folders)."""
    files: set[str]
    """Every regular file under docs/, and the regular files at the root."""
    irregular: dict[str, str]
    """Entries that are not regular files (symlinks, FIFOs, devices…) → what they are."""


def walk_files(settings: Settings) -> FoundFiles:
    """Walk docs/ without ever following a symlink: a symlinked file or folder is listed in
    `irregular` and neither read nor entered (it may point out of the repository, at a
    device or at itself)."""
    root = settings.root
    pages: list[str] = []
    folders: list[str] = []
    files: set[str] = set()
    irregular: dict[str, str] = {}
    for entry in _scan(root):
        kind = _kind(entry)
        if kind == "file":
            files.add(entry.name)
        elif kind != "dir":
            irregular[entry.name] = kind
    docs = settings.docs_dir.strip("/")
    docs_kind = _path_kind(settings.docs_path)
    if docs_kind not in ("dir", "missing"):
        irregular[docs] = docs_kind
        return FoundFiles([], [], files, irregular)
    stack = [docs] if docs_kind == "dir" else []
    while stack:
        rel_dir = stack.pop()
        in_data = any(part.startswith("_") for part in rel_dir.split("/")[1:])
        if rel_dir != docs and not in_data:
            folders.append(rel_dir)
        for entry in _scan(root / rel_dir):
            rel = f"{rel_dir}/{entry.name}"
            kind = _kind(entry)
            if kind == "dir":
                if not entry.name.startswith("."):
                    stack.append(rel)
            elif kind == "file":
                files.add(rel)
                if entry.name.endswith(".md") and not in_data:
                    pages.append(rel)
            else:
                irregular[rel] = kind
    return FoundFiles(sorted(pages), sorted(folders), files, irregular)


def _scan(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError:
        return []


def _kind(entry: os.DirEntry[str]) -> str:
    try:
        if entry.is_symlink():
            return "symbolic link"
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError:
        return "unreadable entry"
    return _mode_kind(mode)


def _path_kind(path: Path) -> str:
    try:
        return _mode_kind(os.lstat(path).st_mode)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "unreadable entry"


def _mode_kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def load_sections(
    settings: Settings, folders: Iterable[str]
) -> tuple[dict[str, Section], list[Diagnostic]]:
    sections: dict[str, Section] = {}
    found: list[Diagnostic] = []
    for folder in folders:
        file = f"{folder}/{SECTION_FILE}"
        try:
            text, unread = read_yaml_file(settings.path(file), file)
        except FileNotFoundError:
            found.append(
                make(
                    "FM113",
                    file,
                    0,
                    f"folder '{folder}' has no {SECTION_FILE}",
                    hint="add one with 'title:' and 'order:'",
                )
            )
            sections[folder] = Section(folder, folder.rsplit("/", 1)[-1], 1000)
            continue
        found.extend(unread)
        doc, errors = parse_yaml(text, file) if text is not None else (None, [])
        found.extend(errors)
        if doc is not None:
            found.extend(validate_section(doc, file))
        meta = doc.data if doc is not None and isinstance(doc.data, dict) else {}
        sections[folder] = Section(
            folder,
            str(meta.get("title") or folder.rsplit("/", 1)[-1]),
            meta["order"] if isinstance(meta.get("order"), int) else 1000,
            str(meta.get("description") or ""),
            str(meta.get("group_by") or ""),
            meta.get("draft") is True,
        )
    return sections, found


def parse_pages(
    settings: Settings, files: list[str], ctx: ParseContext, cache: PageCache
) -> tuple[dict[str, EncodedPage], dict[str, int]]:
    """Parse every page not already in the cache; returns encoded results by file.

    A file whose size, mtime, ctime and inode are unchanged keeps its content key without
    being read (any write to a file changes its ctime); every other file is read and
    hashed, and parsed only when its content key is not cached.
    """
    by_file: dict[str, EncodedPage] = {}
    keys: dict[str, str] = {}
    misses: list[tuple[str, tuple[int, int, int, int]]] = []
    root = str(settings.root)
    for file in files:
        st = os.stat(os.path.join(root, file))
        signature = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        known = cache.stats.get(file)
        if known and known[:4] == signature and known[4] in cache.entries:
            keys[file] = known[4]
            by_file[file] = cache.entries[known[4]]
        else:
            misses.append((file, signature))
    job = _Job(root, bytes.fromhex(cache.salt), ctx, frozenset(cache.entries))
    parsed = 0
    signatures = dict(misses)
    for file, key, encoded in _run(job, [file for file, _ in misses], settings.jobs):
        keys[file] = key
        cache.stats[file] = (*signatures[file], key)
        cache.dirty = True
        if encoded is None:
            by_file[file] = cache.entries[key]
        else:
            parsed += 1
            cache.add(key, encoded)
            by_file[file] = encoded
    _forget_removed(cache, keys)
    stats = {
        "pages": len(files),
        "parsed": parsed,
        "cached": len(files) - parsed,
        "read": len(misses),
    }
    return by_file, stats


@dataclass(frozen=True)
class _Job:
    """What a worker needs to read, hash and parse pages."""

    root: str
    salt: bytes
    ctx: ParseContext
    known: frozenset[str]
    """Content keys already cached: those pages are hashed but not parsed."""


_Result = tuple[str, str, EncodedPage | None]


def _run(job: _Job, files: list[str], jobs: int) -> list[_Result]:
    workers = jobs or os.cpu_count() or 1
    if len(files) < _PARALLEL_MIN or workers == 1:
        return _process(job, files)
    import multiprocessing  # noqa: PLC0415 - only cold builds need it; keeps warm runs fast
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    global _WORKER_JOB
    _WORKER_JOB = job  # inherited by the forked workers, never pickled
    # Interleaved chunks balance big and small pages; results come back marshalled.
    chunks = [files[i :: workers * 2] for i in range(workers * 2)]
    results: list[_Result] = []
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for blob in pool.map(_process_chunk, chunks):
                results.extend(marshal.loads(blob))
    finally:
        _WORKER_JOB = None
    return results


def _process(job: _Job, files: list[str]) -> list[_Result]:
    results: list[_Result] = []
    for file in files:
        raw = read_regular(os.path.join(job.root, file), read_limit(job.ctx.max_page_kb, file))
        digest = hashlib.blake2b(job.salt, digest_size=20)
        digest.update(file.encode() + b"\0")
        digest.update(raw)
        key = digest.hexdigest()
        if key in job.known:
            results.append((file, key, None))
        else:
            page = parse_page(file, raw, job.ctx, special=_is_special(file))
            results.append((file, key, encode_page(page)))
    return results


_WORKER_JOB: _Job | None = None


def _process_chunk(files: list[str]) -> bytes:
    assert _WORKER_JOB is not None
    return marshal.dumps(_process(_WORKER_JOB, files))


def _forget_removed(cache: PageCache, keys: dict[str, str]) -> None:
    """Drop entries of files that are gone or changed, so the cache does not grow forever."""
    live = set(keys.values())
    if len(cache.entries) != len(live) or len(cache.stats) != len(keys):
        cache.dirty_shards.update(_shard(k) for k in cache.entries if k not in live)
        cache.entries = {k: v for k, v in cache.entries.items() if k in live}
        cache.stats = {f: s for f, s in cache.stats.items() if f in keys}
        cache.links = {k: v for k, v in cache.links.items() if k in live}
        cache.dirty = True
    cache.keys = keys


def _is_special(file: str) -> bool:
    return file.rsplit("/", 1)[-1].startswith("_")


def _context_salt(ctx: ParseContext) -> str:
    """Changes whenever the toolchain or anything a page's parse depends on changes."""
    parts = [__version__, repr(sorted(ctx.iframe_hosts)), str(ctx.max_page_kb), str(ctx.year)]
    for name in sorted(ctx.vocabulary):
        parts.append(name + ":" + repr(sorted(ctx.vocabulary[name].items())))
    parts.append(_code_fingerprint())
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=32).hexdigest()


def _code_fingerprint() -> str:
    """Size and mtime of the kb sources, so editing the toolchain invalidates the cache."""
    here = Path(__file__).parent
    stats = [(p.relative_to(here).as_posix(), p.stat()) for p in sorted(here.rglob("*.py"))]
    return ";".join(f"{name}:{st.st_size}:{st.st_mtime_ns}" for name, st in stats)


def _shard(key: str) -> int:
    return int(key[0], 16) % _SHARDS


def _cache_dir(settings: Settings) -> Path:
    return settings.path(settings.cache_dir)


def _read_part(path: Path, salt: str) -> tuple[Any, ...] | None:
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if isinstance(data, tuple) and len(data) >= 3 and data[:2] == (_CACHE_FORMAT, salt):
        return data
    return None


def read_cache(settings: Settings, salt: str) -> PageCache:
    """The cache files; missing, stale or damaged parts only mean more parsing.

    Every part is keyed by content (entries and link findings) or checked against the file's
    stat (the stat shortcut), so any mix of old and new parts is still correct.
    """
    folder = _cache_dir(settings)
    state = _read_part(folder / _STATE_NAME, salt)
    rendered, raw_stats = _read_gate_part(folder / _GATE_NAME)
    if state is None or len(state) != 5:
        return PageCache(salt, rendered=rendered, raw_stats=raw_stats)
    _, _, stats, links, generated = state
    entries: dict[str, EncodedPage] = {}
    for shard in range(_SHARDS):
        part = _read_part(folder / _SHARD_NAME.format(shard), salt)
        if part is not None:
            entries.update(part[2])
    return PageCache(salt, entries, {}, stats, links, generated, rendered, raw_stats)


def _read_gate_part(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}, {}
    if isinstance(data, tuple) and len(data) == 3 and data[0] == _GATE_FORMAT:
        return data[1], data[2]
    return {}, {}


def save_cache(site: Site) -> None:
    """Persist what this run changed: the state part and the changed entry shards."""
    cache = site.cache
    if cache is None:
        return
    generated, rendered = _live(cache)
    if len(generated) < len(cache.generated) or len(rendered) < len(cache.rendered):
        cache.dirty = True  # forget memoised output and verdicts of older states
    if not cache.persist or not (cache.dirty or cache.dirty_shards):
        return
    folder = _cache_dir(site.settings)
    state = (_CACHE_FORMAT, cache.salt, cache.stats, cache.links, generated)
    gate = (_GATE_FORMAT, rendered, cache.raw_stats)
    shards: dict[int, dict[str, EncodedPage]] = {n: {} for n in cache.dirty_shards}
    for key, encoded in cache.entries.items():
        shard = shards.get(_shard(key))
        if shard is not None:
            shard[key] = encoded
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for number, entries in shards.items():
            _write_part(folder / _SHARD_NAME.format(number), (_CACHE_FORMAT, cache.salt, entries))
        _write_part(folder / _STATE_NAME, state)
        _write_part(folder / _GATE_NAME, gate)
    except OSError:
        return
    cache.dirty = False
    cache.dirty_shards.clear()


def _live(cache: PageCache) -> tuple[dict[str, Any], dict[str, Any]]:
    """The memoised output and verdicts worth keeping: an entry is stale once this run
    computed output of its kind (sidebar, table, duplicates) without it. What this run did
    not compute at all (tables during `kb sidebar`, verdicts during `kb tables`) is kept."""
    names = {key.partition("\0")[0] for key in cache.used}
    generated = {
        key: value
        for key, value in cache.generated.items()
        if key in cache.used or key.partition("\0")[0] not in names
    }
    rendered = (
        {key: value for key, value in cache.rendered.items() if key in cache.used}
        if cache.judged
        else cache.rendered
    )
    return generated, rendered


def _write_part(path: Path, data: tuple[Any, ...]) -> None:
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(marshal.dumps(data))
    os.replace(tmp, path)
