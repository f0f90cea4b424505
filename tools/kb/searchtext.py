"""What the search index needs from one page, computed once per content change (parse time).

`page_part` turns a page into a small builtin-only tuple (`Part`) that the parse cache keeps
with the page; `kb.search.write_index` assembles the index from these parts without reading
or re-tokenising any page.

Tokens are the same here and in the browser (assets/kb-search.js `tokenize`): text is
NFKC-normalised and lower-cased; Latin letters and digits form words, Chinese (and other
CJK) runs become overlapping character bigrams (a run of one character is kept whole), so
卷积网络 still finds 卷积神经网络 (卷积 + 网络) with no dictionary.

A part's postings are per page, in two fields: a token in the title or a `#`–`###` heading
is a *head* token and carries the sections it heads (0 is the page itself), every other
token of the page is a *body* token. They are kept as one UTF-8 string already cut into
`BUCKETS` pieces by token hash (`bucket`), so assembling the index joins bytes and never
touches a token again:

    piece    = entry *(" " entry)          pieces joined by "|", BUCKETS of them
    entry    = token ["~" count]           a body token; how often it occurs (2–35, base 36)
             / token "#" section *("." section)     a head token; sections in base 36
    facets   = "!y" year / "!t:" task / "!m:" modality   body tokens of papers, for filters
"""

from __future__ import annotations

import functools
import html
import operator
import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from pathlib import PurePosixPath
from typing import Any

from kb.markdown import Heading, scan_markdown
from kb.vocabulary import Term

BUCKETS = 1024
"""Pieces per part; the index uses BUCKETS or a divisor of it (kb.search)."""
META_CHARS = 80
"""Paper fields kept per page, shown when a result has no snippet yet."""
PIECE_SEP = "|"
ENTRY_SEP = " "
HEAD_MARK = "#"
TF_MARK = "~"
FACET_MARK = "!"

Part = tuple[str, str, str, int, tuple[str, ...], tuple[str, ...], str, str, tuple[Any, ...], bytes]
"""(route, title, kind, year, tasks, modalities, category, meta text,
sections ((anchor, heading), …) after the page itself, postings (see module doc))."""

ROUTE, TITLE, KIND, YEAR, TASKS, MODALITIES, CATEGORY, META, SECTIONS, POSTINGS = range(10)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"  # Han, kana, Hangul
_TOKEN = re.compile(rf"[a-z0-9]+|[{_CJK}]+")
_WORD = re.compile(r"[a-z0-9]+")
_RUN = re.compile(rf"[{_CJK}]+")
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*$", re.M)
_FENCED = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?^ {0,3}\1[ \t]*$", re.M | re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]*)\]\[[^\]]*\]")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+.*$", re.M)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<!--.*?-->", re.S)
_INLINE_MARKS = re.compile(r"[*~`]+")
_BLOCK_MARKS = re.compile(r"[>|#]+|^\s*[-+]\s+|^\s*\d+\.\s+", re.M)
_SPACES = re.compile(r"\s+")
_MARKUP = re.compile(r"[][<>*~`$&#|+\-]|^\s*\d+\.|^ {0,3}(?:`{3}|~{3})", re.M)
# Only what can change the tokens of a page: link and image targets (their words are not
# the page's), tags and comments, reference definitions. Everything else is not a token.
_NOT_PROSE = re.compile(
    r"\]\([^)\n]*\)|\]\[[^\]\n]*\]|<!--.*?-->|</?[a-zA-Z][^>]*>|^ {0,3}\[[^\]\n]+\]:[^\n]*",
    re.M | re.S,
)


def _inert_ranges() -> str:
    """Characters that NFKC and lower-casing leave without effect on the tokens: ASCII,
    CJK ideographs and kana that NFKC keeps, and common punctuation NFKC maps to other
    punctuation. Text made only of these is tokenised without normalising it (fast)."""
    candidates = [
        (0x80, 0xBF), (0xD7, 0xD7), (0xF7, 0xF7), (0x2000, 0x206F), (0x2190, 0x22FF),
        (0x2500, 0x26FF), (0x3000, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
        (0xFF01, 0xFF0F), (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF65),
    ]  # fmt: skip
    is_token = re.compile(rf"[a-z0-9{_CJK}]").search
    inert: list[int] = []
    for low, high in candidates:
        for code in range(low, high + 1):
            char = chr(code)
            folded = unicodedata.normalize("NFKC", char).lower()
            if unicodedata.combining(char) or (folded and unicodedata.combining(folded[0])):
                continue
            if (folded == char and char.lower() == char) or not (
                is_token(char) or is_token(folded) or is_token(char.lower())
            ):
                inert.append(code)
    ranges: list[str] = []
    start = prev = inert[0]
    for code in [*inert[1:], -1]:
        if code != prev + 1:
            ranges.append(_range(start, prev))
            start = code
        prev = code
    return "".join(ranges)


def _range(low: int, high: int) -> str:
    return f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}"


_INERT_UNICODE_14 = (
    r"\u0080-\u00a9\u00ab-\u00b1\u00b4-\u00b8\u00bb\u00bf\u00d7\u00f7\u2000-\u206f"
    r"\u2190-\u22ff\u2500-\u26ff\u3000-\u3029\u3030-\u3037\u303b-\u3098\u309d-\u309e"
    r"\u30a0-\u30fe\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40"
    r"\uff5b-\uff64"
)
"""`_inert_ranges()` under Unicode 14.0.0 (Python 3.11): scanning 40,000 characters costs
50 ms on every run that tokenises a page."""


@functools.cache
def _nfkc_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(any character to fold, a run of them): built on first use, not at import (a warm
    build that tokenises nothing does not pay for scanning the ranges)."""
    known = unicodedata.unidata_version == "14.0.0"
    inert = _INERT_UNICODE_14 if known else _inert_ranges()
    return re.compile(rf"[^\x00-\x7f{inert}]"), re.compile(rf".?[^\x00-\x7f{inert}]+", re.S)


def fold(text: str) -> str:
    """NFKC and lower case, as the browser folds text before tokenising it."""
    return unicodedata.normalize("NFKC", text).lower()


def tokenize(text: str) -> list[str]:
    """Words and CJK bigrams, in order; the browser's `tokenize` does the same."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(fold(text)):
        part = match.group()
        if part[0] > "z":  # a CJK run
            if len(part) == 1:
                tokens.append(part)
            else:
                tokens.extend(part[i : i + 2] for i in range(len(part) - 1))
        else:
            tokens.append(part)
    return tokens


def distinct_tokens(text: str) -> dict[str, None]:
    """The distinct tokens of `text` (`tokenize` without repeats), in a stable order."""
    return dict.fromkeys(count_tokens(text))


def count_tokens(text: str) -> Counter[str]:
    """How often each token of `text` occurs (`Counter(tokenize(text))`, computed in a few
    C-level passes: this runs over every page's text)."""
    needs_nfkc, nfkc_run = _nfkc_patterns()
    if needs_nfkc.search(text):
        # Only the characters NFKC may change are folded (each with the one before it,
        # which a combining mark composes with): the rest is known to stay as it is.
        text = nfkc_run.sub(_fold_match, text)
    text = text.lower()
    counts: Counter[str] = Counter(_WORD.findall(text))
    runs = _RUN.findall(text)
    if runs:
        # All bigrams of all runs in one pass; those that straddle two runs (they hold the
        # separator) are taken out after, and one-character runs are tokens themselves.
        joined = "\0".join(runs)
        counts.update(map(operator.add, joined, joined[1:]))
        for run in runs:
            if len(run) == 1:
                counts[run] += 1
        remove = dict.__delitem__  # Counter's own __delitem__ is Python code
        for straddling in [t for t in counts if "\0" in t]:
            remove(counts, straddling)
    return counts


_JOINED = re.compile(r"(?<![a-z0-9])[a-z0-9]+(?:[-\u2010-\u2015][a-z0-9]+){1,2}(?![a-z0-9])")
_DASHES = re.compile(r"[-\u2010-\u2015]")


def joined_tokens(text: str) -> list[str]:
    """Latin terms written with hyphens or dashes, also as one word: `U-Net` → `unet`,
    `Kaplan–Meier` → `kaplanmeier`, `ResNet-50` → `resnet50`. Only the index holds them: a
    query of `unet` finds `U-Net`, and `u net` or `U-Net` find it by its parts."""
    if not _DASHES.search(text):
        return []
    # ASCII letters and digits only (a full-width term stays split): no NFKC pass over the
    # whole page for this.
    return [_DASHES.sub("", m) for m in _JOINED.findall(text.lower())]


def _fold_match(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match.group())


def plain_text(markdown: str) -> str:
    """Readable text of a markdown fragment: syntax, tags and link targets removed."""
    if not _MARKUP.search(markdown):
        return _SPACES.sub(" ", markdown).strip()
    text = _FENCE_LINE.sub(" ", markdown)
    text = _REF_DEF.sub(" ", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _INLINE_MARKS.sub("", _BLOCK_MARKS.sub(" ", text))
    text = html.unescape(text.replace("$$", " ").replace("$", ""))
    return _SPACES.sub(" ", text).strip()


def prose(body: str) -> str:
    """The page body as far as tokens go: code blocks, link targets, tags and comments
    blanked, entities decoded. Markup characters stay: they are no tokens."""
    if "```" in body or "~~~" in body:
        body = _FENCED.sub(" ", body)
    body = _NOT_PROSE.sub(" ", body)
    return html.unescape(body) if "&" in body else body


def meta_text(
    meta: Mapping[str, Any], tasks: Mapping[str, Term], modalities: Mapping[str, Term]
) -> str:
    """Paper fields a reader may search for: authors, venue, year, task and modality names."""
    parts: list[str] = []
    authors = meta.get("authors")
    if isinstance(authors, list):
        parts.append(", ".join(str(a) for a in authors))
    for key in ("venue", "year", "description"):
        if meta.get(key):
            parts.append(str(meta[key]))
    for key, vocab in (("tasks", tasks), ("modalities", modalities)):
        for value in _strings(meta.get(key)):
            parts.append(vocab[value].title if value in vocab else value)
    return " · ".join(parts)


def route(file: str) -> str:
    """docsify route of a page: `docs/papers/x.md` → `/docs/papers/x`."""
    path = file[:-3] if file.endswith(".md") else file
    if path.endswith("/README"):
        path = path[: -len("README")]
    return "/" + path


def headings(
    body: str, body_line: int, scanned: Sequence[Heading] | None = None
) -> list[tuple[str, str]]:
    """(anchor, heading text) of the page's sections after the page itself: `#`–`###`
    headings with docsify's anchors, except a leading `#` title (that is the page)."""
    if scanned is None:
        scanned = scan_markdown(body, body_line).headings
    found = [h for h in scanned if h.level <= 3]
    if found and found[0].level == 1:
        before = found[0].line - body_line
        if not plain_text("\n".join(body.split("\n", before)[:before])):
            found = found[1:]
    return [(h.slug, plain_text(h.text)) for h in found]


def split_sections(body: str, body_line: int, title: str) -> list[tuple[str, str, str]]:
    """(anchor, heading, plain text) of each section, the page itself first (anchor "",
    the title, the text before the first heading). For tools that need section text (the
    benchmarks in bench/); the index keeps tokens only (`page_part`)."""
    body = _FENCED.sub(lambda m: "\n" * m.group().count("\n"), body)
    lines = body.split("\n")
    scanned = [h for h in scan_markdown(body, body_line).headings if h.level <= 3]
    anchors = headings(body, body_line, scanned)
    if len(anchors) < len(scanned):
        first = scanned.pop(0)  # the page's own title
        lines[first.line - body_line] = ""
    sections = [("", title)] + anchors
    starts = [0] + [h.line - body_line for h in scanned] + [len(lines)]
    out = []
    for (anchor, heading), start, end in zip(sections, starts, starts[1:], strict=False):
        skip = 1 if anchor else 0
        out.append((anchor, heading, plain_text("\n".join(lines[start + skip : end]))))
    return out


def page_part(
    file: str,
    meta: dict[str, Any] | None,
    body: str,
    body_line: int,
    vocabulary: Mapping[str, Mapping[str, Term]],
    *,
    scanned: Sequence[Heading] | None = None,
) -> Part:
    """Everything the search index needs from one content page (see the module doc).

    `scanned`: the page's headings (`kb.markdown.scan_markdown(body, body_line).headings`)
    when the caller has them; otherwise the body is scanned here (about half the cost)."""
    meta = meta or {}
    if scanned is None:
        scanned = scan_markdown(body, body_line).headings
    sections = headings(body, body_line, scanned)
    title = str(meta.get("title_zh") or meta.get("title") or "")
    if not title:
        first = next((h for h in scanned if h.level == 1), None)
        title = (plain_text(first.text) if first else "") or PurePosixPath(file).stem
    kind = str(meta.get("type", ""))
    year = meta["year"] if type(meta.get("year")) is int else 0
    tasks = tuple(_strings(meta.get("tasks")))
    modalities = tuple(_strings(meta.get("modalities")))
    described = meta_text(meta, vocabulary.get("tasks", {}), vocabulary.get("modalities", {}))
    head: dict[str, list[int]] = {}
    for number, text in enumerate([f"{title} {meta.get('title', '')}", *(h for _, h in sections)]):
        for token in [*distinct_tokens(text), *joined_tokens(text)]:
            if number not in head.setdefault(token, []):
                head[token].append(number)
    page_text = f"{prose(body)} {described}"
    body_tokens = count_tokens(page_text)
    body_tokens.update(joined_tokens(page_text))
    if kind == "paper":
        body_tokens.update(_facets(year, tasks, modalities))
    return (
        route(file),
        title,
        kind,
        year,
        tasks,
        modalities,
        str(meta.get("category", "")),
        described[:META_CHARS],
        tuple(sections),
        encode_postings(head, body_tokens),
    )


def _facets(year: int, tasks: Iterable[str], modalities: Iterable[str]) -> list[str]:
    found = [f"{FACET_MARK}y{year}"] if year else []
    found += [f"{FACET_MARK}t:{t}" for t in tasks]
    found += [f"{FACET_MARK}m:{m}" for m in modalities]
    return found


def facet_token(name: str, value: str) -> str:
    """The body token a paper carries for a filter value (`year`, `task`, `modality`)."""
    return f"{FACET_MARK}{name[0]}{'' if name == 'year' else ':'}{value}"


_BUCKET_OF: dict[str, int] = {}


def bucket(token: str) -> int:
    """The piece a token's entry goes to: CRC-32 of its UTF-8 bytes, modulo BUCKETS (the
    browser computes the same)."""
    found = _BUCKET_OF.get(token)
    if found is None:
        found = _BUCKET_OF[token] = zlib.crc32(token.encode()) % BUCKETS
    return found


def encode_postings(head: Mapping[str, list[int]], body: Mapping[str, int]) -> bytes:
    """Head and body entries, cut into BUCKETS pieces (see the module doc)."""
    pieces: defaultdict[int, list[str]] = defaultdict(list)
    for token, numbers in head.items():
        pieces[bucket(token)].append(f"{token}{HEAD_MARK}{'.'.join(map(_base36, numbers))}")
    tokens = [t for t in body if t not in head]
    counted = _COUNTED
    # The hot loop of the build's search stage: one memo lookup and one append a token.
    for token, number, count in zip(
        tokens, map(_BUCKET_OF.get, tokens), map(body.__getitem__, tokens), strict=True
    ):
        pieces[bucket(token) if number is None else number].append(
            token + counted[count if count < 36 else 35]
        )
    return PIECE_SEP.join(map(ENTRY_SEP.join, map(pieces.get, range(BUCKETS), repeat(())))).encode()


def _base36(number: int) -> str:
    return _DIGITS36[number] if number < 36 else _base36(number // 36) + _DIGITS36[number % 36]


_DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_COUNTED = ["", "", *(f"{TF_MARK}{d}" for d in _DIGITS36[2:])]
"""The suffix of a body entry by how often its token occurs (none for once)."""


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
