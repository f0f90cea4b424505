"""Run the marked oracle over a checked-out docsify site and count disagreements with kb.

    .venv/bin/python -m tests.oracle.run_real /tmp/sites/apachecn+ailearning [--show 3]

Every `*.md` file under each path is scanned (front matter split as kb splits it) by kb and
by marked with docsify's renderers and this site's docsify-latex settings (one node process
per site). Prints pages, headings and links seen, then disagreements by category with a few
examples each; exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

from tests.oracle.compare import Disagreement, compare, oracle_scan, read_body


def find_pages(site: Path) -> list[Path]:
    return sorted(
        path
        for path in site.rglob("*.md")
        if path.is_file() and "node_modules" not in path.relative_to(site).parts
    )


def run_site(site: Path, show: int) -> int:
    pages = find_pages(site)
    bodies = [read_body(path) for path in pages]
    started = time.perf_counter()
    results = oracle_scan(bodies)
    seconds = time.perf_counter() - started
    found: dict[str, list[Disagreement]] = defaultdict(list)
    headings = links = html = shortcuts = 0
    for path, body, result in zip(pages, bodies, results, strict=True):
        headings += len(result["headings"])
        links += len(result["links"])
        html += len(result["html"])
        shortcuts += sum(entry[0].startswith("shortcut-") for entry in result["links"])
        for disagreement in compare(str(path.relative_to(site)), body, result):
            found[disagreement.what].append(disagreement)
    total = sum(len(items) for items in found.values())
    print(
        f"{site.name}: {len(pages)} pages, {headings} headings, {links} links and images "
        f"({shortcuts} shortcut references, not compared), {html} HTML link attributes "
        f"(marked: {seconds:.1f} s); {total} disagreements"
    )
    for what, items in sorted(found.items()):
        print(f"  {what}: {len(items)}")
        for item in items[:show]:
            print("    " + str(item).replace("\n", "\n    "))
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sites", nargs="+", type=Path, help="checked-out docsify sites")
    parser.add_argument("--show", type=int, default=3, help="examples per category")
    args = parser.parse_args(argv)
    total = sum(run_site(site, args.show) for site in args.sites)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
