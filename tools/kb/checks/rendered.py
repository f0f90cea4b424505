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
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from kb.config import NAVIGATION, read_limit
from kb.diagnostics import Diagnostic, make
from kb.gate import MAX_INCLUDE_BYTES, Judging, Request, Verdict, start_judging
from kb.generate import Owned
from kb.render.regions import find_regions
from kb.runtime import Runtime, find_runtime
from kb.site import Site
from kb.writer import read_regular


@dataclass(frozen=True)
class Unit:
    """Part of a file kb generated, judged on its own (see `split_generated`)."""

    text: str
    lines: tuple[int, ...]
    """The file line of each of the unit's lines."""


@dataclass
class Rendering:
    """The gate at work: cached verdicts, and the pages node is rendering meanwhile."""

    site: Site
    files: list[str]
    verdicts: dict[str, Verdict]
    keys: dict[str, str]
    misses: list[tuple[str, str, Unit | None]]
    """What node is rendering: (file, verdict key, unit or None for the whole file)."""
    parts: dict[str, list[tuple[Unit, Verdict]]]
    """Files judged unit by unit: the units' verdicts so far."""
    unit_keys: dict[str, tuple[str, ...]]
    """Files judged unit by unit: the verdict keys of their units."""
    judging: Judging | None
    oversized: list[Diagnostic]
    """MD504 for files the gate does not read that are outside the content model (the
    root's pages, `_`-folders): the content model reports its own."""

    def finish(self) -> list[Diagnostic]:
        """Wait for the pages being rendered; every finding, in file order."""
        fresh = self.judging.verdicts() if self.judging is not None else []
        for (file, key, unit), verdict in zip(self.misses, fresh, strict=True):
            _store(self.site, key, verdict)
            if unit is None:
                self.verdicts[file] = verdict
            else:
                self.parts[file].append((unit, verdict))
        for file, parts in self.parts.items():
            self.verdicts[file] = verdict = _combine(parts)
            _store(self.site, self.keys[file], verdict, self.unit_keys[file])
        found = [
            d
            for file in self.files
            if file in self.verdicts
            for d in _diagnostics(file, self.verdicts[file])
        ]
        return sorted([*found, *self.oversized], key=lambda d: (d.file, d.line))


def start_rendered(site: Site, owned: Callable[[str], Owned | None] | None = None) -> Rendering:
    """Look up cached verdicts and hand every other page to the gate; node renders them
    while the caller runs its other checks (`finish()` collects). `owned(file)` says what
    kb generates of a file: a file that holds exactly that is judged in units, so that after
    one entry changes only the units holding it are rendered again."""
    settings = site.settings
    files = gate_files(site)
    rendering = Rendering(site, files, {}, {}, [], {}, {}, None, [])
    if not files:
        return rendering
    runtime = find_runtime(settings)
    requests: list[Request] = []
    prefix = _key_prefix(runtime, settings.iframe_hosts)
    for file in files:
        limit = read_limit(settings.max_page_kb, file)
        digest, raw = _content(site, file, limit)
        if digest is None:
            if file not in site.infos and _exists(site, file):
                rendering.oversized.append(_too_large(file, limit))
            continue  # MD504: kb does not read it
        key = rendering.keys[file] = _key(prefix, file, digest)
        cached = _cached(site, key)
        if cached is not None:
            rendering.verdicts[file] = cached
            continue
        raw = raw if raw is not None else read_regular(str(settings.path(file)), limit)
        # As the browser fetches it: line endings untouched (marked and the plugins see CRs).
        text = raw.decode("utf-8-sig", errors="replace")
        expected = owned(file) if owned is not None else None
        units = split_generated(text, expected) if expected is not None else None
        if units is None:
            rendering.misses.append((file, key, None))
            requests.append(Request(file, route(file), text, _kind(file)))
            continue
        parts = rendering.parts[file] = []
        unit_keys = [_key(prefix, file, "unit\0" + _digest(u.text.encode())) for u in units]
        rendering.unit_keys[file] = tuple(unit_keys)
        for unit, unit_key in zip(units, unit_keys, strict=True):
            known = _cached(site, unit_key)
            if known is not None:
                parts.append((unit, known))
            else:
                rendering.misses.append((file, unit_key, unit))
                requests.append(Request(file, route(file), unit.text, _kind(file)))
    if site.cache is not None:
        site.cache.judged = True  # verdicts this run did not use are stale now
        site.cache.keep_raw_digests(set(files))
    rendering.judging = start_judging(
        runtime,
        settings.root,
        settings.iframe_hosts,
        requests,
        jobs=settings.jobs,
        timeout=settings.render_timeout,
    )
    return rendering


UNIT_ROWS = 128
"""Most generated rows in one unit; a unit usually ends sooner, where a row's hash says
(`_ends_unit`), so that inserting or changing a row moves no other unit's boundaries."""


def split_generated(text: str, owned: Owned) -> list[Unit] | None:
    """A file kb generated, as units to judge one by one; None unless the file holds
    exactly what kb generates of it now.

    Why the verdicts of the units are the file's: every entry kb writes is one line whose
    text went through `md_text`/`md_url` (no `<`, so no HTML in any context), a table row's
    cells and a list item's inline content are lexed on their own by marked, and each
    region starts with a blank line after its marker, at block level. So a sidebar entry is
    judged as a one-line list item, and a table row under its table's header, and the rest
    of the file (the "frame": hand-written text, headings, table headers) on its own. A
    unit renders everything it holds at top level, where markdown makes the most of it.
    `tests/test_gate_units.py` checks the findings match whole-file judging, line for
    line, on hostile metadata."""
    lines = text.splitlines(keepends=True)
    if owned.whole is not None:
        if text != owned.whole:
            return None
        rows = [(number, line.lstrip(" ")) for number, line in enumerate(lines, 1)]
        return _chunked([], rows)
    regions = find_regions(text)
    if tuple(r.content for r in regions) != owned.regions or any(r.end < 0 for r in regions):
        return None
    units: list[Unit] = []
    taken: set[int] = set()
    for region in regions:
        first = region.line + 1  # the content starts on the line after the marker
        block: list[tuple[int, str]] = []
        for number, line in enumerate([*region.content.splitlines(keepends=True), ""], first):
            if line.startswith("|"):
                block.append((number, line))
                continue
            if len(block) > 2:
                units.extend(_chunked(block[:2], block[2:]))
                taken.update(number for number, _ in block[2:])
            block = []
    frame = [(n, line) for n, line in enumerate(lines, 1) if n not in taken]
    return [_unit(frame), *units]


def _chunked(head: list[tuple[int, str]], rows: list[tuple[int, str]]) -> list[Unit]:
    """`rows` in runs, each under `head`; a run ends after a row `_ends_unit` picks."""
    units: list[Unit] = []
    run: list[tuple[int, str]] = []
    for row in rows:
        run.append(row)
        if len(run) >= UNIT_ROWS or _ends_unit(row[1]):
            units.append(_unit([*head, *run]))
            run = []
    if run:
        units.append(_unit([*head, *run]))
    return units


def _ends_unit(line: str) -> bool:
    return zlib.crc32(line.encode()) % 32 == 0


def _unit(lines: list[tuple[int, str]]) -> Unit:
    text = "".join(line for _, line in lines)
    if text and not text.endswith("\n"):
        text += "\n"
    return Unit(text, tuple(number for number, _ in lines))


def _combine(parts: list[tuple[Unit, Verdict]]) -> Verdict:
    """The file's verdict from its units': findings at the file's lines."""
    findings: list[Diagnostic] = []
    reads: dict[str, None] = {}
    for unit, verdict in parts:
        for finding in verdict.findings:
            line = finding.line
            if 0 < line <= len(unit.lines):
                line = unit.lines[line - 1]
            findings.append(replace(finding, line=line))
        reads.update(dict.fromkeys(verdict.reads))
    findings.sort(key=lambda d: d.line)
    return Verdict(tuple(dict.fromkeys(findings)), tuple(reads))


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
    digest = _digest(raw)
    if cache is not None:
        cache.remember_raw_digest(file, signature, digest)
    return digest, raw


def _digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=20).hexdigest()


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
    if not (isinstance(stored, tuple) and len(stored) == 3):
        return None
    reads, findings, units = stored
    if any(_file_hash(site, file) != digest for file, digest in reads):
        return None  # an embedded file changed
    for unit in units:
        site.cache.verdict(unit)  # type: ignore[union-attr] # kept: the next edit needs them
    return Verdict(tuple(map(Diagnostic.decode, findings)), tuple(file for file, _ in reads))


def _store(site: Site, key: str, verdict: Verdict, units: tuple[str, ...] = ()) -> None:
    """Keep a verdict; a file judged in units names their keys, so that they are kept for
    as long as the file's verdict is."""
    cache = site.cache
    if cache is None:
        return
    reads = tuple((file, _file_hash(site, file)) for file in verdict.reads)
    cache.remember_verdict(key, (reads, tuple(f.encode() for f in verdict.findings), units))


def _diagnostics(file: str, verdict: Verdict) -> Iterator[Diagnostic]:
    for finding in verdict.findings:
        yield replace(finding, file=file)
