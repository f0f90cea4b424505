"""Turn build-benchmark results into the printed table, target checks and the JSON file."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path

from build_bench import SizeResult, ToolResult

COLD_TARGET_S = 3.0
COLD_TARGET_SIZE = 10_000
WARM_TARGET_S = 0.5
HEADERS = (
    "pages",
    "kb cold",
    "kb warm",
    "docsify-cli",
    "mkdocs",
    "kb cold / mkdocs",
    "kb cold / docsify-cli",
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


def ratio(result: SizeResult, peer: str) -> float | None:
    kb, other = result.tools.get("kb-cold"), result.tools.get(peer)
    if kb is None or other is None or kb.failed or other.failed:
        return None
    a, b = kb.median_s, other.median_s
    return a / b if a is not None and b else None


def ratio_cell(value: float | None) -> str:
    if value is None:
        return "—"
    word = f"{1 / value:.1f}× faster" if value < 1 else f"{value:.1f}× slower"
    return f"{value:.3f} ({word})"


def per_1k(result: SizeResult) -> float | None:
    kb = result.tools.get("kb-cold")
    if kb is None or kb.failed or kb.median_s is None:
        return None
    return kb.median_s / (result.size / 1000)


def row(result: SizeResult) -> list[str]:
    scaling = per_1k(result)
    return [
        f"{result.size:,}",
        seconds(result.tools.get("kb-cold")),
        seconds(result.tools.get("kb-warm")),
        seconds(result.tools.get("docsify-cli")),
        seconds(result.tools.get("mkdocs")),
        ratio_cell(ratio(result, "mkdocs")),
        ratio_cell(ratio(result, "docsify-cli")),
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


def target_lines(results: list[SizeResult]) -> list[str]:
    lines = [
        f"Targets: kb cold ≤ {COLD_TARGET_S:g} s at {COLD_TARGET_SIZE:,} pages, "
        f"kb warm ≤ {WARM_TARGET_S:g} s at every size."
    ]
    for result in results:
        cold, warm = result.tools.get("kb-cold"), result.tools.get("kb-warm")
        if result.size == COLD_TARGET_SIZE:
            lines.append(_verdict(f"kb cold @ {result.size:,}", cold, COLD_TARGET_S))
        lines.append(_verdict(f"kb warm @ {result.size:,}", warm, WARM_TARGET_S))
    if not any(r.size == COLD_TARGET_SIZE for r in results):
        lines.append(f"  kb cold @ {COLD_TARGET_SIZE:,}: not measured (add it to --sizes)")
    return lines


def _verdict(label: str, tool: ToolResult | None, limit: float) -> str:
    if tool is None or tool.failed or tool.median_s is None:
        return f"  {label}: {seconds(tool)}"
    mark = "meets target" if tool.median_s <= limit else "MISSES target"
    return f"  {label}: {tool.median_s:.2f} s (target ≤ {limit:g} s) {mark}"


def load_lines(results: list[SizeResult]) -> list[str]:
    """Warn when other work shared the CPUs during the timings."""
    cpus = os.cpu_count() or 1
    busy = [r for r in results if max(r.load) > cpus]
    if not busy:
        return []
    loads = "; ".join(f"{r.size:,} pages {r.load[0]:.1f}→{r.load[1]:.1f}" for r in busy)
    return [f"Note: 1-min load average above {cpus} (CPUs) around {loads}: timings are noisy."]


def scaling_line(results: list[SizeResult]) -> str | None:
    points = [(r.size, v) for r in results if (v := per_1k(r)) is not None]
    if len(points) < 2:
        return None
    (small, first), (large, last) = points[0], points[-1]
    return (
        f"Linearity: kb cold per 1k pages goes from {first:.3f} s at {small:,} to {last:.3f} s "
        f"at {large:,} pages (×{last / first:.2f}; 1.00 = perfectly linear)."
    )


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
        "notes": site.notes,
        "markdown_bytes": site.bytes_total,
        "site": str(site.root),
        "generate_s": round(result.generate_s, 3),
        "load_1m_before_after": result.load,
        "tools": {name: tool_json(tool) for name, tool in result.tools.items()},
        "ratio_kb_cold_to_mkdocs": ratio(result, "mkdocs"),
        "ratio_kb_cold_to_docsify_cli": ratio(result, "docsify-cli"),
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
            "kb_cold_s": COLD_TARGET_S,
            "kb_cold_at_pages": COLD_TARGET_SIZE,
            "kb_warm_s": WARM_TARGET_S,
        },
        "sizes": [size_json(r) for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
