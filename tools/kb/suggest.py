"""One "did you mean" for every check: the closest known name to a wrong one.

Similarity is rapidfuzz's normalised Indel ratio (the share of characters two strings have
in common, in order: 1.0 for equal strings), computed in C++: a check of 1,500 pages with
3,000 links to missing files asks 3,000 questions of a 1,500-name folder, which took
difflib about 2 minutes and takes rapidfuzz a fraction of a second (bench/broken_links.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process


def suggest(wrong: str, known: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The known name closest to `wrong` with a similarity of at least `cutoff` (0–1); the
    first of equally close names; None when nothing is that close."""
    match = process.extractOne(wrong, known, scorer=fuzz.ratio, score_cutoff=cutoff * 100)
    return match[0] if match else None


def did_you_mean(wrong: str, known: Iterable[str], *, cutoff: float = 0.6, prefix: str = "") -> str:
    """`did you mean 'x'?` for the closest known name (with `prefix`, e.g. '#'), or ''."""
    close = suggest(wrong, known, cutoff=cutoff)
    return f"did you mean '{prefix}{close}'?" if close is not None else ""
