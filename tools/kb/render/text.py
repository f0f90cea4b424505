"""Escaping for text placed into generated markdown."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

_MD_SPECIAL = re.compile(r"([\\`*_|])")
_BRACKETS = str.maketrans({"[": "&#91;", "]": "&#93;"})
"""Brackets become character references, not backslash escapes: docsify's marked reads the
text of a link again, so `\\[a\\](javascript:x)` or `\\[a\\]\\[ref\\]` in a label became a
link of its own (to a URL in the label, or to a reference defined elsewhere on the page)."""
_URL_SAFE = re.compile(r"^[A-Za-z0-9/._~#?=&%:-]*$")


def md_text(value: object) -> str:
    """Plain text that stays plain inside markdown: no HTML, no emphasis, no links, one line."""
    text = " ".join(str(value).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False).translate(_BRACKETS))


def md_cell(value: object) -> str:
    """Trusted markdown (our own strings) made safe for one table cell."""
    return " ".join(str(value).split()).replace("|", "\\|")


def md_url(path: str) -> str:
    """Percent-encode a link target so spaces, CJK and parentheses survive markdown."""
    if _URL_SAFE.match(path):
        return path
    return quote(path, safe="/-._~#?=&%:")


def route(file: str) -> str:
    """The root-absolute sidebar link of a page file (folders' README.md become `dir/`)."""
    if file == "README.md":
        return "/"
    if file.endswith("/README.md"):
        return "/" + file[: -len("README.md")]
    return "/" + file
