"""The HTML gate as a check: every markdown file the site can show, rendered by the site's
own docsify and judged by the HTML policy (kb.gate), findings at the line of the source.

Verdicts are cached by content: the page's bytes, the site's scripts and policy (the
runtime signature), the iframe hosts, and the bytes of every file docsify read to render it
(`:include`), so a warm run renders only what changed.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from kb.config import NAVIGATION, read_limit
from kb.diagnostics import Diagnostic, make
from kb.gate import MAX_INCLUDE_BYTES, Judging, Request, Verdict, start_judging
from kb.runtime import Runtime, find_runtime
from kb.site import Site
from kb.writer import read_regular


def check_rendered(site: Site) -> list[Diagnostic]:
    """Findings of the HTML gate for every markdown file under docs/ and at the root."""
    return start_rendered(site).finish()


@dataclass
class Rendering:
    """The gate at work: cached verdicts, and the pages node is rendering meanwhile."""

    site: Site
    files: list[str]
    verdicts: dict[str, Verdict]
    keys: dict[str, str]
    misses: list[Request]
    judging: Judging | None
    oversized: list[Diagnostic]
    """MD504 for files the gate does not read that are outside the content model (the
    root's pages, `_`-folders): the content model reports its own."""

    def finish(self) -> list[Diagnostic]:
        """Wait for the pages being rendered; every finding, in file order."""
        fresh = self.judging.verdicts() if self.judging is not None else []
        for request, verdict in zip(self.misses, fresh, strict=True):
            self.verdicts[request.file] = verdict
            _store(self.site, self.keys[request.file], verdict)
        found = [
            d
            for file in self.files
            if file in self.verdicts
            for d in _diagnostics(file, self.verdicts[file])
        ]
        return sorted([*found, *self.oversized], key=lambda d: (d.file, d.line))


def start_rendered(site: Site) -> Rendering:
    """Look up cached verdicts and hand every other page to the gate; node renders them
    while the caller runs its other checks (`finish()` collects)."""
    settings = site.settings
    files = gate_files(site)
    if not files:
        return Rendering(site, [], {}, {}, [], None, [])
    runtime = find_runtime(settings)
    verdicts: dict[str, Verdict] = {}
    keys: dict[str, str] = {}
    misses: list[Request] = []
    oversized: list[Diagnostic] = []
    prefix = _key_prefix(runtime, settings.iframe_hosts)
    for file in files:
        limit = read_limit(settings.max_page_kb, file)
        digest, raw = _content(site, file, limit)
        if digest is None:
            if file not in site.infos and _exists(site, file):
                oversized.append(_too_large(file, limit))
            continue  # MD504: kb does not read it
        key = keys[file] = _key(prefix, file, digest)
        cached = _cached(site, key)
        if cached is not None:
            verdicts[file] = cached
            continue
        raw = raw if raw is not None else read_regular(str(settings.path(file)), limit)
        # As the browser fetches it: line endings untouched (marked and the plugins see CRs).
        text = raw.decode("utf-8-sig", errors="replace")
        misses.append(Request(file, route(file), text, _kind(file)))
    if site.cache is not None:
        site.cache.judged = True  # verdicts this run did not use are stale now
        site.cache.keep_raw_digests(set(files))
    judging = start_judging(
        runtime,
        settings.root,
        settings.iframe_hosts,
        misses,
        jobs=settings.jobs,
        timeout=settings.render_timeout,
    )
    return Rendering(site, files, verdicts, keys, misses, judging, oversized)


def gate_files(site: Site) -> list[str]:
    """Every markdown file a reader can reach: all of docs/ (folders starting with `_` too:
    docsify routes and embeds them) and the root's."""
    docs = site.settings.docs_dir.strip("/") + "/"
    return sorted(
        f for f in site.files if f.endswith(".md") and (f.startswith(docs) or "/" not in f)
    )


def route(file: str) -> str:
    """The docsify route that shows `file`: `docs/x.md` → `/docs/x`, `docs/README.md` →
    `/docs/`; the root README keeps its name (route `/` is the site's home page)."""
    path = "/" + file[: -len(".md")]
    if path.endswith("/README") and path != "/README":
        return path[: -len("README")]
    return path


def _kind(file: str) -> str:
    return "sidebar" if posixpath.basename(file) in NAVIGATION else "page"


def _content(site: Site, file: str, limit: int) -> tuple[str | None, bytes | None]:
    """A digest of the file's bytes, and the bytes when they had to be read: a file whose
    size, times and inode are unchanged keeps its digest unread. (None, None) above
    `limit` (MD504)."""
    path = os.path.join(site.settings.root, file)  # not pathlib: this runs per page
    signature = site.signatures.get(file)  # as this run's walk saw the file
    if signature is None:
        try:
            st = os.lstat(path)
        except OSError:
            return None, None
        signature = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    if signature[0] > limit:
        return None, None
    cache = site.cache
    known = cache.raw_digest(file, signature) if cache is not None else None
    if known is not None:
        return known, None
    raw = read_regular(path, limit)
    digest = hashlib.blake2b(raw, digest_size=20).hexdigest()
    if cache is not None:
        cache.remember_raw_digest(file, signature, digest)
    return digest, raw


def _exists(site: Site, file: str) -> bool:
    return os.path.lexists(site.settings.path(file))


def _too_large(file: str, limit: int) -> Diagnostic:
    return make(
        "MD504",
        file,
        0,
        f"file is larger than {limit // 1024} KB, so kb does not read it, and docsify can "
        "still show it",
        hint="split it into several files (or raise [tool.kb] max_page_kb)",
    )


def _key_prefix(runtime: Runtime, hosts: tuple[str, ...]) -> Any:
    """What every verdict key starts from: the runtime (scripts, policy, the gate's code)
    and the iframe hosts; not kb's Python code."""
    return hashlib.blake2b((runtime.signature + repr(sorted(hosts))).encode(), digest_size=20)


def _key(prefix: Any, file: str, digest: str) -> str:
    """Changes with the key prefix and the file's name and bytes."""
    key = prefix.copy()
    key.update(b"\0" + file.encode() + b"\0" + digest.encode())
    return "gate:" + key.hexdigest()


def _file_hash(site: Site, file: str) -> str:
    """An embedded file as the gate reads it: its bytes up to the gate's limit and its size
    (a file above the limit is refused whatever its tail says)."""
    path = str(site.settings.path(file))
    try:
        size = os.lstat(path).st_size
    except OSError:
        return "missing"
    raw = read_regular(path, MAX_INCLUDE_BYTES)
    return f"{size}:" + hashlib.blake2b(raw, digest_size=16).hexdigest()


def _cached(site: Site, key: str) -> Verdict | None:
    stored = site.cache.verdict(key) if site.cache is not None else None
    if stored is None:
        return None
    reads, findings = stored
    if any(_file_hash(site, file) != digest for file, digest in reads):
        return None  # an embedded file changed
    return Verdict(tuple(map(Diagnostic.decode, findings)), tuple(file for file, _ in reads))


def _store(site: Site, key: str, verdict: Verdict) -> None:
    cache = site.cache
    if cache is None:
        return
    reads = tuple((file, _file_hash(site, file)) for file in verdict.reads)
    cache.remember_verdict(key, (reads, tuple(f.encode() for f in verdict.findings)))


def _diagnostics(file: str, verdict: Verdict) -> Iterator[Diagnostic]:
    for finding in verdict.findings:
        yield replace(finding, file=file)
