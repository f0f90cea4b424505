"""`kb serve` as a user runs it: a real process on loopback that rebuilds when a page changes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO, make_site

PAGE = """---
type: note
title: {title}
---

# {title}
"""


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.read().decode()


def _wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str, subprocess.Popen[str]]]:
    root = make_site(
        tmp_path,
        {
            "docs/notes/_section.yaml": "title: 笔记\norder: 1\n",
            "docs/notes/a.md": PAGE.format(title="第一篇"),
        },
    )
    shutil.copy2(REPO / "package.json", root / "package.json")
    (root / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "kb", "--root", str(root), "serve", "--port", "0"],
            stderr=stderr,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        _wait_for(lambda: "serving http" in log.read_text() or process.poll() is not None)
        match = re.search(r"serving (http://127\.0\.0\.1:\d+/)", log.read_text())
        assert match, f"kb serve did not start:\n{log.read_text()}"
        yield root, match.group(1), process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_builds_then_rebuilds_when_a_page_is_added(
    served: tuple[Path, str, subprocess.Popen[str]],
) -> None:
    root, url, _ = served
    assert "第一篇" in _get(url + "_sidebar.md")
    assert "window.KB_SITE" in _get(url + "vendor/kb-site.js")
    build = _get(url + "__kb/build")
    assert build

    (root / "docs/notes/b.md").write_text(PAGE.format(title="第二篇"), encoding="utf-8")

    _wait_for(lambda: "第二篇" in _get(url + "_sidebar.md"))
    _wait_for(lambda: _get(url + "__kb/build") != build)
    assert f'"build": "{_get(url + "__kb/build")}"' in _get(url + "vendor/kb-site.js")
