"""Search at scale: kb's sharded index against Pagefind (extended build), side by side.

    ./dev bench search-scale [--sizes 1000,5000] [--queries N]

For each size, a site is made from this repository: docs/ as it is, plus clones of the real
paper pages (docs/papers/*.md, median ~6 KB) with unique titles, DOIs and arXiv ids, up to
the size. Both indexes are built from the same pages:

- kb: `kb.searchtext.page_part` for every page (timed apart: the pipeline computes parts in
  its parse workers, once per content change) and `kb.search.write_index` cold (empty state,
  empty folder) and after a one-page edit (the state of the cold run).
- Pagefind 1.6.0 (npm, `pagefind_extended`: ICU4X segmentation for Chinese), over one HTML
  file per page written from the same sections (headings with kb's anchors, so Pagefind
  returns the same sub-results); `--force-language zh`. Pagefind has no incremental mode:
  after an edit it runs in full again. The HTML is timed apart (kb would have to write it).

Then headless Chromium (Debian's, via Playwright) opens the site for each engine in a fresh
context and records, under CDP network emulation (10 Mbit/s, 40 ms latency):

- index bytes fetched before the first query (page load, nothing typed);
- index bytes and time for the first query, from the keystroke until the first ten results
  can be shown (titles, links): kb through its own search box (the `kb-search-results`
  mark), Pagefind through its JS API (`search` + `data()` of the first ten), loaded on first
  use as kb's UI would load it; then a second query with the engine warm;
- result quality over QUERIES, written as readers ask (hit@1, hit@10, MRR): a query names
  the page it wants; on the cloned sites any clone of that page counts;
- what each needs from the CSP: Pagefind is also run under the site's own CSP, unchanged.

Bytes are the files' sizes and their gzip size (level 6): the loopback server compresses text
and WebAssembly as a static host does; Pagefind's own index files are gzip already. The
machine is shared: time figures are noisy (the load is printed).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "bench"))

import search_quality  # noqa: E402
from kb.assets import vendor_assets  # noqa: E402
from kb.frontmatter import normalize_text, split_front_matter  # noqa: E402
from kb.search import facets, write_index  # noqa: E402
from kb.searchtext import page_part, route, split_sections  # noqa: E402
from kb.vocabulary import load_vocabulary  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PAGEFIND = "1.6.0"
THROTTLE = {
    "offline": False,
    "latency": 40,
    "downloadThroughput": 10_000_000 / 8,
    "uploadThroughput": 10_000_000 / 8,
}
FIRST_QUERY = "射血分数"
SECOND_QUERY = "联邦学习 隐私"

# (query as a reader types it, the page wanted): bench/search_quality.py's, then questions.
QUERIES: list[tuple[str, str]] = [
    *search_quality.QUERIES,
    ("怎么评价生存模型的校准", "/docs/papers/haider-2020-isd-d-calibration"),
    ("DeepSurv 治疗推荐", "/docs/papers/katzman-2018-deepsurv"),
    ("用心电图和磁共振做心脏数字孪生", "/docs/papers/camps-2024-cardiac-digital-twin"),
    ("视网膜血管分割的数据增强", "/docs/papers/sun-2021-robust-vessel-segmentation"),
    ("痴呆老人的疼痛监测", "/docs/papers/rezaei-2021-pain-dementia"),
    ("社交媒体上的阿片类药物滥用", "/docs/papers/balsamo-2019-opiates-digital-cohort"),
    ("结直肠癌 Transformer", "/docs/papers/wagner-2023-transformer-crc-biomarker"),
    ("表格数据和影像的对比学习", "/docs/papers/hager-2023-mmcl-tabular-imaging"),
    ("增益模型 因果树", "/docs/papers/nandy-2023-generalized-causal-tree"),
    ("保护隐私的患者聚类", "/docs/papers/elhussein-2023-pcbfl"),
    ("怎么新增一篇论文", "/docs/guide/contributing"),
    ("ROC 曲线", "/docs/notes/classification-metrics"),
    ("FastCPH", "/docs/papers/yang-2022-fastcph"),
    ("点云 形状模型", "/docs/papers/adams-2024-point2ssm"),
    ("echonet", "/docs/papers/ouyang-2020-echonet-dynamic"),
    ("Cox 模型的神经网络扩展", "/docs/papers/kvamme-2019-cox-time"),
]

_CLONE = re.compile(r"^/docs/papers/c\d{5}-(.+)$")


# ---------- the site ----------


def make_site(size: int, out: Path) -> Path:
    """docs/ plus clones of the paper pages, `size` content pages in all."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copytree(REPO / "docs", out / "docs")
    for name in ("index.html", "_sidebar.md", "pyproject.toml"):
        shutil.copy2(REPO / name, out / name)
    shutil.copytree(REPO / "assets", out / "assets")
    papers = sorted(p for p in (REPO / "docs/papers").glob("*.md") if p.name != "README.md")
    have = sum(1 for p in (out / "docs").rglob("*.md") if not p.name.startswith("_"))
    for i in range(max(0, size - have)):
        page = papers[i % len(papers)]
        text = page.read_text(encoding="utf-8")
        for key in ("title", "title_zh"):
            text = re.sub(
                rf"^({key}): (.*)$",
                lambda m, n=i: f"{m.group(1)}: " + _suffixed(m.group(2), f" v{n}"),
                text,
                count=1,
                flags=re.M,
            )
        text = re.sub(r"^doi: .*$", f"doi: 10.9999/bench.{i}", text, flags=re.M)
        text = re.sub(r"^arxiv: .*$", f'arxiv: "9999.{i:05d}"', text, flags=re.M)
        (out / "docs/papers" / f"c{i:05d}-{page.name}").write_text(text, encoding="utf-8")
    vendor_assets(REPO / "node_modules", out / "vendor", {"editUrl": "", "build": "bench"})
    return out


def _suffixed(value: str, suffix: str) -> str:
    return value[:-1] + suffix + '"' if value.endswith('"') else value + suffix


def read_pages(site: Path) -> list[tuple[str, dict[str, Any], str, int]]:
    """(file, front matter, body, body line) of every content page, in file order."""
    pages = []
    for path in sorted((site / "docs").rglob("*.md")):
        file = path.relative_to(site).as_posix()
        if path.name.startswith("_"):
            continue
        front, _ = split_front_matter(normalize_text(path.read_bytes()), file)
        meta = front.doc.data if front.doc and isinstance(front.doc.data, dict) else {}
        if meta.get("draft") is True:
            continue
        pages.append((file, meta, front.body, front.body_line))
    return pages


# ---------- building both indexes ----------


def build_ours(site: Path, pages: list[tuple[str, dict[str, Any], str, int]]) -> dict[str, Any]:
    vocabulary, _ = load_vocabulary(site / "docs/_data/vocabulary.yaml", "vocabulary.yaml")
    started = time.perf_counter()
    parts = [page_part(f, m, b, line, vocabulary) for f, m, b, line in pages]
    parts_s = time.perf_counter() - started
    keys = [(f, f"key-{i}") for i, (f, *_) in enumerate(pages)]
    by_file = {f: part for (f, _), part in zip(keys, parts, strict=True)}
    filters = facets([m for _, m, _, _ in pages if m.get("type") == "paper"], vocabulary)
    state: dict[str, Any] = {}
    shutil.rmtree(site / "vendor" / "search", ignore_errors=True)
    started = time.perf_counter()
    write_index(site / "vendor", keys, by_file.__getitem__, filters, "bench", state)
    cold_s = time.perf_counter() - started
    # One edit: a sentence appended to one paper, as a contributor would.
    edited = len(pages) // 2
    file, meta, body, line = pages[edited]
    started = time.perf_counter()
    by_file[file] = page_part(
        file, meta, body + "\n补充一句关于联邦学习的说明。\n", line, vocabulary
    )
    edit_part_s = time.perf_counter() - started
    keys[edited] = (file, "key-edited")
    started = time.perf_counter()
    summary = write_index(site / "vendor", keys, by_file.__getitem__, filters, "bench", state)
    warm_s = time.perf_counter() - started
    files = list((site / "vendor" / "search").iterdir())
    return {
        "parts_s": parts_s,
        "part_ms_per_page": parts_s / len(pages) * 1000,
        "write_cold_s": cold_s,
        "full_s": parts_s + cold_s,
        "edit_s": edit_part_s + warm_s,
        "write_warm_s": warm_s,
        "warm_summary": summary,
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
    }


def install_pagefind(bench_dir: Path) -> Path:
    folder = bench_dir / "pagefind"
    binary = folder / "node_modules/@pagefind/linux-x64/bin/pagefind_extended"
    if not binary.exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text('{"private": true}\n')
        subprocess.run(
            ["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund"]
            + ["--prefix", str(folder), f"pagefind@{PAGEFIND}"],
            check=True,
        )
    return binary


def write_html(pages: list[tuple[str, dict[str, Any], str, int]], out: Path) -> None:
    """One HTML page per content page, from kb's sections and anchors, for Pagefind."""
    import html  # noqa: PLC0415

    shutil.rmtree(out, ignore_errors=True)
    for file, meta, body, line in pages:
        page_route = route(file)
        title = str(meta.get("title_zh") or meta.get("title") or Path(file).stem)
        parts = [f"<h1>{html.escape(title)}</h1>"]
        filters = []
        if meta.get("type") == "paper":
            if isinstance(meta.get("year"), int):
                filters.append(("year", str(meta["year"])))
            filters += [("task", t) for t in meta.get("tasks") or [] if isinstance(t, str)]
            filters += [("modality", m) for m in meta.get("modalities") or [] if isinstance(m, str)]
        for anchor, heading, text in split_sections(body, line, title):
            if anchor:
                parts.append(f'<h2 id="{html.escape(anchor)}">{html.escape(heading)}</h2>')
            parts.append(f"<p>{html.escape(text)}</p>")
        for name, value in filters:
            parts.append(f'<span data-pagefind-filter="{name}">{html.escape(value)}</span>')
        target = out / (
            page_route.strip("/") + ".html"
            if not page_route.endswith("/")
            else page_route.strip("/") + "/index.html"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            f'<!doctype html><html lang="zh"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head><body><main data-pagefind-body>"
            + "".join(parts)
            + "</main></body></html>\n",
            encoding="utf-8",
        )


def build_pagefind(
    site: Path, pages: list[tuple[str, dict[str, Any], str, int]], binary: Path
) -> dict[str, Any]:
    html_dir = site.parent / f"{site.name}-html"
    started = time.perf_counter()
    write_html(pages, html_dir)
    html_s = time.perf_counter() - started
    out = site / "pagefind"
    runs = []
    for _ in range(2):  # full, then "after one edit": Pagefind rebuilds everything each run
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run(
            [str(binary), "--site", str(html_dir), "--output-path", str(out)]
            + ["--force-language", "zh", "--quiet"],
            check=True,
        )
        runs.append(time.perf_counter() - started)
    files = [p for p in out.rglob("*") if p.is_file()]
    return {
        "html_s": html_s,
        "full_s": runs[0],
        "edit_s": runs[1],
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
    }


def pagefind_page(site: Path) -> None:
    """pf.html: the site's page with 'wasm-unsafe-eval' added to its CSP (Pagefind needs it)."""
    text = (site / "index.html").read_text(encoding="utf-8")
    text = text.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", 1)
    (site / "pf.html").write_text(text, encoding="utf-8")


# ---------- the browser ----------


class _Handler(SimpleHTTPRequestHandler):
    """Static files as a static host serves them: text and WebAssembly gzip-compressed when
    the browser accepts it (Pagefind's own index files are gzip already, sent as they are)."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".md": "text/markdown; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".json": "application/json",
        ".wasm": "application/wasm",
    }
    compressed: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path = Path(self.translate_path(self.path))
        if path.suffix not in _COMPRESS or "gzip" not in self.headers.get("Accept-Encoding", ""):
            super().do_GET()
            return
        try:
            raw = path.read_bytes()
        except OSError:
            self.send_error(404)
            return
        key = f"{path}:{len(raw)}:{hash(raw)}"
        data = self.compressed.get(key) or self.compressed.setdefault(key, gzip.compress(raw, 6))
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt: str, *args: Any) -> None:
        pass


_COMPRESS = {".txt", ".json", ".js", ".md", ".html", ".css", ".wasm", ".svg"}


class Sizes:
    """Raw and gzip sizes of the files the browser fetched from the site."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: dict[str, tuple[int, int]] = {}

    def of(self, urls: list[str]) -> dict[str, int]:
        raw = packed = 0
        for url in urls:
            path = unquote(urlsplit(url).path).lstrip("/")
            if path not in self.cache:
                file = self.root / path
                data = file.read_bytes() if file.is_file() else b""
                self.cache[path] = (len(data), len(gzip.compress(data, 6)))
            raw += self.cache[path][0]
            packed += self.cache[path][1]
        return {"requests": len(urls), "bytes": raw, "gzip": packed}


def _is_index(url: str, engine: str) -> bool:
    path = urlsplit(url).path
    return "/vendor/search/" in path if engine == "kb" else "/pagefind/" in path


PF_QUERY = """async ([q, limit]) => {
  const t0 = performance.now();
  if (!window.__pf) {
    window.__pf = await import('./pagefind/pagefind.js');
    await window.__pf.options({ excerptLength: 30 });
  }
  const found = await window.__pf.search(q);
  const data = await Promise.all(found.results.slice(0, limit).map((r) => r.data()));
  const routes = data.map((d) => d.url);
  return { ms: performance.now() - t0, routes: routes, count: found.results.length };
}"""

KB_QUERY = """async ([q, limit]) => {
  const t0 = performance.now();
  const routes = await window.KB_SEARCH.routes(q, {}, limit);
  return { ms: performance.now() - t0, routes: routes, count: routes.length };
}"""


def measure(browser: Any, url: str, engine: str, sizes: Sizes) -> dict[str, Any]:
    """Bytes and times of one engine on a fresh page, under network emulation."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    document = "pf.html" if engine == "pagefind" else "index.html"
    page.goto(url + document + "#/docs/", wait_until="commit")
    page.wait_for_function("() => performance.getEntriesByName('kb-first-content').length > 0")
    page.wait_for_load_state("networkidle")
    before = sizes.of([u for u in requests if _is_index(u, engine)])
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", THROTTLE)
    mark = len(requests)
    if engine == "kb":
        box = page.locator(".sidebar input[type=search]")
        started = time.perf_counter()
        box.fill(FIRST_QUERY)
        page.wait_for_function("() => performance.getEntriesByName('kb-search-results').length")
        first_ms = (time.perf_counter() - started) * 1000
        page.wait_for_load_state("networkidle")
        first = {"ms": first_ms}
    else:
        first = page.evaluate(PF_QUERY, [FIRST_QUERY, 10])
    first_bytes = sizes.of([u for u in requests[mark:] if _is_index(u, engine)])
    mark = len(requests)
    script = KB_QUERY if engine == "kb" else PF_QUERY
    second = page.evaluate(script, [SECOND_QUERY, 10])
    second_bytes = sizes.of([u for u in requests[mark:] if _is_index(u, engine)])
    cdp.send(
        "Network.emulateNetworkConditions",
        {**THROTTLE, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    quality = [page.evaluate(script, [query, 10])["routes"] for query, _ in QUERIES]
    context.close()
    return {
        "before_first_query": before,
        "first_query": {**first_bytes, "ms": round(first["ms"])},
        "second_query": {**second_bytes, "ms": round(second["ms"])},
        "quality": score(quality),
        "errors": errors[:5],
    }


def csp_check(browser: Any, url: str) -> str:
    """What Pagefind does under the site's CSP as it is (no 'wasm-unsafe-eval')."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "index.html#/docs/", wait_until="commit")
    page.wait_for_function("() => performance.getEntriesByName('kb-first-content').length > 0")
    try:
        result = page.evaluate(PF_QUERY, [FIRST_QUERY, 3])
        outcome = f"works ({result['count']} results)"
    except Exception as exc:  # noqa: BLE001 - the error is the finding
        outcome = f"fails: {str(exc).splitlines()[0][:160]}"
    context.close()
    wasm = [e for e in errors if "WebAssembly" in e or "wasm" in e]
    return outcome + (f"; console: {wasm[0][:160]}" if wasm else "")


def _normal(found: str) -> str:
    path = urlsplit(found).path
    path = path[:-5] if path.endswith(".html") else path
    clone = _CLONE.match(path)
    return f"/docs/papers/{clone.group(1)}" if clone else path


def score(found: list[list[str]]) -> dict[str, float]:
    """hit@1, hit@10 and MRR of each query's wanted page (a clone of it counts)."""
    ranks = []
    for (_, wanted), routes in zip(QUERIES, found, strict=True):
        normal = [_normal(r) for r in routes]
        ranks.append(normal.index(wanted) + 1 if wanted in normal else 0)
    count = len(ranks)
    return {
        "hit1": sum(r == 1 for r in ranks) / count,
        "hit10": sum(0 < r <= 10 for r in ranks) / count,
        "mrr": sum(1 / r for r in ranks if r) / count,
        "missed": [QUERIES[i][0] for i, r in enumerate(ranks) if not r],
        "ranks": ranks,
    }


# ---------- the run ----------


def run_size(size: int, browser: Any, binary: Path) -> dict[str, Any]:
    site = REPO / ".bench" / "search-scale" / f"site-{size}"
    make_site(size, site)
    pages = read_pages(site)
    print(f"==> {size}: {len(pages)} content pages; building indexes", file=sys.stderr, flush=True)
    result: dict[str, Any] = {"pages": len(pages)}
    result["kb_build"] = build_ours(site, pages)
    result["pagefind_build"] = build_pagefind(site, pages, binary)
    pagefind_page(site)
    handler = functools.partial(_Handler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    sizes = Sizes(site)
    try:
        print(f"==> {size}: browser", file=sys.stderr, flush=True)
        result["kb"] = measure(browser, url, "kb", sizes)
        result["pagefind"] = measure(browser, url, "pagefind", sizes)
        result["pagefind_under_site_csp"] = csp_check(browser, url)
    finally:
        server.shutdown()
        server.server_close()
    return result


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| pages | engine | index on disk | files | full build s | after 1 edit s "
        "| bytes before 1st query | 1st query: requests, bytes (gzip) | 1st query ms "
        "| 2nd query ms | hit@1 | hit@10 | MRR |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    for row in rows:
        for engine, build in (("kb", row["kb_build"]), ("pagefind", row["pagefind_build"])):
            m = row[engine]
            q = m["quality"]
            first = m["first_query"]
            full = f"{build['full_s']:.2f}"
            if engine == "pagefind":
                full += f" (+{build['html_s']:.1f} HTML)"
            lines.append(
                f"| {row['pages']} | {engine} | {build['bytes'] / 1e6:.1f} MB | {build['files']} "
                f"| {full} | {build['edit_s']:.3f} | {m['before_first_query']['gzip']} "
                f"| {first['requests']}, {first['bytes'] / 1024:.0f} KB "
                f"({first['gzip'] / 1024:.0f} KB) | {first['ms']} | {m['second_query']['ms']} "
                f"| {q['hit1']:.2f} | {q['hit10']:.2f} | {q['mrr']:.3f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="bench/run.py search-scale", description=__doc__.split("\n")[0]
    )
    p.add_argument("--sizes", default="1000,5000")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    binary = install_pagefind(REPO / ".bench")
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for size in [int(s) for s in args.sizes.split(",")]:
            rows.append(run_size(size, browser, binary))
        browser.close()
    print(table(rows))
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for row in rows:
        kb = row["kb_build"]
        print(
            f"{row['pages']} pages: kb page_part {kb['part_ms_per_page']:.2f} ms/page "
            f"({kb['parts_s']:.1f} s), write_index cold {kb['write_cold_s']:.2f} s, "
            f"warm {kb['write_warm_s'] * 1000:.0f} ms; Pagefind under the site's CSP: "
            f"{row['pagefind_under_site_csp']}"
        )
        for engine in ("kb", "pagefind"):
            if row[engine]["quality"]["missed"]:
                print(f"  {engine} missed: {', '.join(row[engine]['quality']['missed'])}")
            if row[engine]["errors"]:
                print(f"  {engine} console errors: {row[engine]['errors']}")
    out = REPO / ".bench" / "results-search-scale.json"
    out.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
