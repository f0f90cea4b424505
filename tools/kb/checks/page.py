"""Checks that need one page only: markdown structure, references, paper sections."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from kb.diagnostics import Diagnostic, make
from kb.markdown import Heading, Scan
from kb.schema import PAPER_SECTIONS


def check_page(file: str, scan: Scan) -> Iterator[Diagnostic]:
    """Markdown issues found while scanning, undefined reference labels, a missing title.

    What a page renders as HTML is judged by the HTML gate (kb.checks.rendered), from the
    page as the site's docsify renders it, not from this scan.
    """
    for issue in scan.issues:
        yield replace(issue, file=file)
    yield from _check_references(file, scan)
    if not any(h.level == 1 for h in scan.headings):
        yield make(
            "MD505", file, 0, "page has no level-1 heading", hint="start the body with '# 标题'"
        )


def check_paper_sections(file: str, headings: Sequence[Heading]) -> Iterator[Diagnostic]:
    """A paper page has the template's `##` sections, in order (extra sections are fine)."""
    found = [h for h in headings if h.level == 2 and _plain(h.text) in PAPER_SECTIONS]
    names = [_plain(h.text) for h in found]
    for name in PAPER_SECTIONS:
        if name not in names:
            yield make(
                "MD507",
                file,
                0,
                f"paper page has no '## {name}' section",
                hint="use the sections of the paper template, in order",
            )
    latest = -1
    for heading, name in zip(found, names, strict=True):
        position = PAPER_SECTIONS.index(name)
        if position < latest:
            yield make(
                "MD507",
                file,
                heading.line,
                f"section '## {name}' is out of order",
                hint=f"the template order is: {' → '.join(PAPER_SECTIONS)}",
            )
            break
        latest = position


def _plain(heading: str) -> str:
    """Heading text without HTML comments (e.g. `<!-- {docsify-ignore} -->`)."""
    return re.sub(r"<!--.*?-->", "", heading).strip()


def _check_references(file: str, scan: Scan) -> Iterator[Diagnostic]:
    for label, line, column in scan.ref_uses:
        if label not in scan.ref_defs:
            yield make(
                "LNK205",
                file,
                line,
                f"reference link label '{label}' is never defined",
                column=column,
                hint=f"add '[{label}]: URL' below the paragraph",
            )
