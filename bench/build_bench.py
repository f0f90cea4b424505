"""The `build` benchmark, per site size: the floor, kb cold, kb warm after a body edit and after a
front-matter edit, docsify-cli and mkdocs, on a site of real pages (bench/realgen.py) or of
synthetic ones (bench/sitegen.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

import peers
import realgen
import sitegen
from measure import Run, median_wall, run_timed

# A kb diagnostic line looks like `docs/x.md:12:3: LNK202 message`.
FINDING = re.compile(r"^\S+?(?::\d+){0,2}: [A-Z]{2,3}\d{3} ", re.MULTILINE)
SUMMARY = re.compile(r"^kb: \d+ pages")
PAGES = ("real", "synthetic")
"""real: the repository's docs/ with its paper pages cloned; synthetic: generated pages."""
FLOOR = Path(__file__).resolve().with_name("floor.py")


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
    pages: str = "real"
    floor_lib: Path | None = None
    """Where markdown-it-py is installed for the floor (peers.ensure_floor); None: no floor."""

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
    env = {**os.environ, "PYTHONPATH": tools + (os.pathsep + old if old else "")}
    # As installed, kb runs from byte-compiled modules: a machine that forbids writing them
    # would time the compilation of kb's sources on every run instead of kb's work.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def kb_cmd(opts: Options, site: Path, *extra: str, command: str = "build") -> list[str]:
    return [opts.python, "-m", "kb", "--root", str(site), command, *extra]


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


def bench_floor(opts: Options, site: Path, count: int) -> ToolResult:
    """bench/floor.py on the site's docs/, with the interpreter that runs kb."""
    assert opts.floor_lib is not None
    env = {**os.environ, "PYTHONPATH": str(opts.floor_lib)}
    cmd = [opts.python, str(FLOOR), str(site / "docs")]
    return timed_runs(
        "floor (read + yaml.CSafeLoader + markdown-it-py)",
        count,
        lambda _: run_timed(cmd, cwd=site, env=env, timeout=opts.timeout),
    )


def touch_page(page: Path, index: int) -> None:
    """Append one sentence to a page body: the smallest real edit."""
    with page.open("a", encoding="utf-8") as handle:
        handle.write(f"\n基准测试编辑 {index}：在正文末尾追加一句话。\n")


_TITLE_LINE = re.compile(r"^(title_zh|title): *(.*)$", re.M)


def edit_front_matter(page: Path, index: int) -> str:
    """Change one front-matter value: `title_zh` (else `title`) gets a suffix. It stays unique
    and valid; the sidebar and the tables that list the page change with it."""
    text = page.read_text(encoding="utf-8")
    end = text.find("\n---\n", 4)
    lines = {m.group(1): m for m in _TITLE_LINE.finditer(text, 0, end)}
    match = lines.get("title_zh") or lines["title"]
    value = f"{yaml.safe_load(match.group(2))}（修订 {index}）"
    new = f"{match.group(1)}: {json.dumps(value, ensure_ascii=False)}"
    page.write_text(text[: match.start()] + new + text[match.end() :], encoding="utf-8")
    return match.group(1)


def bench_kb_warm(opts: Options, site: sitegen.Site) -> tuple[ToolResult, ToolResult]:
    """One `kb build` fills the cache (not timed); then `--warm-repeat` builds each after a body
    edit of one page, then as many after a front-matter edit of one page (never the same page)."""
    env = kb_env(opts.repo)
    cmd = kb_cmd(opts, site.root)
    fill = run_timed(cmd, cwd=site.root, env=env, timeout=opts.timeout)
    log(f"  kb build (fills the cache): {fill.wall_s:.2f} s")
    if not fill.ok:
        return ToolResult(runs=[fill]), ToolResult(skipped="the cache fill failed")
    count = opts.warm_repeat
    step = max(1, len(site.page_paths) // (2 * count + 1))
    pages = [site.root / site.page_paths[(i + 1) * step] for i in range(2 * count)]

    def body_edit(index: int) -> Run:
        touch_page(pages[index], index)
        return run_timed(cmd, cwd=site.root, env=env, timeout=opts.timeout)

    def front_edit(index: int) -> Run:
        edit_front_matter(pages[count + index], index)
        return run_timed(cmd, cwd=site.root, env=env, timeout=opts.timeout)

    body = timed_runs("kb build after a body edit", count, body_edit)
    front = timed_runs("kb build after a front-matter edit", count, front_edit)
    return inspect_kb_runs(body), inspect_kb_runs(front)


def settle(opts: Options, site: Path) -> Run:
    """One untimed `kb build`: the generated files (sidebar, tables, index.html's CSP) are then up
    to date, as in a committed site, so every timed tool sees the same, final tree."""
    run = run_timed(kb_cmd(opts, site), cwd=site, env=kb_env(opts.repo), timeout=opts.timeout)
    log(f"  kb build (settles the generated files, not timed): {run.wall_s:.2f} s")
    shutil.rmtree(site / ".kb-cache", ignore_errors=True)
    return run


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
    hooks = [peers.write_mkdocs_anchor_hook(opts.bench_dir / "out")] if opts.pages == "real" else []
    peers.write_mkdocs_config(config, size, site / "docs", out, opts.mkdocs_nav, hooks)
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


def generate(opts: Options, size: int) -> sitegen.Site:
    if opts.pages == "real":
        return realgen.generate_real_site(opts.bench_dir / f"real-{size}", size, opts.repo)
    vocabulary = opts.repo / "docs/_data/vocabulary.yaml"
    return sitegen.generate_site(opts.bench_dir / f"site-{size}", size, opts.seed, vocabulary)


def bench_size(opts: Options, tools: peers.Tools, size: int) -> SizeResult:
    start = time.perf_counter()
    site = generate(opts, size)
    root = site.root
    generate_s = time.perf_counter() - start
    log(
        f"{root.name}: {site.papers} papers + {site.notes} other pages, "
        f"{site.bytes_total / 1e6:.1f} MB of markdown, generated in {generate_s:.1f} s"
    )
    result = SizeResult(size, site, generate_s)
    if opts.run_kb:
        settled = settle(opts, root)
        if not settled.ok or count_findings(settled):
            result.tools["kb-cold"] = inspect_kb_runs(ToolResult(runs=[settled]))
            return result
    load_before = os.getloadavg()[0]
    count = opts.repeats_for(size)
    if opts.floor_lib is not None:
        result.tools["floor"] = bench_floor(opts, root, count)
    if "docsify-cli" in opts.peers:
        result.tools["docsify-cli"] = bench_docsify(opts, tools, root, count)
    if "mkdocs" in opts.peers:
        result.tools["mkdocs"] = bench_mkdocs(opts, tools, root, size)
    if opts.run_kb:
        result.tools["kb-cold"] = bench_kb_cold(opts, root, count)
        body, front = bench_kb_warm(opts, site)
        result.tools["kb-warm-body"] = body
        result.tools["kb-warm-front"] = front
    result.load = (load_before, os.getloadavg()[0])
    return result


def kb_version(opts: Options) -> str:
    cmd = [opts.python, "-m", "kb", "--version"]
    run = run_timed(cmd, cwd=opts.repo, env=kb_env(opts.repo), timeout=60)
    return run.stdout_tail.strip() or run.stderr_tail.strip()
