"""`kb check` on real docsify sites nobody here wrote: what it finds and how fast.

    ./dev bench docsify-sites SITE [SITE ...] [--repeat N]

Each SITE is the folder of a docsify site (its index.html), e.g. a public repository brought
in with the search tool's `fetch` and exported with `git archive` (never committed here).
For each site: pages, internal links, images and `:include`s kb resolved; the findings by
code; and the wall time of `kb check` cold (no cache, a fresh user-cache folder) and warm,
each the median of `--repeat` runs in a fresh process, with no settings file (zero config).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KB = REPO / ".venv" / "bin" / "kb"


def census(site: Path) -> dict[str, int]:
    """Pages and the links kb resolved into the site (with no settings, as `kb check`)."""
    sys.path.insert(0, str(REPO / "tools"))
    from kb.config import plain_settings
    from kb.routes import is_image
    from kb.site import load_site

    loaded = load_site(plain_settings(site), use_cache=False)
    counts: Counter[str] = Counter(pages=len(loaded.infos))
    for file in loaded.infos:
        refs = loaded.pages.refs(file)
        for (_, _, target, kind), resolved in zip(refs.links, refs.resolved, strict=True):
            if kind.startswith("include:"):
                counts["includes"] += resolved is not None
            elif is_image(kind, target):
                local = not target.strip().lower().startswith(("http:", "https:", "//", "data:"))
                counts["local images"] += local
            elif resolved is not None:
                counts["remote (alias)" if len(resolved) == 3 else "internal links"] += 1
    return dict(counts)


def timed_check(site: Path, cache_home: Path, *, cold: bool) -> tuple[float, int, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    args = [str(KB), "check", "--format", "json", *(["--no-cache"] if cold else [])]
    start = time.perf_counter()
    done = subprocess.run(args, cwd=site, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, done.returncode, done.stdout


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench docsify-sites")
    parser.add_argument("sites", nargs="+", type=Path, help="folders holding a docsify index.html")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rows = []
    for site in args.sites:
        site = site.resolve()
        with tempfile.TemporaryDirectory(prefix="kb-bench-cache-") as tmp:
            cold = [timed_check(site, Path(tmp) / f"c{i}", cold=True) for i in range(args.repeat)]
            timed_check(site, Path(tmp) / "w", cold=False)
            warm = [timed_check(site, Path(tmp) / "w", cold=False) for _ in range(args.repeat)]
        codes = {run[1] for run in cold + warm}
        if not codes <= {0, 2}:
            print(f"{site}: kb check failed: exit {sorted(codes)}", file=sys.stderr)
            return 2
        found = json.loads(cold[0][2])["diagnostics"]
        by_code = Counter(f"{d['code']} ({d['severity']})" for d in found)
        rows.append((site, census(site), by_code, cold, warm))
    print("| site | pages | internal links | images | includes | cold | warm | findings |")
    print("|---|---|---|---|---|---|---|---|")
    for site, counts, by_code, cold, warm in rows:
        findings = ", ".join(f"{n} {code}" for code, n in sorted(by_code.items())) or "none"
        print(
            f"| {site.name} | {counts.get('pages', 0)} | {counts.get('internal links', 0)}"
            f" (+{counts.get('remote (alias)', 0)} via alias) | {counts.get('local images', 0)}"
            f" | {counts.get('includes', 0)}"
            f" | {statistics.median(t for t, _, _ in cold):.2f} s"
            f" | {statistics.median(t for t, _, _ in warm):.2f} s | {findings} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
