"""Internal links, docsify routes, heading anchors and images, resolved as docsify 5 does
with `relativePath: true`."""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import unquote

from kb.diagnostics import Diagnostic, make
from kb.markdown import Link
from kb.model import ParsedPage
from kb.site import Site
from kb.slugify import v4_slug

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class Target(NamedTuple):
    file: str
    """Repo-relative file the link resolves to ('' when it leaves the site)."""
    anchor: str
    """Heading id asked for, decoded; '' for none."""


def check_links(site: Site) -> Iterator[Diagnostic]:
    """Every internal link and image of every page."""
    for _, page in sorted(site.pages.items()):
        for link in page.links:
            yield from _check_link(site, page, link)


def resolve(page_file: str, raw_target: str) -> Target | None:
    """Where a link goes inside the repository; None for external or non-file URLs."""
    target = raw_target.strip()
    if not target or target.startswith("//") or _SCHEME.match(target):
        return None
    if target.startswith("#/"):
        return _resolve_route(target[1:])
    if target.startswith("#"):
        return Target(page_file, unquote(target[1:]))
    if target.startswith("?id="):
        return Target(page_file, unquote(target[4:]))
    path, anchor = _split_anchor(target)
    base = "" if path.startswith("/") else posixpath.dirname(page_file)
    return Target(_normalize(base, unquote(path)), anchor)


def _resolve_route(route: str) -> Target:
    """A docsify route such as `/docs/papers/x?id=anchor` (no `#`)."""
    path, _, query = route.partition("?")
    anchor = ""
    for param in query.split("&"):
        key, _, value = param.partition("=")
        if key == "id":
            anchor = unquote(value)
    return Target(_normalize("", unquote(path)), anchor)


def _split_anchor(target: str) -> tuple[str, str]:
    if "#" in target:
        path, anchor = target.split("#", 1)
        return path, unquote(anchor)
    if "?id=" in target:
        path, anchor = target.split("?id=", 1)
        return path, unquote(anchor.split("&", 1)[0])
    return target.split("?", 1)[0], ""


def _normalize(base: str, path: str) -> str:
    """Repo-relative file for a path; docsify adds README.md to folders and .md to bare names."""
    joined = posixpath.normpath(posixpath.join(base, path.lstrip("/")) or ".")
    if joined == ".." or joined.startswith("../"):
        return ""
    if path.endswith("/") or joined == ".":
        return posixpath.normpath(posixpath.join(joined, "README.md"))
    if not posixpath.splitext(joined)[1]:
        return joined + ".md"
    return joined


def _check_link(site: Site, page: ParsedPage, link: Link) -> Iterator[Diagnostic]:
    if link.kind == "image" or link.kind in (
        "html:img:src",
        "html:source:src",
        "html:video:poster",
    ):
        yield from _check_image(site, page, link)
        return
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
    else:
        yield from _check_target(site, page, link, target)


def _check_target(site: Site, page: ParsedPage, link: Link, target: Target) -> Iterator[Diagnostic]:
    dest = site.pages.get(target.file)
    if dest is None:
        return
    if dest.is_draft and not page.is_draft:
        yield make(
            "LNK207",
            page.file,
            link.line,
            f"link '{link.target}' points to a draft page",
            column=link.column,
        )
    if target.anchor:
        yield from _check_anchor(page, link, dest, target.anchor)


def _check_anchor(
    page: ParsedPage, link: Link, dest: ParsedPage, anchor: str
) -> Iterator[Diagnostic]:
    # docsify lowercases the `?id=` query it builds from a link before looking up the id.
    wanted = anchor.lower()
    slugs = [h.slug for h in dest.headings]
    if wanted in slugs:
        return
    hint = ""
    for heading in dest.headings:
        if v4_slug(heading.text) == wanted:
            hint = f"'{anchor}' is the docsify 4 slug; docsify 5 uses '{heading.slug}'"
            break
    if not hint:
        close = difflib.get_close_matches(wanted, slugs, n=1, cutoff=0.5)
        hint = f"did you mean '#{close[0]}'?" if close else "the target page has no such heading"
    yield make(
        "LNK202",
        page.file,
        link.line,
        f"anchor '#{anchor}' not found in '{dest.file}'",
        column=link.column,
        hint=hint,
    )


def _check_image(site: Site, page: ParsedPage, link: Link) -> Iterator[Diagnostic]:
    url = link.target.strip()
    if url.lower().startswith(("http://", "https://", "//")):
        yield make(
            "LNK206",
            page.file,
            link.line,
            f"image is hotlinked from '{url}'",
            column=link.column,
            hint="save the image under docs/_media/ (check its licence) or describe it",
        )
        return
    if _SCHEME.match(url):
        return  # data: images are judged by the safety check
    path = unquote(url.split("#", 1)[0].split("?", 1)[0])
    base = "" if path.startswith("/") else posixpath.dirname(page.file)
    resolved = posixpath.normpath(posixpath.join(base, path.lstrip("/")))
    if resolved.startswith("../"):
        yield make(
            "LNK204",
            page.file,
            link.line,
            f"image '{url}' leaves the repository",
            column=link.column,
        )
    elif resolved not in site.files:
        yield make(
            "LNK203",
            page.file,
            link.line,
            f"image '{url}' not found (looked for '{resolved}')",
            column=link.column,
            hint=_suggest_file(site, resolved),
        )


def _suggest_file(site: Site, missing: str) -> str:
    folder = posixpath.dirname(missing)
    near = [f for f in site.files if posixpath.dirname(f) == folder]
    close = difflib.get_close_matches(missing, near, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""
