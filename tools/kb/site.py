"""Collect the site's files and parse them into a `Site` (with a content-hash cache)."""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import pickle
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kb import __version__
from kb.config import Settings
from kb.diagnostics import Diagnostic, make
from kb.model import ParseContext, ParsedPage, parse_page
from kb.schema import validate_section
from kb.vocabulary import Term, load_vocabulary
from kb.yamlio import parse_yaml

SECTION_FILE = "_section.yaml"
_CACHE_NAME = "pages.pickle"
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


@dataclass
class Site:
    settings: Settings
    vocabulary: dict[str, dict[str, Term]]
    pages: dict[str, ParsedPage]
    """By repo-relative file; includes special `_*.md` pages."""
    sections: dict[str, Section]
    files: set[str]
    """Every repo-relative file under docs/ plus the root files; link targets resolve here."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Findings from loading: vocabulary, section metadata."""
    stats: dict[str, int] = field(default_factory=dict)

    def content_pages(self) -> list[ParsedPage]:
        """Pages that appear on the site (not special, not drafts), in file order."""
        return [p for f, p in sorted(self.pages.items()) if not _is_special(f) and not p.is_draft]


def load_site(settings: Settings, *, use_cache: bool = True) -> Site:
    """collect → parse (cached, parallel) → model."""
    vocab_file = settings.vocabulary
    vocabulary, found = load_vocabulary(settings.path(vocab_file), vocab_file)
    ctx = ParseContext(
        vocabulary, settings.iframe_hosts, settings.max_page_kb, dt.date.today().year
    )
    page_files, folders, files = find_files(settings)
    sections, section_found = load_sections(settings, folders)
    found.extend(section_found)
    pages, stats = parse_pages(settings, page_files, ctx, use_cache=use_cache)
    return Site(settings, vocabulary, pages, sections, files, found, stats)


def find_files(settings: Settings) -> tuple[list[str], list[str], set[str]]:
    """(page files, section folders, all files) under docs/, as repo-relative posix paths."""
    root = settings.root
    pages: list[str] = []
    folders: list[str] = []
    files: set[str] = {p.name for p in root.iterdir() if p.is_file()}
    for dirpath, dirnames, filenames in os.walk(settings.docs_path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        in_data = any(part.startswith("_") for part in rel_dir.split("/")[1:])
        if rel_dir != settings.docs_dir and not in_data:
            folders.append(rel_dir)
        for name in filenames:
            rel = f"{rel_dir}/{name}"
            files.add(rel)
            if name.endswith(".md") and not in_data:
                pages.append(rel)
    return sorted(pages), folders, files


def load_sections(
    settings: Settings, folders: Iterable[str]
) -> tuple[dict[str, Section], list[Diagnostic]]:
    sections: dict[str, Section] = {}
    found: list[Diagnostic] = []
    for folder in folders:
        file = f"{folder}/{SECTION_FILE}"
        try:
            text = settings.path(file).read_text(encoding="utf-8-sig")
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
        doc, errors = parse_yaml(text, file)
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
    settings: Settings, files: list[str], ctx: ParseContext, *, use_cache: bool
) -> tuple[dict[str, ParsedPage], dict[str, int]]:
    """Parse every page; results are cached by a hash of the page and everything it depends on."""
    salt = _context_salt(ctx)
    cache = _read_cache(settings) if use_cache else {}
    pages: dict[str, ParsedPage] = {}
    keys: dict[str, str] = {}
    todo: list[tuple[str, bytes]] = []
    for file in files:
        raw = settings.path(file).read_bytes()
        digest = hashlib.blake2b(salt, digest_size=20)
        digest.update(file.encode() + b"\0")
        digest.update(raw)
        key = digest.hexdigest()
        keys[file] = key
        hit = cache.get(key)
        if hit is not None and hit.file == file:
            pages[file] = hit
        else:
            todo.append((file, raw))
    pages.update(_parse_many(todo, ctx, settings.jobs))
    fresh = {keys[f]: p for f, p in pages.items()}
    if use_cache and (todo or len(fresh) != len(cache)):
        _write_cache(settings, fresh)
    return pages, {"pages": len(files), "parsed": len(todo), "cached": len(files) - len(todo)}


def _parse_many(
    todo: list[tuple[str, bytes]], ctx: ParseContext, jobs: int
) -> dict[str, ParsedPage]:
    workers = jobs or os.cpu_count() or 1
    if len(todo) < _PARALLEL_MIN or workers == 1:
        return {file: parse_page(file, raw, ctx, special=_is_special(file)) for file, raw in todo}
    chunks = [todo[i :: workers * 4] for i in range(workers * 4)]
    pool_ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=pool_ctx, initializer=_init_worker, initargs=(ctx,)
    ) as pool:
        results: dict[str, ParsedPage] = {}
        for part in pool.map(_parse_chunk, chunks):
            results.update((page.file, page) for page in part)
    return results


_WORKER_CTX: ParseContext | None = None


def _init_worker(ctx: ParseContext) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _parse_chunk(chunk: list[tuple[str, bytes]]) -> list[ParsedPage]:
    assert _WORKER_CTX is not None
    return [parse_page(file, raw, _WORKER_CTX, special=_is_special(file)) for file, raw in chunk]


def _is_special(file: str) -> bool:
    return file.rsplit("/", 1)[-1].startswith("_")


def _context_salt(ctx: ParseContext) -> bytes:
    """Changes whenever the toolchain or anything a page's parse depends on changes."""
    parts = [__version__, repr(sorted(ctx.iframe_hosts)), str(ctx.max_page_kb), str(ctx.year)]
    for name in sorted(ctx.vocabulary):
        parts.append(name + ":" + ",".join(sorted(ctx.vocabulary[name])))
    parts.append(_code_fingerprint())
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=32).digest()


def _code_fingerprint() -> str:
    """Size and mtime of the kb sources, so editing the toolchain invalidates the cache."""
    here = Path(__file__).parent
    stats = [(p.relative_to(here).as_posix(), p.stat()) for p in sorted(here.rglob("*.py"))]
    return ";".join(f"{name}:{st.st_size}:{st.st_mtime_ns}" for name, st in stats)


def _cache_path(settings: Settings) -> Path:
    return settings.path(settings.cache_dir) / _CACHE_NAME


def _read_cache(settings: Settings) -> dict[str, ParsedPage]:
    try:
        with _cache_path(settings).open("rb") as handle:
            data = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(settings: Settings, entries: dict[str, ParsedPage]) -> None:
    path = _cache_path(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as handle:
            pickle.dump(entries, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written only costs time
