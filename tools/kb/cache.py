"""The content-hash cache: parse results, cross-page check results and gate verdicts,
persisted in `.kb-cache/` between runs. Any part may be missing, stale or damaged: that
only means more work, never a wrong answer (every part is keyed by content)."""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb import __version__
from kb.config import Settings
from kb.model import EncodedPage, ParseContext
from kb.writer import write_atomic

_STATE_NAME = "state.marshal"
_GENERATED_NAME = "generated.marshal"
_GATE_NAME = "gate.marshal"
_GATE_FORMAT = "kb-gate-3"
"""HTML-gate verdicts do not depend on kb's Python code: kept apart from the salted parts."""
_SHARD_NAME = "pages-{:x}.marshal"
_SHARDS = 16
_LAZY_SHARDS = 64


class LazyShards:
    """Per-page data that most runs never read (search parts, the full parse of a page):
    kept by content key in many small shard files, each read on first use and rewritten
    only when it changed."""

    def __init__(self, name: str, salt: str, folder: Path | None) -> None:
        self.name, self.salt, self.folder = name, salt, folder
        self.shards: dict[int, dict[str, Any]] = {}
        self.dirty: set[int] = set()

    def get(self, key: str) -> Any:
        return self._shard(_lazy_shard(key)).get(key)

    def put(self, key: str, value: Any) -> None:
        number = _lazy_shard(key)
        self._shard(number)[key] = value
        self.dirty.add(number)

    def forget(self, keys: Iterable[str]) -> None:
        """Rewrite the shards holding `keys` without entries of dead pages."""
        self.dirty.update(_lazy_shard(k) for k in keys)

    def save(self, live: set[str]) -> None:
        assert self.folder is not None
        for number in sorted(self.dirty):
            kept = {k: v for k, v in self._shard(number).items() if k in live}
            _write_part(self._path(number), (_CACHE_FORMAT, self.salt, kept))
        self.dirty.clear()

    def _shard(self, number: int) -> dict[str, Any]:
        shard = self.shards.get(number)
        if shard is None:
            shard = self.shards[number] = {}
            if self.folder is not None:
                data = _read_part(self._path(number), self.salt)
                shard.update(data[2] if data is not None else {})
        return shard

    def _path(self, number: int) -> Path:
        assert self.folder is not None
        return self.folder / f"{self.name}-{number:02x}.marshal"


_CACHE_FORMAT = f"kb-cache-{__version__}-7"


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
    generated_changed: bool = False
    """Whether `generated` needs writing (its part is saved apart: it holds large text)."""
    rendered: dict[str, Any] = field(default_factory=dict)
    """HTML-gate verdicts: render key → (files read and their hashes, encoded findings)."""
    raw_stats: dict[str, tuple[int, int, int, int, str]] = field(default_factory=dict)
    """file → (size, mtime_ns, ctime_ns, inode, digest of its bytes), for the gate's keys."""
    live: set[str] = field(default_factory=set)
    """Content keys of this run's pages."""
    used: set[str] = field(default_factory=set)
    """Keys of `generated` and `rendered` this run looked up or stored."""
    judged: bool = False
    """Whether this run ran the HTML gate: only then are verdicts it did not use stale."""
    dirty: bool = False
    """Whether the small state part (stats, links, generated) needs writing."""
    dirty_shards: set[int] = field(default_factory=set)
    """Entry shards that changed; only those files are rewritten."""
    extras: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Stages' own state by name (the search index's), see `extra`."""
    folder: Path | None = None
    """Where the cache lives; None when nothing is read or written (--no-cache)."""
    persist: bool = True

    def __post_init__(self) -> None:
        self.parts = LazyShards("search", self.salt, self.folder)
        """Search parts (kb.searchtext.page_part) by content key."""
        self.full = LazyShards("full", self.salt, self.folder)
        """The full parse of each page (lines, headings, links, regions), by content key."""

    def add(self, key: str, encoded: EncodedPage, full: bytes, part: Any) -> None:
        self.entries[key] = encoded
        self.dirty_shards.add(_shard(key))
        self.full.put(key, full)
        if part is not None:
            self.parts.put(key, part)

    def raw_digest(self, file: str, signature: tuple[int, int, int, int]) -> str | None:
        """The digest of a file's bytes recorded when its stat was `signature`, or None."""
        known = self.raw_stats.get(file)
        return known[4] if known is not None and known[:4] == signature else None

    def remember_raw_digest(
        self, file: str, signature: tuple[int, int, int, int], digest: str
    ) -> None:
        self.raw_stats[file] = (*signature, digest)
        self.dirty = True

    def keep_raw_digests(self, files: set[str]) -> None:
        """Forget the digests of files that are gone."""
        if self.raw_stats.keys() - files:
            self.raw_stats = {f: v for f, v in self.raw_stats.items() if f in files}
            self.dirty = True

    def verdict(self, key: str) -> Any:
        """A stored HTML-gate verdict (kept while a run uses it), or None."""
        found = self.rendered.get(key)
        if found is not None:
            self.used.add(key)
        return found

    def remember_verdict(self, key: str, verdict: Any) -> None:
        self.rendered[key] = verdict
        self.used.add(key)
        self.dirty = True

    def extra(self, name: str) -> dict[str, Any]:
        """A stage's own state between runs (`name`.marshal, builtin values only), read on
        first use; the stage sets ``state["dirty"] = True`` when it must be saved."""
        state = self.extras.get(name)
        if state is None:
            data = None
            if self.folder is not None:
                data = _read_part(self.folder / f"{name}.marshal", self.salt)
            state = self.extras[name] = dict(data[2]) if data and isinstance(data[2], dict) else {}
        return state


def forget_removed(cache: PageCache, keys: dict[str, str]) -> None:
    """Drop entries of files that are gone or changed, so the cache does not grow forever."""
    live = set(keys.values())
    cache.live = live
    if len(cache.entries) != len(live) or len(cache.stats) != len(keys):
        gone = [k for k in cache.entries if k not in live]
        cache.dirty_shards.update(_shard(k) for k in gone)
        cache.parts.forget(gone)
        cache.full.forget(gone)
        cache.entries = {k: v for k, v in cache.entries.items() if k in live}
        cache.stats = {f: s for f, s in cache.stats.items() if f in keys}
        cache.links = {k: v for k, v in cache.links.items() if k in live}
        cache.dirty = True
    cache.keys = keys


def context_salt(ctx: ParseContext) -> str:
    """Changes whenever the toolchain or anything a page's parse depends on changes."""
    parts = [__version__, repr(sorted(ctx.iframe_hosts)), str(ctx.max_page_kb), str(ctx.year)]
    parts += [repr(ctx.content_model), repr(ctx.rules), repr(ctx.math)]
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


def _lazy_shard(key: str) -> int:
    return int(key[:2], 16) % _LAZY_SHARDS


def last_judged(settings: Settings) -> int | None:
    """When the HTML gate's verdicts were last saved (ns), or None when there are none."""
    try:
        return (_cache_dir(settings) / _GATE_NAME).stat().st_mtime_ns
    except OSError:
        return None


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
    if state is None or len(state) != 4:
        return PageCache(salt, rendered=rendered, raw_stats=raw_stats, folder=folder)
    _, _, stats, links = state
    memo = _read_part(folder / _GENERATED_NAME, salt)
    generated = memo[2] if memo is not None and isinstance(memo[2], dict) else {}
    entries: dict[str, EncodedPage] = {}
    for shard in range(_SHARDS):
        part = _read_part(folder / _SHARD_NAME.format(shard), salt)
        if part is not None:
            entries.update(part[2])
    return PageCache(
        salt,
        entries=entries,
        stats=stats,
        links=links,
        generated=generated,
        rendered=rendered,
        raw_stats=raw_stats,
        folder=folder,
    )


def _read_gate_part(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}, {}
    if isinstance(data, tuple) and len(data) == 3 and data[0] == _GATE_FORMAT:
        return data[1], data[2]
    return {}, {}


def save_cache(settings: Settings, cache: PageCache | None) -> None:
    """Persist what this run changed: the state part and the changed entry shards."""
    if cache is None:
        return
    generated, rendered = _live(cache)
    if len(generated) < len(cache.generated):
        cache.generated_changed = True  # forget memoised output of older states
    if cache.generated_changed or len(rendered) < len(cache.rendered):
        cache.dirty = True  # and verdicts of older states
    extras = {name: state for name, state in cache.extras.items() if state.pop("dirty", False)}
    if not cache.persist or not (
        cache.dirty or cache.dirty_shards or cache.parts.dirty or cache.full.dirty or extras
    ):
        return
    folder = _cache_dir(settings)
    state = (_CACHE_FORMAT, cache.salt, cache.stats, cache.links)
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
        cache.parts.save(cache.live)
        cache.full.save(cache.live)
        for name, extra in extras.items():
            _write_part(folder / f"{name}.marshal", (_CACHE_FORMAT, cache.salt, extra))
        if cache.generated_changed:  # the sidebar and tables: megabytes on a large site
            _write_part(folder / _GENERATED_NAME, (_CACHE_FORMAT, cache.salt, generated))
        _write_part(folder / _STATE_NAME, state)
        _write_part(folder / _GATE_NAME, gate)
    except OSError:
        return
    cache.dirty = False
    cache.generated_changed = False
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
    write_atomic(path, marshal.dumps(data))
