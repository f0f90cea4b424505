"""Shared test helpers: throwaway sites, golden files, in-process CLI runs, inline expectations."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from kb import cli
from kb.config import ConfigError, load_settings
from kb.diagnostics import Diagnostic
from kb.policy import render_csp, with_csp

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
SITES = TESTS / "sites"
GOLDEN = TESTS / "golden"
VOCABULARY = REPO / "docs" / "_data" / "vocabulary.yaml"
VOCABULARY_FILE = "docs/_data/vocabulary.yaml"

PYPROJECT = '[project]\nname = "fixture-site"\n\n[tool.kb]\n'

SiteBuilder = Callable[..., Path]
"""The `site` fixture: `site(files, kb_toml=...)` → root of a fresh repository."""
KbRunner = Callable[..., tuple[int, str, str]]
"""The `kb` fixture: `kb(root, *args)` → (exit code, stdout, stderr)."""
Expectation = tuple[str, int, str]
"""(repo-relative file, line, code); line 0 means the whole file."""


def make_site(
    tmp_path: Path, files: Mapping[str, str | bytes], *, kb_toml: str = "", name: str = "site"
) -> Path:
    """Write a tiny repository under `tmp_path/name` and return its root.

    `files` maps repo-relative paths to text (written as UTF-8, newlines untouched) or bytes.
    A pyproject.toml with `[tool.kb]` (plus `kb_toml` lines) and the repository's vocabulary
    are added unless `files` provides them.
    """
    root = tmp_path / name
    root.mkdir(parents=True, exist_ok=True)
    if "pyproject.toml" not in files:
        (root / "pyproject.toml").write_text(PYPROJECT + kb_toml, encoding="utf-8")
    if VOCABULARY_FILE not in files:
        vocabulary = root / VOCABULARY_FILE
        vocabulary.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(VOCABULARY, vocabulary)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        path.write_bytes(data)
    if "index.html" not in files:
        add_runtime(root)
    return root


def add_runtime(root: Path) -> None:
    """Give a test site the repository's docsify page: index.html (with the CSP kb writes
    for this site's settings) and assets/. kb renders pages with it (the HTML gate)."""
    try:
        hosts = load_settings(root).iframe_hosts
    except ConfigError:
        hosts = ()  # a test of bad settings: kb stops before it looks at index.html
    index = (REPO / "index.html").read_text(encoding="utf-8")
    (root / "index.html").write_text(with_csp(index, render_csp(hosts)), encoding="utf-8")
    if not (root / "assets").exists():
        shutil.copytree(REPO / "assets", root / "assets")


def copy_site(scenario: str, tmp_path: Path) -> Path:
    """A private copy of `tests/sites/<scenario>` (kb writes its cache into the site root)."""
    root = tmp_path / scenario
    shutil.copytree(SITES / scenario, root)
    vocabulary = root / VOCABULARY_FILE
    if not vocabulary.exists():
        vocabulary.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(VOCABULARY, vocabulary)
    add_runtime(root)
    return root


def assert_golden(actual: str, path: Path) -> None:
    """Compare `actual` with the golden file byte for byte; UPDATE_GOLDEN=1 rewrites it."""
    data = actual.encode("utf-8")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        return
    if not path.exists():
        pytest.fail(f"golden file {path} is missing; run with UPDATE_GOLDEN=1 and review it")
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"output differs from {path}; UPDATE_GOLDEN=1 rewrites it"


def run_kb(root: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process against the site at `root`; returns (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = cli.run(["--root", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def check_json(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    """The diagnostics of `kb check --format json` as dicts."""
    code, out, err = run_kb(root, "check", "--format", "json", *args, capsys=capsys)
    assert code in (0, 2), f"kb check failed with exit {code}:\n{err}"
    return json.loads(out)["diagnostics"]


# `<!-- expect: LNK201, SEC602 -->` or `# expect: FM106` on the offending line;
# `CODE@N` names line N of the same file (0: the whole file), `CODE@+N` the line N below;
# `in PATH` (repo-relative) moves the expectation to another file, e.g. a missing
# `_section.yaml`.
_ITEM = r"[A-Z]{2,3}\d{3}(?:@[+-]?\d+)?"
_EXPECT = re.compile(
    rf"expect:\s*(?P<codes>{_ITEM}(?:\s*,\s*{_ITEM})*)(?:\s+in\s+(?P<file>[^\s>]+))?"
)
_TEXT_SUFFIXES = {".md", ".yaml", ".yml"}


def collect_expectations(root: Path) -> set[Expectation]:
    """Every inline `expect:` marker under `root`, as (file, line, code)."""
    found: set[Expectation] = set()
    for path in sorted(root.rglob("*")):
        if path.suffix not in _TEXT_SUFFIXES or not path.is_file():
            continue
        file = path.relative_to(root).as_posix()
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
            for match in _EXPECT.finditer(line):
                target = match.group("file") or file
                for item in match.group("codes").split(","):
                    code, _, at = item.strip().partition("@")
                    found.add((target, _expected_line(at, number), code))
    return found


def _expected_line(at: str, marker_line: int) -> int:
    if not at:
        return marker_line
    if at[0] in "+-":
        return marker_line + int(at)
    return int(at)


def actual_findings(diagnostics: list[Diagnostic] | list[dict]) -> set[Expectation]:
    """(file, line, code) of diagnostics given as objects or as JSON dicts."""
    result: set[Expectation] = set()
    for d in diagnostics:
        if isinstance(d, dict):
            result.add((d["file"], d["line"], d["code"]))
        else:
            result.add((d.file, d.line, d.code))
    return result


def describe_mismatch(expected: set[Expectation], actual: set[Expectation]) -> str:
    missing = "\n".join(f"  missing:    {f}:{n} {c}" for f, n, c in sorted(expected - actual))
    extra = "\n".join(f"  unexpected: {f}:{n} {c}" for f, n, c in sorted(actual - expected))
    return "\n".join(part for part in (missing, extra) if part)
