"""kb's markdown scanner against marked, as docsify 5 runs it (the oracle).

`oracle_scan` runs tests/oracle/marked_scan.mjs once for any number of pages; `compare`
puts kb's scan of one page beside the oracle's and yields every disagreement found.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.frontmatter import normalize_text, split_front_matter
from kb.markdown import scan_markdown

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("marked_scan.mjs")
INLINE_KINDS = ("link", "image", "autolink")
"""Link kinds both sides name alike: `[a](b)`, `![a](b)`, `<scheme:…>` and `<a@b.c>`."""

OracleResult = dict[str, list[Any]]


@dataclass(frozen=True)
class Disagreement:
    page: str
    what: str
    """headings | links | html | definitions | references"""
    kb: object
    marked: object

    def __str__(self) -> str:
        return f"{self.page}: {self.what}\n  kb:     {self.kb!r}\n  marked: {self.marked!r}"


def read_body(path: Path) -> str:
    """The page body docsify renders: the file without its front matter."""
    front, _ = split_front_matter(normalize_text(path.read_bytes()), path.name)
    return front.body


def oracle_scan(bodies: Sequence[str], *, latex: bool = True) -> list[OracleResult]:
    """What docsify (marked) makes of each body: one node process for all of them."""
    request = json.dumps({"latex": latex, "pages": list(bodies)})
    done = subprocess.run(
        ["node", str(SCRIPT)],
        input=request,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        cwd=ROOT,
    )
    results: list[OracleResult] = json.loads(done.stdout)
    for result in results:
        if "error" in result:
            raise RuntimeError(f"marked failed on a page: {result['error']}")
    return results


def compare(page: str, body: str, oracle: OracleResult) -> Iterator[Disagreement]:
    """Every way kb's scan of `body` differs from the oracle's."""
    scan = scan_markdown(body)
    kb_headings = [(h.level, h.text, h.slug) for h in scan.headings]
    marked_headings = [tuple(h) for h in oracle["headings"]]
    if kb_headings != marked_headings:
        yield Disagreement(page, "headings", *_first_difference(kb_headings, marked_headings))

    yield from _differ(
        page,
        "links",
        ((link.kind, link.target) for link in scan.links if link.kind in INLINE_KINDS),
        ((kind, href) for kind, href, *_ in oracle["links"] if kind in INLINE_KINDS),
    )
    yield from _differ(
        page,
        "html",
        ((link.kind, link.target) for link in scan.links if link.kind.startswith("html:")),
        ((kind, href) for kind, href in oracle["html"]),
    )
    # Definitions as sets: marked keeps the first of two with the same label.
    yield from _differ(
        page,
        "definitions",
        {*scan.ref_defs, *(link.target for link in scan.links if link.kind == "definition")},
        {*(_norm_label(label) for label, _ in oracle["defs"]), *(h for _, h in oracle["defs"])},
    )
    # Full and collapsed references (`[text][label]`, `[label][]`): kb reports those whose
    # label is undefined. Shortcut references (`[label]`) are not compared: undefined, they
    # are plain text, and defined, their target is checked at the definition.
    yield from _differ(
        page,
        "references",
        (label for label, _, _ in scan.ref_uses if label in scan.ref_defs),
        (_norm_label(entry[2]) for entry in oracle["links"] if entry[0].startswith("ref-")),
    )


def _differ(
    page: str, what: str, kb: Iterable[Hashable], marked: Iterable[Hashable]
) -> Iterator[Disagreement]:
    """A disagreement when the two sides found different things (counted, in any order);
    it shows what each side found that the other did not."""
    mine, theirs = Counter(kb), Counter(marked)
    if mine != theirs:
        yield Disagreement(
            page, what, sorted((mine - theirs).elements()), sorted((theirs - mine).elements())
        )


def _norm_label(label: str) -> str:
    """kb's label normalisation (marked lowercases and folds whitespace, without trimming)."""
    return " ".join(label.split()).casefold()


def _first_difference(kb: list[Any], marked: list[Any]) -> tuple[object, object]:
    for index, (mine, theirs) in enumerate(zip(kb, marked, strict=False)):
        if mine != theirs:
            return (index, mine), (index, theirs)
    return (len(marked), kb[len(marked) :]), (len(kb), marked[len(kb) :])
