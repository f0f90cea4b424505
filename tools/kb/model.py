"""Parse one page file into the model the checks and renderers use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from kb.checks.page import check_page
from kb.diagnostics import Diagnostic, make
from kb.frontmatter import normalize_text, split_front_matter
from kb.markdown import Heading, Link, scan_markdown
from kb.render.regions import Region, find_regions, stray_markers
from kb.schema import validate_front_matter
from kb.vocabulary import Term
from kb.yamlio import YamlPath


@dataclass(frozen=True)
class ParseContext:
    """Everything besides the file itself that a page's parse result depends on."""

    vocabulary: Mapping[str, Mapping[str, Term]]
    iframe_hosts: tuple[str, ...]
    max_page_kb: int
    year: int


class ParsedPage(NamedTuple):
    file: str
    """Repo-relative posix path."""
    meta: dict[str, Any] | None
    """Front matter when it is a valid mapping, else None."""
    lines: dict[YamlPath, int]
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    regions: tuple[Region, ...]
    diagnostics: tuple[Diagnostic, ...]
    """Findings that depend on this page alone."""

    @property
    def page_type(self) -> str:
        return str(self.meta.get("type", "")) if self.meta else ""

    @property
    def title(self) -> str:
        return str(self.meta.get("title", "")) if self.meta else ""

    @property
    def is_draft(self) -> bool:
        return bool(self.meta and self.meta.get("draft") is True)

    def key_line(self, key: str) -> int:
        return self.lines.get((key,), 1)


def parse_page(file: str, raw: bytes, ctx: ParseContext, *, special: bool = False) -> ParsedPage:
    """Parse a page; `special` pages (`_404.md`) need no front matter."""
    try:
        text = normalize_text(raw)
    except UnicodeDecodeError as exc:
        found = make("MD506", file, 0, f"not valid UTF-8 (byte {exc.start})")
        return ParsedPage(file, None, {}, (), (), (), (found,))
    front, found = split_front_matter(text, file)
    meta: dict[str, Any] | None = None
    lines: dict[YamlPath, int] = {}
    if front.doc is not None:
        lines = front.doc.lines
        if isinstance(front.doc.data, dict):
            meta = front.doc.data
        found.extend(validate_front_matter(front.doc, file, ctx.vocabulary, year=ctx.year))
    elif not front.present and not special:
        found.append(
            make(
                "FM101",
                file,
                1,
                "page has no YAML front matter",
                hint="start the file with '---', the fields (type, title, …), '---'",
            )
        )
    scan = scan_markdown(front.body, front.body_line)
    found.extend(check_page(file, scan, len(raw), ctx.iframe_hosts, ctx.max_page_kb))
    regions = find_regions(front.body, front.body_line)
    for line in stray_markers(front.body):
        found.append(
            make(
                "TBL402",
                file,
                front.body_line + line - 1,
                "malformed kb:table marker",
                hint="put '<!-- kb:table KIND key=value -->' and '<!-- /kb:table -->' "
                "alone on their lines",
            )
        )
    return ParsedPage(file, meta, lines, scan.headings, scan.links, regions, tuple(found))
