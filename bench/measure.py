"""Run a command as a child process and measure it: wall time, CPU time, peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

TAIL_LINES = 15


@dataclass(frozen=True)
class Run:
    """One timed execution of a command."""

    wall_s: float
    cpu_s: float
    """User + system CPU time of the child and its descendants that were waited for."""
    max_rss_mb: float
    """Peak resident memory of the child or of any descendant it waited for (Linux wait4)."""
    returncode: int
    stdout_tail: str
    stderr_tail: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_timed(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 3600.0,
) -> Run:
    """Run `cmd` to completion; output goes to temporary files so pipes never block it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [os.fspath(part) for part in cmd],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        status, usage = _wait(proc, timeout)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return Run(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,
        returncode=os.waitstatus_to_exitcode(status),
        stdout_tail=tail(stdout),
        stderr_tail=tail(stderr),
    )


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, os.struct_rusage]:
    """Block in os.wait4, which reports the child's own resource usage; a timer kills it late."""
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return status, usage


def median_wall(runs: Sequence[Run]) -> float | None:
    """Median wall time of the successful runs, None if there were none."""
    good = [r.wall_s for r in runs if r.ok]
    return statistics.median(good) if good else None
