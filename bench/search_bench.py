"""Search in the browser: our prebuilt index against docsify's built-in search plugin.

    ./dev bench search [--sizes 500,5000]

For each size, a generated site (bench/sitegen.py) is built with `kb build` (which writes the
index) and served on 127.0.0.1 twice: as hosted (assets/kb-search.js + vendor/search/)
and with docsify's own search plugin instead (search.min.js, `paths: 'auto'`, what a docsify
site gets by default). Headless Chromium (Debian's, via Playwright) opens the home page with
an empty cache and records:

- requests made until the network is idle (first load), and how many failed; for ours also
  the requests of the first query (snippets of the results on screen) and its top hit;
- time to first content: the `kb-first-content` mark (docsify's first `doneEach`);
- time until search is ready: ours, the `kb-search-ready` mark (manifest fetched, after the
  search box is focused: nothing loads before);
  docsify's, the first moment a query for the last sidebar page's title finds it (polled);
- index size raw and gzip, against the markdown of the site.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import shutil
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
DOCSIFY_SEARCH_CONFIG = """\
// bench/search_bench.py: docsify's built-in search, configured as its docs suggest.
window.$docsify.search = { paths: 'auto', placeholder: '搜索', noData: '没有找到结果',
  depth: 3, namespace: 'bench-' + Date.now() };
"""


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".md": "text/markdown; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".json": "application/json",
    }

    def log_message(self, fmt: str, *args: Any) -> None:
        pass


def serve(root: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def prepare(size: int, seed: int) -> tuple[Path, Path, dict[str, int]]:
    """(our site, the docsify-search variant, sizes) for a generated site of `size` pages."""
    sys.path.insert(0, str(REPO / "bench"))
    import sitegen  # noqa: PLC0415

    work = REPO / ".bench" / f"search-{size}"
    shutil.rmtree(work, ignore_errors=True)
    site = sitegen.generate_site(
        work / "ours", size, seed, REPO / "docs" / "_data" / "vocabulary.yaml"
    ).root
    shutil.copy2(REPO / "index.html", site / "index.html")
    shutil.copytree(REPO / "assets", site / "assets")
    (site / "package.json").write_bytes((REPO / "package.json").read_bytes())
    (site / "node_modules").symlink_to(REPO / "node_modules")
    kb = [sys.executable, "-m", "kb", "--root", str(site)]
    subprocess.run([*kb, "build"], check=False, capture_output=True)
    subprocess.run([*kb, "assets"], check=True, capture_output=True)
    (site / "node_modules").unlink()
    variant = work / "docsify"
    shutil.copytree(site, variant)
    html = (variant / "index.html").read_text(encoding="utf-8")
    html = html.replace(
        '<script src="assets/kb-search.js"></script>',
        '<script src="bench-search-config.js"></script>\n'
        '  <script src="vendor/docsify/plugins/search.min.js"></script>',
    )
    (variant / "index.html").write_text(html, encoding="utf-8")
    (variant / "bench-search-config.js").write_text(DOCSIFY_SEARCH_CONFIG, encoding="utf-8")
    plugin = REPO / "node_modules/docsify/dist/plugins/search.min.js"
    shutil.copy2(plugin, variant / "vendor/docsify/plugins/search.min.js")
    shutil.rmtree(variant / "vendor" / "search")
    markdown = b"".join(p.read_bytes() for p in sorted((site / "docs").rglob("*.md")))
    index = b"".join(p.read_bytes() for p in sorted((site / "vendor" / "search").iterdir()))
    sizes = {
        "markdown": len(markdown),
        "markdown_gzip": len(gzip.compress(markdown, 6)),
        "index": len(index),
        "index_gzip": len(gzip.compress(index, 6)),
    }
    return site, variant, sizes


def last_sidebar_title(site: Path) -> str:
    lines = [line for line in (site / "_sidebar.md").read_text().splitlines() if "](" in line]
    return lines[-1].split("[", 1)[1].split("](", 1)[0]


def measure(browser: Any, url: str, *, ours: bool, probe: str, limit: float) -> dict[str, Any]:
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    requests: list[str] = []
    failed: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    started = time.perf_counter()
    page.goto(url + "#/docs/", wait_until="commit")
    page.wait_for_function(
        "() => performance.getEntriesByName('kb-first-content').length > 0",
        timeout=limit * 1000,
    )
    first = page.evaluate("performance.getEntriesByName('kb-first-content')[0].startTime")
    ready: float | None = None
    if ours:
        page.focus(".sidebar input[type=search]")  # the index loads on the first focus
        page.wait_for_function(
            "() => performance.getEntriesByName('kb-search-ready').length > 0",
            timeout=limit * 1000,
        )
        ready = page.evaluate("performance.getEntriesByName('kb-search-ready')[0].startTime")
        page.wait_for_load_state("networkidle", timeout=limit * 1000)
        first_load = len(requests)
        page.fill(".sidebar input[type=search]", probe)
        page.wait_for_selector(".kb-search-result", timeout=limit * 1000)
        found = page.locator(".kb-search-result a").first.get_attribute("href") or ""
    else:
        box = page.locator(".sidebar input[type=search]")
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            box.fill(probe)
            try:
                page.wait_for_selector(".search .matching-post", timeout=100)
            except Exception:  # noqa: BLE001 - playwright TimeoutError: not yet
                box.fill("")
                continue
            ready = page.evaluate("performance.now()")
            break
    try:
        page.wait_for_load_state("networkidle", timeout=limit * 1000)
    except Exception:  # noqa: BLE001 - report what was seen so far
        pass
    if not ours:
        first_load, found = len(requests), ""
    elapsed = time.perf_counter() - started
    context.close()
    loaded = requests[:first_load]
    return {
        "requests": first_load,
        "markdown_requests": sum(u.split("?")[0].endswith(".md") for u in loaded),
        "index_requests": sum("/vendor/search/" in u for u in loaded),
        "query_requests": len(requests) - first_load,
        "probe_hit": found,
        "failed": len(set(failed)),
        "first_content_ms": round(first, 1),
        "search_ready_ms": round(ready, 1) if ready is not None else None,
        "wall_s": round(elapsed, 2),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/run.py search", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="500,5000")
    p.add_argument("--seed", type=int, default=20261122)
    p.add_argument("--limit", type=float, default=180.0, help="seconds to wait per page load")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for size in [int(s) for s in args.sizes.split(",")]:
            print(f"==> {size} pages", file=sys.stderr, flush=True)
            site, variant, sizes = prepare(size, args.seed)
            probe = last_sidebar_title(site)
            result = {"pages": size, **sizes}
            for name, root, ours in (("kb", site, True), ("docsify", variant, False)):
                server, url = serve(root)
                try:
                    result[name] = measure(browser, url, ours=ours, probe=probe, limit=args.limit)
                finally:
                    server.shutdown()
                    server.server_close()
            rows.append(result)
        browser.close()
    print(table(rows))
    out = REPO / ".bench" / "results-search.json"
    out.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    print(f"JSON: {out}")
    return 0


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| pages | search | requests at first load | .md fetched | failed | first content ms "
        "| search ready ms | ready after first content ms |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        for name in ("kb", "docsify"):
            m = row[name]
            ready = m["search_ready_ms"]
            after = f"{ready - m['first_content_ms']:.0f}" if ready is not None else "never"
            lines.append(
                f"| {row['pages']} | {name} | {m['requests']} | {m['markdown_requests']} | "
                f"{m['failed']} | {m['first_content_ms']:.0f} | "
                f"{'never' if ready is None else f'{ready:.0f}'} | {after} |"
            )
    lines.append("")
    lines.append(
        "| pages | markdown | markdown gzip | index | index gzip | index gzip / markdown |"
    )
    lines.append("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        lines.append(
            f"| {row['pages']} | {row['markdown'] / 1e6:.2f} MB | "
            f"{row['markdown_gzip'] / 1e6:.2f} MB | {row['index'] / 1e6:.2f} MB | "
            f"{row['index_gzip'] / 1e6:.2f} MB | {row['index_gzip'] / row['markdown']:.1%} |"
        )
    for row in rows:
        k, d = row["kb"], row["docsify"]
        if d["requests"]:
            lines.append(
                f"{row['pages']} pages: first-load requests kb/docsify = "
                f"{k['requests'] / d['requests']:.3f} ({k['requests']} vs {d['requests']})"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
