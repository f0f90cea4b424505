"""A fast, line-aware scan of the markdown that docsify renders.

It is not a full CommonMark parser: it finds exactly what the checks need (headings with
their docsify ids, links, images, raw HTML tags, math delimiters) and skips what marked
would not treat as markdown (fenced and indented code, HTML blocks, inline code, HTML
comments, and formulas, which docsify-latex takes out before marked runs). Everything works
on whole-text regular expressions over a *masked* copy of the body in which skipped regions
are blanked out with spaces, so offsets and line numbers stay true.

marked, run as docsify runs it, is the oracle: tests/test_oracle.py compares this scan with
it over every page of the site, the fixture sites and pages of real docsify sites.

Pages come from strangers, so every pass is linear in the size of the body: patterns use
possessive quantifiers where backtracking cannot change the result, and constructs that a
regular expression would rescan from every candidate start (code spans, comments, raw
tags, paragraph ends) are found through indexes built once per page.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Callable
from typing import NamedTuple

from kb.diagnostics import Diagnostic, make
from kb.slugify import JS_WHITESPACE, Slugger


class Heading(NamedTuple):
    line: int
    level: int
    text: str
    slug: str


class Link(NamedTuple):
    line: int
    column: int
    target: str
    kind: str
    """link | image | definition | autolink | html:<tag>:<attr>"""


class Tag(NamedTuple):
    line: int
    column: int
    name: str
    attrs: tuple[tuple[str, str], ...]


class Scan(NamedTuple):
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    tags: tuple[Tag, ...]
    ref_uses: tuple[tuple[str, int, int], ...]
    ref_defs: frozenset[str]
    issues: tuple[Diagnostic, ...]
    """Markdown problems, placed by line and column; the file is '' (`check_page` sets it)."""


# Line-start patterns begin with a literal "\n" (matched against "\n" + text) rather than a
# multiline "^": the regex engine then jumps from newline to newline instead of trying
# every position, which is most of a cold build's time.
# A fence line, in block quotes (`> ```…`) or list items (indented as the item's content).
_FENCE = re.compile(r"\n((?:[ \t]*+>)*+)([ \t]*+)(`{3,}|~{3,})([^\n]*)")
_QUOTE_END = re.compile(r"\n(?![ \t]*>)")
# A line's block-quote markers and list marker, and lines that end a paragraph there: an
# ATX heading, a fence or a thematic break (and a setext underline, below a paragraph).
_EQUALS_LINE = re.compile(r" {0,3}=+[ \t]*$")
_CONTAINERS = re.compile(r"(?:[ \t]*+>[ \t]?|[ \t]*+(?:[-*+]|\d{1,9}[.)])(?:[ \t]++|$))*+")
_ENDS_PARAGRAPH = re.compile(
    r" {0,3}(?:#{1,6}(?:[^\S\n]|$)|`{3,}|~{3,}"
    r"|(?:(?:-[ \t]*){3,}|(?:_[ \t]*){3,}|(?:\*[ \t]*){3,})$)"
)
# Where list structure can change (the first line after blank lines, a list item) and
# fences indented four columns or more (code in a list item, or text).
_BLOCK_EVENT = re.compile(
    r"\n(?:(?P<blank>(?:[ \t]*+\n)++)(?P<indent>[ \t]*+)"
    r"|(?P<item>[ \t]*+)(?=(?:[-*+]|\d{1,9}[.)])(?:[ \t]|\n|\Z))"
    r"|(?P<fence>(?: {4}|\t)[ \t]*+)(?=`{3,}|~{3,}))"
)
_CODE_RUN = re.compile(r"[^\n]*+(?:\n(?: {4}|\t)[^\n]*+)*+")
_ITEM_FENCE = re.compile(r"[ \t]*+(`{3,}|~{3,})([^\n]*+)")
_FENCE_CLOSE = re.compile(r"\n[ \t]*+(`{3,}|~{3,})[ \t]*+(?=\n|\Z)")
_LIST_MARKER = re.compile(r"([ \t]*+)(?:[-*+]|\d{1,9}[.)])(?=[ \t\n]|\Z)([ \t]*+)(?=(.?))")
# marked: up to three spaces, one to six `#`, then whitespace (JavaScript's \s, so U+3000
# too) or the end of the line. Headings also open list items and block quotes (`- ## a`).
_ATX_LINE = re.compile(
    r"\n(?:[ \t]*+(?:>[ \t]?|(?:[-*+]|(\d{1,9}[.)]))[ \t]++))*+ {0,3}(#{1,6})"
    r"(?:[^\S\n]([^\n]*))?(?=\n|\Z)"
)
_UNDERLINE = re.compile(r"\n {0,3}(=+|-+)[ \t]*(?=\n|\Z)")
# Lines that end the paragraph above a setext underline (marked's lheading rule). After a
# list item, block quote or table row the paragraph is a lazy continuation: no heading.
_SETEXT_LAZY = re.compile(r" {0,3}(?:>|(?:[*+-]|\d{1,9}[.)]) |\|?(?:[:\- ]*\|)+[:\- ]*$)")
_SETEXT_STOP = re.compile(
    r" {0,3}(?:#{1,6}(?:[^\S\n]|$)|`{3,}|~{3,}"
    r"|(?:(?:-[ \t]*){3,}|(?:_[ \t]*){3,}|(?:\*[ \t]*){3,})$)"
)
# docsify's getAndRemoveConfig: `:key=value` after whitespace, key and value in ASCII.
_DOCSIFY_CONFIG = re.compile(r"(?:^|\s):([A-Za-z0-9_-]+:?)=?([A-Za-z0-9_%-]+)?")
_LINE_START_COMMENT = re.compile(r"^(>?[ ]*)<!--", re.M)
_LATEX_START = re.compile(r"`+|\$\$?|\\\(")
# docsify-latex tries display math first at a `$$`, then inline math.
_LATEX_DELIMITERS = {
    "$$": (("$$", "$$", False), ("$", "$", True)),
    "$": (("$", "$", True),),
    "\\(": (("\\(", "\\)", True),),
}
# Inline links as marked 18 reads them. Text: characters, escapes and brackets nested two
# deep, over lines but not across a blank line. Destination: `<…>`, or characters other
# than spaces and controls with parentheses balanced (three deep here; marked has no limit)
# up to the first unbalanced `)`. Then an optional title. Every part reads one way only,
# so possessive quantifiers give the matches backtracking would.
_NL = r"\n(?![ \t]*+\n)"  # a line break inside a paragraph
_TEXT_CHAR = rf"(?:[^\[\]\\\n]|\\[^\n]|\\?{_NL})"
_LINK_TEXT = rf"(?:{_TEXT_CHAR}|\[(?:{_TEXT_CHAR}|\[{_TEXT_CHAR}*+\])*+\])*+"
_DEST_CHAR = r"(?:[^ \t\n\x00-\x1f()\\]|\\[^ \t\n\x00-\x1f])"
_DEST_PARENS = rf"\({_DEST_CHAR}*+\)"
for _ in range(2):
    _DEST_PARENS = rf"\((?:{_DEST_CHAR}|{_DEST_PARENS})*+\)"
_TITLE = (
    rf"\"(?:\\[^\n]|[^\"\\\n]|\\?{_NL})*+\"|'(?:\\[^\n]|[^'\\\n]|\\?{_NL})*+'"
    rf"|\((?:\\[^\n]|[^)\\\n]|\\?{_NL})*+\)"
)
_SPACE = rf"(?:[ \t]|{_NL})"
_INLINE_LINK = re.compile(  # starts with a literal '[' so the regex engine can skip ahead
    rf"\[({_LINK_TEXT})\]\({_SPACE}*+"
    rf"(<(?:\\[^\n]|[^\n<>\\])*+>|(?:{_DEST_CHAR}|{_DEST_PARENS})*+)"
    rf"(?:(?:[ \t]++(?:\n[ \t]*+)?+|\n[ \t]*+)({_TITLE}))?{_SPACE}*+\)"
)
# Reference definitions (marked's `def`): label, destination on this line or the next, an
# optional title, nothing else on the line. They cannot interrupt a paragraph.
_REF_DEF = re.compile(
    r"^ {0,3}\[(?![ \t]*+\])((?:[^\[\]\\\n]|\\.)++)\]: *+(?:\n[ \t]*+)?"
    r"(<(?:\\.|[^\n<>\\])*+>|[^<\s]\S*+)"
    r"(?: ++(?:\"(?:\\.|[^\"\\\n])*+\"|'(?:\\.|[^'\\\n])*+'|\((?:\\.|[^)\\\n])*+\)))? *+$",
    re.M,
)
_REF_USE = re.compile(
    r"(?<![\]\\])\[((?:[^\[\]\\\n]|\\.)*+)\]\[((?:[^\[\]\\\n]|\\.)*+)\](?<!\[\]\[\])"
)
_REF_LINK = re.compile(rf"\[({_LINK_TEXT})\]\[((?:[^\[\]\\\n]|\\.)*+)\]")
_SHORTCUT_REF = re.compile(r"\[((?:[^\[\]\\\n]|\\.)++)\](?:\[\])?")
_AUTOLINK = re.compile(
    r"<(?:([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*+)"
    r"|([a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]++@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)++(?<![-_])))>"
)
# A raw tag outside HTML blocks (where marked passes tags one by one): attribute names may
# hold any character but space, quotes, '>', '/' and '=' (more than marked accepts). Each
# attribute reads one way only, so possessive quantifiers give the matches backtracking would.
_TAG_NAME = re.compile(r"<([a-zA-Z][a-zA-Z0-9:-]*+)")
_TAG_ATTR_STEP = re.compile(
    r"\s++[^\s\"'>/=]++(?:\s*+=\s*+(?:\"[^\"]*+\"|'[^']*+'|[^\s\"'=<>`]++))?"
)
_TAG_CLOSE = re.compile(r"\s*+/?>")
_TAG = re.compile(
    r"<(?P<name>[a-zA-Z][a-zA-Z0-9:-]*+)(?P<attrs>(?:\s++[^\s\"'>/=]++"
    r"(?:\s*+=\s*+(?:\"[^\"]*+\"|'[^']*+'|[^\s\"'=<>`]++))?)*+)\s*+/?>"
)
# HTML blocks, as marked starts them (CommonMark's seven kinds), also at the start of a list
# item. docsify-latex prefixes every line that starts with `<!--` with text before marked
# runs, so a comment starts an HTML block only after a list marker.
_HTML_BLOCK_TAGS = (
    "address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|"
    "details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|"
    "h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|meta|nav|noframes|"
    "ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|"
    "tr|track|ul"
)
_LIST_PREFIX = r"[ \t]*+(?:[-*+]|\d{1,9}[.)])[ \t]++"
_HTML_BLOCK_START = re.compile(rf"\n(?:({_LIST_PREFIX})<| {{0,3}}<(?!!--))")
_ITEM_PREFIX = re.compile(_LIST_PREFIX)
_HTML_BLOCK = re.compile(
    r" {0,3}(?:<(?P<raw>script|pre|style|textarea)(?:[ \t>]|$)"
    r"|(?P<comment><!--)|(?P<pi><\?)|(?P<cdata><!\[CDATA\[)|(?P<decl><![A-Za-z])"
    rf"|(?P<block></?(?:{_HTML_BLOCK_TAGS})(?:[ \t]|/?>|$))"
    r"|(?P<tag>(?:<(?!(?:script|pre|style|textarea)(?![a-z0-9-]))[a-z][a-z0-9-]*+"
    r"(?:[ \t]++[a-z:_][\w.:-]*+(?:[ \t]*+=[ \t]*+(?:\"[^\"\n]*+\"|'[^'\n]*+'"
    r"|[^\s\"'=<>`]++))?+)*+[ \t]*+/?>|</[a-z][a-z0-9-]*+[ \t]*+>)[ \t]*+$))",
    re.I | re.M,
)
_HTML_BLOCK_END = {
    "raw": re.compile(r"</(?:script|pre|style|textarea)>", re.I),
    "comment": re.compile(r"-->"),
    "pi": re.compile(r"\?>"),
    "cdata": re.compile(r"\]\]>"),
    "decl": re.compile(r">"),
}
_BACKTICKS = re.compile(r"`+")
_ESCAPE = re.compile(r"\\.", re.S)
_NEWLINE = re.compile(r"\n")
_ATTR = re.compile(r"([^\s\"'>/=]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?")
# Tags inside HTML blocks, read as the browser's tokenizer reads them: names and attribute
# names up to a space, '/' or '>' (and '='), unquoted values up to a space or '>', quotes
# and all; stray '/' between attributes ignored.
_BLOCK_ATTR_PATTERN = r"[^\s/>][^\s/>=]*+(?:\s*+=\s*+(?:\"[^\"]*+\"|'[^']*+'|[^\s>]++)?)?"
_BLOCK_TAG_NAME = re.compile(r"<[a-zA-Z][^\s/>]*+")
_BLOCK_ATTR_STEP = re.compile(rf"[\s/]*+{_BLOCK_ATTR_PATTERN}")
_BLOCK_TAG_CLOSE = re.compile(r"[\s/]*+>")
_BLOCK_TAG = re.compile(
    rf"<(?P<name>[a-zA-Z][^\s/>]*+)(?P<attrs>(?:[\s/]*+{_BLOCK_ATTR_PATTERN})*+)[\s/]*+>"
)
_BLOCK_ATTR = re.compile(r"([^\s/>][^\s/>=]*+)(?:\s*+=\s*+(\"[^\"]*+\"|'[^']*+'|[^\s>]++)?)?")
_RAW_TEXT = re.compile(r"script|style|textarea|title|xmp|iframe|noembed|noframes|plaintext")
_MATH_TOKEN = re.compile(r"\\\$|\$\$|\$")
_BLANK_LINE = re.compile(r"\n[ \t]*+\n")
_RAW_START = re.compile(r"[<`]")
_LINK_START = re.compile(r"\[")
_LINK_ATTRS = {"href", "src", "action", "formaction", "poster", "data", "xlink:href", "srcset"}

Where = Callable[[int], tuple[int, int]]
"""Offset in the body → (file line, 1-based column)."""


def _locator(body: str, body_line: int) -> Where:
    """`where(offset)` in O(log lines): line starts are indexed on the first lookup."""
    starts: list[int] = []

    def where(offset: int) -> tuple[int, int]:
        if not starts:
            starts.append(0)
            starts.extend(m.end() for m in _NEWLINE.finditer(body))
        index = bisect_right(starts, offset) - 1
        return body_line + index, offset - starts[index] + 1

    return where


class _ParagraphEnds:
    """The next blank line at or after an offset: where a paragraph (and any span) ends.

    Asked with rising offsets, each stretch of text is searched once: an answer stays valid
    until an offset passes it.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._asked = len(text) + 1
        self._found = 0

    def at_or_after(self, offset: int) -> int:
        """Offset of the line break that starts the next blank line, or the text's length."""
        if offset > self._found or offset < self._asked:
            blank = _BLANK_LINE.search(self.text, offset)
            self._found = blank.start() if blank else len(self.text)
        self._asked = offset
        return self._found


def scan_markdown(body: str, body_line: int = 1) -> Scan:
    """Scan a page body; `body_line` is the file line of its first line."""
    issues: list[Diagnostic] = []
    where = _locator(body, body_line)
    code_masked = _mask_blocks(body, where, issues)
    html_blocks = _html_blocks(code_masked)
    masked, tag_matches = _mask_inline(code_masked, comments=True, tags=True)
    tags = _all_tags(code_masked, tag_matches, html_blocks, where)
    masked, math = _mask_math(masked, where, issues)
    masked = _apply_masks(masked, html_blocks + _item_formulas(code_masked, math))
    blocks = _apply_masks(code_masked, html_blocks)
    # Block structure comes before inline markup: a code span or comment does not hide a
    # heading on a later line; code blocks, HTML blocks and (after docsify-latex) formulas do.
    headings = _headings(body, blocks, math, where)
    definitions = _definitions(masked, blocks)
    ref_defs = frozenset(_norm_label(m.group(1)) for m in definitions)
    links = _links(masked, where, _inline_links(masked, ref_defs), definitions)
    links.extend(_tag_links(tags))
    ref_uses: tuple[tuple[str, int, int], ...] = ()
    if "][" in masked:
        ref_uses = tuple(
            (_norm_label(m.group(2) or m.group(1)), *where(m.start()))
            for m in _REF_USE.finditer(masked)
        )
    links.sort()
    return Scan(tuple(headings), tuple(links), tuple(tags), ref_uses, ref_defs, tuple(issues))


def _blank(segment: str) -> str:
    """Spaces of the same length, newlines kept."""
    if "\n" not in segment:
        return " " * len(segment)
    return "\n".join(" " * len(part) for part in segment.split("\n"))


def _apply_masks(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for start, end in sorted(spans):
        if start < last:
            start = last
        if end <= start:
            continue
        out.append(text[last:start])
        out.append(_blank(text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)


def mask_code(body: str) -> str:
    """`body` with code (fenced, indented, inline) blanked out; HTML comments are kept."""
    masked = _mask_blocks(body, lambda offset: (0, 0), [])
    return _mask_inline(masked, comments=False, tags=False)[0]


def _mask_blocks(body: str, where: Where, issues: list[Diagnostic]) -> str:
    """Blank out fenced and indented code blocks."""
    text = _apply_masks(body, _fence_spans(body, where, issues))
    if "\n    " in text or "\n\t" in text or text.startswith(("    ", "\t")):
        text = _apply_masks(text, _indented_blocks(text))
    return text


def _indented_blocks(text: str) -> list[tuple[int, int]]:
    """Indented code (runs of lines, after a blank line, indented four columns past the
    content of the list item they sit in, or past the margin outside lists) and fenced code
    in list items whose content starts four columns or more in.

    One pass over the lines where list structure can change (list items, lines after blank
    lines) keeps the content columns of the open items; lines inside a paragraph are lazy
    continuations and change nothing.
    """
    spans: list[tuple[int, int]] = []
    items: list[int] = []  # content columns of the open list items, innermost last
    skip = -1
    unclosed: dict[str, int] = {}  # fence character → shortest fence found unclosed
    for event in _BLOCK_EVENT.finditer("\n\n" + text):  # offsets: +2
        space = next(g for g in event.group("indent", "item", "fence") if g is not None)
        line = event.end() - 2 - len(space)
        if line < skip or event.end() - 2 == len(text):
            continue
        indent = _columns(space)
        after_blank = event.group("blank") is not None
        if after_blank or event.group("item") is not None:
            while items and items[-1] > indent:
                items.pop()  # shallower content after a blank line, or a shallower item
        base = items[-1] if items else 0
        if after_blank and indent >= base + 4:
            run = _CODE_RUN.match(text, line)
            skip = run.end() if run else line + 1
            spans.append((line, skip))
            continue
        fence = _ITEM_FENCE.match(text, line) if items and indent < base + 4 else None
        if fence is not None and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
            end = _fence_close(text, fence.end(), fence.group(1), unclosed)
            if end >= 0:
                spans.append((line, end))
                skip = end
                continue
        if event.group("item") is not None or _LIST_MARKER.match(text, line):
            line_end = text.find("\n", line)
            items.append(_content_column(text[line : len(text) if line_end < 0 else line_end]))
    return spans


def _fence_close(text: str, pos: int, fence: str, unclosed: dict[str, int]) -> int:
    """End of the line that closes `fence` after `pos`, or -1. A fence left unclosed
    leaves every later one of its kind, as long or longer, unclosed too: not searched."""
    if len(fence) >= unclosed.get(fence[0], len(fence) + 1):
        return -1
    for close in _FENCE_CLOSE.finditer(text, pos):
        found = close.group(1)
        if found[0] == fence[0] and len(found) >= len(fence):
            return close.end()
    unclosed[fence[0]] = min(len(fence), unclosed.get(fence[0], len(fence)))
    return -1


def _content_column(line: str) -> int:
    """Where the content of the block that `line` (a non-blank line) belongs to starts: a
    list item's content column, else the line's indent."""
    marker = _LIST_MARKER.match(line)
    indent = _columns(line)
    if marker is None:
        return indent
    marker_end = indent + marker.start(2) - marker.end(1)
    spaces = _columns(marker.group(2), marker_end)
    return marker_end + (spaces if 0 < spaces <= 4 and marker.group(3) else 1)


def _paragraph_head(text: str, line_start: int, line_end: int) -> str:
    """The line that sets the indentation of the paragraph ending with the given line: the
    nearest list item above it in the paragraph, or the paragraph's first line (the lines
    after it may be lazy continuations, indented as they like)."""
    while True:
        line = text[line_start:line_end]
        if line_start == 0 or _LIST_MARKER.match(line):
            return line
        above = text.rfind("\n", 0, line_start - 1) + 1
        if not text[above : line_start - 1].strip(" \t"):
            return line
        line_start, line_end = above, line_start - 1


def _line_before(text: str, start: int) -> tuple[int, int]:
    """Start and end of the last non-blank line before the line at `start` ((0, 0): none)."""
    end = start - 1
    while end > 0:
        line_start = text.rfind("\n", 0, end) + 1
        if text[line_start:end].strip(" \t"):
            return line_start, end
        end = line_start - 1
    return 0, 0


def _columns(text: str, start: int = 0) -> int:
    """Width of the leading spaces and tabs of `text` from column `start` (tabs stop at
    multiples of four)."""
    column = start
    for char in text:
        if char == " ":
            column += 1
        elif char == "\t":
            column += 4 - column % 4
        else:
            break
    return column - start


def _html_blocks(text: str) -> list[tuple[int, int]]:
    """Spans of HTML blocks: raw HTML to marked, so no markdown is read inside them.

    A block of the last kind (a lone tag on its line) may not interrupt a paragraph. Each
    block is searched for its end once, and starts inside a block are skipped: linear.
    """
    if "<" not in text:
        return []
    spans: list[tuple[int, int]] = []
    end = 0
    for start in _HTML_BLOCK_START.finditer("\n" + text):  # offsets: +1 (see _FENCE)
        pos = start.start()
        if pos < end:
            continue
        in_item = start.group(1) is not None
        if in_item:
            pos = start.end() - 2  # the block is the item's content
        match = _HTML_BLOCK.match(text, pos)
        if match is None or (
            match.lastgroup == "tag" and not in_item and _continues_paragraph(text, pos)
        ):
            continue
        kind = match.lastgroup or ""
        if kind in _HTML_BLOCK_END:
            close = _HTML_BLOCK_END[kind].search(text, pos)
            line_end = text.find("\n", close.end()) if close else -1
            end = len(text) if line_end < 0 else line_end
        else:
            blank = _BLANK_LINE.search(text, pos)
            end = blank.start() if blank else len(text)
        spans.append((pos, end))
    return spans


def _item_formulas(text: str, math: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Formulas that start a list item's content, to the end of their line.

    docsify-latex turns each formula into a comment, which there starts an HTML block: the
    rest of the line is raw HTML, not markdown (`- $x$ [a](b.md)` has no link). Only the
    first formula on a line can start it, so each line is read back once.
    """
    spans: list[tuple[int, int]] = []
    previous_end = -1
    for start, end in math:
        same_line = previous_end >= 0 and text.find("\n", previous_end, start) < 0
        previous_end = end
        if same_line:
            continue
        line_start = text.rfind("\n", 0, start) + 1
        if _ITEM_PREFIX.fullmatch(text, line_start, start):
            line_end = text.find("\n", end)
            spans.append((start, len(text) if line_end < 0 else line_end))
    return spans


def _continues_paragraph(text: str, line_start: int) -> bool:
    """Whether the line before `line_start` is paragraph text that this line would continue."""
    if line_start == 0:
        return False
    previous = text[text.rfind("\n", 0, line_start - 1) + 1 : line_start - 1]
    content = previous[_CONTAINERS.match(previous).end() :]  # type: ignore[union-attr]
    if not content.strip() or _ENDS_PARAGRAPH.match(content):
        return False
    if _EQUALS_LINE.match(content):  # an underline if there is text above it
        above_start = line_start - len(previous) - 1
        above = text[text.rfind("\n", 0, max(above_start - 1, 0)) + 1 : max(above_start - 1, 0)]
        return not (above.strip() and not _ENDS_PARAGRAPH.match(above))
    return True


def _mask_inline(text: str, *, comments: bool, tags: bool) -> tuple[str, list[re.Match[str]]]:
    """Blank out code spans (and comments, tags); the leftmost construct wins, as in marked.

    A backtick inside an attribute value does not start code, and `<!--` inside a code
    span does not start a comment: one left-to-right pass over all three decides.
    """
    if "`" not in text and "<" not in text:
        return text, []
    raw = _RawIndex(text)
    spans: list[tuple[int, int]] = []
    found_tags: list[re.Match[str]] = []
    end = 0
    for start in _RAW_START.finditer(text):
        # Try a construct only where it can start: far fewer attempts than a scan.
        pos = start.start()
        if pos < end:
            continue
        if text[pos] == "`":
            close = raw.code_span_end(pos)
            if close >= 0:
                spans.append((pos, close))
                end = close
            continue
        close = raw.comment_end(pos)
        if close >= 0:
            if comments:
                spans.append((pos, close))
            end = close
            continue
        match = raw.tag(pos)
        if match is not None:
            found_tags.append(match)
            if tags:
                spans.append(match.span())
            end = match.end()
    return _apply_masks(text, spans), found_tags


class _RawIndex:
    """Where code spans, comments and raw tags end, without rescanning the text per start.

    A regular expression would read from every unmatched backtick run to the end of its
    paragraph, from every `<!--` to the end of the page, and from every `<a` through every
    later `<a` that reads as an attribute name: quadratic on hostile pages. Backtick runs
    and blank lines are indexed once; the next `-->` is remembered; and the end of a tag's
    attribute list depends only on where it resumes, so that is memoised.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._runs: dict[int, int] | None = None
        self._runs_by_length: dict[int, list[int]] = {}
        self._paragraph_ends = _ParagraphEnds(text)
        self._comment_close = -2
        """Offset of the first `-->` after the last comment start looked at; -1: none at all,
        -2: not looked for yet. Starts are looked at in rising order."""
        self._tag_ends: dict[int, int] = {}

    def code_span_end(self, pos: int) -> int:
        """End of the code span opened by the backtick run at `pos`, or -1.

        The closing run has exactly the same length and comes before the next blank line.
        """
        if self._runs is None:
            self._index_runs()
        assert self._runs is not None
        length = self._runs.get(pos)
        if length is None:
            return -1  # inside a longer run
        starts = self._runs_by_length[length]
        index = bisect_right(starts, pos)
        if index == len(starts):
            return -1
        close = starts[index]
        if close > self._paragraph_ends.at_or_after(pos + length):
            return -1
        return close + length

    def _index_runs(self) -> None:
        self._runs = {}
        for match in _BACKTICKS.finditer(self.text):
            start, length = match.start(), match.end() - match.start()
            self._runs[start] = length
            self._runs_by_length.setdefault(length, []).append(start)

    def comment_end(self, pos: int) -> int:
        """End of the HTML comment starting at `pos`, or -1."""
        if not self.text.startswith("<!--", pos):
            return -1
        if self._comment_close != -1 and self._comment_close < pos + 4:
            self._comment_close = self.text.find("-->", pos + 4)
        return self._comment_close + 3 if self._comment_close >= 0 else -1

    def tag(self, pos: int) -> re.Match[str] | None:
        """The raw tag starting at `pos`, unless it is a link's `<destination>`."""
        text = self.text
        if text.endswith(("](", "]:"), 0, pos) or text.endswith("]: ", 0, pos):
            return None
        name = _TAG_NAME.match(text, pos)
        if name is None or self._attributes_end(name.end()) < 0:
            return None
        return _TAG.match(text, pos)

    def _attributes_end(self, resume: int) -> int:
        """End of the tag whose attribute list resumes at `resume`, or -1."""
        text, memo = self.text, self._tag_ends
        visited: list[int] = []
        while resume not in memo:
            visited.append(resume)
            step = _TAG_ATTR_STEP.match(text, resume)
            if step is None:
                close = _TAG_CLOSE.match(text, resume)
                memo[resume] = close.end() if close else -1
                break
            resume = step.end()
        result = memo[resume]
        for offset in visited:
            memo[offset] = result
        return result


def _fence_spans(body: str, where: Where, issues: list[Diagnostic]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    opener: tuple[re.Match[str], int, int, int] | None = None  # match, quotes, indent, end
    quote_end = -1
    for match in _FENCE.finditer("\n" + body):  # offsets: +1 (see _FENCE)
        quotes = match.group(1).count(">")
        indent = _columns(match.group(2))
        fence, info = match.group(3), match.group(4)
        if opener is not None and match.start() > opener[3]:
            spans.append((opener[0].start(), opener[3]))  # the block quote ended: so did the code
            opener = None
        if opener is not None:
            first = opener[0].group(3)
            if (
                quotes == opener[1]
                and fence[0] == first[0]
                and len(fence) >= len(first)
                and indent <= (4 if quotes else 3)
                and not info.strip()
            ):
                spans.append((opener[0].start(), match.end() - 1))
                opener = None
            continue
        if fence[0] == "`" and "`" in info:
            continue  # an info string may not contain backticks: this is inline code
        if quotes:
            if indent > 4:  # one space after `>`, then up to three
                continue
            if quote_end < match.end():  # the block quote's end, found once per quote
                found = _QUOTE_END.search(body, match.end() - 1)
                quote_end = found.start() if found else len(body)
            opener = (match, quotes, indent, quote_end)
        elif indent <= 3:  # deeper fences open code in list items only: _indented_blocks
            opener = (match, 0, indent, len(body) + 1)
    if opener is not None and opener[3] <= len(body):
        spans.append((opener[0].start(), opener[3]))
    elif opener is not None:
        line, column = where(opener[0].start())
        issues.append(
            make(
                "MD503",
                "",
                line,
                f"code fence '{opener[0].group(3)}' is never closed",
                column=column,
                hint="close it with the same fence on its own line",
            )
        )
        spans.append((opener[0].start(), len(body)))
    return spans


def _mask_math(
    text: str, where: Where, issues: list[Diagnostic]
) -> tuple[str, list[tuple[int, int]]]:
    """Check `$`/`$$` pairing paragraph by paragraph; blank out math so it is not scanned."""
    if "$" not in text:
        return text, []
    spans: list[tuple[int, int]] = []
    paragraph_ends = _ParagraphEnds(text)
    inline_at = display_at = -1
    paragraph_end = -1  # where the paragraph holding an open delimiter ends
    for match in _MATH_TOKEN.finditer(text):
        token = match.group()
        if (inline_at >= 0 or display_at >= 0) and match.start() > paragraph_end:
            inline_at, display_at = _close_paragraph(inline_at, display_at, where, issues)
        if inline_at < 0 and display_at < 0:
            paragraph_end = paragraph_ends.at_or_after(match.end())
        if token == "\\$":
            continue
        if token == "$$":
            if inline_at >= 0:
                continue  # `$$` inside inline math: let KaTeX report it
            if display_at < 0:
                display_at = match.start()
            else:
                spans.append((display_at, match.end()))
                display_at = -1
        elif token == "$":
            if display_at >= 0:
                continue
            if inline_at < 0:
                inline_at = match.start()
            else:
                spans.append((inline_at, match.end()))
                inline_at = -1
    _close_paragraph(inline_at, display_at, where, issues)
    return _apply_masks(text, spans), spans


def _close_paragraph(
    inline_at: int, display_at: int, where: Where, issues: list[Diagnostic]
) -> tuple[int, int]:
    if display_at >= 0:
        line, column = where(display_at)
        issues.append(
            make(
                "MD502",
                "",
                line,
                "'$$' display math is not closed in this paragraph",
                column=column,
                hint="add the closing '$$'; display math may not contain blank lines",
            )
        )
    if inline_at >= 0:
        line, column = where(inline_at)
        issues.append(
            make(
                "MD501",
                "",
                line,
                "'$' opens inline math that is never closed",
                column=column,
                hint="close the formula with '$' or write a literal dollar as '\\$'",
            )
        )
    return -1, -1


def _headings(body: str, blocks: str, math: list[tuple[int, int]], where: Where) -> list[Heading]:
    """ATX and setext headings with docsify's ids, in page order.

    `blocks` is the body with code and HTML blocks blanked out; `math` holds the formulas,
    which docsify-latex turns into comments before marked reads the page.
    """
    # Only formulas over several lines can hide a heading line or an underline.
    display = [(start, end) for start, end in math if blocks.find("\n", start, end) >= 0]
    lines = _apply_masks(blocks, display) if display else blocks
    found = _atx_headings(body, lines)
    if "\n=" in lines or "-" in lines:
        found.extend(_setext_headings(body, blocks, lines))
    found.sort()
    slugger = Slugger()
    headings = []
    for offset, level, text, source in found:
        custom = _custom_id(text)
        if custom is None:
            slug = slugger.slug(source)
        else:
            slug = slugger.slug(custom) if custom else ""  # docsify counts string ids only
        headings.append(Heading(where(offset)[0], level, text, slug))
    return headings


def _atx_headings(body: str, lines: str) -> list[tuple[int, int, str, str]]:
    found = []
    lazy = (-1, False)  # the last line judged by _continues_text, and its verdict
    for match in _ATX_LINE.finditer("\n" + lines):
        line_start = match.start()  # offsets in "\n" + lines are one past those in lines
        if match.group(1) and not match.group(1).lstrip(" \t").startswith(("1.", "1)")):
            # An ordered list that does not start at 1 cannot interrupt a paragraph.
            above = lines.rfind("\n", 0, max(line_start - 1, 0)) + 1
            verdict = lazy[1] if above == lazy[0] else _continues_text(lines, line_start)
            lazy = (line_start, verdict)
            if verdict:
                continue
        text = ""
        if match.group(3) is not None:
            start, end = match.start(3) - 1, match.end(3) - 1
            # Measured on the body: marked reads the line as written, so a heading may
            # end in code, a comment or a tag that a masked copy blanks out.
            text = _heading_text(body[start:end])
        found.append((line_start, len(match.group(2)), text, _latex_source(text)))
    return found


def _continues_text(text: str, line_start: int) -> bool:
    """Whether the line at `line_start` would continue a paragraph outside any list."""
    if not _continues_paragraph(text, line_start):
        return False
    above_start, above_end = _line_before(text, line_start)
    return _LIST_MARKER.match(_paragraph_head(text, above_start, above_end)) is None


def _heading_text(raw: str) -> str:
    """An ATX heading's text as marked takes it: trimmed, closing `#`s dropped."""
    text = raw.strip(JS_WHITESPACE)
    if text.endswith("#"):
        unclosed = text.rstrip("#")
        if not unclosed or unclosed[-1] in " \t":
            text = unclosed.strip(JS_WHITESPACE)
    return text


def _setext_headings(body: str, blocks: str, lines: str) -> list[tuple[int, int, str, str]]:
    """Paragraphs underlined with `=` or `-`, read upwards from each underline.

    A walk stops at the previous underline at the latest (a heading, a thematic break, or
    paragraph text whose verdict is remembered), so the walks cover the page once.
    """
    found = []
    previous: tuple[int, int, bool] | None = None  # underline start, paragraph top, heading?
    for match in _UNDERLINE.finditer("\n" + lines):
        underline = match.start()  # line start in `lines`
        top, heading = _paragraph_above(blocks, underline, previous)
        is_heading = heading and top < underline
        if is_heading:
            text = body[top : underline - 1].strip(JS_WHITESPACE)
            level = 1 if match.group(1)[0] == "=" else 2
            # docsify-latex turns formulas into comments, then writes text before every
            # comment that starts a line: a setext heading's id can start with it.
            source = _LINE_START_COMMENT.sub(r"\1latex:delete<!--", _latex_source(text))
            found.append((top, level, text, source))
        previous = (underline, top, is_heading or match.group(1)[0] == "-")
    return found


def _paragraph_above(
    blocks: str, underline: int, previous: tuple[int, int, bool] | None
) -> tuple[int, bool]:
    """Start of the paragraph that ends above `underline`, and whether it may be a heading."""
    top, pos = underline, underline
    while pos > 0:
        line_start = blocks.rfind("\n", 0, pos - 1) + 1
        if previous is not None and line_start == previous[0]:
            if previous[2]:  # a heading or a thematic break ends the paragraph
                break
            if previous[1] == previous[0]:  # an `=` line with no paragraph above starts one
                return line_start, not blocks.startswith("    ", line_start)
            return previous[1], False  # an `=` line in a lazy paragraph: same verdict
        line = blocks[line_start : pos - 1]
        if not line.strip(JS_WHITESPACE) or _SETEXT_STOP.match(line):
            break
        if _SETEXT_LAZY.match(line):
            return line_start, False
        top, pos = line_start, line_start
    if top < underline and blocks.startswith("    ", top):
        return top, False  # indented code, not a paragraph
    return top, True


def _custom_id(text: str) -> str | None:
    """The id docsify takes from `:id=…` in a heading: None when there is none, '' when
    docsify's config value is not a single string (`:id` alone, two ids, `:id=中文`)."""
    if ":" not in text:
        return None
    found: str | list[str] | bool | None = None
    for match in _DOCSIFY_CONFIG.finditer(text):
        key, value = match.group(1), match.group(2)
        if key != "id":
            continue
        if value is not None and found is not None:
            if isinstance(found, str) and value != found:
                found = [found, value]
            elif isinstance(found, list) and value not in found:
                found.append(value)
        else:
            found = True if value is None else value
    if found is None:
        return None
    return found if isinstance(found, str) else ""


def _latex_source(text: str) -> str:
    """Heading text as docsify-latex hands it to marked: each formula a comment (which
    docsify's slugify strips), code left alone."""
    if "$" not in text and "\\(" not in text:
        return text
    out: list[str] = []
    last = pos = 0
    failed: set[str] = set()  # openers that found no close: none later will (see below)
    code: _RawIndex | None = None
    line_end = -1
    while (match := _LATEX_START.search(text, pos)) is not None:
        start, token = match.start(), match.group()
        if start > line_end:  # inline formulas do not span lines: failures are per line
            failed.discard("$")
            failed.discard("\\(")
            line_end = text.find("\n", start)
            line_end = len(text) if line_end < 0 else line_end
        pos = match.end()
        if token[0] == "`":
            code = code or _RawIndex(text)
            pos = max(pos, code.code_span_end(start))
            continue
        if start and text[start - 1] == "\\":
            pos = start + 1
            continue
        end = -1
        for opener, close, inline in _LATEX_DELIMITERS[token]:
            if opener not in failed:
                end = _formula_end(text, start + len(opener), close, inline=inline)
                if end >= 0:
                    break
                failed.add(opener)
        if end < 0:
            pos = start + 1
            continue
        out.append(text[last:start])
        out.append("<!-- latex -->")
        last = pos = end
    out.append(text[last:])
    return "".join(out)


def _formula_end(text: str, content: int, close: str, *, inline: bool) -> int:
    """End of the formula whose content starts at `content`, or -1.

    docsify-latex's pattern: at least one character or escaped pair, then the first
    `close` found between them. A formula that finds no close leaves every later opener of
    its kind without one too, which keeps the scan linear (the caller remembers it).
    """
    pos, length = content, len(text)
    while pos < length:
        if pos > content and text.startswith(close, pos):
            return pos + len(close)
        char = text[pos]
        if char == "\\":
            if pos + 1 >= length or text[pos + 1] in "\n\r\u2028\u2029":
                return -1
            pos += 2
        elif inline and char == "\n":
            return -1
        else:
            pos += 1
    return -1


def _definitions(masked: str, blocks: str) -> list[re.Match[str]]:
    """Reference definitions marked registers: each starts a paragraph (or follows one).

    Whether the line above is paragraph text is read in `blocks` (only code and HTML
    blocks blanked): a comment or formula there is text to marked after docsify-latex.
    """
    if "]:" not in masked:
        return []
    found: list[re.Match[str]] = []
    for match in _REF_DEF.finditer(masked):
        start = match.start()
        if found and found[-1].end() + 1 == start or not _continues_paragraph(blocks, start):
            found.append(match)
    return found


def _inline_links(masked: str, ref_defs: frozenset[str] = frozenset()) -> list[re.Match[str]]:
    """`[text](target)` and `![alt](src)` matches, in order, as marked finds them.

    A `[` escaped with a backslash opens nothing; a reference to a defined label is read
    first (`[a][b](c)` is a reference and text); a link whose text holds another link is
    not one (the inner link wins); images inside link text are found too. Skipping escaped
    brackets also keeps this linear: a run of `\\[` would otherwise be read from every one
    of its brackets to the end of the line.
    """
    if "](" not in masked:
        return []
    escaped = {m.end() - 1 for m in _ESCAPE.finditer(masked)} if "\\" in masked else set()
    found: list[re.Match[str]] = []
    _find_links(masked, 0, len(masked), escaped, ref_defs, found)
    return found


def _find_links(
    masked: str,
    start: int,
    stop: int,
    escaped: set[int],
    ref_defs: frozenset[str],
    found: list[re.Match[str]],
) -> bool:
    """Links between `start` and `stop` into `found`; whether one of them is a link (not an
    image) at this level, which makes an enclosing link text invalid."""
    linked = False
    end = start
    for bracket in _LINK_START.finditer(masked, start, stop):
        pos = bracket.start()
        if pos < end or pos in escaped:
            continue
        match = _INLINE_LINK.match(masked, pos, stop)
        if match is not None:
            image = pos > 0 and masked[pos - 1] == "!" and pos - 1 not in escaped
            inner: list[re.Match[str]] = []
            text_start, text_end = match.span(1)
            nested = masked.find("[", text_start, text_end) >= 0
            if nested and _find_links(masked, text_start, text_end, escaped, ref_defs, inner):
                if not image:
                    continue  # the inner link wins; it is found when the loop reaches it
            found.append(match)
            found.extend(inner)
            linked = linked or not image
            end = match.end()
            continue
        reference = _reference_end(masked, pos, stop, ref_defs)
        if reference > 0:
            linked = True
            end = reference
    return linked


def _reference_end(masked: str, pos: int, stop: int, ref_defs: frozenset[str]) -> int:
    """End of the reference link to a defined label at `pos`, or -1 (marked's reflink,
    then nolink: `[text][label]`, `[label][]`, `[label]`)."""
    if not ref_defs:
        return -1
    full = _REF_LINK.match(masked, pos, stop)
    if full is not None and _norm_label(full.group(2) or full.group(1)) in ref_defs:
        return full.end()
    short = _SHORTCUT_REF.match(masked, pos, stop)
    if short is not None and _norm_label(short.group(1)) in ref_defs:
        return short.end()
    return -1


_DOCSIFY_OPTION = re.compile(r"(?:^|\s):([\w-]+:?)=?([\w%-]+)?")
"""docsify's link options in a link's title (`getAndRemoveConfig`), e.g. `':include :type=code'`."""


def _docsify_kind(title: str | None) -> str:
    """`link`, or for docsify's options in the title: `include:<type>:<fragment>` (type and
    fragment may be empty) or `link:ignore` (docsify leaves the href as written)."""
    if not title or ":" not in title:
        return "link"
    options = {m.group(1): m.group(2) or "" for m in _DOCSIFY_OPTION.finditer(title[1:-1])}
    if "include" in options:
        return f"include:{options.get('type', '')}:{options.get('fragment', '')}"
    if "ignore" in options:
        return "link:ignore"
    return "link"


def _links(
    masked: str,
    where: Where,
    inline: list[re.Match[str]],
    definitions: list[re.Match[str]],
) -> list[Link]:
    links: list[Link] = []
    for match in inline:
        target = match.group(2) or ""
        if target.startswith("<"):
            target = target[1:-1]
        start = match.start()
        image = start > 0 and masked[start - 1] == "!"
        kind = "image" if image else _docsify_kind(match.group(3))
        links.append(Link(*where(start - 1 if image else start), _unescape(target), kind))
    for match in definitions:
        target = match.group(2)
        target = target[1:-1] if target.startswith("<") else target
        links.append(Link(*where(match.start(2)), _unescape(target), "definition"))
    for match in _AUTOLINK.finditer(masked) if "<" in masked else ():
        if match.group(1) is not None:
            links.append(Link(*where(match.start(1)), match.group(1), "autolink"))
        else:
            links.append(Link(*where(match.start(2)), "mailto:" + match.group(2), "autolink"))
    return links


def _all_tags(
    text: str,
    inline: list[re.Match[str]],
    blocks: list[tuple[int, int]],
    where: Where,
) -> list[Tag]:
    """Tags in paragraphs (as marked passes them) and in HTML blocks (as the browser
    parses them), in page order."""
    if not blocks:
        return _tags(inline, _ATTR, where)
    outside: list[re.Match[str]] = []
    index = 0
    for match in inline:
        while index < len(blocks) and blocks[index][1] <= match.start():
            index += 1
        if index == len(blocks) or match.start() < blocks[index][0]:
            outside.append(match)
    tags = _tags(outside, _ATTR, where) + _tags(_block_tags(text, blocks), _BLOCK_ATTR, where)
    tags.sort(key=lambda tag: (tag.line, tag.column))
    return tags


def _block_tags(text: str, blocks: list[tuple[int, int]]) -> list[re.Match[str]]:
    """Start tags in HTML blocks, outside comments and the text of raw-text elements."""
    found: list[re.Match[str]] = []
    ends: dict[int, int] = {}  # where an attribute list resuming here ends (see _RawIndex)
    for start, stop in blocks:
        pos = start
        while (lt := text.find("<", pos, stop)) >= 0:
            if text.startswith("<!--", lt):
                close = text.find("-->", lt + 4, stop)
                pos = stop if close < 0 else close + 3
                continue
            name = _BLOCK_TAG_NAME.match(text, lt, stop)
            if name is None or _block_attributes_end(text, name.end(), stop, ends) < 0:
                pos = lt + 1
                continue
            match = _BLOCK_TAG.match(text, lt, stop)
            assert match is not None
            found.append(match)
            pos = match.end()
            if _RAW_TEXT.fullmatch(match.group("name").lower()):
                end_tag = re.compile("</" + re.escape(match.group("name")), re.I)
                close = end_tag.search(text, pos, stop)
                pos = stop if close is None else close.start()
    return found


def _block_attributes_end(text: str, resume: int, stop: int, memo: dict[int, int]) -> int:
    """End of the tag whose attribute list resumes at `resume`, or -1 (memoised: linear)."""
    visited: list[int] = []
    while resume not in memo:
        visited.append(resume)
        step = _BLOCK_ATTR_STEP.match(text, resume, stop)
        if step is None:
            close = _BLOCK_TAG_CLOSE.match(text, resume, stop)
            memo[resume] = close.end() if close else -1
            break
        resume = step.end()
    result = memo[resume]
    for offset in visited:
        memo[offset] = result
    return result


def _tags(matches: list[re.Match[str]], attributes: re.Pattern[str], where: Where) -> list[Tag]:
    tags = []
    for match in matches:
        attrs = tuple(
            (m.group(1).lower(), html.unescape(_unquote(m.group(2) or "")))
            for m in attributes.finditer(match.group("attrs") or "")
        )
        tags.append(Tag(*where(match.start()), match.group("name").lower(), attrs))
    return tags


def _tag_links(tags: list[Tag]) -> list[Link]:
    return [
        Link(tag.line, tag.column, value, f"html:{tag.name}:{name}")
        for tag in tags
        for name, value in tag.attrs
        if name in _LINK_ATTRS and name != "srcset"
    ]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _unescape(target: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", target) if "\\" in target else target


def _norm_label(label: str) -> str:
    return " ".join(label.split()).casefold()


# GFM autolink literal, as marked (docsify's renderer) finds it: up to whitespace or `<`,
# then trailing punctuation and unbalanced `)` trimmed.
_BARE_URL = re.compile(r"(?<![\w/@.:+-])https?://[^\s<>]+", re.I)
_BARE_TRAILING = "?!.,:*_~'\""


def external_links(body: str, body_line: int = 1) -> list[Link]:
    """Every http(s) URL a reader can follow: links, images, definitions, autolinks, HTML
    href/src, and bare URLs in prose; never inside code or comments. Sorted by position."""
    where = _locator(body, body_line)
    code_masked = _mask_blocks(body, where, [])
    html_blocks = _html_blocks(code_masked)
    masked, tag_matches = _mask_inline(code_masked, comments=True, tags=True)
    masked = _apply_masks(masked, html_blocks)
    definitions = _definitions(masked, _apply_masks(code_masked, html_blocks))
    inline = _inline_links(masked, frozenset(_norm_label(m.group(1)) for m in definitions))
    found = [
        *_links(masked, where, inline, definitions),
        *_tag_links(_all_tags(code_masked, tag_matches, html_blocks, where)),
    ]
    if "://" in masked:
        taken = [m.span() for m in inline]
        taken += [m.span() for m in definitions]
        taken += [m.span() for m in _AUTOLINK.finditer(masked)]
        prose = _apply_masks(masked, taken)
        for match in _BARE_URL.finditer(prose):
            url = _trim_bare(match.group())
            found.append(Link(*where(match.start()), url, "bare"))
    links = [link for link in found if link.target.lower().startswith(("http://", "https://"))]
    links.sort()
    return links


def _trim_bare(url: str) -> str:
    end, unbalanced = len(url), url.count(")") - url.count("(")
    while end:
        last = url[end - 1]
        if last in _BARE_TRAILING:
            end -= 1
        elif last == ")" and unbalanced > 0:
            end -= 1
            unbalanced -= 1
        else:
            break
    return url[:end]
