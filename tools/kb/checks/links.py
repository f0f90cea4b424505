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
from kb.routes import IMAGE_KINDS, ascii_lower, has_scheme, is_remote, resolve_image
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
        if kind in IMAGE_KINDS:
            yield from _check_image(site, file, line, column, target)
        elif resolved is not None:
            yield from _check_link(site, file, draft, line, column, target, resolved)


def _check_link(
    site: Site,
    file: str,
    draft: bool,
    line: int,
    column: int,
    target: str,
    resolved: tuple[str, str],
) -> Iterator[Diagnostic]:
    dest, anchor = resolved
    if not dest:
        yield make("LNK204", file, line, f"link '{target}' leaves the repository", column=column)
    elif dest not in site.files:
        yield make(
            "LNK201",
            file,
            line,
            f"link '{target}' points to missing '{dest}'",
            column=column,
            hint=_suggest_file(site, dest),
        )
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


def _check_image(site: Site, file: str, line: int, column: int, url: str) -> Iterator[Diagnostic]:
    url = url.strip()
    if is_remote(url):
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
    resolved = resolve_image(file, url)
    if resolved == "":
        yield make("LNK204", file, line, f"image '{url}' leaves the repository", column=column)
    elif resolved is not None and resolved not in site.files:
        yield make(
            "LNK203",
            file,
            line,
            f"image '{url}' not found (looked for '{resolved}')",
            column=column,
            hint=_suggest_file(site, resolved, pages=False),
        )


def _suggest_file(site: Site, missing: str, *, pages: bool = True) -> str:
    near = site.folder_files(posixpath.dirname(missing))
    return did_you_mean(missing, near if pages else [f for f in near if not f.endswith(".md")])
