"""The link cache: one JSON file of results, each fresh for its class's time-to-live."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from kb.links.check import Result
from kb.links.settings import LinkSettings
from kb.writer import write_atomic

VERSION = 1


@dataclass
class LinkCache:
    results: dict[str, Result] = field(default_factory=dict)


def load_cache(path: Path) -> LinkCache:
    """The cache; a missing, unreadable or foreign file is empty, a bad entry is skipped."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return LinkCache()
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return LinkCache()
    cache = LinkCache()
    entries = data.get("entries")
    for url, entry in entries.items() if isinstance(entries, dict) else ():
        try:
            cache.results[url] = Result.from_json(url, entry)
        except (KeyError, TypeError, ValueError):
            continue
    return cache


def fresh(result: Result, settings: LinkSettings, now: float) -> bool:
    ttl = settings.ttl_seconds(result.link_class)
    return ttl > 0 and now - result.checked_at < ttl


def save_cache(path: Path, cache: LinkCache, settings: LinkSettings, now: float) -> None:
    """Write the still-fresh results atomically; excluded URLs are never stored."""
    entries = {
        url: result.to_json()
        for url, result in sorted(cache.results.items())
        if result.link_class != "excluded" and fresh(result, settings, now)
    }
    payload = json.dumps({"version": VERSION, "entries": entries}, ensure_ascii=False, indent=0)
    write_atomic(path, (payload + "\n").encode("utf-8"))
