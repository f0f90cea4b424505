"""The HTML gate as a check: every markdown file the site can show, rendered by the site's
own docsify and judged by the HTML policy (kb.gate), findings at the line of the source.

Verdicts are cached by content: the page's bytes, the site's scripts and policy (the
runtime signature), the iframe hosts, and the bytes of every file docsify read to render it
(`:include`), so a warm run renders only what changed.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterator

from kb.diagnostics import Diagnostic, make
from kb.gate import Finding, Request, Verdict, judge_pages
from kb.runtime import Runtime, find_runtime
from kb.site import Site, read_regular

NAVIGATION = ("_sidebar.md", "_navbar.md", "_coverpage.md")
"""Files docsify compiles as navigation (the sidebar path of its compiler)."""


def check_rendered(site: Site) -> list[Diagnostic]:
    """Findings of the HTML gate for every markdown file under docs/ and at the root."""
    settings = site.settings
    files = gate_files(site)
    if not files:
        return []
    runtime = find_runtime(settings)
    limit = settings.max_page_kb * 1024
    verdicts: dict[str, Verdict] = {}
    keys: dict[str, str] = {}
    misses: list[Request] = []
    for file in files:
        # A page the parse cache knows has a content key already: no need to read it.
        known = site.key(file) if file in site.infos else ""
        raw = b"" if known else read_regular(str(settings.path(file)), limit)
        if len(raw) > limit or (known and _too_large(site, file)):
            continue  # MD504: kb does not read it
        key = keys[file] = _key(runtime, settings.iframe_hosts, file, known.encode() or raw)
        cached = _cached(site, key)
        if cached is not None:
            verdicts[file] = cached
            continue
        raw = raw or read_regular(str(settings.path(file)), limit)
        text = raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
        misses.append(Request(file, route(file), text, _kind(file)))
    fresh = judge_pages(
        runtime,
        settings.root,
        settings.iframe_hosts,
        misses,
        jobs=settings.jobs,
        timeout=settings.render_timeout,
    )
    for request, verdict in zip(misses, fresh, strict=True):
        verdicts[request.file] = verdict
        _store(site, keys[request.file], verdict)
    return [d for file in files if file in verdicts for d in _diagnostics(file, verdicts[file])]


def gate_files(site: Site) -> list[str]:
    """Every markdown file a reader can reach: all of docs/ (folders starting with `_` too:
    docsify routes and embeds them) and the root's."""
    docs = site.settings.docs_dir.strip("/") + "/"
    return sorted(
        f for f in site.files if f.endswith(".md") and (f.startswith(docs) or "/" not in f)
    )


def route(file: str) -> str:
    """The docsify route that shows `file`: `docs/x.md` → `/docs/x`, `docs/README.md` →
    `/docs/`; the root README keeps its name (route `/` is the site's home page)."""
    path = "/" + file[: -len(".md")]
    if path.endswith("/README") and path != "/README":
        return path[: -len("README")]
    return path


def _kind(file: str) -> str:
    return "sidebar" if posixpath.basename(file) in NAVIGATION else "page"


def _too_large(site: Site, file: str) -> bool:
    return any(d.code == "MD504" for d in site.infos[file].diagnostics)


def _key(runtime: Runtime, hosts: tuple[str, ...], file: str, content: bytes) -> str:
    """Changes with the runtime, the iframe hosts, and the file's content (its bytes, or the
    parse cache's content key of them)."""
    digest = hashlib.blake2b(runtime.signature.encode(), digest_size=20)
    digest.update(repr(sorted(hosts)).encode() + b"\0" + file.encode() + b"\0" + content)
    return "gate:" + digest.hexdigest()


def _file_hash(site: Site, file: str) -> str:
    raw = read_regular(str(site.settings.path(file)), site.settings.max_page_kb * 1024)
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _cached(site: Site, key: str) -> Verdict | None:
    cache = site.cache
    if cache is None or key not in cache.rendered:
        return None
    reads, findings = cache.rendered[key]
    if any(_file_hash(site, file) != digest for file, digest in reads):
        return None  # an embedded file changed
    cache.used.add(key)
    return Verdict(tuple(Finding(*f) for f in findings), tuple(file for file, _ in reads))


def _store(site: Site, key: str, verdict: Verdict) -> None:
    cache = site.cache
    if cache is None:
        return
    reads = tuple((file, _file_hash(site, file)) for file in verdict.reads)
    findings = tuple((f.line, f.code, f.message, f.hint) for f in verdict.findings)
    cache.rendered[key] = (reads, findings)
    cache.used.add(key)
    cache.dirty = True


def _diagnostics(file: str, verdict: Verdict) -> Iterator[Diagnostic]:
    for finding in verdict.findings:
        yield make(finding.code, file, finding.line, finding.message, hint=finding.hint)
