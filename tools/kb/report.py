"""Formatters: a sequence of diagnostics → text. One function per format.

File names, link targets, YAML values and headings in messages come from pull requests,
and CI logs are read by machines too: the text and markdown formats show control
characters escaped, so one finding is always one line, and never let a line start a
GitHub Actions workflow command (JSON and GitHub annotations escape by their own rules).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from kb.diagnostics import Diagnostic, Severity

# C0 (newline, tab and CR included), DEL, C1, line/paragraph separators, and the Unicode
# bidi controls that can make a line read differently from what it holds.
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def escape_line(text: str) -> str:
    """`text` safe to print as (part of) one line of a log.

    Control and bidi characters are shown escaped (`\\n`, `\\x1b`, `\\u202e`); a `::` that
    would start the line (GitHub Actions reads it as a workflow command, after any leading
    spaces) becomes `\\x3a:`; and `##[`, which the Actions runner also reads as a (legacy)
    command anywhere in a line, becomes `#\\x23[`.
    """
    text = _CONTROL.sub(_escape_char, text)
    if "##[" in text:
        text = text.replace("##[", "#\\x23[")
    start = len(text) - len(text.lstrip())
    if text.startswith("::", start):
        text = text[:start] + "\\x3a" + text[start + 1 :]
    return text


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def format_text(diagnostics: Sequence[Diagnostic]) -> str:
    """`file:line:col: CODE message`, a hint line when there is one, and a summary."""
    lines = []
    for d in diagnostics:
        level = "" if d.severity == Severity.ERROR else f"({d.severity.label}) "
        lines.append(escape_line(f"{d.location()}: {d.code} {level}{d.message}"))
        if d.hint:
            lines.append(escape_line(f"    hint: {d.hint}"))
    lines.append(escape_line(summary(diagnostics)))
    return "\n".join(lines) + "\n"


_LEVEL_ZH = {Severity.WARNING: "（警告）", Severity.INFO: "（提示）"}


def format_text_zh(diagnostics: Sequence[Diagnostic]) -> str:
    """The text report in Chinese (`--lang zh`): what each code means and how to fix it, in
    Chinese, with the finding's own details (paths, URLs, names) as kb found them."""
    from kb.diagnostics import CODES  # noqa: PLC0415

    lines = []
    for d in diagnostics:
        info = CODES.get(d.code)
        level = _LEVEL_ZH.get(d.severity, "")
        meaning = info.doc_zh if info is not None else d.message
        lines.append(escape_line(f"{d.location()}: {d.code} {level}{meaning}"))
        lines.append(escape_line(f"    详情：{d.message}"))
        if info is not None and info.fix_zh:
            lines.append(escape_line(f"    修改：{info.fix_zh}"))
        if d.hint:
            lines.append(escape_line(f"    提示：{d.hint}"))
    lines.append(escape_line(summary_zh(diagnostics)))
    return "\n".join(lines) + "\n"


def summary_zh(diagnostics: Sequence[Diagnostic]) -> str:
    if not diagnostics:
        return "没有发现问题"
    counts = _counts(diagnostics)
    return f"{counts['errors']} 个错误，{counts['warnings']} 个警告，涉及 {counts['files']} 个文件"


def format_json(diagnostics: Sequence[Diagnostic]) -> str:
    payload = {
        "version": 1,
        "diagnostics": [
            {
                "file": d.file,
                "line": d.line,
                "column": d.column,
                "code": d.code,
                "name": d.name,
                "severity": d.severity.label,
                "message": d.message,
                "hint": d.hint,
            }
            for d in diagnostics
        ],
        "summary": _counts(diagnostics),
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def parse_json(text: str, source: str) -> list[Diagnostic]:
    """Diagnostics of a `--format json` report (to merge the reports of several shards)."""
    try:
        data = json.loads(text)
        return [
            Diagnostic(
                str(d["file"]),
                int(d["line"]),
                int(d["column"]),
                str(d["code"]),
                str(d["message"]),
                Severity[str(d["severity"]).upper()],
                str(d.get("hint") or ""),
            )
            for d in data["diagnostics"]
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{source}: not a kb JSON report ({exc})") from None


def format_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands: one annotation per diagnostic."""
    lines = []
    for d in diagnostics:
        command = {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(d.severity, "notice")
        props = [f"file={_prop(d.file)}"]
        if d.line:
            props.append(f"line={d.line}")
        if d.column:
            props.append(f"col={d.column}")
        props.append(f"title={_prop(f'{d.code} {d.name}'.strip())}")
        message = f"{d.message} ({d.hint})" if d.hint else d.message
        lines.append(f"::{command} {','.join(props)}::{_data(message)}")
    lines.append(summary(diagnostics))
    return "\n".join(lines) + "\n"


def format_markdown(diagnostics: Sequence[Diagnostic]) -> str:
    """A report for `$GITHUB_STEP_SUMMARY`: one section per code, errors first, with counts."""
    if not diagnostics:
        return "### kb: no problems found\n"
    by_code: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        by_code.setdefault(d.code, []).append(d)
    order = sorted(by_code, key=lambda code: (-max(d.severity for d in by_code[code]), code))
    lines = [
        f"### kb: {_md_cell(summary(diagnostics))}",
        "",
        "| | Code | Count |",
        "| --- | --- | --- |",
    ]
    for code in order:
        found = by_code[code]
        name = found[0].name
        icon = _ICONS.get(max(d.severity for d in found), "")
        lines.append(f"| {icon} | {_md_code(code)} {name} | {len(found)} |")
    for code in order:
        found = by_code[code]
        lines += ["", f"#### {_md_code(code)} {found[0].name} ({len(found)})", ""]
        lines += ["| Where | Problem | Fix |", "| --- | --- | --- |"]
        lines += [
            f"| {_md_code(d.location())} | {_md_cell(d.message)} | {_md_cell(d.hint)} |"
            for d in sorted(found)
        ]
    return "\n".join(lines) + "\n"


_ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


_MD_SPECIAL = re.compile(r"[\\|`*_\[\]]")
_MD_HTML = re.compile(r"[&<>]")
_BACKTICKS = re.compile(r"`+")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _md_cell(text: str) -> str:
    """Plain text in a table cell: no HTML, links, emphasis or code can start in it."""
    text = _MD_SPECIAL.sub(lambda m: "\\" + m.group(), text)
    text = _MD_HTML.sub(lambda m: _MD_ENTITIES[m.group()], text)
    return escape_line(text)


def _md_code(text: str) -> str:
    """`text` as a code span in a table cell, whatever backticks it holds."""
    text = escape_line(text).replace("|", "\\|")
    fence = "`" * (max(map(len, _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    counts = _counts(diagnostics)
    if not diagnostics:
        return "no problems found"
    return (
        f"{counts['errors']} error(s), {counts['warnings']} warning(s) in {counts['files']} file(s)"
    )


def _counts(diagnostics: Sequence[Diagnostic]) -> dict[str, int]:
    return {
        "errors": sum(d.severity == Severity.ERROR for d in diagnostics),
        "warnings": sum(d.severity == Severity.WARNING for d in diagnostics),
        "infos": sum(d.severity == Severity.INFO for d in diagnostics),
        "files": len({d.file for d in diagnostics}),
    }


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


FORMATTERS: dict[str, Callable[[Sequence[Diagnostic]], str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
    "markdown": format_markdown,
}
