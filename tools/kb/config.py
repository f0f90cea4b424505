"""Settings from `pyproject.toml` `[tool.kb]`, validated once."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.diagnostics import CODES, Severity
from kb.links.settings import LinkSettings, parse_link_settings
from kb.options import ConfigError, read_table, strings
from kb.sources import SourceSettings, parse_source_settings

if TYPE_CHECKING:
    from kb.docsify import DocsifyConfig

INDEX_FILE = "index.html"
MIRROR_DIR = "static"
"""Where `kb publish` puts the static mirror (`kb export`), inside the published site."""

__all__ = ["ConfigError", "Settings", "find_root", "load_settings", "read_limit"]


NAVIGATION = ("_sidebar.md", "_navbar.md", "_coverpage.md")
"""Files docsify compiles as navigation (the sidebar path of its compiler)."""
NAVIGATION_KB = 4096
"""Navigation files may grow to this size whatever `max_page_kb` says: the sidebar kb
generates lists every page (about 1 MB at 10,000 pages) and is loaded once, not per page."""


def read_limit(max_page_kb: int, file: str) -> int:
    """The bytes kb reads of a markdown file; a larger file gets MD504 and is not read."""
    if file.rsplit("/", 1)[-1] in NAVIGATION:
        return max(max_page_kb, NAVIGATION_KB) * 1024
    return max_page_kb * 1024


@dataclass(frozen=True)
class Settings:
    root: Path
    """Repository root (the folder holding pyproject.toml and index.html)."""
    docs_dir: str = "docs"
    """Folder of the pages, relative to root."""
    sidebar: str = "_sidebar.md"
    """Generated sidebar file, relative to root."""
    vocabulary: str = "docs/_data/vocabulary.yaml"
    """Controlled vocabularies for paper fields."""
    data_dir: str = "docs/_data"
    """YAML data files that `kb tables` can render."""
    iframe_hosts: tuple[str, ...] = ()
    """Hosts whose iframes pages may embed."""
    severity: dict[str, Severity | None] = field(default_factory=dict)
    """Per-code overrides: error, warning, info or off."""
    max_page_kb: int = 512
    """Pages above this size get MD504 (navigation files: see `read_limit`)."""
    serve_host: str = "127.0.0.1"
    serve_port: int = 3000
    cache_dir: str = ".kb-cache"
    """Per-page parse cache (content-hash keyed); safe to delete."""
    site_url: str = ""
    """Where the site is hosted (https://…/): the static mirror's sitemap and canonical
    links (`kb export`, `kb publish`); empty: the mirror lists no absolute URLs."""
    edit_url: str = ""
    """Template of the "edit this page" link, with `{path}`; empty: derived from git origin."""
    node_modules: str = "node_modules"
    vendor_dir: str = "vendor"
    jobs: int = 0
    """Worker processes for a cold build and renderers of the HTML gate; 0 = one per CPU."""
    render_timeout: int = 10
    """Seconds the HTML gate may spend rendering one page; a slower page is refused."""
    links: LinkSettings = field(default_factory=LinkSettings)
    """`[tool.kb.links]`: the external link checker (`kb links`)."""
    sources: SourceSettings = field(default_factory=SourceSettings)
    """`[tool.kb.sources]`: where a paper's record comes from (Crossref, arXiv)."""
    content_model: bool = True
    """kb's content model: front matter schema, generated sidebar and tables, paper pages.
    Off for a docsify site kb found without `[tool.kb]`, or with `content_model = false`."""
    docsify: DocsifyConfig | None = None
    """The site's own `window.$docsify`, read when the content model is off: its link rules
    (alias, relativePath, basePath, …) and navigation files. None: this repository's layout."""
    origin: str = "pyproject.toml"
    """Where the settings came from: pyproject.toml, kb.toml, or index.html (zero config)."""
    lang: str = "en"
    """Language of the text report: "en" or "zh" (`--lang` overrides; zero config: the
    site's `<html lang>`)."""

    def path(self, rel: str) -> Path:
        return self.root / rel

    @property
    def docs_path(self) -> Path:
        return self.root / self.docs_dir


_SEVERITY_WORDS: dict[str, Severity | None] = {
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "off": None,
}


KB_TOML = "kb.toml"
"""Settings file for a site without a pyproject.toml: the same keys, at the top level."""


def find_root(start: Path) -> Path:
    """The site kb works on, from `start` upward: the nearest folder whose pyproject.toml has
    `[tool.kb]` or that holds a kb.toml; else the nearest folder holding a docsify
    index.html (or a `docs/` folder holding one, beside `start`)."""
    folders = [start, *start.parents]
    for folder in folders:
        if (folder / KB_TOML).is_file() or _has_kb_table(folder / "pyproject.toml"):
            return folder
    for folder in folders:
        if _is_docsify_index(folder / INDEX_FILE):
            return folder
    if _is_docsify_index(start / "docs" / INDEX_FILE):
        return start / "docs"
    raise ConfigError(
        f"no docsify site at or above {start}: kb looks for an index.html that loads docsify "
        "(or a pyproject.toml with [tool.kb], or a kb.toml); run kb inside the site or pass "
        "--root"
    )


def _is_docsify_index(path: Path) -> bool:
    from kb.docsify import is_docsify_index  # noqa: PLC0415 - zero-config sites only

    return is_docsify_index(path)


def _has_kb_table(pyproject: Path) -> bool:
    try:
        return pyproject.is_file() and "[tool.kb]" in pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def load_settings(root: Path) -> Settings:
    """Settings of the site at `root`: `[tool.kb]` of pyproject.toml, or kb.toml, or (with
    neither) the zero-config settings of a plain docsify site."""
    pyproject = root / "pyproject.toml"
    kb_toml = root / KB_TOML
    if kb_toml.is_file():
        table, where = _read_toml(kb_toml), KB_TOML
        table = table.get("tool", {}).get("kb", table) if "tool" in table else table
    elif pyproject.is_file() and _has_kb_table(pyproject):
        table, where = _read_toml(pyproject).get("tool", {}).get("kb"), "pyproject.toml"
        if not isinstance(table, dict):
            raise ConfigError(f"{pyproject}: [tool.kb] is not a table")
    elif _is_docsify_index(root / INDEX_FILE):
        return plain_settings(root)
    elif pyproject.is_file():
        raise ConfigError(
            f"{pyproject}: no [tool.kb] table and no docsify index.html beside it; add one "
            "(see README) or pass the site's folder with --root"
        )
    else:
        raise ConfigError(
            f"{root}: no docsify index.html, kb.toml or pyproject.toml here; pass the site's "
            "folder with --root"
        )
    values = _validate(table, where)
    settings = Settings(root=root, origin=where, **values)
    if not settings.content_model:
        from kb.docsify import read_config  # noqa: PLC0415

        docsify = read_config(root)
        settings = replace(
            settings,
            docs_dir=values.get("docs_dir", docsify.base_path),
            sidebar="",
            vocabulary=values.get("vocabulary", ""),
            data_dir=values.get("data_dir", ""),
            docsify=docsify,
        )
    return settings


def plain_settings(root: Path) -> Settings:
    """A docsify site with no kb settings: docsify's checks only, its own rules, and the
    cache outside the site (kb writes nothing into a folder that did not ask for it)."""
    from kb.docsify import read_config  # noqa: PLC0415

    docsify = read_config(root)
    cache = _user_cache(root)
    return Settings(
        root=root,
        lang="zh" if docsify.lang.lower().startswith("zh") else "en",
        docs_dir=docsify.base_path,
        sidebar="",
        vocabulary="",
        data_dir="",
        cache_dir=str(cache),
        links=LinkSettings(cache_file=str(cache / "links.json")),
        severity={"MD504": Severity.WARNING},  # a page kb cannot read is not a broken page
        content_model=False,
        docsify=docsify,
        origin=INDEX_FILE,
    )


def _user_cache(root: Path) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    digest = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
    return Path(base) / "kb" / f"{root.name or 'site'}-{digest}"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found; pass --root to the site") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _validate(table: dict[str, Any], where: str) -> dict[str, Any]:
    rules = {
        "lang": _validate_lang,
        "iframe_hosts": strings("host names", lower=True),
        "site_url": _validate_site_url,
        "severity": _validate_severity,
        "links": lambda value, _: parse_link_settings(value, f"{where}: [tool.kb.links]"),
        "sources": lambda value, _: parse_source_settings(value, f"{where}: [tool.kb.sources]"),
    }
    return read_table(
        Settings, table, f"{where}: [tool.kb]", rules=rules, skip=("root", "docsify", "origin")
    )


def _validate_site_url(value: Any, prefix: str) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
        raise ConfigError(f'{prefix}: expected an http(s) URL such as "https://example.org/kb/"')
    return value


def _validate_lang(value: Any, prefix: str) -> str:
    if value not in ("en", "zh"):
        raise ConfigError(f'{prefix}: expected "en" or "zh", got {value!r}')
    return str(value)


def _validate_severity(value: Any, prefix: str) -> dict[str, Severity | None]:
    if not isinstance(value, dict):
        raise ConfigError(f'{prefix}: expected a table such as {{ LNK205 = "error" }}')
    result: dict[str, Severity | None] = {}
    for code, word in value.items():
        if code not in CODES:
            raise ConfigError(f"{prefix}: unknown diagnostic code {code!r}")
        if word not in _SEVERITY_WORDS:
            raise ConfigError(
                f"{prefix}.{code}: expected one of error, warning, info, off, got {word!r}"
            )
        result[code] = _SEVERITY_WORDS[word]
    return result
