"""Internal links, docsify routes, heading anchors and images.

A page's link findings depend on the page and on the pages and files it points to, so they
are cached with the content keys of those targets: a warm run re-checks only pages whose
own content or whose targets changed.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Iterator
from typing import Any

from kb.diagnostics import Diagnostic, Severity, make
from kb.markdown import Link
from kb.model import PageInfo, ParsedPage
from kb.routes import (
    IMAGE_KINDS,
    Target,
    ascii_lower,
    has_scheme,
    is_remote,
    resolve,
    resolve_image,
)
from kb.site import Site
from kb.slugify import v4_slug


def check_links(site: Site) -> Iterator[Diagnostic]:
    """Every internal link and image of every page."""
    slugs: dict[str, frozenset[str]] = {}
    for file in sorted(site.infos):
        state = _dependency_state(site, site.infos[file])
        cached = _cached(site, file, state)
        if cached is not None:
            yield from cached
            continue
        found = list(_check_page(site, site.pages[file], slugs))
        _remember(site, file, state, found)
        yield from found


def _dependency_state(site: Site, info: PageInfo) -> tuple[str, ...]:
    """What the findings depend on besides the page itself: each target's content or presence."""
    state = []
    for target in info.targets:
        if target in site.infos:
            state.append(site.key(target) or "page")
        else:
            state.append("file" if target in site.files else "missing")
    return tuple(state)


def _cached(site: Site, file: str, state: tuple[str, ...]) -> list[Diagnostic] | None:
    if site.cache is None:
        return None
    entry = site.cache.links.get(site.key(file))
    if entry is None or entry[0] != state:
        return None
    return [Diagnostic(*d[:5], Severity(d[5]), d[6]) for d in entry[1]]


def _remember(site: Site, file: str, state: tuple[str, ...], found: list[Diagnostic]) -> None:
    if site.cache is None:
        return
    encoded: Any = tuple(
        (d.file, d.line, d.column, d.code, d.message, int(d.severity), d.hint) for d in found
    )
    site.cache.links[site.key(file)] = (state, encoded)
    site.cache.dirty = True


def _check_page(
    site: Site, page: ParsedPage, slugs: dict[str, frozenset[str]]
) -> Iterator[Diagnostic]:
    for link in page.links:
        if link.kind in IMAGE_KINDS:
            yield from _check_image(site, page, link)
        else:
            yield from _check_link(site, page, link, slugs)


def _check_link(
    site: Site, page: ParsedPage, link: Link, slugs: dict[str, frozenset[str]]
) -> Iterator[Diagnostic]:
    target = resolve(page.file, link.target)
    if target is None:
        return
    if not target.file:
        yield make(
            "LNK204",
            page.file,
            link.line,
            f"link '{link.target}' leaves the repository",
            column=link.column,
        )
    elif target.file not in site.files:
        yield make(
            "LNK201",
            page.file,
            link.line,
            f"link '{link.target}' points to missing '{target.file}'",
            column=link.column,
            hint=_suggest_file(site, target.file),
        )
    elif target.file in site.infos:
        yield from _check_target(site, page, link, target, slugs)


def _check_target(
    site: Site, page: ParsedPage, link: Link, target: Target, slugs: dict[str, frozenset[str]]
) -> Iterator[Diagnostic]:
    if site.infos[target.file].is_draft and not page.is_draft:
        yield make(
            "LNK207",
            page.file,
            link.line,
            f"link '{link.target}' points to a draft page",
            column=link.column,
        )
    if target.anchor:
        known = slugs.get(target.file)
        if known is None:
            headings = site.pages[target.file].headings
            known = slugs[target.file] = frozenset(h.slug for h in headings)
        if ascii_lower(target.anchor) not in known:
            yield _missing_anchor(page, link, site.pages[target.file], target.anchor)


def _missing_anchor(page: ParsedPage, link: Link, dest: ParsedPage, anchor: str) -> Diagnostic:
    """LNK202 with the best hint: the docsify 4 slug, or the closest heading."""
    # docsify lowercases the `?id=` query it builds from a link before looking up the id.
    wanted = ascii_lower(anchor)
    slugs = [h.slug for h in dest.headings]
    hint = ""
    for heading in dest.headings:
        if v4_slug(heading.text) == wanted:
            hint = f"'{anchor}' is the docsify 4 slug; docsify 5 uses '{heading.slug}'"
            break
    if not hint:
        close = difflib.get_close_matches(wanted, slugs, n=1, cutoff=0.5)
        hint = f"did you mean '#{close[0]}'?" if close else "the target page has no such heading"
    return make(
        "LNK202",
        page.file,
        link.line,
        f"anchor '#{anchor}' not found in '{dest.file}'",
        column=link.column,
        hint=hint,
    )


def _check_image(site: Site, page: ParsedPage, link: Link) -> Iterator[Diagnostic]:
    url = link.target.strip()
    if is_remote(url):
        yield make(
            "LNK206",
            page.file,
            link.line,
            f"image is hotlinked from '{url}'",
            column=link.column,
            hint="save the image under docs/_media/ (check its licence) or describe it",
        )
        return
    if has_scheme(url):
        return  # data: images are judged by the safety check
    resolved = resolve_image(page.file, url)
    if resolved == "":
        yield make(
            "LNK204",
            page.file,
            link.line,
            f"image '{url}' leaves the repository",
            column=link.column,
        )
    elif resolved is not None and resolved not in site.files:
        yield make(
            "LNK203",
            page.file,
            link.line,
            f"image '{url}' not found (looked for '{resolved}')",
            column=link.column,
            hint=_suggest_file(site, resolved, pages=False),
        )


def _suggest_file(site: Site, missing: str, *, pages: bool = True) -> str:
    folder = posixpath.dirname(missing)
    near = [
        f for f in site.files if posixpath.dirname(f) == folder and (pages or not f.endswith(".md"))
    ]
    close = difflib.get_close_matches(missing, near, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""
