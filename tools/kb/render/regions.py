"""Marked regions that `kb tables` owns: `<!-- kb:table SPEC -->` … `<!-- /kb:table -->`."""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from kb.markdown import mask_code

_OPEN = re.compile(r"^<!--\s*kb:table\b([^\n]*?)-->[ \t]*$", re.M)
_CLOSE = re.compile(r"^<!--\s*/kb:table\s*-->[ \t]*$", re.M)
_ANY_MARKER = re.compile(r"<!--\s*/?kb:table\b")


class Region(NamedTuple):
    line: int
    """File line of the opening marker."""
    spec: str
    """Text after `kb:table`, e.g. `papers category=survival`."""
    start: int
    """Offset of the region content (after the opening marker line) in the parsed text."""
    end: int
    """Offset of the closing marker line; -1 when the region is not closed."""
    content: str


@functools.lru_cache(maxsize=8)
def find_regions(text: str, first_line: int = 1) -> tuple[Region, ...]:
    """Table regions outside code, in order; unclosed ones have end == -1. The parse, the
    generator and the gate each ask about the same (large) pages in one run: remembered."""
    if "kb:table" not in text:
        return ()
    masked = mask_code(text)
    regions: list[Region] = []
    pos = 0
    while True:
        opening = _OPEN.search(masked, pos)
        if not opening:
            break
        line = first_line + masked.count("\n", 0, opening.start())
        start = opening.end() + 1
        closing = _CLOSE.search(masked, start - 1)
        following = _OPEN.search(masked, start - 1)
        if not closing or (following and following.start() < closing.start()):
            regions.append(Region(line, opening.group(1).strip(), start, -1, ""))
            pos = opening.end()
            continue
        regions.append(
            Region(
                line,
                opening.group(1).strip(),
                start,
                closing.start(),
                text[start : closing.start()],
            )
        )
        pos = closing.end()
    return tuple(regions)


def stray_markers(text: str) -> list[int]:
    """Lines of marker-like comments that are not well-formed open/close lines."""
    if "kb:table" not in text:
        return []
    masked = mask_code(text)
    good = {m.start() for m in _OPEN.finditer(masked)} | {
        m.start() for m in _CLOSE.finditer(masked)
    }
    return [
        masked.count("\n", 0, m.start()) + 1
        for m in _ANY_MARKER.finditer(masked)
        if m.start() not in good
    ]
