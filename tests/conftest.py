"""Fixtures shared by the toolchain tests (the browser tests have their own conftest)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.helpers import KbRunner, SiteBuilder, make_site, run_kb


@pytest.fixture
def site(tmp_path: Path) -> SiteBuilder:
    """`site({"docs/a.md": "..."}, kb_toml='max_page_kb = 1')` → root of a fresh repository."""

    def build(files: Mapping[str, str | bytes], *, kb_toml: str = "") -> Path:
        return make_site(tmp_path, files, kb_toml=kb_toml)

    return build


@pytest.fixture
def kb(capsys: pytest.CaptureFixture[str]) -> KbRunner:
    """`kb(root, "check", "--format", "json")` → (exit code, stdout, stderr), in-process."""

    def invoke(root: Path, *args: str) -> tuple[int, str, str]:
        return run_kb(root, *args, capsys=capsys)

    return invoke
