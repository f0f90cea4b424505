"""Where links and images point, resolved as docsify 5 does.

Pure functions of (page file, link text[, rules]): the results can be cached with the page.
Without `DocsifyRules` (this repository's layout, `[tool.kb]`) links resolve as docsify does
with `relativePath: true` and no alias. With them (any docsify site), by the site's own
`window.$docsify`: `relativePath` on or off, `basePath`, `alias`, `ext`, `homepage`; images and
`:include` relative to the page's route folder; `:ignore` links as the browser reads them.
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
    remote: str = ""
    """A URL the site's `alias` sends the route to (not checked offline)."""


class DocsifyRules(NamedTuple):
    """The parts of a site's `window.$docsify` that decide where links go."""

    relative_path: bool = False
    base_path: str = ""
    ext: str = ".md"
    homepage: str = "README.md"
    alias: tuple[tuple[str, str], ...] = ()
    remote_base: str = ""


_IMAGE_FILE = re.compile(r"\.(?:png|jpe?g|gif|svg|webp|avif|bmp|ico)(?:[?#].*)?$", re.I)


def is_image(kind: str, target: str) -> bool:
    """An image, or a reference definition that points at an image file (`[logo]: x.svg`,
    used as `![…][logo]`): docsify's router would add `.md` to a link there."""
    return kind in IMAGE_KINDS or (kind == "definition" and bool(_IMAGE_FILE.search(target)))


def has_scheme(url: str) -> bool:
    return bool(_SCHEME.match(url))


def is_absolute_url(url: str) -> bool:
    """A URL with a scheme (`https:`, `mailto:`) or a protocol-relative one (`//host/…`)."""
    return url.startswith("//") or bool(_SCHEME.match(url))


def is_remote(url: str) -> bool:
    return url.lower().startswith(("http://", "https://", "//"))


def resolve_links(
    file: str, links: Sequence[Link], rules: DocsifyRules | None = None
) -> tuple[tuple[str, ...] | None, ...]:
    """Per link: (target file, anchor[, remote URL]) for links into the site, else None."""
    resolved: list[tuple[str, ...] | None] = []
    for link in links:
        if is_image(link.kind, link.target):
            resolved.append(None)
            continue
        target = (
            resolve(file, link.target)
            if rules is None
            else resolve_docsify(file, link.target, link.kind, rules)
        )
        if target is None:
            resolved.append(None)
        elif target.remote:
            resolved.append((target.file, target.anchor, target.remote))
        else:
            resolved.append((target.file, target.anchor))
    return tuple(resolved)


def link_targets(
    file: str,
    links: Sequence[Link],
    resolved: Sequence[tuple[str, ...] | None],
    rules: DocsifyRules | None = None,
) -> tuple[str, ...]:
    """The distinct repo files a page's links and images point to, sorted."""
    found: set[str] = set()
    for link, target in zip(links, resolved, strict=True):
        if is_image(link.kind, link.target):
            image = resolve_image(file, link.target, link.kind, rules)
            if image:
                found.add(image)
        elif target is not None and target[0]:
            found.add(target[0])
    return tuple(sorted(found))


def resolve_image(
    page_file: str, url: str, kind: str = "image", rules: DocsifyRules | None = None
) -> str | None:
    """Repo file of a local image; None for remote or data: images; '' when outside."""
    url = url.strip()
    if is_remote(url) or has_scheme(url):
        return None
    path = unquote(url.split("#", 1)[0].split("?", 1)[0])
    if rules is not None:
        return _route_relative(page_file, path, kind, rules)
    base = "" if path.startswith("/") else _dirname(page_file)
    resolved = posixpath.normpath(posixpath.join(base, path.lstrip("/")))
    return OUTSIDE if resolved == ".." or resolved.startswith("../") else resolved


@functools.lru_cache(maxsize=65536)
def resolve(page_file: str, raw_target: str) -> Target | None:
    """Where a link goes inside the repository; None for external or non-file URLs."""
    target = raw_target.strip()
    if not target or is_absolute_url(target):
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


# docsify's own rules (any docsify site). docsify treats a URL with ':' or '//' anywhere as
# absolute (`isAbsolutePath`) and leaves it alone.
_DOCSIFY_ABSOLUTE = re.compile(r":|//")


def page_route(file: str, rules: DocsifyRules) -> str:
    """The route docsify shows a page file under: `a/b.md` → `/a/b`, `a/README.md` → `/a/`."""
    base = rules.base_path.strip("/")
    rel = file[len(base) + 1 :] if base and file.startswith(base + "/") else file
    ext = rules.ext if rules.ext.startswith(".") else f".{rules.ext}"
    if rel == rules.homepage:
        return "/"
    name = posixpath.basename(rel)
    if name == f"README{ext}":
        return "/" + rel[: -len(name)]
    return "/" + (rel[: -len(ext)] if rel.endswith(ext) else rel)


def resolve_docsify(page_file: str, raw: str, kind: str, rules: DocsifyRules) -> Target | None:
    """Where a link goes on a docsify site (None: external or not a link into the site)."""
    target = raw.strip()
    if not target or _DOCSIFY_ABSOLUTE.search(target) or target.startswith("mailto"):
        return None
    if kind.startswith("include:"):
        path, _, _ = target.partition("#")
        return Target(_route_relative(page_file, unquote(path.split("?", 1)[0]), kind, rules), "")
    if kind == "link:ignore" or (kind.startswith("html:") and not target.startswith("#")):
        # docsify leaves the href as written: the browser reads it from index.html
        path = unquote(target.split("#", 1)[0].split("?", 1)[0])
        return Target(_site_file(rules, path), "")
    if target.startswith("#"):
        if kind.startswith("html:"):  # the browser sets the hash: `#/route` is a route
            return _route_target(target[1:], rules) if target.startswith("#/") else None
        # docsify's toURL reads a markdown `#…` as an id on this page, `#/x` too
        return Target(page_file, _docsify_id("id=" + target[1:]))
    path, anchor = _split_anchor(target)
    if not path:  # `?id=x`: toURL makes it `/?id=x` (the folder's README with relativePath)
        current = page_route(page_file, rules)
        folder = current[: current.rfind("/") + 1] if rules.relative_path else "/"
        found = _route_target(folder, rules)
        return Target(found.file, anchor, found.remote)
    path = unquote(path) if "%" in path else path
    path = re.sub(r"\.md$", "", path)  # toURL drops .md: the route has none
    if rules.relative_path and not path.startswith("/"):
        current = page_route(page_file, rules)
        route = _resolve_path(current[: current.rfind("/") + 1] + path)
    else:
        route = "/" + path.lstrip("/")
    found = _route_target(route, rules)
    return Target(found.file, anchor, found.remote)


def _docsify_id(query: str) -> str:
    """The `id` of a query as docsify's `parseQuery` reads it: '+' is a space, and a value
    ends at the next '='."""
    for param in query.split("&"):
        parts = param.replace("+", " ").split("=")
        if parts[0] == "id" and len(parts) > 1:
            return unquote(parts[1])
    return ""


def _route_target(route: str, rules: DocsifyRules) -> Target:
    path, _, query = route.partition("?")
    file, remote = route_file(unquote(path), rules)
    return Target(file, _query_id(query), remote)


def _route_relative(page_file: str, path: str, kind: str, rules: DocsifyRules) -> str:
    """Images and `:include` targets: docsify joins them to the route's folder (a leading
    '/' too); raw HTML `src` is read by the browser relative to index.html."""
    if kind.startswith("html:"):
        return _site_file(DocsifyRules(), path)
    current = page_route(page_file, rules)
    folder = current[: current.rfind("/") + 1]
    return _site_file(rules, folder + "/" + path.lstrip("/"))


def _site_file(rules: DocsifyRules, path: str) -> str:
    """The site file of a URL path relative to the site ('' when it leaves the site)."""
    joined = posixpath.normpath(posixpath.join(rules.base_path, path.lstrip("/")))
    if joined == ".." or joined.startswith("../"):
        return OUTSIDE
    return "" if joined == "." else joined


def _resolve_path(path: str) -> str:
    """docsify's `resolvePath`: '..' and '.' segments folded, from the root."""
    resolved: list[str] = []
    for segment in path.lstrip("/").split("/"):
        if segment == "..":
            if resolved:
                resolved.pop()
        elif segment != ".":
            resolved.append(segment)
    return "/" + "/".join(resolved)


@functools.lru_cache(maxsize=1024)
def alias_pattern(key: str) -> re.Pattern[str] | None:
    """An `alias` key as docsify uses it (`new RegExp('^' + key + '$')`); None when Python
    cannot read the pattern."""
    try:
        return re.compile(key)
    except re.error:
        return None


def alias_target(route: str, alias: tuple[tuple[str, str], ...]) -> str:
    """The route after `alias`: the first matching rule rewrites it, and again, until none
    matches or a rule would give the same path again (docsify's `#getAlias`)."""
    last = None
    for _ in range(32):
        for key, value in alias:
            pattern = alias_pattern(key)
            if pattern is not None and route != last and pattern.fullmatch(route):
                last, route = route, pattern.sub(_js_replacement(value), route, count=1)
                break
        else:
            return route
    return route


@functools.lru_cache(maxsize=65536)
def route_file(route: str, rules: DocsifyRules) -> tuple[str, str]:
    """(site file, remote URL) of a route such as `/guide` or `/zh-cn/` (docsify's
    `getFile`): alias, then the extension or README, then homepage, then basePath. Both are
    '' when the route leaves the site."""
    path = alias_target(route, rules.alias) if rules.alias else route
    ext = rules.ext if rules.ext.startswith(".") else f".{rules.ext}"
    if not re.search(rf"\.({re.escape(ext[1:])}|html)$", path):
        path = f"{path}README{ext}" if path.endswith("/") else f"{path}{ext}"
    if path == f"/README{ext}" and rules.homepage:
        path = rules.homepage
    if is_absolute_url(path):
        return "", path
    if rules.remote_base:
        return "", rules.remote_base.rstrip("/") + "/" + path.lstrip("/")
    return _site_file(rules, path), ""


def _js_replacement(value: str) -> str:
    """A JavaScript replacement string (`$1`, `$&`, `$$`) as a Python `re` template."""
    out: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        nxt = value[i + 1] if i + 1 < len(value) else ""
        if char == "\\":
            out.append("\\\\")
        elif char == "$" and nxt == "$":
            out.append("$")
            i += 1
        elif char == "$" and nxt == "&":
            out.append("\\g<0>")
            i += 1
        elif char == "$" and nxt.isdigit():
            out.append(f"\\g<{int(nxt)}>")
            i += 1
        else:
            out.append(char)
        i += 1
    return "".join(out)
