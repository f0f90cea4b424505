"""docsify 5 heading slugs, ported from `src/core/render/slugify.js` of docsify 5.0.0 (npm)."""

from __future__ import annotations

import functools
import unicodedata

import regex

# Same character class as docsify's `re`: general punctuation blocks and ASCII punctuation
# except '-' and '_'.
_PUNCT = regex.compile(r"[\u2000-\u206F\u2E00-\u2E7F\\'!\"#$%&()*+,./:;<=>?@\[\]^`{|}~]")
_EMOJI = regex.compile(r"[\p{Emoji_Presentation}\p{Extended_Pictographic}]")
_ASCII_UPPER = regex.compile(r"[A-Z]+")
# JavaScript's \s: Python's Unicode whitespace plus U+FEFF.
_SPACE = regex.compile(r"[\s\uFEFF]")
JS_WHITESPACE = " \t\n\r\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
JS_WHITESPACE += "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


@functools.lru_cache(maxsize=65536)
def slug_base(text: str) -> str:
    """The slug of one heading text, before de-duplication."""
    slug = unicodedata.normalize("NFC", text.strip(JS_WHITESPACE))
    slug = _strip_links(slug)
    slug = slug.replace("\ufe0f", "")
    slug = _EMOJI.sub("", slug)
    slug = _ASCII_UPPER.sub(lambda m: m.group(0).lower(), slug)
    slug = _strip_tags(slug)
    slug = _PUNCT.sub("", slug)
    slug = _SPACE.sub("-", slug)
    if slug[:1].isascii() and slug[:1].isdigit():
        slug = "_" + slug
    return slug


def _strip_links(text: str) -> str:
    """`text.replace(/\\[([^\\]]+)\\]\\([^)]+\\)/g, '$1')` in linear time: the regular
    expression retries from every `[` and scans to the end when no `)` follows."""
    out: list[str] = []
    i = 0
    close = _NextIndex(text, "]")
    paren = _NextIndex(text, ")")
    start = text.find("[")
    while start >= 0:
        end = close.after(start + 1)
        if end < 0:
            break
        if end > start + 1 and text.startswith("(", end + 1):
            stop = paren.after(end + 2)
            if stop < 0:
                break
            if stop > end + 2:
                out.append(text[i:start])
                out.append(text[start + 1 : end])
                i = stop + 1
                start = text.find("[", i)
                continue
        start = text.find("[", start + 1)
    out.append(text[i:])
    return "".join(out)


def _strip_tags(text: str) -> str:
    """`text.replace(/<[^>]+>/g, '')` in linear time (see `_strip_links`)."""
    out: list[str] = []
    i = 0
    close = _NextIndex(text, ">")
    start = text.find("<")
    while start >= 0:
        end = close.after(start + 1)
        if end < 0:
            break
        if end > start + 1:
            out.append(text[i:start])
            i = end + 1
            start = text.find("<", i)
        else:
            start = text.find("<", start + 1)
    out.append(text[i:])
    return "".join(out)


class _NextIndex:
    """`text.find(char, position)` for non-decreasing positions, in linear total time."""

    def __init__(self, text: str, char: str) -> None:
        self._text, self._char = text, char
        self._asked, self._found = -1, -1

    def after(self, position: int) -> int:
        if (
            self._asked >= 0
            and self._asked <= position
            and (self._found < 0 or position <= self._found)
        ):
            return self._found
        self._asked, self._found = position, self._text.find(self._char, position)
        return self._found


class Slugger:
    """Per-page slug state: repeats get `-1`, `-2`, … as docsify does."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def slug(self, text: str) -> str:
        base = slug_base(text)
        if base in self._seen:
            count = self._seen[base] + 1
        else:
            count = 0
        self._seen[base] = count
        return f"{base}-{count}" if count else base


def slugify_all(texts: list[str]) -> list[str]:
    """Slugs of a page's headings, in order."""
    slugger = Slugger()
    return [slugger.slug(text) for text in texts]


def v4_slug(text: str) -> str:
    """docsify 4 collapsed runs of '-'; used to explain anchors written for v4."""
    return regex.sub(r"-+", "-", slug_base(text))
