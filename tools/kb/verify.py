"""`kb verify` (online): each paper page's facts against its record, from Crossref (DOI) or
arXiv (arXiv ID). A disagreement is a diagnostic at the line of the field."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kb.checks.duplicates import normalize_title
from kb.config import Settings
from kb.diagnostics import Diagnostic, make
from kb.errors import UserError
from kb.sources import PaperRecord, fetch_arxiv, fetch_crossref

Fetch = Callable[[str, str], PaperRecord]
"""(kind "doi" or "arxiv", identifier) → record; raises UserError."""

_NON_WORD = re.compile(r"[\W_]+")


def verify(
    settings: Settings,
    only: set[str] | None = None,
    fetch: Fetch | None = None,
) -> tuple[list[Diagnostic], int]:
    """Findings for every paper page with a DOI or arXiv ID (`only`: these files), and the
    number of pages asked about."""
    from kb.site import load_site  # noqa: PLC0415 - the build's model, for `kb verify` only

    site = load_site(settings)
    fetch = fetch or _fetcher(settings)
    found: list[Diagnostic] = []
    asked = 0
    for file, info in sorted(site.infos.items()):
        if (
            info.page_type != "paper"
            or info.meta is None
            or (only is not None and file not in only)
        ):
            continue
        meta = info.meta
        kind, identifier = _identifier(meta)
        if not identifier:
            continue
        page = site.pages[file]
        asked += 1
        try:
            record = fetch(kind, identifier)
        except UserError as exc:
            found.append(make("VER705", file, page.key_line(kind), f"not verified: {exc}"))
            continue
        found.extend(compare(file, meta, record, page.key_line, source=_SOURCE[kind]))
    return found, asked


_SOURCE = {"doi": "Crossref", "arxiv": "arXiv"}


def _identifier(meta: Mapping[str, Any]) -> tuple[str, str]:
    for kind in ("doi", "arxiv"):
        value = meta.get(kind)
        if isinstance(value, str) and value.strip():
            return kind, value.strip()
    return "", ""


def _fetcher(settings: Settings) -> Fetch:
    sources = settings.sources

    def fetch(kind: str, identifier: str) -> PaperRecord:
        if kind == "doi":
            return fetch_crossref(identifier, sources)
        return fetch_arxiv(identifier, sources)

    return fetch


def compare(
    file: str,
    meta: Mapping[str, Any],
    record: PaperRecord,
    line_of: Callable[[str], int],
    *,
    source: str,
) -> Iterator[Diagnostic]:
    """Title, year, first author and venue of the page against the record."""
    title = str(meta.get("title") or "")
    if normalize_title(title) != normalize_title(record.title):
        yield make(
            "VER701", file, line_of("title"), f"title differs from {source}: {record.title!r}"
        )
    year = meta.get("year")
    if year != record.year:
        yield make("VER702", file, line_of("year"), f"year differs from {source}: {record.year}")
    authors = meta.get("authors")
    first = authors[0] if isinstance(authors, list) and authors else ""
    if record.authors and _surname(str(first)) != _surname(record.authors[0]):
        yield make(
            "VER703",
            file,
            line_of("authors"),
            f"first author differs from {source}: {record.authors[0]!r}",
        )
    venue = str(meta.get("venue") or "")
    if source == "Crossref" and record.venue and _folded(venue) != _folded(record.venue):
        yield make(
            "VER704", file, line_of("venue"), f"venue differs from {source}: {record.venue!r}"
        )


def _surname(name: str) -> str:
    parts = name.split()
    return _folded(parts[-1]) if parts else ""


def _folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_WORD.sub("", text.replace("&", "and"))
