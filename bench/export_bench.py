"""The static mirror: `kb export` against plain MkDocs + Material on the same pages.

    ./dev bench export [--sizes 1000] [--repeat 3]

Sites: the repository as it is, and for each size a site of the repository's docs plus
clones of its real paper pages (bench/realgen.py), written under `<repo>/.bench/`.

For each site, in the same run:

- `kb export` as CI runs it, everything the command does (the checks, the staging folder,
  MkDocs with kb's hooks): with Material's full navigation in every page (`--full-nav`),
  with a cold cache (`--no-cache`) and a warm one, and with kb's default,
  `navigation.prune`;
- the peer, plain `mkdocs build` of the same staged pages with the same theme, search
  (Chinese, jieba), Markdown extensions and nav, but without kb (no hooks, no checks):
  full navigation and `navigation.prune`.

Reported per run: wall time (median), peak memory, output size; and the ratios kb/MkDocs
for the same navigation. The machine is shared: the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "bench"))

import realgen  # noqa: E402
from kb.config import load_settings  # noqa: E402
from kb.mirror import ExportOptions, stage  # noqa: E402
from kb.site import load_site  # noqa: E402
from measure import Run, run_timed  # noqa: E402

BENCH_DIR = REPO / ".bench"


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _kb(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "kb", "--root", str(root), *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "tools"), "NO_MKDOCS_2_WARNING": "1"}


def _once(command: list[str], cwd: Path, out: Path | None) -> Run:
    if out is not None and out.exists():
        shutil.rmtree(out)
    run = run_timed(command, cwd=cwd, env=_env())
    if not run.ok:
        raise SystemExit(f"failed: {' '.join(command)}\n{run.stderr_tail}")
    return run


def _summary(runs: list[Run], out: Path | None) -> dict[str, object]:
    return {
        "wall_s": statistics.median(r.wall_s for r in runs),
        "max_rss_mb": max(r.max_rss_mb for r in runs),
        "output_mb": _du(out) / 1e6 if out is not None and out.exists() else 0.0,
    }


def _plain_mkdocs(root: Path, work: Path, prune: bool) -> list[str]:
    """A staging folder of `root` with kb's nav and extensions, minus kb's hooks."""
    site = load_site(load_settings(root))
    folder = work / ("plain-prune" if prune else "plain-full")
    if folder.exists():
        shutil.rmtree(folder)
    stage(site, folder, out_dir=work / f"plain-site-{prune}", options=ExportOptions(prune=prune))
    config = json.loads((folder / "mkdocs.yml").read_text(encoding="utf-8"))
    config.pop("hooks")
    (folder / "mkdocs.yml").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", "mkdocs.yml"]


def bench_site(name: str, root: Path, repeat: int) -> dict[str, dict[str, object]]:
    """Every run once per round, `repeat` rounds: a change in the machine's load falls on
    kb and MkDocs alike."""
    work = BENCH_DIR / f"export-work-{name}"
    work.mkdir(parents=True, exist_ok=True)
    # the generated files up to date and the cache warm, as after `kb build`
    _once(_kb(root, "build"), root, None)
    cold, full, pruned = (work / f"mirror-{kind}" for kind in ("cold", "full", "pruned"))
    runs: dict[str, tuple[list[str], Path, Path]] = {
        "kb export --full-nav (cold cache)": (
            _kb(root, "export", "--full-nav", "--no-cache", str(cold)),
            root,
            cold,
        ),
        "kb export --full-nav": (_kb(root, "export", "--full-nav", str(full)), root, full),
        "kb export": (_kb(root, "export", str(pruned)), root, pruned),
    }
    for prune in (False, True):
        label = "mkdocs" + (" (navigation.prune)" if prune else " (full nav)")
        folder = work / ("plain-prune" if prune else "plain-full")
        runs[label] = (_plain_mkdocs(root, work, prune), folder, work / f"plain-site-{prune}")
    timed: dict[str, list[Run]] = {label: [] for label in runs}
    for _ in range(repeat):
        for label, (command, cwd, output) in runs.items():
            timed[label].append(_once(command, cwd, output))
    return {label: _summary(timed[label], runs[label][2]) for label in runs}


def report(name: str, pages: int, results: dict[str, dict[str, object]]) -> list[str]:
    lines = [
        f"\n## {name}: {pages} pages\n",
        "| run | wall s | peak MB | output MB |",
        "|---|---|---|---|",
    ]
    for label, value in results.items():
        lines.append(
            f"| {label} | {value['wall_s']:.2f} | {value['max_rss_mb']:.0f} | "
            f"{value['output_mb']:.1f} |"
        )
    full = results["mkdocs (full nav)"]["wall_s"]
    pruned = results["mkdocs (navigation.prune)"]["wall_s"]
    lines.append("")
    lines.append(
        f"kb export / mkdocs, full nav: {results['kb export --full-nav']['wall_s'] / full:.2f}x "
        f"(cold cache {results['kb export --full-nav (cold cache)']['wall_s'] / full:.2f}x); "
        f"pruned (kb's default): {results['kb export']['wall_s'] / pruned:.2f}x; "
        f"mkdocs full nav / pruned: {full / pruned:.2f}x"
    )
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py export", description=__doc__)
    parser.add_argument("--sizes", type=_sizes, default=(1000,), help="generated site sizes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    args = parser.parse_args(argv)
    print(f"load average: {os.getloadavg()}, CPUs: {os.cpu_count()}")
    lines = []
    real_pages = sum(1 for _ in (REPO / "docs").rglob("*.md"))
    lines += report("the repository", real_pages, bench_site("repo", REPO, args.repeat))
    for size in args.sizes:
        root = BENCH_DIR / f"export-site-{size}"
        site = realgen.generate_real_site(root, size)
        lines += report(
            f"generated ({site.papers} papers)", size, bench_site(str(size), root, args.repeat)
        )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
