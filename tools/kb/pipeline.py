"""The pipeline every command runs, top to bottom:

    collect → parse → model   load_site (kb.collect, kb.parse, kb.cache, kb.site)
    generate                  sidebar, kb:table regions, the CSP of index.html (kb.generate)
    check                     every offline check; node renders pages for the HTML gate
    index                     the search index, written while node renders (kb.search)
    report                    the caller formats `BuildResult.diagnostics` (kb.report)

`kb build`, `kb check`, `kb publish` and `kb serve`'s rebuild are each a few lines over
`build()`; `kb sidebar` and `kb tables` plan one generator each.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kb.cache import last_judged, save_cache
from kb.checks.data import check_data_files
from kb.checks.duplicates import check_duplicates
from kb.checks.files import check_files
from kb.checks.links import check_links
from kb.checks.rendered import start_rendered
from kb.collect import FoundFiles, walk_files
from kb.config import Settings
from kb.diagnostics import Diagnostic, with_severity
from kb.gate import prewarm
from kb.generate import FileChange, apply, owned, plan_generated, stale_finding
from kb.runtime import GateError, find_runtime
from kb.site import Site, load_site


class Mode(enum.Enum):
    CHECK = "check"
    """Read-only: every check; generated files that are out of date are findings."""
    BUILD = "build"
    """Write the generated files and the search index, then check."""


@dataclass
class BuildResult:
    site: Site
    diagnostics: list[Diagnostic]
    """Every finding, severities adjusted, sorted by place."""
    written: list[str] = field(default_factory=list)
    """Generated files this run wrote, repo-relative."""
    index: str = ""
    """The search index summary line; '' when no index was written."""
    stats: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        stats = self.stats
        return (
            f"kb: {stats['pages']} pages ({stats['parsed']} parsed, {stats['cached']} cached) "
            f"in {self.seconds:.2f} s"
        )


def build(
    settings: Settings,
    mode: Mode = Mode.CHECK,
    *,
    use_cache: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> BuildResult:
    started = clock()
    walked = walk_files(settings)
    _prewarm_gate(settings, walked, use_cache)
    site = load_site(settings, use_cache=use_cache, walked=walked)
    stats = dict(site.stats)
    changes, problems = plan_generated(site)
    written: list[str] = []
    if mode is Mode.BUILD and changes:
        written = apply(site, changes)
        if any(file in site.infos for file in written):
            # Pages whose tables were rewritten are parsed again (the sidebar is no page).
            site = load_site(settings, use_cache=use_cache, reuse=site)
            stats["parsed"] = min(stats["parsed"] + site.stats["parsed"], stats["pages"])
            stats["cached"] = stats["pages"] - stats["parsed"]
        changes, problems = plan_generated(site)
    index: list[str] = []
    found = run_checks(
        site,
        changes,
        problems,
        meanwhile=(lambda: index.append(write_search_index(site)))
        if mode is Mode.BUILD and settings.content_model
        else None,
    )
    save_cache(settings, site.cache)
    return BuildResult(site, found, written, "".join(index), stats, clock() - started)


def _prewarm_gate(settings: Settings, walked: FoundFiles, use_cache: bool) -> None:
    """Boot the HTML gate's renderers while Python parses, when pages will need judging:
    every page on a cold run, and on a warm run a markdown file written since the verdicts
    were last saved (one renderer: a few pages changed)."""
    docs = settings.docs_dir.strip("/") + "/"
    markdown = [
        signature
        for file, signature in walked.signatures.items()
        if file.endswith(".md") and (file.startswith(docs) or "/" not in file)
    ]
    judged = last_judged(settings) if use_cache else None
    if judged is not None:
        if not any(signature[2] > judged for signature in markdown):  # ctime: any write
            return
        markdown = markdown[:1]
    try:
        runtime = find_runtime(settings)
    except GateError:
        return  # the gate reports it when it is needed
    prewarm(runtime, len(markdown), jobs=settings.jobs, timeout=settings.render_timeout)


def write_search_index(site: Site, out_dir: Path | None = None, build: str | None = None) -> str:
    """Write the site's search index (default: into the vendor folder, tagged with the build
    hash) from the pages' cached parts; returns the summary line."""
    from kb.search import facets, write_index  # noqa: PLC0415 - only builds write the index

    settings = site.settings
    pages = [(info.file, site.key(info.file)) for info in site.content_pages()]
    filters = site.memo(
        "search-facets",
        lambda: facets([site.facts()[f] for f in site.papers()], site.vocabulary),
    )
    return write_index(
        out_dir or settings.path(settings.vendor_dir),
        pages,
        site.search_part,
        filters,
        site.build_hash() if build is None else build,
        site.cache.extra("search") if site.cache is not None else {},
    )


def run_checks(
    site: Site,
    pending: list[FileChange],
    problems: list[Diagnostic] | None = None,
    *,
    meanwhile: Callable[[], object] | None = None,
) -> list[Diagnostic]:
    """Every offline check; `pending` generated-file changes are reported as stale, and
    `problems` (from planning the tables) are reported as they are. `meanwhile` runs while
    node renders the pages, after the other checks (`kb build` writes the search index)."""
    # node renders pages while the other checks run
    rendering = start_rendered(site, lambda file: owned(site, file))
    found: list[Diagnostic] = [*site.diagnostics, *(problems or [])]
    try:
        for info in site.infos.values():
            found.extend(info.diagnostics)
        found.extend(check_links(site))
        found.extend(check_duplicates(site))
        found.extend(check_data_files(site))
        found.extend(check_files(site))
        if meanwhile is not None:
            meanwhile()
    finally:
        found.extend(rendering.finish())
    for change in pending:
        found.append(stale_finding(site, change))
    return finalize(_site_choices(site.settings, found), site.settings.severity)


def _site_choices(settings: Settings, found: list[Diagnostic]) -> list[Diagnostic]:
    """A docsify site with `executeScript: true` runs the scripts of its pages on purpose:
    they are shown as warnings that say so, not as errors."""
    if settings.docsify is None or not settings.docsify.execute_script:
        return found
    from dataclasses import replace  # noqa: PLC0415

    from kb.diagnostics import Severity  # noqa: PLC0415

    hint = "the site sets executeScript: true, so docsify runs it whenever the page is shown"
    return [
        replace(d, severity=Severity.WARNING, hint=hint) if d.code == "SEC601" else d for d in found
    ]


def finalize(found: list[Diagnostic], overrides: dict) -> list[Diagnostic]:
    """Apply severity overrides, drop duplicates, sort by place."""
    result = set()
    for diagnostic in found:
        adjusted = with_severity(diagnostic, overrides)
        if adjusted is not None:
            result.add(adjusted)
    return sorted(result)
