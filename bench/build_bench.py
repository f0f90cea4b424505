"""The `build` benchmark: kb cold/warm builds against docsify-cli and mkdocs, per site size."""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import peers
import sitegen
from measure import Run, median_wall, run_timed

# A kb diagnostic line looks like `docs/x.md:12:3: LNK202 message`.
FINDING = re.compile(r"^\S+?(?::\d+){0,2}: [A-Z]{2,3}\d{3} ", re.MULTILINE)
SUMMARY = re.compile(r"^kb: \d+ pages")


@dataclass(frozen=True)
class Options:
    repo: Path
    sizes: tuple[int, ...]
    repeat: int | None
    warm_repeat: int
    peers: tuple[str, ...]
    mkdocs_max_size: int
    mkdocs_nav: str
    mkdocs_repeat: int
    seed: int
    python: str
    timeout: float
    run_kb: bool

    @property
    def bench_dir(self) -> Path:
        return self.repo / ".bench"

    def repeats_for(self, size: int) -> int:
        """`--repeat`, else 3 runs below 10,000 pages and 1 run from 10,000 on."""
        if self.repeat is not None:
            return self.repeat
        return 3 if size < 10_000 else 1


@dataclass
class ToolResult:
    runs: list[Run] = field(default_factory=list)
    skipped: str = ""
    """Why the tool was not run at this size; empty when it was."""
    findings: int = 0
    """kb diagnostics seen in the output (the generated site should have none)."""
    summaries: list[str] = field(default_factory=list)
    """kb's own last line per run, e.g. `kb: 1000 pages (1 parsed, 999 cached) in 0.2 s`."""

    @property
    def median_s(self) -> float | None:
        return median_wall(self.runs)

    @property
    def failed(self) -> bool:
        return any(not run.ok for run in self.runs) or self.findings > 0


@dataclass
class SizeResult:
    size: int
    site: sitegen.Site
    generate_s: float
    tools: dict[str, ToolResult] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)
    """1-minute load average before and after the timings; above the CPU count means noise."""


def log(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def kb_env(repo: Path) -> dict[str, str]:
    """Make `python -m kb` import the working tree's kb even if it is not installed."""
    tools = str(repo / "tools")
    old = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": tools + (os.pathsep + old if old else "")}


def kb_cmd(opts: Options, site: Path, *extra: str) -> list[str]:
    return [opts.python, "-m", "kb", "--root", str(site), "build", *extra]


def count_findings(run: Run) -> int:
    return len(FINDING.findall(run.stdout_tail + "\n" + run.stderr_tail))


def inspect_kb_runs(result: ToolResult) -> ToolResult:
    """Count findings and keep kb's summary line of every run."""
    for run in result.runs:
        result.findings += count_findings(run)
        lines = (run.stdout_tail + "\n" + run.stderr_tail).splitlines()
        summary = [line for line in lines if SUMMARY.match(line)]
        result.summaries.append(summary[-1] if summary else "")
    return result


def timed_runs(label: str, count: int, make_run: Callable[[int], Run]) -> ToolResult:
    result = ToolResult()
    for index in range(count):
        run = make_run(index)
        result.runs.append(run)
        status = "ok" if run.ok else f"exit {run.returncode}"
        log(f"  {label} run {index + 1}/{count}: {run.wall_s:.2f} s ({status})")
        if not run.ok:
            break
    return result


def bench_kb_cold(opts: Options, site: Path, count: int) -> ToolResult:
    env = kb_env(opts.repo)
    cmd = kb_cmd(opts, site, "--no-cache")
    result = timed_runs(
        "kb build --no-cache",
        count,
        lambda _: run_timed(cmd, cwd=site, env=env, timeout=opts.timeout),
    )
    return inspect_kb_runs(result)


def touch_page(page: Path, index: int) -> None:
    """Append one line to a page body: the smallest real edit."""
    with page.open("a", encoding="utf-8") as handle:
        handle.write(f"\n基准测试编辑 {index}：在正文末尾追加一行。\n")


def bench_kb_warm(opts: Options, site: sitegen.Site) -> ToolResult:
    env = kb_env(opts.repo)
    cmd = kb_cmd(opts, site.root)
    fill = run_timed(cmd, cwd=site.root, env=env, timeout=opts.timeout)
    log(f"  kb build (fills the cache): {fill.wall_s:.2f} s")
    if not fill.ok:
        return ToolResult(runs=[fill])
    step = max(1, len(site.page_paths) // (opts.warm_repeat + 1))

    def edit_and_build(index: int) -> Run:
        touch_page(site.root / site.page_paths[(index + 1) * step], index)
        return run_timed(cmd, cwd=site.root, env=env, timeout=opts.timeout)

    result = timed_runs("kb build after a one-page edit", opts.warm_repeat, edit_and_build)
    return inspect_kb_runs(result)


def bench_docsify(opts: Options, tools: peers.Tools, site: Path, count: int) -> ToolResult:
    assert tools.docsify_bin is not None
    out = opts.bench_dir / "out" / f"docsify-sidebar-{site.name}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = peers.docsify_cmd(tools.node, tools.docsify_bin, site / "docs", out)

    def one(_: int) -> Run:
        out.unlink(missing_ok=True)
        run = run_timed(cmd, cwd=site, timeout=opts.timeout)
        if run.ok and not out.is_file():
            return Run(run.wall_s, run.cpu_s, run.max_rss_mb, 1, run.stdout_tail, "no sidebar")
        return run

    return timed_runs("docsify generate", count, one)


def bench_mkdocs(opts: Options, tools: peers.Tools, site: Path, size: int) -> ToolResult:
    if size > opts.mkdocs_max_size:
        return ToolResult(skipped=f"size > --mkdocs-max-size {opts.mkdocs_max_size}")
    assert tools.mkdocs_bin is not None
    out = opts.bench_dir / "out" / f"mkdocs-{site.name}"
    config = opts.bench_dir / "out" / f"mkdocs-{site.name}.yml"
    peers.write_mkdocs_config(config, size, site / "docs", out, opts.mkdocs_nav)
    cmd = peers.mkdocs_cmd(tools.mkdocs_bin, config)
    env = peers.mkdocs_env()
    count = opts.mkdocs_repeat
    result = timed_runs(
        "mkdocs build --strict",
        count,
        lambda _: run_timed(cmd, cwd=site, env=env, timeout=opts.timeout),
    )
    shutil.rmtree(out, ignore_errors=True)
    return result


def bench_size(opts: Options, tools: peers.Tools, size: int) -> SizeResult:
    root = opts.bench_dir / f"site-{size}"
    start = time.perf_counter()
    site = sitegen.generate_site(root, size, opts.seed, opts.repo / "docs/_data/vocabulary.yaml")
    generate_s = time.perf_counter() - start
    log(
        f"site-{size}: {site.papers} papers + {site.notes} notes + home, "
        f"{site.bytes_total / 1e6:.1f} MB, generated in {generate_s:.1f} s"
    )
    result = SizeResult(size, site, generate_s)
    load_before = os.getloadavg()[0]
    count = opts.repeats_for(size)
    # Peers first: they must see the pristine generated tree, before kb writes into it.
    if "docsify-cli" in opts.peers:
        result.tools["docsify-cli"] = bench_docsify(opts, tools, root, count)
    if "mkdocs" in opts.peers:
        result.tools["mkdocs"] = bench_mkdocs(opts, tools, root, size)
    if opts.run_kb:
        result.tools["kb-cold"] = bench_kb_cold(opts, root, count)
        result.tools["kb-warm"] = bench_kb_warm(opts, site)
    result.load = (load_before, os.getloadavg()[0])
    return result


def kb_version(opts: Options) -> str:
    cmd = [opts.python, "-m", "kb", "--version"]
    run = run_timed(cmd, cwd=opts.repo, env=kb_env(opts.repo), timeout=60)
    return run.stdout_tail.strip() or run.stderr_tail.strip()
