"""`kb links`: collect → select (changed lines, shard) → cache → check → diagnostics."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp.abc import AbstractResolver

from kb.config import ConfigError, Settings
from kb.diagnostics import Diagnostic, make, with_severity
from kb.links.cache import LinkCache, fresh, load_cache, save_cache
from kb.links.check import REAL_CLOCK, Checker, Clock, Result
from kb.links.collect import Occurrence, host_of

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.M)


@dataclass
class LinkRun:
    """What a run did, for the summary line and the benchmark."""

    occurrences: int = 0
    unique: int = 0
    cached: int = 0
    checked: int = 0
    requests: int = 0
    classes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    results: dict[str, Result] = field(default_factory=dict)

    def summary(self) -> str:
        counts = ", ".join(f"{self.classes[c]} {c}" for c in ("ok", "warn", "broken", "excluded"))
        return (
            f"kb links: {self.unique} unique URL(s) in {self.occurrences} occurrence(s): "
            f"{counts}; {self.cached} from cache, {self.requests} request(s) "
            f"in {self.seconds:.2f} s"
        )


def parse_shard(text: str) -> tuple[int, int]:
    """`"2/4"` → (2, 4); raises ConfigError."""
    match = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ConfigError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. 1/4")
    return int(match.group(1)), int(match.group(2))


def shard_of(host: str, count: int) -> int:
    """1-based shard of a host: stable across machines and runs (not Python's hash)."""
    digest = hashlib.blake2b(host.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count + 1


def changed_lines(root: Path, ref: str) -> dict[str, set[int] | None]:
    """Lines added or changed since `ref` (committed or not), by file; None = whole file."""
    diff = _git(root, "diff", "--unified=0", "--no-color", "--no-ext-diff", ref, "--")
    changed: dict[str, set[int] | None] = {}
    file = ""
    for line in diff.splitlines():
        if line.startswith("+++ "):
            file = line[6:] if line.startswith("+++ b/") else ""
            if file:
                changed.setdefault(file, set())
        elif file and (match := _HUNK.match(line)):
            start, count = int(match.group(1)), int(match.group(2) or 1)
            lines = changed[file]
            if lines is not None:
                lines.update(range(start, start + count))
    untracked = _git(root, "ls-files", "--others", "--exclude-standard")
    for file in untracked.splitlines():
        changed[file] = None
    return changed


def _git(root: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    except OSError as exc:
        raise ConfigError(f"--changed-since needs git: {exc}") from None
    if result.returncode != 0:
        raise ConfigError(f"git {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result.stdout


def select(
    occurrences: Iterable[Occurrence],
    *,
    changed: dict[str, set[int] | None] | None = None,
    shard: tuple[int, int] | None = None,
) -> list[Occurrence]:
    kept = []
    for occ in occurrences:
        if changed is not None:
            if occ.file not in changed:
                continue
            lines = changed[occ.file]
            if lines is not None and occ.line not in lines:
                continue
        if shard is not None and shard_of(host_of(occ.url), shard[1]) != shard[0]:
            continue
        kept.append(occ)
    return kept


def check_links(
    settings: Settings,
    occurrences: Sequence[Occurrence],
    *,
    cache_file: Path | None,
    repository: str = "",
    progress: Callable[[int, int], None] | None = None,
    now: Callable[[], float] = time.time,
    resolver: AbstractResolver | None = None,
    clock: Clock = REAL_CLOCK,
) -> tuple[list[Diagnostic], LinkRun]:
    """Check the occurrences' URLs (cached results when fresh) and diagnose them.
    `resolver` resolves host names under the address policy, `now` dates the cache and
    `clock` times the checker's waits (tests inject fixed ones)."""
    started = clock.monotonic()
    link_settings = settings.links
    run = LinkRun(occurrences=len(occurrences))
    urls = sorted({o.url for o in occurrences if not o.invalid})
    need_body = (
        {o.url for o in occurrences if o.fragment and not _route_fragment(o.fragment)}
        if link_settings.check_fragments
        else set()
    )
    cache = load_cache(cache_file) if cache_file else LinkCache()
    results: dict[str, Result] = {}
    to_check = []
    for url in urls:
        cached = cache.results.get(url)
        if (
            cached is not None
            and fresh(cached, link_settings, now())
            and (url not in need_body or cached.anchors is not None)
            and not link_settings.excluded(url)
        ):
            results[url] = cached
        else:
            to_check.append(url)
    run.unique, run.cached, run.checked = len(urls), len(results), len(to_check)
    if to_check:
        # A stable pseudo-random order: sorted URLs would queue each host's slow kinds
        # (every /slow/… of a site together, at the end) and stretch the run's tail.
        to_check.sort(key=lambda url: hashlib.blake2b(url.encode(), digest_size=8).digest())
        checker = Checker(
            link_settings,
            repository=repository,
            progress=progress,
            resolver=resolver,
            clock=clock,
        )
        checked_at = now()
        for url, result in checker.run(to_check, need_body & set(to_check)).items():
            result.checked_at = checked_at
            results[url] = result
        run.requests = checker.stats.requests
    if cache_file:
        cache.results.update(results)
        save_cache(cache_file, cache, link_settings, now())
    run.results = results
    run.classes = Counter(results[u].link_class for u in urls)
    run.seconds = clock.monotonic() - started
    found = [d for o in occurrences for d in _diagnose(o, results.get(o.url))]
    overrides = settings.severity
    kept = [d2 for d in found if (d2 := with_severity(d, overrides)) is not None]
    return sorted(set(kept)), run


def _route_fragment(fragment: str) -> bool:
    """`#/page` and `?id=` fragments belong to a client-side router, not to the HTML."""
    return fragment.startswith("/") or fragment.startswith("!")


def _diagnose(occ: Occurrence, result: Result | None) -> list[Diagnostic]:
    where = (occ.file, occ.line)
    col = occ.column
    shown = occ.written or occ.url
    if occ.invalid:
        return [make("LNK215", *where, f"cannot fetch '{shown}'", column=col, hint="fix the URL")]
    if result is None or result.link_class in ("ok", "excluded"):
        found = []
        if result is not None and result.moved_to:
            found.append(
                make(
                    "LNK211",
                    *where,
                    f"'{shown}' moved permanently to {result.moved_to}",
                    column=col,
                    hint=f"link to {result.moved_to}",
                )
            )
        if (
            result is not None
            and result.anchors is not None
            and occ.fragment
            and not _route_fragment(occ.fragment)
            and occ.fragment not in result.anchors
        ):
            found.append(
                make(
                    "LNK214",
                    *where,
                    f"'{shown}': no element with id '{occ.fragment}' on the page",
                    column=col,
                    hint="link to an anchor the page has, or drop the #fragment",
                )
            )
        return found
    if result.link_class == "warn":
        return [
            make(
                "LNK212",
                *where,
                f"'{shown}' could not be verified: {result.detail}",
                column=col,
                hint="check it in a browser; exclude it in [tool.kb.links] if it works",
            )
        ]
    if result.refused:
        return [
            make(
                "LNK213",
                *where,
                f"'{shown}' is not fetched: {result.detail}",
                column=col,
                hint="link to a public address, or allow the network in allow_networks",
            )
        ]
    return [
        make(
            "LNK210",
            *where,
            f"'{shown}' is broken: {result.detail}",
            column=col,
            hint="replace it (an archived copy may help) or remove it",
        )
    ]


class Progress:
    """A one-line progress bar on stderr, for terminals."""

    def __init__(self, stream=sys.stderr) -> None:  # type: ignore[no-untyped-def]
        self.stream = stream
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\rkb links: [{bar}] {done}/{total} URLs")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
