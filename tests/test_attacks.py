"""The gate wall on the attack corpus: `kb check` names every payload at its line.

The corpus and its site: tests/attacks.py. The browser wall on the same site:
tests/browser/test_attacks.py.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from kb import cli
from tests.attacks import CLASSES, Payload, build_attack_site, load_corpus

PAYLOADS = load_corpus()


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], set[str]]:
    root = build_attack_site(tmp_path_factory.mktemp("attacks"), PAYLOADS)
    assert cli.run(["--root", str(root), "sidebar"]) == 0
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.run(["--root", str(root), "check", "--format", "json", "--no-cache"])
    assert code == 2
    found: dict[tuple[str, int], set[str]] = {}
    for d in json.loads(out.getvalue())["diagnostics"]:
        if d["severity"] == "error":
            found.setdefault((d["file"], d["line"]), set()).add(d["code"])
    return found


def test_the_corpus_is_large_and_covers_every_class() -> None:
    assert len(PAYLOADS) >= 80
    assert len({p.id for p in PAYLOADS}) == len(PAYLOADS)
    counts = Counter(p.kind for p in PAYLOADS)
    assert set(counts) == set(CLASSES), counts
    assert min(counts.values()) >= 3, counts


@pytest.mark.parametrize("payload", PAYLOADS, ids=[p.id for p in PAYLOADS])
def test_kb_check_names_the_payload_at_its_line(
    findings: dict[tuple[str, int], set[str]], payload: Payload
) -> None:
    codes = findings.get((payload.file, payload.line), set())
    assert codes, f"{payload.file}:{payload.line} ({payload.about}): no error reported"
    if payload.codes:
        assert codes & set(payload.codes), f"expected {payload.codes}, got {sorted(codes)}"


def test_every_file_a_payload_brings_is_refused(findings: dict[tuple[str, int], set[str]]) -> None:
    brought = {path for p in PAYLOADS for path in p.files if path.startswith("docs/")}
    refused = {file for file, _ in findings}
    harmless = {path for path in brought if Path(path).suffix in (".md", ".yaml", ".yml", ".png")}
    assert brought - harmless <= refused
