"""Fixture sites under tests/sites/: kb's findings must equal the inline `expect:` markers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.diagnostics import CODES
from tests.helpers import (
    SITES,
    KbRunner,
    actual_findings,
    collect_expectations,
    copy_site,
    describe_mismatch,
)

SCENARIOS = ["clean", "front-matter", "links", "markdown", "unsafe", "tables", "files"]
WHOLE_FILE_CODES = {
    "FM113",
    "MD504",
    "MD505",
    "MD506",
    "MD507",
    "SB301",
    "FM114",
    "SEC610",
    "SEC611",
    "SEC613",
}


def _check(scenario: str, tmp_path: Path, kb: KbRunner) -> tuple[int, list[dict]]:
    root = copy_site(scenario, tmp_path)
    code, _, err = kb(root, "sidebar")  # the sidebar is generated, not part of the fixture
    assert code == 0, err
    code, out, err = kb(root, "check", "--format", "json", "--no-cache")
    assert code in (0, 2), err
    return code, json.loads(out)["diagnostics"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_findings_match_inline_expectations(scenario: str, tmp_path: Path, kb: KbRunner) -> None:
    code, diagnostics = _check(scenario, tmp_path, kb)
    expected = collect_expectations(SITES / scenario)
    actual = actual_findings(diagnostics)
    assert actual == expected, f"{scenario}:\n{describe_mismatch(expected, actual)}"
    errors = any(d["severity"] == "error" for d in diagnostics)
    assert code == (2 if errors else 0)


def test_clean_site_has_no_findings_at_all(tmp_path: Path, kb: KbRunner) -> None:
    code, diagnostics = _check("clean", tmp_path, kb)
    assert (code, diagnostics) == (0, [])


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s != "clean"])
def test_every_scenario_expects_something(scenario: str) -> None:
    codes = {code for _, _, code in collect_expectations(SITES / scenario)}
    assert codes, f"{scenario} has no expect: markers"
    assert codes <= set(CODES)


def test_scenarios_cover_every_front_matter_code() -> None:
    codes = {code for _, _, code in collect_expectations(SITES / "front-matter")}
    assert codes == {f"FM1{n:02d}" for n in range(1, 14)} | {"FM115", "FM116"}


def test_scenarios_cover_links_markdown_unsafe_and_table_codes() -> None:
    codes = set()
    for scenario in ("links", "markdown", "unsafe", "tables", "files"):
        codes |= {code for _, _, code in collect_expectations(SITES / scenario)}
    wanted = {c for c in CODES if c.startswith(("LNK", "MD", "SEC", "TBL")) and c != "MD506"}
    wanted -= {c for c in CODES if c.startswith("LNK21")}  # network codes: test_links_cli.py
    # Made at test time (a symlink, a page docsify chokes on, a stale CSP): test_gate.py.
    wanted -= {"SEC608", "SEC610", "SEC614"}
    assert wanted <= codes


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_findings_name_a_line_unless_they_concern_the_whole_file(
    scenario: str, tmp_path: Path, kb: KbRunner
) -> None:
    _, diagnostics = _check(scenario, tmp_path, kb)
    for d in diagnostics:
        assert d["line"] > 0 or d["code"] in WHOLE_FILE_CODES, d
        assert d["message"] and d["name"] == CODES[d["code"]].name


def test_front_matter_hints_in_the_scenario(tmp_path: Path, kb: KbRunner) -> None:
    _, diagnostics = _check("front-matter", tmp_path, kb)
    by_place = {(d["file"], d["line"]): (d["message"], d["hint"]) for d in diagnostics}
    assert by_place[("docs/papers/wrong-values.md", 14)] == (
        "unknown modality 'MRI'",
        "did you mean 'mri'?",
    )
    assert by_place[("docs/papers/wrong-values.md", 6)] == (
        "'year': expected an integer, got '2019年'",
        "",
    )
    assert by_place[("docs/notes/bad-type.md", 2)] == (
        "unknown page type 'papr'",
        "did you mean 'paper'?",
    )
    assert by_place[("docs/papers/same-doi.md", 8)][0] == "same doi as 'docs/papers/original.md'"
