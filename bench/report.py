"""Turn build-benchmark results into the printed table, target checks and the JSON file."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path

from build_bench import SizeResult, ToolResult

TARGET_SIZE = 10_000
COLD_FLOOR_TARGET = 0.35
"""kb cold ≤ this × the floor, at TARGET_SIZE pages."""
WARM_TARGET_S = 0.5
"""kb warm ≤ this many seconds after either edit, at TARGET_SIZE pages."""
GROWTH_FROM = 1_000
GROWTH_TARGET = 11.0
"""kb cold at TARGET_SIZE pages ≤ this × kb cold at GROWTH_FROM pages."""
COLUMNS = (
    ("floor", "floor"),
    ("kb-cold", "kb cold"),
    ("kb-warm-body", "kb warm (body edit)"),
    ("kb-warm-front", "kb warm (front-matter edit)"),
    ("mkdocs", "mkdocs"),
    ("docsify-cli", "docsify-cli"),
)
HEADERS = (
    "pages",
    *(title for _, title in COLUMNS),
    "kb cold / floor",
    "kb cold / mkdocs",
    "kb cold per 1k pages",
)


def seconds(tool: ToolResult | None) -> str:
    if tool is None:
        return "not run"
    if tool.skipped:
        return "skipped"
    if tool.failed:
        return "FAILED"
    median = tool.median_s
    return "—" if median is None else f"{median:.2f} s"


def median(result: SizeResult, name: str) -> float | None:
    tool = result.tools.get(name)
    if tool is None or tool.failed or tool.skipped:
        return None
    return tool.median_s


def ratio(result: SizeResult, peer: str) -> float | None:
    """kb cold / `peer` (a tool name, e.g. "floor" or "mkdocs") on the same tree."""
    a, b = median(result, "kb-cold"), median(result, peer)
    return a / b if a is not None and b else None


def ratio_cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def per_1k(result: SizeResult) -> float | None:
    cold = median(result, "kb-cold")
    return None if cold is None else cold / (result.size / 1000)


def row(result: SizeResult) -> list[str]:
    scaling = per_1k(result)
    return [
        f"{result.size:,}",
        *(seconds(result.tools.get(name)) for name, _ in COLUMNS),
        ratio_cell(ratio(result, "floor")),
        ratio_cell(ratio(result, "mkdocs")),
        "—" if scaling is None else f"{scaling:.3f} s",
    ]


def markdown_table(results: list[SizeResult]) -> str:
    rows = [list(HEADERS), *(row(r) for r in results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _mark(value: float, limit: float) -> str:
    return "met" if value <= limit else "MISSED"


def target_lines(results: list[SizeResult]) -> list[str]:
    """Each target of issue 10, at TARGET_SIZE pages, marked met or MISSED. Without that size
    the largest measured size is shown as an indication, never marked."""
    lines = [
        f"Targets at {TARGET_SIZE:,} pages: kb cold ≤ {COLD_FLOOR_TARGET:g}× the floor; kb warm "
        f"≤ {WARM_TARGET_S:g} s after a body edit and after a front-matter edit; growth "
        f"{GROWTH_FROM:,} → {TARGET_SIZE:,} (kb cold) ≤ {GROWTH_TARGET:g}×."
    ]
    at = {r.size: r for r in results}
    target = at.get(TARGET_SIZE)
    shown = target or (max(results, key=lambda r: r.size) if results else None)
    checks = [
        ("kb cold / floor", lambda r: ratio(r, "floor"), COLD_FLOOR_TARGET, "×"),
        ("kb warm (body edit)", lambda r: median(r, "kb-warm-body"), WARM_TARGET_S, " s"),
        ("kb warm (front-matter edit)", lambda r: median(r, "kb-warm-front"), WARM_TARGET_S, " s"),
    ]
    for label, value_of, limit, unit in checks:
        value = value_of(shown) if shown is not None else None
        if value is None:
            where = f" at {shown.size:,}" if shown is not None else ""
            lines.append(f"  {label} @ {TARGET_SIZE:,}: not measured{where}")
        elif target is None:
            lines.append(
                f"  {label} @ {TARGET_SIZE:,}: not measured (add it to --sizes); "
                f"at {shown.size:,}: {value:.2f}{unit} (indicative, not marked)"
            )
        else:
            lines.append(
                f"  {label} @ {TARGET_SIZE:,}: {value:.2f}{unit} "
                f"(target ≤ {limit:g}{unit}) {_mark(value, limit)}"
            )
    lines.append(growth_line(results))
    return lines


def growth(results: list[SizeResult], small: int, large: int) -> float | None:
    at = {r.size: r for r in results}
    if small not in at or large not in at:
        return None
    a, b = median(at[small], "kb-cold"), median(at[large], "kb-cold")
    return b / a if a and b is not None else None


def growth_line(results: list[SizeResult]) -> str:
    label = (
        f"  growth {GROWTH_FROM:,} → {TARGET_SIZE:,} "
        f"(kb cold at {TARGET_SIZE:,} / at {GROWTH_FROM:,})"
    )
    value = growth(results, GROWTH_FROM, TARGET_SIZE)
    if value is not None:
        return f"{label}: {value:.1f}× (target ≤ {GROWTH_TARGET:g}×) {_mark(value, GROWTH_TARGET)}"
    sizes = sorted(r.size for r in results if median(r, "kb-cold") is not None)
    if len(sizes) >= 2 and (value := growth(results, sizes[0], sizes[-1])) is not None:
        ideal = sizes[-1] / sizes[0]
        return (
            f"{label}: not measured; {sizes[0]:,} → {sizes[-1]:,}: {value:.1f}× "
            f"(linear would be {ideal:g}×; indicative, not marked)"
        )
    return f"{label}: not measured (needs --sizes with {GROWTH_FROM} and {TARGET_SIZE})"


def load_lines(results: list[SizeResult]) -> list[str]:
    """Warn when other work shared the CPUs during the timings."""
    cpus = os.cpu_count() or 1
    busy = [r for r in results if max(r.load) > cpus]
    if not busy:
        return []
    loads = "; ".join(f"{r.size:,} pages {r.load[0]:.1f}→{r.load[1]:.1f}" for r in busy)
    return [f"Note: 1-min load average above {cpus} (CPUs) around {loads}: timings are noisy."]


def failures(results: list[SizeResult]) -> list[str]:
    """One block per failed tool, with the tail of its output."""
    blocks = []
    for result in results:
        for name, tool in result.tools.items():
            head = f"--- {name} on {result.size:,} pages"
            bad = next((run for run in tool.runs if not run.ok), None)
            if bad is not None:
                text = bad.stderr_tail or bad.stdout_tail or "(no output)"
                blocks.append(f"{head} failed (exit {bad.returncode}); output tail:\n{text}")
            elif tool.findings:
                first = tool.runs[0]
                text = "\n".join(t for t in (first.stdout_tail, first.stderr_tail) if t)
                blocks.append(f"{head} reported {tool.findings} findings; output tail:\n{text}")
    return blocks


def tool_json(tool: ToolResult) -> dict[str, object]:
    return {
        "median_s": tool.median_s,
        "failed": tool.failed,
        "skipped": tool.skipped or None,
        "findings": tool.findings,
        "kb_summaries": tool.summaries or None,
        "runs": [run.as_dict() for run in tool.runs],
    }


def size_json(result: SizeResult) -> dict[str, object]:
    site = result.site
    return {
        "pages": result.size,
        "papers": site.papers,
        "other_pages": site.notes,
        "markdown_bytes": site.bytes_total,
        "site": str(site.root),
        "generate_s": round(result.generate_s, 3),
        "load_1m_before_after": result.load,
        "tools": {name: tool_json(tool) for name, tool in result.tools.items()},
        "ratio_kb_cold_to_floor": ratio(result, "floor"),
        "ratio_kb_cold_to_mkdocs": ratio(result, "mkdocs"),
        "kb_cold_s_per_1k_pages": per_1k(result),
    }


def write_json(path: Path, results: list[SizeResult], meta: dict[str, object]) -> None:
    data = {
        "benchmark": "build",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        **meta,
        "targets": {
            "at_pages": TARGET_SIZE,
            "kb_cold_to_floor_max": COLD_FLOOR_TARGET,
            "kb_warm_s_max": WARM_TARGET_S,
            "growth_from_pages": GROWTH_FROM,
            "growth_max": GROWTH_TARGET,
            "growth": growth(results, GROWTH_FROM, TARGET_SIZE),
        },
        "sizes": [size_json(r) for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
