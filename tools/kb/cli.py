"""`kb`: one CLI for the knowledge base. `run(argv)` returns the exit code."""

from __future__ import annotations

import argparse
import atexit
import enum
import gc
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kb import __version__
from kb.config import MIRROR_DIR, ConfigError, Settings, find_root, load_settings
from kb.diagnostics import Diagnostic, Severity
from kb.errors import UserError
from kb.report import FORMATTERS, escape_line

if TYPE_CHECKING:
    from kb.generate import FileChange
    from kb.mirror import ExportOptions
    from kb.site import Site

# The build's modules (pipeline, generate, cache, site) are imported by the commands that
# use them: `kb links` and `kb new` start without them.


class ExitCode(enum.IntEnum):
    OK = 0
    INTERNAL_ERROR = 1
    FINDINGS = 2
    CONFIG_ERROR = 3


def main() -> None:
    """The `kb` command. A one-shot command runs without the cyclic garbage collector (kb
    makes almost no cycles, and on a large site its passes over the cache's objects cost
    more than a warm build's checks) and ends without tearing the interpreter down, which
    frees those objects one by one: exit handlers run, the streams are flushed, then the
    process exits."""
    argv = sys.argv[1:]
    command, _ = _parser().parse_known_args(argv)
    if getattr(command, "handler", None) is not cmd_serve:
        gc.disable()
    code = run(argv)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass  # the reader went away (`kb check | head`) or the stream is closed
    os._exit(code)


def run(argv: Sequence[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(Path(args.root).resolve() if args.root else find_root(Path.cwd()))
        args.report_lang = args.lang or settings.lang
        return int(args.handler(settings, args))
    except UserError as exc:
        print(escape_line(f"kb: error: {exc}"), file=sys.stderr)
        return ExitCode.CONFIG_ERROR
    except OSError as exc:
        # The machine refused something kb needs (a port, a folder, a file): say which.
        where = f" ({exc.filename})" if exc.filename else ""
        print(escape_line(f"kb: error: {exc.strerror or exc}{where}"), file=sys.stderr)
        return ExitCode.CONFIG_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception:  # noqa: BLE001 - the last line of defence: report, never hide
        traceback.print_exc()
        print(
            "kb: internal error (a bug in kb): please report it with the trace above",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kb",
        description="Checks for docsify sites (links, routes, anchors, unsafe HTML) and the "
        "MedAI Notes content model (front matter, generated sidebar and tables).",
    )
    parser.add_argument("--version", action="version", version=f"kb {__version__}")
    parser.add_argument(
        "--root",
        help="the site (default: the nearest folder with [tool.kb] or kb.toml, else with a "
        "docsify index.html)",
    )
    parser.add_argument(
        "--lang",
        choices=("en", "zh"),
        help="language of the text report (default: settings' lang; with no settings, the "
        "site's <html lang>)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="run every offline check")
    _report_options(check)
    _explain_option(check)
    check.set_defaults(handler=cmd_check)

    for name, handler, what in (
        ("sidebar", cmd_sidebar, "write _sidebar.md from front matter"),
        ("tables", cmd_tables, "render the <!-- kb:table --> regions"),
    ):
        command = sub.add_parser(name, help=what)
        command.add_argument(
            "--check",
            action="store_true",
            help="write nothing; print a diff and exit 2 when the file is stale",
        )
        command.add_argument("--no-cache", action="store_true", help="ignore the parse cache")
        command.set_defaults(handler=handler)

    build = sub.add_parser("build", help="sidebar + tables + check in one go")
    build.add_argument(
        "--check",
        action="store_true",
        help="write nothing; stale generated files are reported as findings",
    )
    _report_options(build)
    _explain_option(build)
    build.set_defaults(handler=cmd_build)

    serve = sub.add_parser(
        "serve", help="build, then serve the site on 127.0.0.1 and rebuild on change"
    )
    serve.add_argument("--host", help="address to bind (default from settings: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default from settings; 0 picks a free one)")
    serve.add_argument("--no-watch", action="store_true", help="do not rebuild when pages change")
    serve.set_defaults(handler=cmd_serve)

    new = sub.add_parser(
        "new", help="start a new paper page from the template, or from its DOI or arXiv ID"
    )
    new.add_argument(
        "slug",
        nargs="?",
        default="",
        help="file name without .md, e.g. bello-2019-4dsurvival (derived with --doi/--arxiv)",
    )
    source = new.add_mutually_exclusive_group()
    source.add_argument("--doi", help="fill in the front matter from Crossref")
    source.add_argument("--arxiv", help="fill in the front matter from arXiv")
    new.add_argument("--title", default="", help="the paper's title as published")
    new.add_argument("--category", default="", help="a category id from the vocabulary")
    new.add_argument("--tasks", default="", help="task ids from the vocabulary, comma-separated")
    new.add_argument(
        "--modalities", default="", help="modality ids from the vocabulary, comma-separated"
    )
    new.add_argument(
        "--areas", default="", help="clinical area ids from the vocabulary, comma-separated"
    )
    new.set_defaults(handler=cmd_new)

    verify = sub.add_parser(
        "verify", help="check each paper's title, year, first author and venue online"
    )
    _report_options(verify)
    verify.add_argument(
        "--changed-since",
        metavar="REF",
        help="only pages added or changed since a git commit (e.g. origin/main)",
    )
    verify.set_defaults(handler=cmd_verify)

    links = sub.add_parser(
        "links",
        help="check external links (pages, sidebar, data files) over the network",
        description="Check every external http(s) link once: HEAD then GET, retries with "
        "backoff, per-host limits, a result cache. Exit 2 only for broken links "
        "(warnings too with --strict).",
    )
    _report_options(links)
    links.add_argument("--cache", metavar="FILE", help="result cache (default from settings)")
    links.add_argument(
        "--changed-since",
        metavar="REF",
        help="only links on lines added or changed since this git ref (for pull requests)",
    )
    links.add_argument(
        "--shard", metavar="K/N", help="check only shard K of N (URLs split by host)"
    )
    links.add_argument(
        "--merge",
        nargs="+",
        metavar="REPORT",
        help="combine --format json reports (e.g. of shards) instead of checking",
    )
    links.add_argument("--output", metavar="FILE", help="write the report here, not to stdout")
    links.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 when links are broken (for shards whose reports are merged later)",
    )
    links.add_argument(
        "--github-issue",
        action="store_true",
        help="open or update one issue labelled broken-links while links are broken, close "
        "it when none are (GitHub Actions: needs GITHUB_TOKEN with issues: write)",
    )
    progress = links.add_mutually_exclusive_group()
    progress.add_argument("--progress", action="store_true", default=None, help="progress bar")
    progress.add_argument("--no-progress", dest="progress", action="store_false")
    links.set_defaults(handler=cmd_links)

    init = sub.add_parser(
        "init",
        help="adopt kb on an existing docsify site: write a minimal kb.toml",
        description="Write kb.toml beside the site's index.html (docsify's checks, the content "
        "model off). --front-matter also puts a front-matter skeleton (type, title from the "
        "first heading) at the top of every page that has none. The hand-written sidebar, "
        "navbar and cover page are never touched.",
    )
    init.add_argument(
        "--front-matter", action="store_true", help="add a front-matter skeleton to each page"
    )
    init.set_defaults(handler=cmd_init)

    assets = sub.add_parser(
        "assets", help="copy the pinned front-end files from node_modules to vendor/"
    )
    assets.set_defaults(handler=cmd_assets)

    publish = sub.add_parser(
        "publish",
        help="write the static site into a folder, only if every check passes",
        description="Check everything (as kb check, with generated files up to date), then "
        "write the site as it is hosted into DIR: index.html, the sidebar, assets/, vendor/ "
        "and the files under docs/ that pages may publish. Nothing is written on errors.",
    )
    publish.add_argument("out", metavar="DIR", help="output folder (replaced on every run)")
    publish.add_argument(
        "--no-mirror",
        action="store_true",
        help=f"leave out the static mirror (by default it is built into DIR/{MIRROR_DIR}/)",
    )
    _mirror_options(publish)
    _report_options(publish)
    publish.set_defaults(handler=cmd_publish)

    export = sub.add_parser(
        "export",
        help="build the static mirror (MkDocs + Material) for crawlers and readers without JS",
        description="Check everything, then build a static HTML mirror of the pages with "
        "MkDocs and Material for MkDocs into DIR: the same navigation, heading ids and links "
        "as the docsify site, Chinese search, KaTeX math, a sitemap and per-page descriptions. "
        "Needs the export extra: pip install 'medai-kb[export]'.",
    )
    export.add_argument("out", metavar="DIR", help="output folder (replaced on every run)")
    export.add_argument(
        "--docsify-url",
        default="../",
        help="the docsify site, absolute or relative to the mirror (default: ../, the mirror "
        "published in a folder of the site)",
    )
    export.add_argument(
        "--full-nav",
        action="store_true",
        help="put the whole navigation into every page (by default navigation.prune: each "
        "page carries only its own section; every page is still in sitemap.xml)",
    )
    _mirror_options(export)
    _report_options(export)
    export.set_defaults(handler=cmd_export)
    return parser


def _mirror_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--site-url",
        default="",
        help="where the mirror is hosted, for sitemap.xml and canonical links "
        "(default: [tool.kb] site_url)",
    )


def _report_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--format", choices=sorted(FORMATTERS), default="text")
    command.add_argument("--strict", action="store_true", help="warnings also fail (exit 2)")
    command.add_argument("--no-cache", action="store_true", help="ignore the parse cache")
    command.add_argument(
        "--summary",
        metavar="FILE",
        help='also append the report as markdown to FILE (e.g. "$GITHUB_STEP_SUMMARY")',
    )


def _explain_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--explain",
        action="store_true",
        help="first say which site kb found, where its settings come from and what it read "
        "of the site's window.$docsify",
    )


def explain(settings: Settings) -> list[str]:
    """What kb works on and by which rules, one line each (`--explain`)."""
    mode = (
        "kb's content model (front matter, generated sidebar and tables) and docsify's checks"
        if settings.content_model
        else "docsify's checks only (no content model)"
    )
    origin = (
        "no pyproject.toml or kb.toml: zero configuration"
        if settings.origin == "index.html"
        else f"settings from {settings.origin}"
    )
    lines = [
        f"site: {settings.root}",
        f"{origin}; {mode}",
        f"pages: {settings.docs_dir or '(beside index.html)'}",
        f"cache: {settings.path(settings.cache_dir)}",
    ]
    if settings.docsify is None:
        lines.append("link rules: this repository's layout (relativePath on, no alias)")
    else:
        lines += settings.docsify.explain()
    return lines


def _explain(settings: Settings, args: argparse.Namespace) -> None:
    if args.explain:
        for line in explain(settings):
            print(escape_line(f"kb: {line}"), file=sys.stderr)


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    from kb.pipeline import Mode, build

    _explain(settings, args)
    result = build(settings, Mode.CHECK, use_cache=not args.no_cache)
    return _report(result.diagnostics, args)


def cmd_sidebar(settings: Settings, args: argparse.Namespace) -> int:
    from kb.cache import save_cache
    from kb.generate import plan_sidebar
    from kb.site import load_site

    site = load_site(settings, use_cache=not args.no_cache)
    change = plan_sidebar(site)
    save_cache(settings, site.cache)
    return _generate(site, [change] if change else [], args.check, "sidebar")


def cmd_tables(settings: Settings, args: argparse.Namespace) -> int:
    from kb.cache import save_cache
    from kb.generate import plan_tables
    from kb.site import load_site

    site = load_site(settings, use_cache=not args.no_cache)
    changes, problems = plan_tables(site)
    save_cache(settings, site.cache)
    for problem in problems:
        print(escape_line(str(problem)), file=sys.stderr)
    code = _generate(site, changes, args.check, "tables")
    return (
        code
        if code or not any(p.severity >= Severity.ERROR for p in problems)
        else ExitCode.FINDINGS
    )


def cmd_build(settings: Settings, args: argparse.Namespace) -> int:
    from kb.pipeline import Mode, build

    _explain(settings, args)
    result = build(settings, Mode.CHECK if args.check else Mode.BUILD, use_cache=not args.no_cache)
    for file in result.written:
        print(escape_line(f"kb: wrote {file}"), file=sys.stderr)
    if result.index:
        print(result.index, file=sys.stderr)
    code = _report(result.diagnostics, args)
    print(result.summary(), file=sys.stderr)
    return code


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from kb.serve import serve

    return serve(settings, host=args.host, port=args.port, watch=not args.no_watch)


def cmd_new(settings: Settings, args: argparse.Namespace) -> int:
    from kb.scaffold import new_paper

    record = None
    if args.doi or args.arxiv:
        from kb.scaffold import refuse_known
        from kb.sources import (
            PaperRecord,
            fetch_arxiv,
            fetch_crossref,
            normalize_arxiv,
            normalize_doi,
        )

        # Known already? Asked before the network, so that it is said offline too.
        doi = normalize_doi(args.doi) if args.doi else ""
        arxiv = normalize_arxiv(args.arxiv) if args.arxiv else ""
        refuse_known(settings, PaperRecord("", (), 0, "", doi=doi, arxiv=arxiv))
        sources = settings.sources
        record = fetch_crossref(args.doi, sources) if args.doi else fetch_arxiv(args.arxiv, sources)
    elif not args.slug:
        raise ConfigError("kb new: give a page name, or --doi / --arxiv to derive it")
    path = new_paper(
        settings,
        args.slug,
        title=args.title,
        category=args.category,
        tasks=_ids(args.tasks),
        modalities=_ids(args.modalities),
        areas=_ids(args.areas),
        record=record,
    )
    print(escape_line(f"kb: created {path.relative_to(settings.root)}"), file=sys.stderr)
    if record is not None:
        from kb.cache import save_cache
        from kb.generate import apply, plan_sidebar, plan_tables
        from kb.site import load_site

        site = load_site(settings)
        sidebar = plan_sidebar(site)
        tables, _ = plan_tables(site)
        for file in apply(site, [c for c in (sidebar, *tables) if c is not None]):
            print(escape_line(f"kb: wrote {file}"), file=sys.stderr)
        save_cache(settings, site.cache)
    print(
        "kb: fill in the remaining fields (title_zh, the sections), then run `kb build`",
        file=sys.stderr,
    )
    return ExitCode.OK


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    from kb.verify import verify

    only = None
    if args.changed_since:
        from kb.links.run import changed_lines

        only = set(changed_lines(settings.root, args.changed_since))
    found, asked = verify(settings, only)
    code = _report(found, args)
    print(
        f"kb verify: {asked} paper page(s) compared with their records, {len(found)} finding(s)",
        file=sys.stderr,
    )
    return code


def cmd_assets(settings: Settings, args: argparse.Namespace) -> int:
    from kb.assets import AssetError
    from kb.cache import save_cache
    from kb.pipeline import write_search_index
    from kb.site import load_site
    from kb.vendor import vendor

    site = load_site(settings)
    try:
        written = vendor(settings, site.build_hash())
    except AssetError as exc:
        print(escape_line(f"kb: error: {exc}"), file=sys.stderr)
        return ExitCode.CONFIG_ERROR
    print(f"kb: vendor/ up to date ({len(written)} file(s) written)", file=sys.stderr)
    print(write_search_index(site), file=sys.stderr)
    save_cache(settings, site.cache)
    return ExitCode.OK


def cmd_publish(settings: Settings, args: argparse.Namespace) -> int:
    from kb.gitinfo import edit_url
    from kb.pipeline import Mode, build
    from kb.publish import publish
    from kb.writer import OutputError

    result = build(settings, Mode.CHECK, use_cache=not args.no_cache)
    if _failing(result.diagnostics, args):
        return _stop(result.diagnostics, args, "kb: nothing published: fix the errors above first")
    out = Path(args.out).resolve()
    info = {"editUrl": edit_url(settings), "build": result.site.build_hash()}
    site_url = str(args.site_url or settings.site_url)
    mirror = None
    if not args.no_mirror and settings.content_model:
        mirror_url = site_url.rstrip("/") + f"/{MIRROR_DIR}/" if site_url else ""
        options = _export_options(settings, args, site_url=mirror_url, docsify_url="../")
        mirror = _MirrorStep(result.site, options, args)
    try:
        count = publish(result.site, out, info, mirror=mirror, site_url=site_url)
    except OutputError as exc:
        if mirror is None or not mirror.failed:
            raise ConfigError(str(exc)) from None
    found = [*result.diagnostics, *(mirror.diagnostics if mirror else [])]
    if mirror is not None and mirror.failed:
        return _stop(found, args, "kb: nothing published: the static mirror has errors")
    _report(found, args)
    if mirror is not None:
        print(f"kb: static mirror: {mirror.pages} page(s) in {MIRROR_DIR}/", file=sys.stderr)
        _say_no_site_url(site_url)
    print(f"kb: published {count} file(s) to {out}", file=sys.stderr)
    return ExitCode.OK


class _MirrorStep:
    """`kb publish`'s mirror, built into the staging folder; its findings are kept for the
    one report of the run."""

    def __init__(self, site: Site, options: ExportOptions, args: argparse.Namespace) -> None:
        self.site, self.options, self.args = site, options, args
        self.diagnostics: list[Diagnostic] = []
        self.failed = False
        self.pages = 0

    def __call__(self, folder: Path) -> int:
        from kb.mirror import export

        try:
            result = export(self.site, folder, self.options)
        except UserError as exc:
            raise ConfigError(str(exc)) from None
        self.diagnostics = result.diagnostics
        self.failed = _failing(result.diagnostics, self.args)
        self.pages = result.pages
        return -1 if self.failed else result.pages


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from kb.mirror import export
    from kb.pipeline import Mode, build

    result = build(settings, Mode.CHECK, use_cache=not args.no_cache)
    stop = "kb: no mirror written: fix the errors above first"
    if _failing(result.diagnostics, args):
        return _stop(result.diagnostics, args, stop)
    out = Path(args.out).resolve()
    site_url = str(args.site_url or settings.site_url)
    options = _export_options(settings, args, site_url=site_url, docsify_url=args.docsify_url)
    exported = export(result.site, out, options)
    _say_no_site_url(site_url)
    found = [*result.diagnostics, *exported.diagnostics]
    if _failing(found, args):
        return _stop(found, args, stop)
    _report(found, args)
    print(
        f"kb: static mirror of {exported.pages} page(s) written to {out} in "
        f"{exported.seconds:.1f} s",
        file=sys.stderr,
    )
    return ExitCode.OK


def _say_no_site_url(site_url: str) -> None:
    if not site_url:
        print(
            "kb: note: no site URL, so sitemap.xml lists no pages and pages have no canonical "
            "link; pass --site-url or set [tool.kb] site_url",
            file=sys.stderr,
        )


def _export_options(
    settings: Settings, args: argparse.Namespace, *, site_url: str, docsify_url: str
) -> ExportOptions:
    from kb.gitinfo import edit_url, repository_url
    from kb.mirror import ExportOptions

    return ExportOptions(
        site_url=site_url,
        docsify_url=docsify_url,
        edit_url=edit_url(settings),
        repo_url=repository_url(settings),
        prune=not getattr(args, "full_nav", False),
    )


def cmd_init(settings: Settings, args: argparse.Namespace) -> int:
    from kb.init import init_site

    result = init_site(settings, front_matter=args.front_matter)
    for file in result.written:
        print(escape_line(f"kb: wrote {file}"), file=sys.stderr)
    if args.front_matter:
        kept = len(result.skipped)
        print(f"kb: {kept} file(s) left as they were (front matter or navigation)", file=sys.stderr)
    for note in result.notes:
        print(escape_line(f"kb: note: {note}"), file=sys.stderr)
    print("kb: next: run `kb check`", file=sys.stderr)
    return ExitCode.OK


def cmd_links(settings: Settings, args: argparse.Namespace) -> int:
    from kb.links.collect import collect
    from kb.links.run import Progress, changed_lines, check_links, parse_shard, select
    from kb.report import parse_json

    tracker = None
    if args.github_issue:
        from kb.links.tracker import tracker_from_env

        tracker = tracker_from_env(os.environ)
    if args.merge:
        found: list[Diagnostic] = []
        for report in args.merge:
            try:
                found.extend(parse_json(Path(report).read_text(encoding="utf-8"), report))
            except (OSError, ValueError) as exc:
                raise ConfigError(str(exc)) from None
        found = sorted(set(found))
        code = _report(found, args)
    else:
        shard = parse_shard(args.shard) if args.shard else None
        changed = changed_lines(settings.root, args.changed_since) if args.changed_since else None
        occurrences = select(collect(settings), changed=changed, shard=shard)
        cache = None if args.no_cache else settings.path(args.cache or settings.links.cache_file)
        show = sys.stderr.isatty() if args.progress is None else args.progress
        from kb.gitinfo import repository_url

        found, run = check_links(
            settings,
            occurrences,
            cache_file=cache,
            repository=repository_url(settings),
            progress=Progress() if show else None,
        )
        code = _report(found, args)
        print(run.summary(), file=sys.stderr)
    if tracker is not None:
        from kb.links.tracker import sync_issue
        from kb.report import format_markdown

        broken = any(d.severity >= Severity.ERROR for d in found)
        done = sync_issue(tracker, format_markdown(found), broken)
        print(f"kb links: {done} in {tracker.repository}", file=sys.stderr)
    return ExitCode.OK if args.exit_zero and code == ExitCode.FINDINGS else code


def _generate(site: Site, changes: list[FileChange], check: bool, what: str) -> int:
    from kb.generate import apply

    if check:
        for change in changes:
            lines = change.diff().splitlines()
            sys.stdout.write("".join(escape_line(line) + "\n" for line in lines))
        if changes:
            files = ", ".join(c.file for c in changes)
            print(escape_line(f"kb: {what} out of date: {files}; run `kb {what}`"), file=sys.stderr)
            return ExitCode.FINDINGS
        print(f"kb: {what} up to date", file=sys.stderr)
        return ExitCode.OK
    written = apply(site, changes)
    for file in written:
        print(escape_line(f"kb: wrote {file}"), file=sys.stderr)
    if not written:
        print(f"kb: {what} up to date", file=sys.stderr)
    return ExitCode.OK


def _write_report(path: Path, text: str) -> None:
    from kb.writer import write_atomic

    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"--output {path}: {exc.strerror or exc}") from None


def _stop(diagnostics: list[Diagnostic], args: argparse.Namespace, why: str) -> int:
    """Report findings that stop a command which writes output, then say why nothing was
    written; returns the exit code."""
    code = _report(diagnostics, args)
    print(why, file=sys.stderr)
    return code


def _failing(diagnostics: list[Diagnostic], args: argparse.Namespace) -> bool:
    """Whether `_report` would fail on these findings (warnings count with --strict)."""
    threshold = Severity.WARNING if args.strict else Severity.ERROR
    return any(d.severity >= threshold for d in diagnostics)


def _report(diagnostics: list[Diagnostic], args: argparse.Namespace) -> int:
    if args.format == "text" and getattr(args, "report_lang", "en") == "zh":
        from kb.report import format_text_zh

        text = format_text_zh(diagnostics)
    else:
        text = FORMATTERS[args.format](diagnostics)
    if getattr(args, "output", None):
        _write_report(Path(args.output), text)
    else:
        sys.stdout.write(text)
    if getattr(args, "summary", None):
        markdown = text if args.format == "markdown" else FORMATTERS["markdown"](diagnostics)
        try:
            with open(args.summary, "a", encoding="utf-8") as summary:
                summary.write(markdown)
        except OSError as exc:
            raise ConfigError(f"--summary {args.summary}: {exc.strerror or exc}") from None
    return ExitCode.FINDINGS if _failing(diagnostics, args) else ExitCode.OK
