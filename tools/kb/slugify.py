"""docsify 5 heading slugs, ported from `src/core/render/slugify.js` of docsify 5.0.0 (npm)."""

from __future__ import annotations

import functools
import unicodedata

import regex

# Same character class as docsify's `re`: general punctuation blocks and ASCII punctuation
# except '-' and '_'.
_PUNCT = regex.compile(r"[\u2000-\u206F\u2E00-\u2E7F\\'!\"#$%&()*+,./:;<=>?@\[\]^`{|}~]")
_EMOJI = regex.compile(r"[\p{Emoji_Presentation}\p{Extended_Pictographic}]")
_TAG = regex.compile(r"<[^>]+>")
_MD_LINK = regex.compile(r"\[([^\]]+)\]\([^)]+\)")
_ASCII_UPPER = regex.compile(r"[A-Z]+")
# JavaScript's \s: Python's Unicode whitespace plus U+FEFF.
_SPACE = regex.compile(r"[\s\uFEFF]")
_JS_TRIM = " \t\n\r\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
_JS_TRIM += "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


@functools.lru_cache(maxsize=65536)
def slug_base(text: str) -> str:
    """The slug of one heading text, before de-duplication."""
    slug = unicodedata.normalize("NFC", text.strip(_JS_TRIM))
    slug = _MD_LINK.sub(r"\1", slug)
    slug = slug.replace("\ufe0f", "")
    slug = _EMOJI.sub("", slug)
    slug = _ASCII_UPPER.sub(lambda m: m.group(0).lower(), slug)
    slug = _TAG.sub("", slug)
    slug = _PUNCT.sub("", slug)
    slug = _SPACE.sub("-", slug)
    if slug[:1].isascii() and slug[:1].isdigit():
        slug = "_" + slug
    return slug


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
