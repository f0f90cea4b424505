"""The `broken-links` benchmark: a cold `kb check` of a site with 3,000 links to missing pages
against the same site with those links fixed.

    python bench/run.py broken-links [--pages 1500] [--links 3000] [--repeat 3]

Both trees are the real-page site of bench/realgen.py (the repository's docs/ with its papers
cloned). The same `--links` links are appended to the cloned papers in turn, as a `## 延伸阅读`
list at the end of each page. In the clean tree each points at another cloned paper; in the
broken tree at a name that does not exist: half are near misses of that paper's name (one
character dropped, as in a typo), half that name with `-v2` (a renamed page).
Only papers are targets, so the generated backlinks tables are the same in both trees. Each tree
is settled by one untimed `kb build`; then `kb check --no-cache` is timed `--repeat` times on
each. kb must report nothing on the clean tree and at least one finding per broken link on the
broken one (exit 2, which is counted as a successful run here).
"""

from __future__ import annotations

import argparse
import json
import posixpath
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import realgen
from build_bench import count_findings, kb_env, log
from measure import Run, run_timed

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / ".bench"
RATIO_TARGET = 1.2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bench/run.py broken-links",
        description="cold kb check: a site with broken relative links vs the same site clean",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--pages", type=int, default=1500, help="pages of the real-page site")
    p.add_argument("--links", type=int, default=3000, help="links to missing pages")
    p.add_argument("--repeat", type=int, default=3, help="runs per tree, median reported")
    p.add_argument("--python", default=sys.executable, help="interpreter that runs `python -m kb`")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds before a run is killed")
    return p


def missing_name(stem: str, n: int, taken: set[str]) -> str:
    """A new page name that does not exist: `stem` with one character dropped (even n, a typo)
    or `stem-v2` (odd n, a renamed page); `-v3`, `-v4`… when that name is taken."""
    name = f"{stem}-v2"
    if n % 2 == 0 and len(stem) > 1:
        cut = 1 + (n // 2) % (len(stem) - 1)
        name = stem[:cut] + stem[cut + 1 :]
    version = 3
    while name in taken:
        name = f"{stem}-v{version}"
        version += 1
    taken.add(name)
    return name


def plan_links(site: Path, pages: list[str], count: int) -> dict[str, list[tuple[str, str]]]:
    """page → [(clean target, broken target)], relative to the page, `count` in all: page n mod
    len(pages) gets link n, to a paper drawn at random (seeded) among the others."""
    docs = site / "docs"
    taken = {path.stem for path in docs.rglob("*.md")}
    rng = random.Random(f"broken-links-{len(pages)}-{count}")
    plan: dict[str, list[tuple[str, str]]] = {}
    for n in range(count):
        page = pages[n % len(pages)]
        target = page
        while target == page:
            target = rng.choice(pages)
        stem = posixpath.basename(target).removesuffix(".md")
        kind = n + n // len(pages)  # even: a typo, odd: a renamed page; both on every page
        missing = posixpath.join(posixpath.dirname(target), missing_name(stem, kind, taken) + ".md")
        rel = posixpath.dirname(page)
        pair = (posixpath.relpath(target, rel), posixpath.relpath(missing, rel))
        plan.setdefault(page, []).append(pair)
    return plan


def append_links(site: Path, plan: dict[str, list[tuple[str, str]]], broken: bool) -> None:
    for page, pairs in plan.items():
        lines = [f"- [延伸阅读 {i + 1}]({pair[broken]})" for i, pair in enumerate(pairs)]
        with (site / "docs" / page).open("a", encoding="utf-8") as handle:
            handle.write("\n## 延伸阅读\n\n" + "\n".join(lines) + "\n")


def make_trees(args: argparse.Namespace) -> tuple[Path, Path]:
    """The clean and the broken tree, each settled by one `kb build`."""
    root = BENCH / f"broken-links-{args.pages}"
    clean = realgen.generate_real_site(root / "clean", args.pages, REPO)
    pages = [path.removeprefix("docs/") for path in clean.page_paths]
    if len(pages) < 2:
        raise SystemExit("error: --pages leaves fewer than two cloned papers")
    plan = plan_links(clean.root, pages, args.links)
    broken = root / "broken"
    shutil.rmtree(broken, ignore_errors=True)
    shutil.copytree(clean.root, broken)
    append_links(clean.root, plan, broken=False)
    append_links(broken, plan, broken=True)
    for tree in (clean.root, broken):
        run = kb(args, tree, "build")
        log(f"  {tree.name}: kb build (settles the generated files, not timed): {run.wall_s:.2f} s")
        shutil.rmtree(tree / ".kb-cache", ignore_errors=True)
    return clean.root, broken


def kb(args: argparse.Namespace, site: Path, command: str, *extra: str) -> Run:
    cmd = [args.python, "-m", "kb", "--root", str(site), command, *extra]
    return run_timed(cmd, cwd=site, env=kb_env(REPO), timeout=args.timeout)


def time_check(args: argparse.Namespace, site: Path, expect: int) -> list[Run]:
    runs = []
    for index in range(args.repeat):
        run = kb(args, site, "check", "--no-cache")
        runs.append(run)
        log(
            f"  {site.name}: kb check --no-cache run {index + 1}/{args.repeat}: "
            f"{run.wall_s:.2f} s (exit {run.returncode})"
        )
        if run.returncode != expect:
            break
    return runs


def summary(run: Run) -> dict[str, object]:
    return {**run.as_dict(), "findings_in_tail": count_findings(run)}


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    start = time.perf_counter()
    clean, broken = make_trees(args)
    log(f"broken-links: two trees of {args.pages} pages in {time.perf_counter() - start:.1f} s")
    clean_runs = time_check(args, clean, 0)
    broken_runs = time_check(args, broken, 2)
    findings, codes = findings_total(args, broken)
    ok_clean = [r.wall_s for r in clean_runs if r.returncode == 0]
    ok_broken = [r.wall_s for r in broken_runs if r.returncode == 2]
    problems = []
    if len(ok_clean) != len(clean_runs) or not ok_clean:
        problems.append(("clean", clean_runs[-1]))
    if len(ok_broken) != len(broken_runs) or not ok_broken:
        problems.append(("broken", broken_runs[-1]))
    if findings < args.links:
        problems.append(("broken (fewer findings than broken links)", broken_runs[-1]))
    a = statistics.median(ok_clean) if ok_clean else None
    b = statistics.median(ok_broken) if ok_broken else None
    ratio = b / a if a and b is not None else None
    print("| pages | broken links | kb check clean | kb check broken | broken / clean |")
    print("|---|---|---|---|---|")
    cells = [f"{x:.2f} s" if x is not None else "FAILED" for x in (a, b)]
    ratio_text = f"{ratio:.2f}×" if ratio is not None else "—"
    print(f"| {args.pages:,} | {args.links:,} | {cells[0]} | {cells[1]} | {ratio_text} |")
    print()
    by_code = ", ".join(f"{code} ×{n:,}" for code, n in sorted(codes.items()))
    print(
        f"kb reported {findings:,} findings on the broken tree ({args.links:,} broken links): "
        f"{by_code or 'none'}."
    )
    if ratio is None:
        print(f"Target: broken / clean ≤ {RATIO_TARGET:g}×: not measured")
    else:
        mark = "met" if ratio <= RATIO_TARGET else "MISSED"
        print(f"Target: broken / clean ≤ {RATIO_TARGET:g}×: {ratio:.2f}× {mark}")
    out = BENCH / "results-broken-links.json"
    data = {
        "benchmark": "broken-links",
        "options": vars(args),
        "clean_runs": [summary(r) for r in clean_runs],
        "broken_runs": [summary(r) for r in broken_runs],
        "findings": findings,
        "findings_by_code": codes,
        "clean_median_s": a,
        "broken_median_s": b,
        "ratio": ratio,
        "target": RATIO_TARGET,
    }
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON: {out}")
    for name, run in problems:
        text = run.stderr_tail or run.stdout_tail or "(no output)"
        head = f"--- kb check on the {name} tree (exit {run.returncode}):"
        print(f"\n{head}\n{text}", file=sys.stderr)
    return 1 if problems else 0


def findings_total(args: argparse.Namespace, site: Path) -> tuple[int, dict[str, int]]:
    """Findings of one more (cached, untimed) `kb check --format json` on `site`: the total
    and the count per code."""
    cmd = [args.python, "-m", "kb", "--root", str(site), "check", "--format", "json"]
    proc = subprocess.run(
        cmd, cwd=site, env=kb_env(REPO), capture_output=True, text=True, check=False
    )
    try:
        items = json.loads(proc.stdout)["diagnostics"]
    except (ValueError, KeyError):
        return 0, {}
    return len(items), dict(Counter(item["code"] for item in items))
