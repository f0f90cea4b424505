"""The front end's pure functions, tested in Node: `node --test tests/js/` (one test here, so
`./dev test` runs them with the rest)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_node_tests_pass() -> None:
    node = shutil.which("node")
    assert node, "node not found: install Node.js 20+ (./dev test needs it anyway)"
    result = subprocess.run(
        [node, "--test", "tests/js/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    failed = [line for line in result.stdout.splitlines() if line.startswith("not ok")]
    assert result.returncode == 0, "\n".join(failed) or result.stdout[-3000:] + result.stderr
    assert "# fail 0" in result.stdout
