"""A docsify site's own configuration (`window.$docsify`) and docsify's rules for routes.

kb never runs a site's JavaScript in Python. The inline scripts of index.html, and the local
script files it loads that mention `$docsify`, are evaluated by node in a fresh `vm` context
(`node/config.mjs`): code generation from strings off, a time limit per script and per key,
and node's permission model on, so the process can read nothing but its own script. What
comes back is plain JSON, validated here into `DocsifyConfig`.

The route rules follow docsify 5's router (`src/core/router/history/base.js`): `alias`
(regular expressions matched against the whole route, applied until nothing changes), `ext`,
folder → README, `homepage`, `basePath`; links and `relativePath` (`toURL`); images and
`:include` relative to the current route's folder (`compiler.js`).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple

from kb.routes import DocsifyRules, alias_pattern, is_absolute_url

INDEX_FILE = "index.html"
"""Also `kb.config.INDEX_FILE`: kb.config imports this module lazily, so it cannot import
kb.config back (tests/test_layers.py)."""
CONFIG_SCRIPT = Path(__file__).parent / "node" / "config.mjs"
SCRIPT_LIMIT = 1024 * 1024
"""Bytes of one local script file kb hands to the config reader."""
_MATH = re.compile(r"katex|mathjax|latex", re.I)
"""Script names of the math plugins docsify sites use."""


@dataclass(frozen=True)
class DocsifyConfig:
    """What kb reads of `window.$docsify` (docsify's defaults where a key is not set)."""

    base_path: str = ""
    """Folder of the markdown files relative to index.html ('' = beside it)."""
    remote_base: str = ""
    """A basePath that is a URL: the pages are not in this folder."""
    homepage: str = "README.md"
    ext: str = ".md"
    alias: tuple[tuple[str, str], ...] = ()
    relative_path: bool = False
    load_sidebar: str = ""
    """The sidebar file name docsify loads ('' when loadSidebar is off)."""
    load_navbar: str = ""
    coverpage: tuple[str, ...] = ()
    """Cover page files, relative to the site ('' = off)."""
    name_link: str = ""
    router_mode: str = "hash"
    sub_max_level: int = 0
    execute_script: bool = False
    """`executeScript: true`: docsify runs the scripts in pages."""
    math: bool = False
    """index.html loads a math plugin (KaTeX, MathJax, docsify-latex): `$…$` is math."""
    lang: str = ""
    """`<html lang>` of index.html."""
    found: bool = False
    """Whether index.html set `window.$docsify` at all."""
    sources: tuple[str, ...] = ()
    """Where the config was read from (index.html's inline scripts, script files)."""
    notes: tuple[str, ...] = ()
    """What could not be read, in one line each."""

    def navigation(self) -> tuple[str, ...]:
        """File names docsify loads as navigation rather than as pages."""
        names = [self.load_sidebar, self.load_navbar, *self.coverpage]
        return tuple(posixpath.basename(n) for n in names if n)

    def rules(self) -> DocsifyRules:
        """What decides where links go (`kb.routes`)."""
        return DocsifyRules(
            self.relative_path,
            self.base_path,
            self.ext,
            self.homepage,
            self.alias,
            self.remote_base,
        )

    def explain(self) -> list[str]:
        """What kb read, one line each, for `kb check --explain`."""
        where = ", ".join(self.sources) or "nowhere (docsify's defaults)"
        lines = [f"window.$docsify read from: {where}"]
        if not self.found:
            lines.append("window.$docsify not set: docsify's defaults apply")
        lines += [
            f"basePath: {self.remote_base or self.base_path or '(index.html folder)'}",
            f"homepage: {self.homepage}",
            f"ext: {self.ext}",
            f"relativePath: {'on' if self.relative_path else 'off'}",
            f"loadSidebar: {self.load_sidebar or 'off'}",
            f"loadNavbar: {self.load_navbar or 'off'}",
            f"coverpage: {', '.join(self.coverpage) or 'off'}",
            f"routerMode: {self.router_mode}",
            f"subMaxLevel: {self.sub_max_level}",
            f"executeScript: {'on' if self.execute_script else 'off'}",
            f"math plugin: {'yes ($…$ checked)' if self.math else 'no ($ is text)'}",
            f"nameLink: {self.name_link or '(default)'}",
            f"lang: {self.lang or '(not set)'}",
        ]
        if self.alias:
            lines.append(f"alias: {len(self.alias)} rule(s)")
            lines += [f"  {key} -> {value}" for key, value in self.alias]
        else:
            lines.append("alias: none")
        lines += [f"note: {note}" for note in self.notes]
        return lines


class IndexScript(NamedTuple):
    """One <script> of index.html: `src` for a script file, else its inline `code`."""

    src: str
    code: str
    type: str
    """The type attribute, lowercased ('' when absent)."""
    wall: bool
    """Marked `data-kb-wall`: part of kb's browser wall, not of the page's runtime."""

    @property
    def runs(self) -> bool:
        """A browser runs it as JavaScript (no type, or a JavaScript one)."""
        return self.type in ("", "text/javascript", "application/javascript", "module")


class IndexPage(HTMLParser):
    """The scripts of index.html in page order, and its `<html lang>`."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[IndexScript] = []
        self.lang = ""
        self._open: tuple[str, bool] | None = None
        self._inline: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {key: value or "" for key, value in attrs}
        if tag == "html" and not self.lang:
            self.lang = names.get("lang", "").strip()
        elif tag == "script":
            kind = names.get("type", "").strip().lower()
            wall = "data-kb-wall" in names
            if names.get("src"):
                self.scripts.append(IndexScript(names["src"], "", kind, wall))
            else:
                self._open, self._inline = (kind, wall), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._inline.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            kind, wall = self._open
            self.scripts.append(IndexScript("", "".join(self._inline), kind, wall))
            self._open = None


def is_docsify_index(path: Path) -> bool:
    """An index.html (a regular file) that loads docsify or sets `window.$docsify`."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        with path.open("rb") as handle:
            text = handle.read(SCRIPT_LIMIT).decode("utf-8", "replace")
    except OSError:
        return False
    return "$docsify" in text or re.search(r"<script[^>]+docsify", text, re.I) is not None


def read_config(site: Path, *, node: str | None = None, timeout: float = 1.0) -> DocsifyConfig:
    """`window.$docsify` of the site whose index.html is in `site`; docsify's defaults (with
    a note) when it cannot be read."""
    try:
        html = _read_regular(site / INDEX_FILE)
    except OSError as exc:
        return DocsifyConfig(notes=(f"{INDEX_FILE}: cannot read ({exc.strerror or exc})",))
    parsed = IndexPage(html)
    running = [script for script in parsed.scripts if script.runs]
    scripts, sources, notes = _config_scripts(site, running)
    math = any(script.src and _MATH.search(script.src.strip()) for script in running)
    if not scripts:
        return DocsifyConfig(lang=parsed.lang, math=math, notes=tuple(notes))
    import shutil  # noqa: PLC0415

    node = node or shutil.which("node")
    if node is None:
        notes.append("node not found: window.$docsify not read, docsify's defaults assumed")
        return DocsifyConfig(lang=parsed.lang, math=math, notes=tuple(notes))
    import json  # noqa: PLC0415 - only zero-config sites start node
    import subprocess  # noqa: PLC0415

    payload = json.dumps({"scripts": scripts, "timeout": int(timeout * 1000)})
    try:
        done = subprocess.run(
            [node, *_sandbox_flags(node), str(CONFIG_SCRIPT)],
            input=payload,
            capture_output=True,
            text=True,
            env={},  # nothing of this process's environment (tokens) is there to find
            timeout=10 + timeout * (len(scripts) + 20),
        )
        answer = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        notes.append(f"window.$docsify not read ({type(exc).__name__}): docsify's defaults")
        return DocsifyConfig(lang=parsed.lang, math=math, notes=tuple(notes))
    notes += [f"script error: {line}" for line in answer.get("errors", [])]
    config = _from_json(
        answer.get("config") or {}, bool(answer.get("found")), parsed.lang, sources, notes
    )
    return replace(config, math=math)


def _config_scripts(
    site: Path, scripts: list[IndexScript]
) -> tuple[list[dict[str, str]], tuple[str, ...], list[str]]:
    """The scripts that may set `window.$docsify`, in page order, with where they are from."""
    chosen: list[dict[str, str]] = []
    sources: list[str] = []
    notes: list[str] = []
    inline = 0
    for script in scripts:
        if not script.src:
            inline += 1
            if "$docsify" in script.code:
                chosen.append({"name": f"{INDEX_FILE} <script> #{inline}", "code": script.code})
                sources.append(f"{INDEX_FILE} (inline script #{inline})")
            continue
        value = script.src.strip()
        src = value.split("?", 1)[0].split("#", 1)[0]
        if is_absolute_url(src) or "docsify" in posixpath.basename(src).lower():
            continue  # docsify itself, plugins and CDN scripts set no config
        rel = posixpath.normpath(src.lstrip("/"))
        if rel.startswith("../") or rel == "..":
            continue
        try:
            code = _read_regular(site / rel)
        except OSError:
            notes.append(f"script '{value}' not found beside {INDEX_FILE}")
            continue
        if "$docsify" in code:
            chosen.append({"name": rel, "code": code})
            sources.append(rel)
    return chosen, tuple(sources), notes


def _read_regular(path: Path) -> str:
    if path.is_symlink() or not path.is_file():
        raise FileNotFoundError(2, "not a regular file", str(path))
    with path.open("rb") as handle:
        return handle.read(SCRIPT_LIMIT).decode("utf-8", "replace")


def _sandbox_flags(node: str) -> list[str]:
    """Node's permission model: the process may read the config script and nothing else."""
    import subprocess  # noqa: PLC0415

    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=5)
        major = int(version.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        major = 0
    flags = ["--no-warnings", "--max-old-space-size=128"]
    if major >= 23:
        flags.append("--permission")
    elif major >= 20:
        flags.append("--experimental-permission")
    else:
        return flags
    return [*flags, f"--allow-fs-read={CONFIG_SCRIPT}"]


def _from_json(
    data: dict[str, Any], found: bool, lang: str, sources: tuple[str, ...], notes: list[str]
) -> DocsifyConfig:
    def text(key: str, default: str = "") -> str:
        value = data.get(key)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        notes.append(f"{key}: not a string ({type(value).__name__}), ignored")
        return default

    def nav(key: str, default_name: str) -> str:
        value = data.get(key)
        if value is True:
            return default_name
        if isinstance(value, str) and value.strip():
            return value.strip().lstrip("/")
        return ""

    base = text("basePath").strip()
    remote_base = base if is_absolute_url(base) else ""
    base_path = (
        "" if remote_base else posixpath.normpath(base.strip("/")) if base.strip("/") else ""
    )
    if base_path == ".":
        base_path = ""
    alias: list[tuple[str, str]] = []
    raw_alias = data.get("alias")
    if isinstance(raw_alias, dict):
        for key, value in raw_alias.items():
            if isinstance(value, str):
                alias.append((str(key), value))
            else:
                notes.append(f"alias '{key}': target is not a string, ignored")
    cover = data.get("coverpage")
    if cover is True:
        covers: tuple[str, ...] = ("_coverpage.md",)
    elif isinstance(cover, str) and cover.strip():
        covers = (cover.strip().lstrip("/"),)
    elif isinstance(cover, list):
        covers = tuple(str(c).lstrip("/") for c in cover if isinstance(c, str) and c.strip())
    elif isinstance(cover, dict):
        covers = tuple(str(c).lstrip("/") for c in cover.values() if isinstance(c, str))
    else:
        covers = ()
    covers = tuple(c if c.endswith(".md") else posixpath.join(c, "_coverpage.md") for c in covers)
    name_link = data.get("nameLink")
    sub = data.get("subMaxLevel")
    config = DocsifyConfig(
        base_path=base_path,
        remote_base=remote_base,
        homepage=text("homepage", "README.md").lstrip("/") or "README.md",
        ext=text("ext", ".md") or ".md",
        alias=tuple(alias),
        relative_path=data.get("relativePath") is True,
        load_sidebar=nav("loadSidebar", "_sidebar.md"),
        load_navbar=nav("loadNavbar", "_navbar.md"),
        coverpage=covers,
        name_link=name_link if isinstance(name_link, str) else "",
        router_mode=text("routerMode", "hash") or "hash",
        sub_max_level=sub if isinstance(sub, int) and not isinstance(sub, bool) else 0,
        execute_script=data.get("executeScript") is True,
        lang=lang,
        found=found,
        sources=sources,
        notes=tuple(notes),
    )
    unusable = [key for key, _ in config.alias if alias_pattern(key) is None]
    if unusable:
        notes = [*config.notes, *(f"alias '{k}': not a pattern kb can read" for k in unusable)]
        config = replace(config, notes=tuple(notes))
    return config
