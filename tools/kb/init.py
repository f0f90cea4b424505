"""`kb init`: adopt kb on an existing docsify site.

It writes a minimal `kb.toml` beside index.html (docsify's checks, the content model off)
and, with `--front-matter`, a front-matter skeleton (`type`, `title` from the page's first
heading) at the top of each page that has none. It never touches the hand-written sidebar,
navbar or cover page, never rewrites a page that has front matter, and writes each file
atomically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kb.collect import walk_files
from kb.config import KB_TOML, Settings
from kb.errors import UserError
from kb.writer import write_atomic

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
_FRONT = re.compile(r"^(?:\ufeff)?---[ \t]*\r?\n")
_FRONT_MATTER_PLUGIN = re.compile(r"front-?matter", re.I)


class InitError(UserError):
    """kb init cannot run here; the message says why and what to do instead."""


@dataclass
class InitResult:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def kb_toml_text(lang: str) -> str:
    return (
        "# kb settings for this docsify site (kb init).\n"
        "# content_model = false: kb runs docsify's checks only (links, routes, ?id= anchors,\n"
        "# images, :include, unsafe HTML), by the rules of this site's window.$docsify.\n"
        '# Severities can be changed per code, e.g. severity = { LNK216 = "off" }.\n'
        "content_model = false\n"
        f'lang = "{lang}"\n'
    )


def init_site(settings: Settings, *, front_matter: bool = False) -> InitResult:
    """Write kb.toml (and the skeletons); raises InitError when the site is set up already."""
    root = settings.root
    if settings.origin != "index.html":
        raise InitError(
            f"{root / settings.origin} already holds kb's settings; kb init is for a docsify "
            "site that has none"
        )
    result = InitResult()
    write_atomic(root / KB_TOML, kb_toml_text(settings.lang).encode())
    result.written.append(KB_TOML)
    result.notes.append(
        "kb keeps its cache in .kb-cache/ beside index.html from now on: add it to .gitignore"
    )
    if front_matter:
        _front_matter(settings, result)
    return result


def _front_matter(settings: Settings, result: InitResult) -> None:
    navigation = set(settings.docsify.navigation()) if settings.docsify else set()
    for file in walk_files(settings).pages:
        name = file.rsplit("/", 1)[-1]
        if name.startswith("_") or name in navigation:
            result.skipped.append(file)  # navigation and docsify's own files stay as written
            continue
        path = settings.path(file)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            result.skipped.append(file)
            result.notes.append(f"{file}: not UTF-8, left as it is")
            continue
        if _FRONT.match(text):
            result.skipped.append(file)
            continue
        newline = "\r\n" if "\r\n" in text else "\n"
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        body = text[len(bom) :]
        skeleton = newline.join(["---", "type: note", f"title: {_title(body, file)}", "---", ""])
        write_atomic(path, (bom + skeleton + body).encode("utf-8"))
        result.written.append(file)
    index = settings.path("index.html")
    try:
        html = index.read_text(encoding="utf-8", errors="replace")
    except OSError:
        html = ""
    if result.written[1:] and not _FRONT_MATTER_PLUGIN.search(html):
        result.notes.append(
            "index.html loads no front-matter plugin, so docsify shows front matter as text: "
            "add docsify's plugins/front-matter.min.js after docsify itself"
        )


def _title(body: str, file: str) -> str:
    """The page's first level-1 heading, else its first heading, else its file name, as a
    YAML scalar."""
    from kb.render.tables import yaml_scalar  # noqa: PLC0415

    headings = _HEADING.findall(body)
    level_one = [text for marks, text in headings if marks == "#"]
    title = (level_one or [text for _, text in headings] or [Path(file).stem])[0]
    return yaml_scalar(title.strip())
