"""Checks that need one page only: markdown structure and unsafe HTML."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from kb.diagnostics import Diagnostic, make
from kb.markdown import Heading, Scan
from kb.schema import PAPER_SECTIONS

# Elements that run or load foreign content, or change how the page resolves URLs.
_UNSAFE_ELEMENTS = {
    "object",
    "embed",
    "applet",
    "base",
    "meta",
    "form",
    "link",
    "style",
    "frame",
    "frameset",
    "portal",
}
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def check_page(
    file: str, scan: Scan, size: int, iframe_hosts: tuple[str, ...], max_page_kb: int
) -> Iterator[Diagnostic]:
    """Markdown issues found while scanning, unsafe HTML and URLs, size, a missing title."""
    for issue in scan.issues:
        yield make(
            issue.code, file, issue.line, issue.message, column=issue.column, hint=issue.hint
        )
    yield from _check_tags(file, scan, iframe_hosts)
    yield from _check_references(file, scan)
    yield from _check_link_schemes(file, scan)
    if size > max_page_kb * 1024:
        yield make(
            "MD504",
            file,
            0,
            f"page is {size // 1024} KB (limit {max_page_kb} KB)",
            hint="split it into several pages",
        )
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


def script_scheme(url: str) -> str:
    """The dangerous scheme a URL uses ('javascript:' …), or ''."""
    cleaned = _CONTROL.sub("", url).lower()
    return next((s for s in _SCRIPT_SCHEMES if cleaned.startswith(s)), "")


def _check_tags(file: str, scan: Scan, iframe_hosts: tuple[str, ...]) -> Iterator[Diagnostic]:
    for tag in scan.tags:
        if tag.name == "script":
            yield make(
                "SEC601",
                file,
                tag.line,
                "raw <script> element",
                column=tag.column,
                hint="pages may not run scripts; remove it",
            )
        elif tag.name == "iframe":
            yield from _check_iframe(file, tag.line, tag.column, dict(tag.attrs), iframe_hosts)
        elif tag.name in _UNSAFE_ELEMENTS or tag.name.startswith("svg:"):
            yield make(
                "SEC605", file, tag.line, f"<{tag.name}> is not allowed in pages", column=tag.column
            )
        for name, value in tag.attrs:
            if name.startswith("on"):
                yield make(
                    "SEC602",
                    file,
                    tag.line,
                    f"inline event handler '{name}' on <{tag.name}>",
                    column=tag.column,
                    hint="remove the attribute",
                )
            elif name == "style" and ("url(" in value.lower() or "expression(" in value.lower()):
                yield make(
                    "SEC605",
                    file,
                    tag.line,
                    f"style attribute on <{tag.name}> loads a URL",
                    column=tag.column,
                )


def _check_iframe(
    file: str, line: int, column: int, attrs: dict[str, str], iframe_hosts: tuple[str, ...]
) -> Iterator[Diagnostic]:
    src = attrs.get("src", "")
    parts = urlsplit(src.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or host not in iframe_hosts:
        allowed = ", ".join(iframe_hosts) or "none"
        yield make(
            "SEC604",
            file,
            line,
            f"iframe from {host or src!r} is not allowed",
            column=column,
            hint=f"allowed https hosts: {allowed}",
        )


def _check_link_schemes(file: str, scan: Scan) -> Iterator[Diagnostic]:
    for link in scan.links:
        scheme = script_scheme(link.target)
        if not scheme:
            continue
        if scheme == "data:" and link.kind in ("image", "html:img:src") and _is_raster(link.target):
            continue
        yield make(
            "SEC603",
            file,
            link.line,
            f"{scheme} URL in a {_kind_label(link.kind)}",
            column=link.column,
            hint="link to an https page or a file in the repository",
        )


def _is_raster(url: str) -> bool:
    return bool(re.match(r"data:image/(?:png|jpe?g|gif|webp);", _CONTROL.sub("", url).lower()))


def _kind_label(kind: str) -> str:
    if kind.startswith("html:"):
        _, tag, attr = kind.split(":", 2)
        return f"<{tag} {attr}>"
    return kind
