"""Output formats: text, json and GitHub annotations, exactly."""

from __future__ import annotations

import json

from kb.diagnostics import Diagnostic, Severity
from kb.report import (
    FORMATTERS,
    format_github,
    format_json,
    format_markdown,
    format_text,
    parse_json,
)

ERROR = Diagnostic(
    "docs/a.md",
    7,
    3,
    "LNK201",
    "link 'x.md' points to missing 'docs/x.md'",
    Severity.ERROR,
    "did you mean 'docs/y.md'?",
)
WARNING = Diagnostic("docs/b.md", 0, 0, "MD505", "page has no level-1 heading", Severity.WARNING)
INFO = Diagnostic("docs/b.md", 4, 0, "LNK207", "link to a draft", Severity.INFO)


def test_text_format() -> None:
    assert format_text([ERROR, WARNING, INFO]) == (
        "docs/a.md:7:3: LNK201 link 'x.md' points to missing 'docs/x.md'\n"
        "    hint: did you mean 'docs/y.md'?\n"
        "docs/b.md: MD505 (warning) page has no level-1 heading\n"
        "docs/b.md:4: LNK207 (info) link to a draft\n"
        "1 error(s), 1 warning(s) in 2 file(s)\n"
    )


def test_text_format_without_findings() -> None:
    assert format_text([]) == "no problems found\n"


def test_json_format() -> None:
    payload = json.loads(format_json([ERROR, WARNING]))
    assert payload == {
        "version": 1,
        "diagnostics": [
            {
                "file": "docs/a.md",
                "line": 7,
                "column": 3,
                "code": "LNK201",
                "name": "link-target-missing",
                "severity": "error",
                "message": "link 'x.md' points to missing 'docs/x.md'",
                "hint": "did you mean 'docs/y.md'?",
            },
            {
                "file": "docs/b.md",
                "line": 0,
                "column": 0,
                "code": "MD505",
                "name": "heading-missing",
                "severity": "warning",
                "message": "page has no level-1 heading",
                "hint": "",
            },
        ],
        "summary": {"errors": 1, "warnings": 1, "infos": 0, "files": 2},
    }


def test_json_keeps_chinese_readable_and_ends_with_a_newline() -> None:
    text = format_json([Diagnostic("docs/笔记.md", 1, 0, "FM105", "缺少字段")])
    assert "docs/笔记.md" in text and "缺少字段" in text
    assert text.endswith("}\n")


def test_github_format() -> None:
    assert format_github([ERROR, WARNING, INFO]) == (
        "::error file=docs/a.md,line=7,col=3,title=LNK201 link-target-missing::"
        "link 'x.md' points to missing 'docs/x.md' (did you mean 'docs/y.md'?)\n"
        "::warning file=docs/b.md,title=MD505 heading-missing::page has no level-1 heading\n"
        "::notice file=docs/b.md,line=4,title=LNK207 link-to-draft::link to a draft\n"
        "1 error(s), 1 warning(s) in 2 file(s)\n"
    )


def test_github_escapes_properties_and_data() -> None:
    odd = Diagnostic(
        "docs/a,b:c%.md", 2, 0, "FM102", "100% broken:\r\nline two, ok", Severity.ERROR
    )
    assert format_github([odd]).splitlines()[0] == (
        "::error file=docs/a%2Cb%3Ac%25.md,line=2,title=FM102 yaml-syntax::"
        "100%25 broken:%0D%0Aline two, ok"
    )


def test_github_annotation_is_one_line_even_with_a_multiline_hint() -> None:
    odd = Diagnostic("docs/a.md", 1, 0, "FM102", "bad", Severity.ERROR, "first\nsecond")
    lines = format_github([odd]).splitlines()
    assert lines[0] == "::error file=docs/a.md,line=1,title=FM102 yaml-syntax::bad (first%0Asecond)"
    assert len(lines) == 2


def test_every_format_is_registered() -> None:
    assert FORMATTERS == {
        "text": format_text,
        "json": format_json,
        "github": format_github,
        "markdown": format_markdown,
    }


def test_markdown_format_groups_by_code_errors_first() -> None:
    piped = Diagnostic("docs/c.md", 2, 1, "LNK201", "a | b", Severity.ERROR, "")
    assert format_markdown([INFO, WARNING, ERROR, piped]) == (
        "### kb: 2 error(s), 1 warning(s) in 3 file(s)\n"
        "\n"
        "| | Code | Count |\n"
        "| --- | --- | --- |\n"
        "| ❌ | `LNK201` link-target-missing | 2 |\n"
        "| ⚠️ | `MD505` heading-missing | 1 |\n"
        "| ℹ️ | `LNK207` link-to-draft | 1 |\n"
        "\n"
        "#### `LNK201` link-target-missing (2)\n"
        "\n"
        "| Where | Problem | Fix |\n"
        "| --- | --- | --- |\n"
        "| `docs/a.md:7:3` | link 'x.md' points to missing 'docs/x.md' "
        "| did you mean 'docs/y.md'? |\n"
        "| `docs/c.md:2:1` | a \\| b |  |\n"
        "\n"
        "#### `MD505` heading-missing (1)\n"
        "\n"
        "| Where | Problem | Fix |\n"
        "| --- | --- | --- |\n"
        "| `docs/b.md` | page has no level-1 heading |  |\n"
        "\n"
        "#### `LNK207` link-to-draft (1)\n"
        "\n"
        "| Where | Problem | Fix |\n"
        "| --- | --- | --- |\n"
        "| `docs/b.md:4` | link to a draft |  |\n"
    )
    assert format_markdown([]) == "### kb: no problems found\n"


def test_json_report_round_trips() -> None:
    found = [ERROR, WARNING, INFO]
    assert parse_json(format_json(found), "r.json") == found
