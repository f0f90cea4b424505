"""The link cache: one JSON file of results, each fresh for its class's time-to-live."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from kb.links.check import Result
from kb.links.settings import LinkSettings

VERSION = 1


def load_cache(path: Path) -> dict[str, Result]:
    """Results by URL; a missing, unreadable or foreign file is an empty cache."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return {}
    entries = data.get("entries")
    results: dict[str, Result] = {}
    for url, entry in entries.items() if isinstance(entries, dict) else ():
        try:
            results[url] = Result.from_json(url, entry)
        except (KeyError, TypeError, ValueError):
            continue
    return results


def fresh(result: Result, settings: LinkSettings, now: float) -> bool:
    ttl = settings.ttl_seconds(result.link_class)
    return ttl > 0 and now - result.checked_at < ttl


def save_cache(path: Path, results: dict[str, Result], settings: LinkSettings, now: float) -> None:
    """Write the still-fresh results atomically; excluded URLs are never stored."""
    entries = {
        url: result.to_json()
        for url, result in sorted(results.items())
        if result.link_class != "excluded" and fresh(result, settings, now)
    }
    payload = json.dumps({"version": VERSION, "entries": entries}, ensure_ascii=False, indent=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".links-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
