"""Duplicate papers: the same DOI, arXiv id or normalised title on two pages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from kb.diagnostics import Diagnostic, make
from kb.site import Site

_NON_WORD = re.compile(r"[\W_]+")


def check_duplicates(site: Site) -> Iterator[Diagnostic]:
    """Pairs of paper pages with the same identity; memoised on the metadata."""
    encoded = site.memo("duplicates", lambda: [d.encode() for d in _find_duplicates(site)])
    yield from map(Diagnostic.decode, encoded)


def _find_duplicates(site: Site) -> Iterator[Diagnostic]:
    seen: dict[tuple[str, str], str] = {}
    facts = site.facts()
    for file, info in sorted(site.infos.items()):
        if info.page_type != "paper":
            continue
        for kind, key in _identity(facts[file]):
            first = seen.setdefault((kind, key), file)
            if first != file:
                page = site.pages[file]
                yield make(
                    "FM112",
                    file,
                    page.key_line(kind if kind != "title" else "title"),
                    f"same {kind} as '{first}'",
                    hint="merge the two pages into one",
                )


def _identity(meta: dict[str, object]) -> Iterator[tuple[str, str]]:
    doi = meta.get("doi")
    if isinstance(doi, str) and doi.strip():
        yield "doi", doi.strip().lower()
    arxiv = meta.get("arxiv")
    if isinstance(arxiv, str) and arxiv.strip():
        yield "arxiv", re.sub(r"v\d+$", "", arxiv.strip().lower())
    title = meta.get("title")
    if isinstance(title, str) and title.strip():
        yield "title", normalize_title(title)


def normalize_title(title: str) -> str:
    """Case, width, accents and punctuation folded away."""
    if title.isascii():
        return _NON_WORD.sub("", title.lower())
    text = unicodedata.normalize("NFKD", title).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_WORD.sub("", text)
