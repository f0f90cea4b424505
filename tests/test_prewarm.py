"""The pipeline boots the gate's renderers while Python parses, only when pages will need
judging: on a cold run, and on a warm run when a markdown file was written since the
verdicts were last saved."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kb import gate
from kb.collect import walk_files
from kb.config import load_settings
from kb.pipeline import _prewarm_gate
from tests.helpers import KbRunner, SiteBuilder

NOTE = "---\ntype: note\ntitle: {0}\n---\n# {0}\n"
FILES = {"docs/n/_section.yaml": "title: N\norder: 1\n", "docs/n/a.md": NOTE.format("A")}


@pytest.fixture
def no_processes() -> None:
    """Each check starts from no running gate (the gate keeps its processes per run)."""
    gate._close_all()


def _prewarmed(root: Path, *, use_cache: bool = True) -> int:
    gate._close_all()
    settings = load_settings(root)
    _prewarm_gate(settings, walk_files(settings), use_cache)
    return len(gate._PROCESSES)


def test_cold_runs_boot_the_renderers(site: SiteBuilder, no_processes: None) -> None:
    root = site(FILES)
    assert _prewarmed(root) == 1  # no verdicts saved yet
    assert _prewarmed(root, use_cache=False) == 1


def test_warm_runs_boot_them_only_after_a_write(
    site: SiteBuilder, kb: KbRunner, no_processes: None
) -> None:
    root = site(FILES)
    assert kb(root, "build")[0] == 0
    assert _prewarmed(root) == 0  # nothing written since the verdicts were saved
    page = root / "docs/n/a.md"
    page.write_text(NOTE.format("A") + "\nMore.\n", encoding="utf-8")
    later = os.stat(root / ".kb-cache/gate.marshal").st_mtime_ns + 10**9
    os.utime(page, ns=(later, later))  # ctime moves with any write; mtime is set forward too
    assert _prewarmed(root) == 1
    assert kb(root, "build")[0] == 0
    assert _prewarmed(root) == 0


def test_a_site_the_gate_cannot_run_is_left_to_the_check(
    site: SiteBuilder, no_processes: None
) -> None:
    root = site(FILES)
    (root / "index.html").unlink()
    assert _prewarmed(root) == 0  # `kb check` reports why, with its own message
