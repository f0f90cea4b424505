"""The HTML gate: pages rendered by the site's own docsify, judged by the site's HTML policy.

Python hands pages to `node tools/kb/node/gate.mjs` (one process, up to a worker thread per
core) and gets findings back as JSON lines. One process serves every site that runs the same
scripts, so it is kept for the life of the Python process (tests check many small sites).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.diagnostics import CODES, Diagnostic, Severity
from kb.policy import POLICY_FILE
from kb.runtime import GateError, Runtime

GATE_SCRIPT = Path(__file__).parent / "node" / "gate.mjs"
PAGES_PER_WORKER = 500
"""Below this many pages per renderer, starting one more costs more than it saves: a new
renderer loads docsify and KaTeX and runs its first few hundred pages before V8 has compiled
them (about 1.5 s of CPU, as much as some 500 pages cost once it has)."""
MAX_INCLUDE_BYTES = 1 << 20
"""Largest file docsify may embed (`:include`) that the gate reads."""


@dataclass(frozen=True)
class Request:
    file: str
    """Repo-relative posix path."""
    route: str
    """The docsify route the page is shown at, e.g. ``/docs/notes/x``."""
    text: str
    kind: str = "page"
    """`page`, or `sidebar` for a navigation file compiled by docsify's sidebar path."""


@dataclass(frozen=True)
class Verdict:
    findings: tuple[Diagnostic, ...]
    """Placed by line; the file is '' (the caller knows which file it asked about)."""
    reads: tuple[str, ...]
    """Site files docsify read to render the page (`:include`), repo-relative."""


class _Process:
    """One `node gate.mjs`: requests in on stdin, answers out on stdout."""

    def __init__(self, runtime: Runtime, jobs: int, timeout: float) -> None:
        node = shutil.which("node")
        if node is None:
            raise GateError(
                "node not found: kb renders pages with the site's docsify to judge them; "
                "install Node.js 20+"
            )
        config = {
            "nodeModules": str(runtime.node_modules),
            "scripts": [str(p) for p in runtime.scripts],
            "policyFile": str(POLICY_FILE),
            "jobs": jobs,
            "timeoutMs": int(timeout * 1000),
            "maxBytes": MAX_INCLUDE_BYTES,
            "scope": runtime.scope,
        }
        self._proc = subprocess.Popen(
            [node, str(GATE_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
        self._send(config)
        self._lock = threading.Lock()
        self._next = 0
        self.warnings: list[str] = []

    def _send(self, message: dict[str, Any]) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")

    def alive(self) -> bool:
        return self._proc.poll() is None

    def begin(self, root: Path, iframe_hosts: Sequence[str], requests: list[Request]) -> int:
        """Send `requests` from a thread (node renders while the caller works on); returns
        the first id. The process is the caller's until `collect`."""
        self._lock.acquire()
        base = self._next
        self._next += len(requests)
        self._writer = threading.Thread(
            target=self._write_all, args=(root, iframe_hosts, requests, base), daemon=True
        )
        self._writer.start()
        return base

    def collect(self, base: int, count: int) -> list[Verdict]:
        """The verdicts of the `count` requests sent from id `base`, in their order."""
        try:
            answers: dict[int, Verdict] = {}
            assert self._proc.stdout is not None
            while len(answers) < count:
                line = self._proc.stdout.readline()
                if not line:
                    raise GateError(self._failure())
                message = json.loads(line)
                if "fatal" in message:
                    raise GateError(f"the HTML gate cannot render this site: {message['fatal']}")
                if "warnings" in message:
                    self.warnings.extend(message["warnings"])
                    continue
                answers[int(message["id"]) - base] = _verdict(message)
            self._writer.join()
            return [answers[i] for i in range(count)]
        finally:
            self._lock.release()

    def _write_all(
        self, root: Path, iframe_hosts: Sequence[str], requests: list[Request], base: int
    ) -> None:
        try:
            for number, request in enumerate(requests):
                self._send(
                    {
                        "id": base + number,
                        "root": str(root),
                        "iframeHosts": list(iframe_hosts),
                        "kind": request.kind,
                        "file": request.file,
                        "route": request.route,
                        "text": request.text,
                    }
                )
            assert self._proc.stdin is not None
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the reader reports why the gate stopped

    def _failure(self) -> str:
        self._proc.wait(timeout=10)
        assert self._proc.stderr is not None
        detail = self._proc.stderr.read().strip().splitlines()
        tail = detail[-1] if detail else f"exit status {self._proc.returncode}"
        return f"the HTML gate stopped unexpectedly ({tail})"

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.close()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()


def _verdict(message: dict[str, Any]) -> Verdict:
    findings = tuple(_finding(f) for f in message.get("findings", []))
    return Verdict(findings, tuple(str(r) for r in message.get("reads", [])))


def _finding(found: dict[str, Any]) -> Diagnostic:
    code = str(found["code"])
    known = CODES.get(code)
    severity = known.severity if known else Severity.ERROR
    message, hint = str(found["message"]), str(found.get("hint") or "")
    return Diagnostic("", int(found["line"]), 0, code, message, severity, hint)


_PROCESSES: dict[tuple[str, int, float], _Process] = {}
_PROCESSES_LOCK = threading.Lock()


class Judging:
    """Pages handed to the gate; `verdicts()` waits for their answers."""

    def __init__(self, key: tuple[str, int, float], process: _Process | None, count: int) -> None:
        self._key, self._process, self._count = key, process, count
        self._base = 0

    def verdicts(self) -> list[Verdict]:
        if self._process is None:
            return []
        try:
            return self._process.collect(self._base, self._count)
        except GateError:
            with _PROCESSES_LOCK:
                _PROCESSES.pop(self._key, None)
            self._process.close()
            raise


def start_judging(
    runtime: Runtime,
    root: Path,
    iframe_hosts: Sequence[str],
    requests: Iterable[Request],
    *,
    jobs: int = 0,
    timeout: float = 10.0,
) -> Judging:
    """Start rendering and judging `requests`; raises GateError when the gate cannot run."""
    batch = list(requests)
    key = _key(runtime, len(batch), jobs, timeout)
    if not batch:
        return Judging(key, None, 0)
    process = _process(key, runtime)
    judging = Judging(key, process, len(batch))
    judging._base = process.begin(root, iframe_hosts, batch)
    return judging


def prewarm(runtime: Runtime, pages: int, *, jobs: int = 0, timeout: float = 10.0) -> None:
    """Start the renderers `start_judging` will want for about `pages` pages now, so node
    boots docsify while the caller does other work; a gate that cannot start is reported by
    `start_judging`, not here."""
    try:
        _process(_key(runtime, max(pages, 1), jobs, timeout), runtime)
    except (GateError, OSError):
        pass


def _key(runtime: Runtime, pages: int, jobs: int, timeout: float) -> tuple[str, int, float]:
    """Which gate process judges `pages` pages: one renderer per PAGES_PER_WORKER, up to
    `jobs` (0: one per CPU)."""
    wanted = -(-pages // PAGES_PER_WORKER)
    workers = max(1, min(jobs or os.cpu_count() or 1, wanted))
    return (runtime.signature, workers, timeout)


def _process(key: tuple[str, int, float], runtime: Runtime) -> _Process:
    """The running gate process for `key`, started if there is none."""
    with _PROCESSES_LOCK:
        process = _PROCESSES.get(key)
        if process is None or not process.alive():
            process = _PROCESSES[key] = _Process(runtime, key[1], key[2])
        return process


@atexit.register
def _close_all() -> None:
    for process in _PROCESSES.values():
        process.close()
    _PROCESSES.clear()
