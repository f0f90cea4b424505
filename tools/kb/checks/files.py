"""Every file under docs/ is published, so every file is judged: an allow-list of types
(markdown, YAML, raster images, and SVG drawings that cannot run script or load anything),
no symlinks or special files, no names that break URLs or HTML.

A static host serves `docs/x.html` or `docs/x.svg` without the page's CSP; a script in such
a file runs on the site's origin, and a redirect can chain into it. A symlink can publish
any file of the machine that builds the site.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterator
from xml.parsers import expat

from kb.diagnostics import Diagnostic, make
from kb.site import Site
from kb.writer import read_regular

RASTER = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".avif": (b"",),
}
TEXT = {".md", ".yaml", ".yml"}
ALLOWED = ", ".join(sorted({*TEXT, *RASTER, ".svg"}))
MAX_SVG_BYTES = 4 << 20
"""Larger SVG files are not parsed (and refused)."""

# Letters and digits of any script, spaces and `-_.()`: names that survive URLs and HTML.
_SAFE_NAME = re.compile(r"^[\w\-. ()\u3000-\u303f\uff08\uff09]+$")

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_SCRIPTING = {"script", "foreignObject", "iframe", "embed", "object", "handler", "listener"}
_URL_IN_CSS = re.compile(r"url\(\s*(?!['\"]?#)|@import|expression\(|javascript:", re.IGNORECASE)


def check_files(site: Site) -> Iterator[Diagnostic]:
    """Findings for every entry under docs/ (and the root files kb reads)."""
    docs = site.settings.docs_dir.strip("/") + "/"
    for file, kind in sorted(site.irregular.items()):
        if file.startswith(docs) or file == docs.rstrip("/") or _read_by_kb(site, file):
            yield make(
                "SEC610",
                file,
                0,
                f"{kind} in the site: kb does not follow it and it must not be published",
                hint="commit the file itself instead of a link to it",
            )
    files = sorted(f for f in site.files if f.startswith(docs))
    # Findings depend on the names, and on the bytes of the files whose content is checked.
    read = [f for f in files if posixpath.splitext(f)[1].lower() in (*RASTER, ".svg")]
    state = "\0".join(files) + "\1" + "\0".join(f"{f}:{site.signatures.get(f)}" for f in read)
    key = "files\0" + hashlib.blake2b(state.encode(), digest_size=16).hexdigest()
    check = lambda: [d.encode() for f in files for d in _check_file(site, f)]  # noqa: E731
    known = all(f in site.signatures for f in read)  # a site loaded from disk knows them all
    yield from map(Diagnostic.decode, site.memo_key(key, check) if known else check())


def _read_by_kb(site: Site, file: str) -> bool:
    return file in (site.settings.sidebar, "index.html") or file.endswith(".md")


def _check_file(site: Site, file: str) -> Iterator[Diagnostic]:
    name = posixpath.basename(file)
    if not _SAFE_NAME.match(name) or name.startswith((".", "-")):
        yield make(
            "SEC613",
            file,
            0,
            f"file name {name!r} has characters that break links or HTML",
            hint="use letters, digits, '-', '_', '.', spaces and parentheses",
        )
    suffix = posixpath.splitext(name)[1].lower()
    if name.startswith(".") or (suffix not in TEXT and suffix not in RASTER and suffix != ".svg"):
        yield make(
            "SEC611",
            file,
            0,
            f"{_describe(name, suffix)} may not be published with the site",
            hint=f"allowed types: {ALLOWED}; link to other files elsewhere",
        )
    elif suffix in RASTER:
        yield from _check_raster(site, file, suffix)
    elif suffix == ".svg":
        yield from check_svg(file, read_regular(str(site.settings.path(file)), MAX_SVG_BYTES))


def _describe(name: str, suffix: str) -> str:
    if name.startswith("."):
        return "a hidden file"
    return f"a {suffix} file" if suffix else "a file without a type"


def _check_raster(site: Site, file: str, suffix: str) -> Iterator[Diagnostic]:
    head = read_regular(str(site.settings.path(file)), 15)
    kind = suffix.lstrip(".").upper()
    ok = any(head.startswith(magic) for magic in RASTER[suffix])
    if suffix == ".webp":
        ok = ok and head[8:12] == b"WEBP"
    if suffix == ".avif":
        ok = head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis")
    if not ok:
        yield make(
            "SEC611",
            file,
            0,
            f"not a {kind} image, although it is named like one",
            hint="save the picture in the format its name says (a host may serve it as HTML)",
        )


def check_svg(file: str, data: bytes) -> list[Diagnostic]:
    """An SVG may be shown as an image only when opening it cannot run script or load
    anything: no script elements or handlers, no foreignObject, no references outside the
    file, no DOCTYPE (entities), no processing instructions."""
    found: list[Diagnostic] = []

    def bad(line: int, message: str) -> None:
        found.append(
            make(
                "SEC612",
                file,
                line,
                message,
                hint="export the drawing as plain shapes and text (or as PNG)",
            )
        )

    if len(data) > MAX_SVG_BYTES:
        bad(0, f"SVG larger than {MAX_SVG_BYTES >> 20} MB is not checked")
        return found
    declaration = re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE)
    if declaration:
        # Not parsed at all: entity declarations are how XML bombs and file reads start.
        bad(data.count(b"\n", 0, declaration.start()) + 1, "DOCTYPE or ENTITY in an SVG")
        return found
    parser = expat.ParserCreate(namespace_separator=" ")
    stack: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        line = parser.CurrentLineNumber
        namespace, _, local = name.rpartition(" ")
        stack.append(local)
        if namespace and namespace != _SVG_NS:
            bad(line, f"element <{local}> from another namespace ({namespace})")
        elif local in _SCRIPTING:
            bad(line, f"<{local}> can run script or load other content")
        for key, value in attrs.items():
            attr = key.rpartition(" ")[2]
            lower = attr.lower()
            if lower.startswith("on"):
                bad(line, f"event handler '{attr}' on <{local}>")
            elif attr == "href" or key == f"{_XLINK_NS} href":
                if not value.strip().startswith("#"):
                    bad(line, f"<{local}> refers to {value[:60]!r} outside the file")
            elif lower == "style" and _URL_IN_CSS.search(value):
                bad(line, f"style on <{local}> loads a URL")
            elif local in ("set", "animate") and lower == "attributename":
                if value.lower().lstrip().startswith(("on", "href", "xlink:href")):
                    bad(line, f"<{local}> changes '{value}'")
            elif key.startswith("http://www.w3.org/XML/1998/namespace ") and attr == "base":
                bad(line, f"xml:base on <{local}> changes where references point")

    def text(data: str) -> None:
        if stack and stack[-1] == "style" and _URL_IN_CSS.search(data):
            bad(parser.CurrentLineNumber, "<style> loads a URL or runs script")

    def instruction(target: str, _: str) -> None:
        bad(parser.CurrentLineNumber, f"processing instruction <?{target} …?>")

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: stack.pop()
    parser.CharacterDataHandler = text
    parser.ProcessingInstructionHandler = instruction
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        bad(exc.lineno, f"not well-formed XML: {expat.ErrorString(exc.code)}")
    except RecursionError:
        bad(0, "SVG nested too deeply to check")
    return found
