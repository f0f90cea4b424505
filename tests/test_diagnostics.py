"""The diagnostic type and the code registry."""

from __future__ import annotations

import re

from kb.diagnostics import CODES, Diagnostic, Severity, make, with_severity


def test_codes_are_stable_and_grouped_by_stage() -> None:
    prefixes = {"FM1", "LNK2", "SB3", "TBL4", "MD5", "SEC6", "VER7", "EXP8"}
    for code, info in CODES.items():
        assert re.fullmatch(r"(FM1|LNK2|SB3|TBL4|MD5|SEC6|VER7|EXP8)\d\d", code), code
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", info.name), info.name
        assert info.summary
    assert {re.match(r"[A-Z]+\d", c).group() for c in CODES} == prefixes


def test_names_are_unique() -> None:
    names = [info.name for info in CODES.values()]
    assert len(names) == len(set(names))


def test_location_and_str() -> None:
    d = make("LNK201", "docs/a.md", 3, "link broken", column=7, hint="fix it")
    assert (d.location(), str(d)) == ("docs/a.md:3:7", "docs/a.md:3:7: LNK201 link broken (fix it)")
    assert make("MD505", "docs/a.md", 0, "no title").location() == "docs/a.md"
    assert make("FM101", "docs/a.md", 1, "x").location() == "docs/a.md:1"


def test_make_uses_the_default_severity() -> None:
    assert make("LNK207", "f", 1, "m").severity == Severity.WARNING
    assert make("LNK201", "f", 1, "m").severity == Severity.ERROR


def test_with_severity() -> None:
    d = make("LNK207", "f", 1, "m")
    assert with_severity(d, {}) is d
    assert with_severity(d, {"LNK207": None}) is None
    assert with_severity(d, {"LNK207": Severity.ERROR}) == Diagnostic(
        "f", 1, 0, "LNK207", "m", Severity.ERROR
    )


def test_diagnostics_sort_by_place() -> None:
    a = make("MD505", "docs/b.md", 0, "m")
    b = make("LNK201", "docs/a.md", 9, "m")
    c = make("FM101", "docs/a.md", 1, "m")
    assert sorted([a, b, c]) == [c, b, a]
