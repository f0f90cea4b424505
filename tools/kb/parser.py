"""Parse one page file into the model: front matter (validated), the markdown scan, kb:table
regions, and the findings that depend on this page alone."""

from __future__ import annotations

from typing import Any

from kb.checks.page import check_page, check_paper_sections
from kb.config import read_limit
from kb.diagnostics import make
from kb.frontmatter import normalize_text, split_front_matter
from kb.markdown import Heading, scan_markdown
from kb.model import ParseContext, ParsedPage
from kb.render.regions import Region, find_regions, stray_markers
from kb.schema import validate_front_matter
from kb.searchtext import page_part
from kb.yamlio import YamlPath


def parse_page(file: str, raw: bytes, ctx: ParseContext, *, special: bool = False) -> ParsedPage:
    """Parse a page; `special` pages (`_404.md`) need no front matter. A page above
    `max_page_kb` is not scanned at all (`raw` may be cut just past the limit)."""
    limit = read_limit(ctx.max_page_kb, file)
    if len(raw) > limit:
        too_big = make(
            "MD504",
            file,
            0,
            f"page is larger than {limit // 1024} KB, so kb does not read it",
            hint="split it into several pages (or raise [tool.kb] max_page_kb)",
        )
        return ParsedPage(file, None, {}, (), (), (), (too_big,), _unread(file, ctx, special))
    try:
        text = normalize_text(raw)
    except UnicodeDecodeError as exc:
        found = make("MD506", file, 0, f"not valid UTF-8 (byte {exc.start})")
        return ParsedPage(file, None, {}, (), (), (), (found,), _unread(file, ctx, special))
    front, found = split_front_matter(text, file)
    if not ctx.content_model:
        return _plain_page(file, front.body, front.body_line, ctx.math)
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
    found.extend(check_page(file, scan))
    if meta is not None and meta.get("type") == "paper":
        found.extend(check_paper_sections(file, scan.headings, front.body, front.body_line))
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
    part = (
        None
        if special
        else _search_part(file, meta, front.body, front.body_line, ctx, scan.headings, regions)
    )
    return ParsedPage(file, meta, lines, scan.headings, scan.links, regions, tuple(found), part)


_MATH_CODES = frozenset({"MD501", "MD502"})


def _plain_page(file: str, body: str, body_line: int, math: bool) -> ParsedPage:
    """A page of a site without kb's content model: markdown and links only (front matter,
    if a plugin renders it, is neither required nor checked; `$` is math only where the site
    loads a math plugin)."""
    scan = scan_markdown(body, body_line)
    found = [d for d in check_page(file, scan, titles=False) if math or d.code not in _MATH_CODES]
    return ParsedPage(file, None, {}, scan.headings, scan.links, (), tuple(found), None)


def _unread(file: str, ctx: ParseContext, special: bool) -> Any:
    """The search part of a page kb cannot read: found by its file name only."""
    if special or not ctx.content_model:
        return None
    return page_part(file, None, "", 1, ctx.vocabulary)


def _search_part(
    file: str,
    meta: dict[str, Any] | None,
    body: str,
    body_line: int,
    ctx: ParseContext,
    headings: tuple[Heading, ...],
    regions: tuple[Region, ...],
) -> Any:
    """The page's search part, without the content of its `kb:table` regions: a generated
    table repeats other pages' metadata (each paper is found on its own page), and the
    papers index of a large site would otherwise be one document of megabytes."""
    closed = [r for r in regions if r.end >= 0]
    if closed:
        spans = [
            (body_line + body.count("\n", 0, r.start), body_line + body.count("\n", 0, r.end))
            for r in closed
        ]
        headings = tuple(h for h in headings if not any(a <= h.line < b for a, b in spans))
        parts: list[str] = []
        last = 0
        for region in closed:
            parts.append(body[last : region.start])
            parts.append("\n" * body.count("\n", region.start, region.end))
            last = region.end
        parts.append(body[last:])
        body = "".join(parts)
    return page_part(file, meta, body, body_line, ctx.vocabulary, scanned=headings)
