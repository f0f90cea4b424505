"""A fast, line-aware scan of the markdown that docsify renders.

It is not a full CommonMark parser: it finds exactly what the checks need (headings with
their docsify slugs, links, images, raw HTML tags, math delimiters) and skips what marked
would not treat as markdown (fenced and indented code, inline code, HTML comments).
Everything works on whole-text regular expressions over a *masked* copy of the body in
which skipped regions are blanked out with spaces, so offsets and line numbers stay true.

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

from kb.slugify import Slugger


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


class Issue(NamedTuple):
    code: str
    line: int
    column: int
    message: str
    hint: str


class Scan(NamedTuple):
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    tags: tuple[Tag, ...]
    ref_uses: tuple[tuple[str, int, int], ...]
    ref_defs: frozenset[str]
    issues: tuple[Issue, ...]


# Line-start patterns begin with a literal "\n" (matched against "\n" + text) rather than a
# multiline "^": the regex engine then jumps from newline to newline instead of trying
# every position, which is most of a cold build's time.
_FENCE = re.compile(r"\n {0,3}(`{3,}|~{3,})([^\n]*)")
_INDENTED = re.compile(r"\n[ \t]*\n((?:(?: {4}|\t)[^\n]*(?:\n|$)|[ \t]*\n)+)")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+([^\n]*?))?(?:[ \t]+#+)?[ \t]*$", re.M)
_ATX_LINE = re.compile(r"\n {0,3}(#{1,6})(?:[ \t]([^\n]*))?(?=\n|\Z)")
_UNDERLINE = re.compile(r"\n {0,3}(=+|-+)[ \t]*$", re.M)
_NOT_PARAGRAPH = re.compile(r"^ {0,3}(?:[-*+>#|]|\d{1,9}[.)]|`{3}|~{3}|<)")
_DOCSIFY_ID = re.compile(r"(?:^|\s):id=([\w%-]+)")
_INLINE_LINK = re.compile(  # starts with a literal '[' so the regex engine can skip ahead
    r"\[((?:[^\[\]\\\n]|\\.|\[(?:[^\[\]\\\n]|\\.)*+\])*+)\]"
    r"\((?:\s*+(<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*+\))*+)"
    r"(?:\s++(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?"
    r"|\s++()(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))\s*+\)"  # no destination, only a title
)
_REF_DEF = re.compile(r"^ {0,3}\[((?:[^\]\\\n]|\\.)++)\]:[ \t]*+(<[^<>\n]*>|\S++)", re.M)
_REF_USE = re.compile(r"(?<![\]\\])\[((?:[^\[\]\\\n]|\\.)++)\]\[((?:[^\[\]\\\n]|\\.)*+)\]")
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*+)>")
# A raw tag, read as marked's block HTML would hand it to the browser: attribute names may
# hold any character but space, quotes, '>', '/' and '='. Each attribute reads one way only,
# so possessive quantifiers give the same matches as backtracking would.
_TAG_NAME = re.compile(r"<([a-zA-Z][a-zA-Z0-9:-]*+)")
_TAG_ATTR_STEP = re.compile(
    r"\s++[^\s\"'>/=]++(?:\s*+=\s*+(?:\"[^\"]*+\"|'[^']*+'|[^\s\"'=<>`]++))?"
)
_TAG_CLOSE = re.compile(r"\s*+/?>")
_TAG = re.compile(
    r"<(?P<name>[a-zA-Z][a-zA-Z0-9:-]*+)(?P<attrs>(?:\s++[^\s\"'>/=]++"
    r"(?:\s*+=\s*+(?:\"[^\"]*+\"|'[^']*+'|[^\s\"'=<>`]++))?)*+)\s*+/?>"
)
_BACKTICKS = re.compile(r"`+")
_ESCAPE = re.compile(r"\\.", re.S)
_NEWLINE = re.compile(r"\n")
_ATTR = re.compile(r"([^\s\"'>/=]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?")
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
    issues: list[Issue] = []
    where = _locator(body, body_line)
    masked = _mask_blocks(body, where, issues)
    masked, tag_matches = _mask_inline(masked, comments=True, tags=True)
    tags = _tags(tag_matches, where)
    masked = _mask_math(masked, where, issues)
    headings = _headings(body, masked, where)
    links = _links(masked, where)
    links.extend(_tag_links(tags))
    ref_defs: frozenset[str] = frozenset()
    ref_uses: tuple[tuple[str, int, int], ...] = ()
    if "]:" in masked:
        ref_defs = frozenset(_norm_label(m.group(1)) for m in _REF_DEF.finditer(masked))
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


def _mask_blocks(body: str, where: Where, issues: list[Issue]) -> str:
    """Blank out fenced and indented code blocks."""
    text = _apply_masks(body, _fence_spans(body, where, issues))
    if "\n    " in text or "\n\t" in text:
        spans = [
            (m.start(1) - 1, m.end(1) - 1)
            for m in _INDENTED.finditer("\n" + text)  # offsets: +1 (see _FENCE)
            if not _in_list(text, m.start(1) - 1)
        ]
        text = _apply_masks(text, spans)
    return text


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


def _fence_spans(body: str, where: Where, issues: list[Issue]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    open_match: re.Match[str] | None = None
    for match in _FENCE.finditer("\n" + body):  # offsets: +1 (see _FENCE)
        fence = match.group(1)
        if open_match is None:
            if fence[0] == "`" and "`" in match.group(2):
                continue  # an info string may not contain backticks: this is inline code
            open_match = match
            continue
        opener = open_match.group(1)
        if fence[0] == opener[0] and len(fence) >= len(opener) and not match.group(2).strip():
            spans.append((open_match.start(), match.end() - 1))
            open_match = None
    if open_match is not None:
        line, column = where(open_match.start())
        issues.append(
            Issue(
                "MD503",
                line,
                column,
                f"code fence '{open_match.group(1)}' is never closed",
                "close it with the same fence on its own line",
            )
        )
        spans.append((open_match.start(), len(body)))
    return spans


def _in_list(text: str, start: int) -> bool:
    """Whether an indented block continues a list item (then it is not code)."""
    end = text.rfind("\n", 0, max(start - 1, 0))
    while end > 0:
        prev_start = text.rfind("\n", 0, end - 1) + 1
        line = text[prev_start:end]
        if line.strip():
            return bool(_LIST_ITEM.match(line)) or line.startswith(("  ", "\t"))
        end = prev_start - 1
    return False


def _mask_math(text: str, where: Where, issues: list[Issue]) -> str:
    """Check `$`/`$$` pairing paragraph by paragraph; blank out math so it is not scanned."""
    if "$" not in text:
        return text
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
    return _apply_masks(text, spans)


def _close_paragraph(
    inline_at: int, display_at: int, where: Where, issues: list[Issue]
) -> tuple[int, int]:
    if display_at >= 0:
        line, column = where(display_at)
        issues.append(
            Issue(
                "MD502",
                line,
                column,
                "'$$' display math is not closed in this paragraph",
                "add the closing '$$'; display math may not contain blank lines",
            )
        )
    if inline_at >= 0:
        line, column = where(inline_at)
        issues.append(
            Issue(
                "MD501",
                line,
                column,
                "'$' opens inline math that is never closed",
                "close the formula with '$' or write a literal dollar as '\\$'",
            )
        )
    return -1, -1


def _headings(body: str, masked: str, where: Where) -> list[Heading]:
    found: list[tuple[int, int, str]] = []
    for match in _ATX_LINE.finditer("\n" + masked):
        line_start = match.start()  # offsets in "\n" + masked are one past those in masked
        text = ""
        if match.group(2) is not None:
            start, end = match.start(2) - 1, match.end(2) - 1
            end = start + _heading_text_end(masked[start:end])
            text = body[start:end].strip()
        found.append((line_start, len(match.group(1)), text))
    for match in _UNDERLINE.finditer(masked):
        start = masked.rfind("\n", 0, match.start()) + 1
        text = masked[start : match.start()]
        if not text.strip() or _NOT_PARAGRAPH.match(text) or _ATX.match(text):
            continue
        level = 1 if match.group(1)[0] == "=" else 2
        found.append((start, level, body[start : match.start()].strip()))
    found.sort()
    slugger = Slugger()
    headings = []
    for offset, level, text in found:
        custom = _DOCSIFY_ID.search(text)
        slug = slugger.slug(custom.group(1) if custom else text)
        headings.append(Heading(where(offset)[0], level, text, slug))
    return headings


def _heading_text_end(raw: str) -> int:
    """Length of an ATX heading's text without the optional closing `#`s (as marked)."""
    trimmed = raw.rstrip(" \t")
    text = trimmed.rstrip("#")
    if len(text) < len(trimmed) and (not text or text[-1] in " \t"):
        return len(text.rstrip(" \t"))
    return len(raw.rstrip())


def _inline_links(masked: str) -> list[re.Match[str]]:
    """`[text](target)` matches, left to right; a `[` escaped with a backslash opens none.

    Skipping escaped brackets (as marked does) also keeps this linear: a run of `\\[`
    would otherwise be read from every one of its brackets to the end of the line.
    """
    if "](" not in masked:
        return []
    escaped = {m.end() - 1 for m in _ESCAPE.finditer(masked)} if "\\[" in masked else set()
    found: list[re.Match[str]] = []
    end = 0
    for start in _LINK_START.finditer(masked):
        pos = start.start()
        if pos < end or pos in escaped:
            continue
        match = _INLINE_LINK.match(masked, pos)
        if match is not None:
            found.append(match)
            end = match.end()
    return found


def _links(masked: str, where: Where, inline: list[re.Match[str]] | None = None) -> list[Link]:
    links: list[Link] = []
    for match in _inline_links(masked) if inline is None else inline:
        target = match.group(2) or ""
        if target.startswith("<"):
            target = target[1:-1]
        start = match.start()
        image = start > 0 and masked[start - 1] == "!"
        kind = "image" if image else "link"
        links.append(Link(*where(start - 1 if image else start), _unescape(target), kind))
    for match in _REF_DEF.finditer(masked) if "]:" in masked else ():
        target = match.group(2)
        target = target[1:-1] if target.startswith("<") else target
        links.append(Link(*where(match.start(2)), _unescape(target), "definition"))
    for match in _AUTOLINK.finditer(masked) if "<" in masked else ():
        links.append(Link(*where(match.start(1)), match.group(1), "autolink"))
    return links


def _tags(matches: list[re.Match[str]], where: Where) -> list[Tag]:
    tags = []
    for match in matches:
        attrs = tuple(
            (m.group(1).lower(), html.unescape(_unquote(m.group(2) or "")))
            for m in _ATTR.finditer(match.group("attrs") or "")
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
    masked = _mask_blocks(body, where, [])
    masked, tag_matches = _mask_inline(masked, comments=True, tags=True)
    inline = _inline_links(masked)
    found = [*_links(masked, where, inline), *_tag_links(_tags(tag_matches, where))]
    if "://" in masked:
        taken = [m.span() for m in inline]
        taken += [m.span() for m in _REF_DEF.finditer(masked)]
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
