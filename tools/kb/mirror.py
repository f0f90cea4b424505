"""`kb export DIR`: a static mirror of the site, built with MkDocs and Material for MkDocs.

docsify renders in the browser, so crawlers and readers without JavaScript see an empty
page. The mirror is the same pages as HTML, for them. It is a stage of the one pipeline: it
reads the parsed site (`Site`) — navigation from the same tree as `_sidebar.md`, heading
ids and link targets from the parse, descriptions and tags from the front matter — and
writes a staging folder MkDocs builds:

    staging/mkdocs.yml        the configuration (nav, theme, search, math, validation)
    staging/kb-mirror.json    what the hooks need of the model (tools/kb/mirror_hooks.py)
    staging/docs/…            the published pages, their front matter replaced by the
                              mirror's (title, description, tags), and the files they use

MkDocs runs in its own process (`--strict`: any link it cannot follow stops the build);
the hooks give every heading its docsify id, send every link where docsify sends it,
sanitize the HTML with the site's allow-list (nh3) and add a CSP. What they could not do is
reported back as diagnostics. The output is swapped in only when the build succeeds.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from kb.assets import MIRROR_ASSETS, copy_assets
from kb.checks.files import check_files
from kb.collect import SECTION_FILE
from kb.config import Settings, read_limit
from kb.diagnostics import Diagnostic, Severity, make
from kb.errors import UserError
from kb.frontmatter import normalize_text, split_front_matter
from kb.render.sidebar import NavNode, home_label, label_of, nav_tree
from kb.routes import DocsifyRules, page_route
from kb.runtime import find_node_modules
from kb.searchtext import plain_text
from kb.site import Site
from kb.writer import OutputError, read_regular, refuse_foreign, swap_in

MARKER = ".kb-export"
"""Written into every mirror folder; only such a folder is ever replaced."""
HOOKS = Path(__file__).with_name("mirror_hooks.py")
DATA_FILE = "kb-mirror.json"
REPORT_FILE = "kb-mirror-report.json"
TAGS_PAGE = "tags.md"
MIRROR_SCRIPT = Path(__file__).parent / "data" / "mirror-math.js"
REQUIRED_MODULES = ("mkdocs", "material", "jieba", "nh3", "mdx_truly_sane_lists")
DESCRIPTION_LIMIT = 160
"""Characters of a page description (search engines show about this many)."""
SUMMARY_HEADING = "一句话总结"
"""The paper template's summary section: a paper's description when it sets none."""
_WARNING = re.compile(r"^(WARNING|ERROR)\s+-\s+(.*)$")
_DOC_FILE = re.compile(r"Doc file '([^']+)'")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.S)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+(?=[，。；：、）》])")


class ExportError(UserError):
    """The mirror cannot be built; the message names the cause and the fix."""


@dataclass
class ExportResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    pages: int = 0
    seconds: float = 0.0
    mkdocs_seconds: float = 0.0


@dataclass(frozen=True)
class ExportOptions:
    site_url: str = ""
    """Where the mirror is hosted (sitemap, canonical links); '' writes no sitemap URLs."""
    docsify_url: str = "../"
    """The docsify site, relative to the mirror's root: each page links back to itself there."""
    edit_url: str = ""
    """The "edit this page" template with `{path}`; '' for none."""
    repo_url: str = ""
    prune: bool = True
    """Material's `navigation.prune`: each page carries only its own section's navigation
    (at 1,000 pages a quarter of the output, in two thirds of the time; bench/export_bench.py).
    Crawlers find every page through sitemap.xml either way."""
    strict: bool = True
    """Write nothing when MkDocs warns (off: tests build hostile sites to audit the output)."""
    sanitize: bool = True
    """Sanitize each page with nh3 (off only to test the CSP on its own)."""


def missing_modules() -> list[str]:
    return [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]


def export(site: Site, out: Path, options: ExportOptions) -> ExportResult:
    """Build the mirror of `site` into `out` (replaced only when the build succeeds)."""
    started = time.perf_counter()
    missing = missing_modules()
    if missing:
        raise ExportError(
            f"the mirror needs {', '.join(missing)}; install them with "
            "`pip install 'medai-kb[export]'` (./dev publish does)"
        )
    if not site.settings.content_model:
        raise ExportError(
            "kb export builds the mirror from kb's content model (front matter, _section.yaml); "
            "this site has none: add [tool.kb] to pyproject.toml or a kb.toml"
        )
    try:
        refuse_foreign(out, MARKER, "kb export")
    except OutputError as exc:
        raise ExportError(str(exc)) from None
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        pages = stage(site, work / "stage", out_dir=work / "site", options=options)
        mkdocs_started = time.perf_counter()
        found = run_mkdocs(site, work / "stage", strict=options.strict)
        mkdocs_seconds = time.perf_counter() - mkdocs_started
        found += read_report(site, work / "stage")
        if not options.strict or not any(d.severity >= d.severity.ERROR for d in found):
            site_dir = work / "site"
            site_dir.chmod(0o755)
            (site_dir / MARKER).write_text("written by kb export; replaced on the next run\n")
            swap_in(site_dir, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return ExportResult(sorted(set(found)), pages, time.perf_counter() - started, mkdocs_seconds)


# --- stage -------------------------------------------------------------------------------


def stage(site: Site, folder: Path, *, out_dir: Path, options: ExportOptions) -> int:
    """Write the staging folder MkDocs builds from; returns the number of pages."""
    settings = site.settings
    docs = settings.docs_dir.strip("/")
    home, entries = nav_tree(site)
    files = _published_pages(home, entries)
    pages: dict[str, Any] = {}
    rules = settings.docsify.rules() if settings.docsify is not None else DocsifyRules()
    for file in files:
        src_uri = file[len(docs) + 1 :]
        meta, body = mirror_page(site, file)
        _write(folder / "docs" / src_uri, _front_matter(meta) + body)
        parsed = site.pages[file]
        pages[src_uri] = {
            "file": file,
            "ids": [h.slug for h in parsed.headings],
            "route": page_route(file, rules),
        }
    # the files `kb publish` refuses (scripts, HTML, SVG with script …) stay out here too
    refused = {d.file for d in check_files(site) if d.severity >= Severity.ERROR}
    for file in sorted(site.files):
        if file.startswith(docs + "/") and file not in refused and _is_asset(settings, file):
            _copy(settings.path(file), folder / "docs" / file[len(docs) + 1 :])
    tags = _tag_titles(site)
    if tags:
        _write(folder / "docs" / TAGS_PAGE, _tags_page())
    copy_assets(find_node_modules(settings), folder / "docs" / "assets", MIRROR_ASSETS)
    _copy(MIRROR_SCRIPT, folder / "docs" / "assets" / "kb-mirror.js")
    nav = [_nav_item(home_label(home), home.file, docs)] if home else []
    nav += [_nav_entry(node, docs) for node in entries]
    if tags:
        nav.append({"标签": TAGS_PAGE})
    config = mkdocs_config(site, nav, sorted(tags), out_dir, options)
    _write(folder / "mkdocs.yml", json.dumps(config, ensure_ascii=False, indent=2) + "\n")
    data = {
        "docs_dir": docs,
        "pages": pages,
        "rules": list(settings.docsify.rules()) if settings.docsify is not None else None,
        "iframe_hosts": sorted(h.lower() for h in settings.iframe_hosts),
        "docsify_url": options.docsify_url,
        "edit_url": options.edit_url,
        "report": str(folder / REPORT_FILE),
        "sanitize": options.sanitize,
    }
    _write(folder / DATA_FILE, json.dumps(data, ensure_ascii=False))
    return len(pages)


def _published_pages(home: Any, entries: list[NavNode]) -> list[str]:
    """Every page the navigation opens, in navigation order (the mirror holds just these)."""
    found: list[str] = [home.file] if home is not None else []

    def walk(nodes: list[NavNode]) -> None:
        for node in nodes:
            if node.file:
                found.append(node.file)
            walk(node.children)

    walk(entries)
    return list(dict.fromkeys(found))


def _is_asset(settings: Settings, file: str) -> bool:
    """A file under docs/ that pages use and the mirror copies: not a page (pages are staged
    from the model), not kb's own inputs (folder metadata, vocabulary, data files)."""
    name = file.rsplit("/", 1)[-1]
    data = settings.data_dir.strip("/") + "/"
    return not (
        file.endswith(".md")
        or name == SECTION_FILE
        or file == settings.vocabulary
        or file.startswith(data)
        or name.startswith(".")
    )


def mirror_page(site: Site, file: str) -> tuple[dict[str, Any], str]:
    """(the mirror's front matter, the page body as written) for one page."""
    # the walk never follows symlinks, and neither does this read (nor does it read more
    # than the size kb check accepts)
    limit = read_limit(site.settings.max_page_kb, file)
    raw = read_regular(str(site.settings.path(file)), limit)[:limit]
    try:
        text = normalize_text(raw)
    except UnicodeDecodeError:  # kb check refuses it (MD50x); a forced export shows U+FFFD
        text = normalize_text(raw.decode("utf-8", "replace").encode())
    front, _ = split_front_matter(text, file)
    meta = site.infos[file].meta or {}
    body = front.body
    # MkDocs' templates do not escape: titles, descriptions and tags are escaped here
    out: dict[str, Any] = {"title": escape(label_of(file, meta))}
    description = page_description(meta, body)
    if description:
        out["description"] = escape(description)
    tags = _page_tags(site, meta)
    if tags:
        out["tags"] = [escape(tag) for tag in tags]
    return out, body


def page_description(meta: dict[str, Any], body: str) -> str:
    """The front matter's `description`; for a paper without one, its one-line summary."""
    text = meta.get("description")
    if not isinstance(text, str) or not text.strip():
        text = _section_text(body, SUMMARY_HEADING) if meta.get("type") == "paper" else ""
    if not text:
        return ""
    text = plain_text(_MATH.sub(" ", text))  # a description is plain text: no formulas
    return _shorten(_SPACE_BEFORE_PUNCT.sub("", text))


def _section_text(body: str, heading: str) -> str:
    """The first paragraph under `## heading`."""
    match = re.search(rf"^##[ \t]+{re.escape(heading)}[ \t]*$", body, re.MULTILINE)
    if not match:
        return ""
    rest = body[match.end() :].lstrip("\n")
    paragraph = rest.split("\n\n", 1)[0]
    return "" if paragraph.startswith("#") else paragraph


def _shorten(text: str) -> str:
    if len(text) <= DESCRIPTION_LIMIT:
        return text
    cut = text[:DESCRIPTION_LIMIT]
    stop = max(cut.rfind("。"), cut.rfind("；"), cut.rfind(". "))
    return cut[: stop + 1] if stop >= DESCRIPTION_LIMIT // 2 else cut.rstrip() + "…"


def _page_tags(site: Site, meta: dict[str, Any]) -> list[str]:
    """A paper's tasks and modalities, by their vocabulary titles."""
    tags: list[str] = []
    for kind in ("tasks", "modalities"):
        terms = site.vocabulary.get(kind, {})
        values = meta.get(kind)
        for value in values if isinstance(values, list) else []:
            term = terms.get(str(value))
            if term is not None and term.title not in tags:
                tags.append(term.title)
    return tags


def _tag_titles(site: Site) -> set[str]:
    """Tags pages may carry (`tags_allowed`): the used titles of the two vocabularies."""
    used: set[str] = set()
    for file in site.papers():
        used.update(_page_tags(site, site.facts()[file]))
    return used


def _tags_page() -> str:
    meta = {"title": "标签", "description": "按研究任务与数据模态浏览论文。"}
    return (
        _front_matter(meta) + "# 标签\n\n按研究任务与数据模态浏览论文。\n\n<!-- material/tags -->\n"
    )


def _front_matter(meta: dict[str, Any]) -> str:
    # JSON is YAML: every string quoted and escaped, nothing YAML could read another way
    lines = [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in meta.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"


def _nav_entry(node: NavNode, docs: str) -> Any:
    if not node.children:
        return _nav_item(node.label, node.file, docs)
    children = [_nav_entry(child, docs) for child in node.children]
    if node.file:  # navigation.indexes: the section's first page is its index
        children.insert(0, node.file[len(docs) + 1 :])
    return {escape(node.label): children}


def _nav_item(label: str, file: str, docs: str) -> dict[str, str]:
    return {escape(label): file[len(docs) + 1 :]}


def mkdocs_config(
    site: Site, nav: list[Any], tags: list[str], out_dir: Path, options: ExportOptions
) -> dict[str, Any]:
    """mkdocs.yml, as data (written as JSON, which YAML reads)."""
    name, description = _site_identity(site.settings)
    features = [
        "navigation.indexes",
        "navigation.top",
        "navigation.footer",
        "search.highlight",
        "search.suggest",
        "content.code.copy",
    ]
    if options.edit_url:
        features.append("content.action.edit")
    if options.prune:
        features.append("navigation.prune")
    config: dict[str, Any] = {
        "site_name": name,
        "site_description": description,
        "docs_dir": "docs",
        "site_dir": str(out_dir),
        "use_directory_urls": True,
        "strict": options.strict,
        "nav": nav,
        "theme": {"name": "material", "language": "zh", "font": False, "features": features},
        "plugins": [
            {"search": {"lang": "zh"}},
            {"tags": {"tags_allowed": [escape(tag) for tag in tags]}} if tags else "tags",
        ],
        "markdown_extensions": [
            {"toc": {"permalink": True}},
            "tables",
            {"mdx_truly_sane_lists": {"nested_indent": 2, "truly_sane": True}},
            {"pymdownx.arithmatex": {"generic": True}},
            {"pymdownx.highlight": {"use_pygments": True}},
            "pymdownx.superfences",
            "pymdownx.tilde",
            {"pymdownx.tasklist": {"custom_checkbox": False}},
            {"pymdownx.magiclink": {"hide_protocol": False}},
        ],
        "extra_javascript": [
            "assets/katex/katex.min.js",
            "assets/katex/contrib/auto-render.min.js",
            "assets/kb-mirror.js",
        ],
        "extra_css": ["assets/katex/katex.min.css"],
        "hooks": [str(HOOKS)],
        "validation": {
            "omitted_files": "warn",
            "absolute_links": "warn",
            "unrecognized_links": "warn",
            "anchors": "warn",
            "not_found": "warn",
        },
        "exclude_docs": "",
    }
    if options.site_url:
        config["site_url"] = options.site_url.rstrip("/") + "/"
    if options.repo_url:
        config["repo_url"] = options.repo_url
    return config


def _site_identity(settings: Settings) -> tuple[str, str]:
    """(site name, description) from index.html's <title> and meta description."""
    try:
        text = settings.path("index.html").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    title = re.search(r"<title>([^<]*)</title>", text)
    meta = re.search(r'<meta\s+name="description"\s+content="([^"]*)"', text)
    name = title.group(1).strip() if title else ""
    return name or settings.root.name, meta.group(1).strip() if meta else ""


# --- build and report ----------------------------------------------------------------------


def run_mkdocs(site: Site, folder: Path, *, strict: bool = True) -> list[Diagnostic]:
    """`mkdocs build --strict` on the staging folder; its warnings as diagnostics."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "mkdocs", "build", "-f", "mkdocs.yml"]
    if strict:
        command.insert(4, "--strict")
    try:
        done = subprocess.run(
            command,
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExportError(f"mkdocs did not run: {exc}") from None
    found = parse_mkdocs_log(site, done.stderr)
    if done.returncode != 0 and not found:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise ExportError(f"mkdocs build failed (exit {done.returncode}): {tail}")
    return found


def parse_mkdocs_log(site: Site, log: str) -> list[Diagnostic]:
    """MkDocs' WARNING/ERROR lines, placed on the page they name (docs-relative paths)."""
    docs = site.settings.docs_dir.strip("/")
    found = []
    for line in log.splitlines():
        match = _WARNING.match(line.strip())
        if not match or match.group(2).startswith("Aborted with"):
            continue
        message = match.group(2).strip()
        page = _DOC_FILE.search(message)
        file = f"{docs}/{page.group(1)}" if page else "mkdocs.yml"
        found.append(
            make(
                "EXP801",
                file,
                _line_of(site, file, message),
                f"mkdocs: {message}",
                hint="make the page work in the mirror too (see LNK219), then run kb export again",
            )
        )
    return found


def _line_of(site: Site, file: str, message: str) -> int:
    """The first source line holding the link MkDocs names, else 1."""
    link = re.search(r"contains a link '([^']+)'", message)
    if not link or file not in site.files:
        return 1
    try:
        lines = site.settings.path(file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    wanted = link.group(1)
    return next((n for n, text in enumerate(lines, 1) if wanted in text), 1)


def read_report(site: Site, folder: Path) -> list[Diagnostic]:
    """What the hooks could not carry into the mirror: heading ids, sanitized HTML."""
    try:
        report = json.loads((folder / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [make("EXP801", "mkdocs.yml", 1, "mkdocs wrote no page (the hooks did not run)")]
    found = []
    for file, missing in sorted(report.get("ids", {}).items()):
        lines = {h.slug: h.line for h in site.pages[file].headings}
        for slug in missing:
            found.append(
                make(
                    "EXP802",
                    file,
                    lines.get(slug, 1),
                    f"heading id '{slug}' is missing from the mirror's page",
                    hint="Python-Markdown reads this heading differently from marked; "
                    "rewrite it as a plain `## …` line",
                )
            )
    for file, removed in sorted(report.get("removed", {}).items()):
        found.append(
            make(
                "EXP803",
                file,
                1,
                f"the mirror's sanitizer removed {', '.join(removed)}",
                hint="write the page in markdown, or with HTML the site's allow-list keeps",
            )
        )
    return found


# --- files ---------------------------------------------------------------------------------


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest, follow_symlinks=False)
