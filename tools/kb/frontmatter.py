"""Split a page into YAML front matter and markdown body."""

from __future__ import annotations

from dataclasses import dataclass

from kb.diagnostics import Diagnostic, make
from kb.yamlio import YamlDoc, parse_yaml


@dataclass(frozen=True)
class FrontMatter:
    doc: YamlDoc | None
    """None when the page has no (or broken) front matter."""
    body: str
    body_line: int
    """File line of the body's first line."""
    present: bool


def normalize_text(raw: bytes) -> str:
    """Decode UTF-8 (BOM allowed) and turn CRLF/CR into LF; raises UnicodeDecodeError."""
    text = raw.decode("utf-8-sig")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split_front_matter(text: str, file: str) -> tuple[FrontMatter, list[Diagnostic]]:
    """Parse the leading `---` block, if any."""
    if not (text.startswith("---\n") or text.rstrip(" \t") == "---" or text.startswith("--- ")):
        return FrontMatter(None, text, 1, False), []
    first_newline = text.find("\n")
    if text[:first_newline].strip() != "---":
        return FrontMatter(None, text, 1, False), []
    end, body_start = _find_closing(text, first_newline + 1)
    if end < 0:
        return FrontMatter(None, text, 1, True), [
            make(
                "FM102",
                file,
                1,
                "front matter opened with '---' is never closed",
                hint="add a line with '---' after the last field",
            )
        ]
    yaml_text = text[first_newline + 1 : end]
    body_line = text.count("\n", 0, body_start) + 1
    doc, diagnostics = parse_yaml(yaml_text, file, first_line=2)
    return FrontMatter(doc, text[body_start:], body_line, True), diagnostics


def _find_closing(text: str, start: int) -> tuple[int, int]:
    """Offset of the closing fence line and of the line after it, or (-1, -1)."""
    pos = start
    while pos <= len(text):
        newline = text.find("\n", pos)
        line_end = len(text) if newline < 0 else newline
        if text[pos:line_end].rstrip(" \t") in ("---", "..."):
            return pos, (line_end + 1 if newline >= 0 else line_end)
        if newline < 0:
            return -1, -1
        pos = newline + 1
    return -1, -1
