"""Output formats: text, json and GitHub annotations, exactly."""

from __future__ import annotations

import json

import pytest

from kb.diagnostics import Diagnostic, Severity
from kb.report import (
    FORMATTERS,
    escape_line,
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


HOSTILE = Diagnostic(
    "docs/a.md\n::error file=a::owned",
    3,
    0,
    "LNK201",
    "link 'x\x1b[2J\u202eevil' points to a missing page\r\n::error file=b::owned",
    Severity.ERROR,
    "did you mean\n::warning::owned\t?",
)


def test_text_escapes_control_characters_so_one_finding_is_one_line() -> None:
    assert format_text([HOSTILE]).splitlines() == [
        "docs/a.md\\n::error file=a::owned:3: LNK201 link 'x\\x1b[2J\\u202eevil' points to "
        "a missing page\\r\\n::error file=b::owned",
        "    hint: did you mean\\n::warning::owned\\t?",
        "1 error(s), 0 warning(s) in 1 file(s)",
    ]


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("::error file=a::owned", "\\x3a:error file=a::owned"),
        ("  ::error::x", "  \\x3a:error::x"),
        ("\u3000::error::x", "\u3000\\x3a:error::x"),
        ("a ::not at the start", "a ::not at the start"),
        ("see ##[error]owned", "see #\\x23[error]owned"),
        ("###[x]", "##\\x23[x]"),
        ("\x00\x07\x7f\x85\x9f", "\\x00\\x07\\x7f\\x85\\x9f"),
        ("\u202a\u202b\u202c\u202d\u202e", "\\u202a\\u202b\\u202c\\u202d\\u202e"),
        (
            "\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
            "\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c",
        ),
        ("\u2028\u2029", "\\u2028\\u2029"),
        ("中文 — ok \\ \u00e9", "中文 — ok \\ \u00e9"),
    ],
)
def test_escape_line(text: str, escaped: str) -> None:
    assert escape_line(text) == escaped
    assert escape_line(escaped) == escaped  # escaping twice changes nothing more


def test_no_line_of_text_output_starts_a_workflow_command() -> None:
    odd = Diagnostic("::error file=x::owned.md", 1, 0, "FM102", "bad", Severity.ERROR, "")
    colon = Diagnostic(":", 0, 0, "FM102", "::x", Severity.ERROR, "::y")
    for found in ([HOSTILE], [odd], [colon], [HOSTILE, odd, colon]):
        for formatter in (format_text, format_markdown):
            for line in formatter(found).splitlines():
                assert not line.lstrip().startswith("::"), line
                assert "##[" not in line, line
    assert format_text([odd]).splitlines()[0] == "\\x3a:error file=x::owned.md:1: FM102 bad"


def test_markdown_cells_hold_no_html_links_or_code() -> None:
    sneaky = Diagnostic(
        "docs/a`b|c.md",
        1,
        0,
        "SEC601",
        "<script>alert(1)</script> [click](https://evil.example) **bold** `code` a_b & \n## x",
        Severity.ERROR,
        "<img src=x onerror=alert(1)>",
    )
    text = format_markdown([sneaky])
    assert "<script>" not in text and "<img" not in text
    row = text.splitlines()[-1]
    assert row == (
        "| ``docs/a`b\\|c.md:1`` "
        "| &lt;script&gt;alert(1)&lt;/script&gt; \\[click\\](https://evil.example) "
        "\\*\\*bold\\*\\* \\`code\\` a\\_b &amp; \\n## x "
        "| &lt;img src=x onerror=alert(1)&gt; |"
    )


def test_markdown_escapes_control_characters_and_keeps_one_row_per_finding() -> None:
    lines = format_markdown([HOSTILE]).splitlines()
    rows = [line for line in lines if line.startswith("| `")]
    assert rows == [
        "| `docs/a.md\\n::error file=a::owned:3` "
        "| link 'x\\x1b\\[2J\\u202eevil' points to a missing page\\r\\n::error file=b::owned "
        "| did you mean\\n::warning::owned\\t? |"
    ]
