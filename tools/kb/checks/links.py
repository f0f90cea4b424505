"""Internal links, docsify routes, heading anchors and images.

A page's link findings depend on the page and on the pages and files it points to, so they
are memoised (`Site.memo_findings`) on the content keys of those targets: a warm run
re-checks only pages whose own content or whose targets changed. The loop works on the
plain tuples of `PageRefs` (resolved when the page was parsed).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from kb.diagnostics import Diagnostic, make
from kb.model import PageInfo
from kb.routes import ascii_lower, has_scheme, is_image, is_remote, resolve_image
from kb.site import Site
from kb.slugify import v4_slug
from kb.suggest import did_you_mean


def check_links(site: Site) -> Iterator[Diagnostic]:
    """Every internal link and image of every page (memoised per page on what it points to)."""
    for file in sorted(site.infos):
        state = _dependency_state(site, site.infos[file])
        yield from site.memo_findings(file, state, lambda f=file: _check_page(site, f))


def _dependency_state(site: Site, info: PageInfo) -> tuple[str, ...]:
    """What the findings depend on besides the page itself: each target's content or presence."""
    state = []
    infos = site.infos
    for target in info.targets:
        if target in infos:  # a link into a page depends on its anchors and draft state only
            dest = infos[target]
            state.append(dest.anchors + ("~" if dest.is_draft else ""))
        else:
            state.append("file" if target in site.files else "missing")
    return tuple(state)


def _check_page(site: Site, file: str) -> Iterator[Diagnostic]:
    refs = site.pages.refs(file)
    draft = site.infos[file].is_draft
    for (line, column, target, kind), resolved in zip(refs.links, refs.resolved, strict=True):
        if is_image(kind, target):
            yield from _check_image(site, file, line, column, target, kind)
        elif kind.startswith("include:"):
            yield from _check_include(site, file, line, column, target, kind, resolved)
        elif resolved is not None and len(resolved) == 3:
            yield make(
                "LNK216",
                file,
                line,
                f"link '{target}' goes to {resolved[2]} through the site's alias: "
                "not checked offline",
                column=column,
                hint="`kb links` checks remote targets",
            )
        elif resolved is not None:
            yield from _check_link(site, file, draft, line, column, target, resolved)


def _check_link(
    site: Site,
    file: str,
    draft: bool,
    line: int,
    column: int,
    target: str,
    resolved: tuple[str, ...],
) -> Iterator[Diagnostic]:
    dest, anchor = resolved[0], resolved[1]
    if not dest:
        yield make("LNK204", file, line, f"link '{target}' leaves the repository", column=column)
    elif dest not in site.files:
        routed = dest[:-3] if dest.endswith(".md") and dest[:-3] in site.files else ""
        hint = (
            f"docsify routes the link as a page and fetches '{dest}'; to link the file "
            f"'{routed}' itself, add ':ignore' as the link's title"
            if routed
            else _suggest_file(site, dest)
        )
        yield make(
            "LNK201",
            file,
            line,
            f"link '{target}' points to missing '{dest}'",
            column=column,
            hint=hint,
        )
    elif outside_mirror(site, file, dest):
        yield _outside_mirror(site, file, line, column, "link", target, dest)
    elif dest in site.infos:
        if site.infos[dest].is_draft and not draft:
            yield make(
                "LNK207", file, line, f"link '{target}' points to a draft page", column=column
            )
        if anchor and ascii_lower(anchor) not in site.pages.refs(dest).slugs:
            yield _missing_anchor(site, file, line, column, dest, anchor)


def _missing_anchor(
    site: Site, file: str, line: int, column: int, dest: str, anchor: str
) -> Diagnostic:
    """LNK202 with the best hint: the docsify 4 slug, or the closest heading."""
    # docsify lowercases the `?id=` query it builds from a link before looking up the id.
    wanted = ascii_lower(anchor)
    headings = site.pages[dest].headings
    hint = ""
    for heading in headings:
        if v4_slug(heading.text) == wanted:
            hint = f"'{anchor}' is the docsify 4 slug; docsify 5 uses '{heading.slug}'"
            break
    if not hint:
        close = did_you_mean(wanted, [h.slug for h in headings], cutoff=0.5, prefix="#")
        hint = close or "the target page has no such heading"
    return make(
        "LNK202",
        file,
        line,
        f"anchor '#{anchor}' not found in '{dest}'",
        column=column,
        hint=hint,
    )


INCLUDE_TYPES = frozenset({"code", "markdown", "iframe", "video", "audio", "mermaid"})
"""The `:type=` values docsify's embed knows (`compileMedia`)."""


def _check_include(
    site: Site,
    file: str,
    line: int,
    column: int,
    target: str,
    kind: str,
    resolved: tuple[str, ...] | None,
) -> Iterator[Diagnostic]:
    """`[…](path ':include :type=… :fragment=…')`: the type is one docsify knows, a local
    target exists, and a fragment is marked in it (`### [name]` or `/// [name]`)."""
    _, kind_type, fragment = kind.split(":", 2)
    if kind_type and kind_type not in INCLUDE_TYPES:
        yield make(
            "LNK217",
            file,
            line,
            f"':include' of '{target}' has an unknown :type={kind_type}",
            column=column,
            hint=did_you_mean(kind_type, sorted(INCLUDE_TYPES))
            or "use one of " + ", ".join(sorted(INCLUDE_TYPES)),
        )
    if resolved is None:
        return  # a URL: docsify fetches it in the browser
    dest = resolved[0]
    if not dest:
        yield make("LNK204", file, line, f"':include' of '{target}' leaves the site", column=column)
    elif dest not in site.files:
        yield make(
            "LNK201",
            file,
            line,
            f"':include' of '{target}' points to missing '{dest}'",
            column=column,
            hint=_suggest_file(site, dest, pages=False) or _suggest_file(site, dest),
        )
    elif fragment and not _has_fragment(site, dest, fragment):
        yield make(
            "LNK218",
            file,
            line,
            f"':include' of '{target}': no fragment '{fragment}' in '{dest}'",
            column=column,
            hint=f"mark it in the file with '### [{fragment}]' or '/// [{fragment}]' lines",
        )


def _has_fragment(site: Site, dest: str, fragment: str) -> bool:
    import re  # noqa: PLC0415

    try:
        with open(site.settings.path(dest), "rb") as handle:
            text = handle.read(4 * 1024 * 1024).decode("utf-8", "replace")
    except OSError:
        return False
    return re.search(rf"(?:###|///)\s*\[{re.escape(fragment)}\]", text) is not None


def _check_image(
    site: Site, file: str, line: int, column: int, url: str, kind: str = "image"
) -> Iterator[Diagnostic]:
    url = url.strip()
    if is_remote(url):
        if not site.settings.content_model:
            return  # a site outside kb's content model hotlinks images as it likes
        yield make(
            "LNK206",
            file,
            line,
            f"image is hotlinked from '{url}'",
            column=column,
            hint="save the image under docs/_media/ (check its licence) or describe it",
        )
        return
    if has_scheme(url):
        return  # data: images are judged by the safety check
    rules = site.settings.docsify.rules() if site.settings.docsify is not None else None
    resolved = resolve_image(file, url, kind, rules)
    if resolved == "":
        yield make("LNK204", file, line, f"image '{url}' leaves the repository", column=column)
    elif resolved is not None and outside_mirror(site, file, resolved):
        yield _outside_mirror(site, file, line, column, "image", url, resolved)
    elif resolved is not None and resolved not in site.files:
        yield make(
            "LNK203",
            file,
            line,
            f"image '{url}' not found (looked for '{resolved}')",
            column=column,
            hint=_suggest_file(site, resolved, pages=False),
        )


def outside_mirror(site: Site, file: str, dest: str) -> bool:
    """A page of the static mirror (`kb export`: content-model sites, pages under the docs
    folder) points to a file the mirror does not hold."""
    docs = site.settings.docs_dir.strip("/") + "/"
    return (
        site.settings.content_model
        and file.startswith(docs)
        and dest in site.files
        and not dest.startswith(docs)
    )


def _outside_mirror(
    site: Site, file: str, line: int, column: int, what: str, target: str, dest: str
) -> Diagnostic:
    docs = site.settings.docs_dir.strip("/")
    home = f"{docs}/README.md"
    hint = (
        f"link to the home page '{home}' instead"
        if dest in ("README.md", "index.html")
        else f"move '{dest}' under {docs}/, or link to it with a full https:// URL"
    )
    return make(
        "LNK219",
        file,
        line,
        f"{what} '{target}' points to '{dest}', outside {docs}/: docsify serves it, "
        "but the static mirror (kb export) does not",
        column=column,
        hint=hint,
    )


def _suggest_file(site: Site, missing: str, *, pages: bool = True) -> str:
    """The closest name in the folder the link looked in; else a file of the same name in
    another folder (the link counted from the wrong folder). On a docsify site with
    relativePath off, a page of the same name elsewhere comes first: links there start at
    the site's root, and a sibling link (`page.md` beside the page) is the usual slip."""
    same = site.once("files-by-name", lambda: _by_name(site)).get(posixpath.basename(missing))
    docsify = site.settings.docsify
    rooted = docsify is not None and not docsify.relative_path and missing.endswith(".md")
    if rooted and same and len(same) == 1:
        return f"did you mean '{same[0]}'? (relativePath is off: links start at the site's root)"
    near = site.folder_files(posixpath.dirname(missing))
    if pages:
        near = [f for f in near if not posixpath.basename(f).startswith("_")]
    else:
        near = [f for f in near if not f.endswith(".md")]
    close = did_you_mean(missing, near)
    if close or not same or len(same) != 1:
        return close
    return f"did you mean '{same[0]}'?"


def _by_name(site: Site) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for file in sorted(site.files):
        found.setdefault(posixpath.basename(file), []).append(file)
    return found
