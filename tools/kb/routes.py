"""Where links and images point, resolved as docsify 5 does with `relativePath: true`.

Pure functions of (page file, link text): the results can be cached with the page.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote

if TYPE_CHECKING:
    from kb.markdown import Link

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_PLAIN = re.compile(r"^(?:[\w-][\w.-]*/)*[\w-][\w.-]*\.\w+$")
"""A relative path with no '.', '..' or empty segments and a file extension."""
IMAGE_KINDS = frozenset({"image", "html:img:src", "html:source:src", "html:video:poster"})
OUTSIDE = ""
"""The target file of a link that climbs out of the repository."""


class Target(NamedTuple):
    file: str
    """Repo-relative file the link resolves to ('' when it leaves the site)."""
    anchor: str
    """Heading id asked for, decoded; '' for none."""


def has_scheme(url: str) -> bool:
    return bool(_SCHEME.match(url))


def is_remote(url: str) -> bool:
    return url.lower().startswith(("http://", "https://", "//"))


def resolve_links(file: str, links: Sequence[Link]) -> tuple[tuple[str, str] | None, ...]:
    """Per link: (target file, anchor) for links into the repository, else None."""
    resolved: list[tuple[str, str] | None] = []
    for link in links:
        target = None if link.kind in IMAGE_KINDS else resolve(file, link.target)
        resolved.append(None if target is None else (target.file, target.anchor))
    return tuple(resolved)


def link_targets(
    file: str, links: Sequence[Link], resolved: Sequence[tuple[str, str] | None]
) -> tuple[str, ...]:
    """The distinct repo files a page's links and images point to, sorted."""
    found: set[str] = set()
    for link, target in zip(links, resolved, strict=True):
        if link.kind in IMAGE_KINDS:
            image = resolve_image(file, link.target)
            if image:
                found.add(image)
        elif target is not None and target[0]:
            found.add(target[0])
    return tuple(sorted(found))


def resolve_image(page_file: str, url: str) -> str | None:
    """Repo file of a local image; None for remote or data: images; '' when outside."""
    url = url.strip()
    if is_remote(url) or has_scheme(url):
        return None
    path = unquote(url.split("#", 1)[0].split("?", 1)[0])
    base = "" if path.startswith("/") else _dirname(page_file)
    resolved = posixpath.normpath(posixpath.join(base, path.lstrip("/")))
    return OUTSIDE if resolved == ".." or resolved.startswith("../") else resolved


@functools.lru_cache(maxsize=65536)
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
    base = "" if path.startswith("/") else _dirname(page_file)
    return Target(_normalize(base, unquote(path) if "%" in path else path), anchor)


@functools.lru_cache(maxsize=65536)
def _dirname(file: str) -> str:
    return posixpath.dirname(file)


def _resolve_route(route: str) -> Target:
    """A docsify route such as `/docs/papers/x?id=anchor` (no `#`)."""
    path, _, query = route.partition("?")
    return Target(_normalize("", unquote(path)), _query_id(query))


def _split_anchor(target: str) -> tuple[str, str]:
    if "#" in target:
        path, anchor = target.split("#", 1)
        return path, unquote(anchor)
    path, _, query = target.partition("?")
    return path, _query_id(query)


def _query_id(query: str) -> str:
    for param in query.split("&"):
        key, _, value = param.partition("=")
        if key == "id":
            return unquote(value)
    return ""


def ascii_lower(text: str) -> str:
    """docsify lowercases the percent-encoded `?id=`, which changes only A-Z."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def _normalize(base: str, path: str) -> str:
    """Repo-relative file for a path; docsify adds README.md to folders and .md to bare names."""
    if base and _PLAIN.match(path):
        return f"{base}/{path}"  # the common case: no '.', '..' or '//', has an extension
    joined = posixpath.normpath(posixpath.join(base, path.lstrip("/")) or ".")
    if joined == ".." or joined.startswith("../"):
        return ""
    if path.endswith("/") or joined == ".":
        return posixpath.normpath(posixpath.join(joined, "README.md"))
    if not posixpath.splitext(joined)[1]:
        return joined + ".md"
    return joined
