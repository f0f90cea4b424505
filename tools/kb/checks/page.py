"""Checks that need one page only: markdown structure, references, paper sections."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from kb.diagnostics import Diagnostic, make
from kb.markdown import Heading, Scan
from kb.schema import PAPER_SECTIONS


def check_page(file: str, scan: Scan, *, titles: bool = True) -> Iterator[Diagnostic]:
    """Markdown issues found while scanning, undefined reference labels, a missing title
    (`titles`: kb's content model asks every page for one).

    What a page renders as HTML is judged by the HTML gate (kb.checks.rendered), from the
    page as the site's docsify renders it, not from this scan.
    """
    for issue in scan.issues:
        yield replace(issue, file=file)
    yield from _check_references(file, scan)
    if titles and not any(h.level == 1 for h in scan.headings):
        yield make(
            "MD505", file, 0, "page has no level-1 heading", hint="start the body with '# 标题'"
        )


TEMPLATE_TEXT = "> 完整引用（作者、题目、期刊、年份）。"
"""The start of the placeholder line the paper template puts under the title."""
_EMPTY_LINK_ITEM = re.compile(r"^- (论文|代码)：\s*$")
_COMMENT = re.compile(r"<!--.*?-->")


def check_paper_sections(
    file: str, headings: Sequence[Heading], body: str = "", body_line: int = 1
) -> Iterator[Diagnostic]:
    """A paper page has the template's `##` sections, in order (extra sections are fine),
    each with something in it, and none of the template's placeholder text left."""
    yield from _check_filled(file, headings, body.split("\n"), body_line)
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


def _check_filled(
    file: str, headings: Sequence[Heading], lines: list[str], body_line: int
) -> Iterator[Diagnostic]:
    if not lines or lines == [""]:
        return
    for index, line in enumerate(lines):
        if line.startswith(TEMPLATE_TEXT) or _EMPTY_LINK_ITEM.match(line):
            yield make(
                "MD508",
                file,
                body_line + index,
                f"template placeholder left in the page: {line.strip()!r}",
                hint="replace it with the page's own text, or delete the line",
            )
    for position, heading in enumerate(headings):
        if heading.level != 2 or _plain(heading.text) not in PAPER_SECTIONS:
            continue
        after = next((h for h in headings[position + 1 :] if h.level <= 2), None)
        start = heading.line - body_line + 1
        end = after.line - body_line if after is not None else len(lines)
        inside = [_COMMENT.sub("", line).strip() for line in lines[start:end]]
        if not any(line and not line.startswith("#") for line in inside):
            yield make(
                "MD508",
                file,
                heading.line,
                f"section '## {_plain(heading.text)}' is empty",
                hint="write the section (see the paper template's guidance in the guide)",
            )


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
