"""`kb publish DIR`: the static site, as it is hosted, with only the files pages may publish.

Nothing is written unless every check passes (the same checks as `kb check`, generated
files up to date). The output is built next to DIR and swapped in at the end, so a failed
run leaves the previous site as it was. A folder kb did not write is never replaced.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from kb.assets import vendor_assets
from kb.checks.files import check_files
from kb.collect import SECTION_FILE
from kb.config import MIRROR_DIR, Settings
from kb.diagnostics import Severity
from kb.pipeline import write_search_index
from kb.policy import SANDBOX_CSP, render_csp
from kb.runtime import find_node_modules
from kb.site import Site
from kb.writer import OutputError, refuse_foreign, swap_in

MARKER = ".kb-publish"
"""Written into every published folder; only such a folder is ever replaced."""
ROOT_FILES = ("index.html", "_navbar.md", "_coverpage.md")


class PublishError(OutputError):
    """The output folder cannot be written; the message names it and the fix."""


def publish(
    site: Site,
    out: Path,
    site_info: dict[str, str],
    *,
    mirror: Callable[[Path], int] | None = None,
    site_url: str = "",
) -> int:
    """Write the site into `out`; returns the number of files written. `mirror` builds the
    static mirror into the folder it is given (`MIRROR_DIR`) and returns its page count, or
    -1 when it failed: then nothing is published."""
    refuse_foreign(out, MARKER, "kb publish")
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging.chmod(0o755)  # a web server reads it as another user
    try:
        count = _write(site, staging, site_info)
        if mirror is not None:
            pages = mirror(staging / MIRROR_DIR)
            if pages < 0:
                raise PublishError("the static mirror was not built")
            count += pages
            (staging / "robots.txt").write_text(_robots(site_url), encoding="utf-8")
        swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def _write(site: Site, staging: Path, site_info: dict[str, str]) -> int:
    settings = site.settings
    refused = {d.file for d in check_files(site) if d.severity >= Severity.ERROR}
    docs = settings.docs_dir.strip("/") + "/"
    files = [
        f
        for f in sorted(site.files)
        if f.startswith(docs) and f not in refused and not _kb_source(settings, f)
    ]
    files += [f for f in (*ROOT_FILES, settings.sidebar) if f in site.files]
    for file in files:
        _copy(settings.path(file), staging / file)
    assets = settings.path("assets")
    for path in sorted(assets.rglob("*")) if assets.is_dir() and not assets.is_symlink() else []:
        if path.is_file() and not path.is_symlink() and path.suffix in (".js", ".css"):
            _copy(path, staging / path.relative_to(settings.root))
            files.append(path.name)
    vendored = vendor_assets(
        find_node_modules(settings), staging / settings.vendor_dir, site_info, settings.iframe_hosts
    )
    write_search_index(site, staging / settings.vendor_dir, site_info.get("build", ""))
    (staging / ".nojekyll").write_bytes(b"")  # GitHub Pages: publish the _-files too
    (staging / "_headers").write_text(_headers(settings), encoding="utf-8")
    (staging / MARKER).write_text("written by kb publish; replaced on the next run\n")
    return len(files) + len(vendored) + 1


def _robots(site_url: str) -> str:
    """Crawlers read the static mirror; its sitemap lists every page (with a site URL)."""
    lines = ["User-agent: *", "Allow: /", ""]
    if site_url:
        lines.insert(2, f"Sitemap: {site_url.rstrip('/')}/{MIRROR_DIR}/sitemap.xml")
    return "\n".join(lines) + "\n"


def _kb_source(settings: Settings, file: str) -> bool:
    """kb's own inputs under docs/ (folder metadata, the vocabulary, the data files): they
    become the sidebar and tables at build time, and the site never loads them."""
    data = settings.data_dir.strip("/") + "/"
    return (
        file.rsplit("/", 1)[-1] == SECTION_FILE
        or file == settings.vocabulary
        or file.startswith(data)
    )


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest, follow_symlinks=False)


def _headers(settings: Settings) -> str:
    """Response headers for hosts that read a `_headers` file (Netlify, Cloudflare Pages):
    the page's CSP as a header (a header can forbid framing), the pages' files sandboxed.
    No header name is set by two rules that match the same path."""
    page = f"{render_csp(settings.iframe_hosts)}; frame-ancestors 'none'"
    docs = settings.docs_dir.strip("/")
    return (
        "/*\n"
        "  X-Content-Type-Options: nosniff\n"
        "  Referrer-Policy: strict-origin-when-cross-origin\n"
        f"/\n  Content-Security-Policy: {page}\n"
        f"/index.html\n  Content-Security-Policy: {page}\n"
        f"/{docs}/*\n  Content-Security-Policy: {SANDBOX_CSP}\n"
    )
