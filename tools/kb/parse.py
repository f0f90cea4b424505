"""parse: read, hash and parse every page not in the cache, in parallel on a cold run."""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kb.cache import PageCache, forget_removed
from kb.collect import Signature
from kb.config import Settings, read_limit
from kb.model import EncodedPage, ParseContext, encode_page
from kb.writer import read_regular

_PARALLEL_MIN = 200
"""Below this many pages to parse, a process pool costs more than it saves."""


def parse_pages(
    settings: Settings,
    files: list[str],
    ctx: ParseContext,
    cache: PageCache,
    signatures: Mapping[str, Signature],
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
        signature = signatures[file]
        known = cache.stats.get(file)
        if known and known[:4] == signature and known[4] in cache.entries:
            keys[file] = known[4]
            by_file[file] = cache.entries[known[4]]
        else:
            misses.append((file, signature))
    job = _Job(root, bytes.fromhex(cache.salt), ctx, frozenset(cache.entries))
    parsed = 0
    signatures = dict(misses)
    for file, key, result in _run(job, [file for file, _ in misses], settings.jobs):
        keys[file] = key
        cache.stats[file] = (*signatures[file], key)
        cache.dirty = True
        if result is None:
            by_file[file] = cache.entries[key]
        else:
            parsed += 1
            encoded, full, part = result
            cache.add(key, encoded, full, part)
            by_file[file] = encoded
    forget_removed(cache, keys)
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


_Result = tuple[str, str, tuple[EncodedPage, bytes, Any] | None]
"""(file, content key, None when cached else (encoded page, full parse, search part))."""


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
            results.append((file, key, parse_encoded(file, raw, job.ctx)))
    return results


def parse_encoded(file: str, raw: bytes, ctx: ParseContext) -> tuple[EncodedPage, bytes, Any]:
    """Parse one page into (encoded page, full parse, search part), as the cache keeps it."""
    from kb.parser import parse_page  # noqa: PLC0415 - warm runs parse nothing

    page = parse_page(file, raw, ctx, special=is_special(file))
    encoded, full = encode_page(page, ctx.rules)
    return encoded, full, page.search


_WORKER_JOB: _Job | None = None


def _process_chunk(files: list[str]) -> bytes:
    assert _WORKER_JOB is not None
    return marshal.dumps(_process(_WORKER_JOB, files))


def is_special(file: str) -> bool:
    return file.rsplit("/", 1)[-1].startswith("_")
