"""Settings from `pyproject.toml` `[tool.kb]`, validated once."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.diagnostics import CODES, Severity
from kb.links.settings import LinkSettings, parse_link_settings
from kb.options import ConfigError, read_table, strings
from kb.sources import SourceSettings, parse_source_settings

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


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` whose pyproject.toml has `[tool.kb]`."""
    for folder in [start, *start.parents]:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.kb]" in pyproject.read_text(encoding="utf-8"):
            return folder
    raise ConfigError(
        f"no pyproject.toml with a [tool.kb] table at or above {start}; "
        "run kb inside the repository or pass --root"
    )


def load_settings(root: Path) -> Settings:
    """Read and validate `[tool.kb]` from `root/pyproject.toml`."""
    pyproject = root / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{pyproject}: not found; pass --root to the repository") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("kb")
    if not isinstance(table, dict):
        raise ConfigError(
            f"{pyproject}: no [tool.kb] table; add one (see README) or pass the right --root"
        )
    return Settings(root=root, **_validate(table, "pyproject.toml"))


def _validate(table: dict[str, Any], where: str) -> dict[str, Any]:
    rules = {
        "iframe_hosts": strings("host names", lower=True),
        "severity": _validate_severity,
        "links": lambda value, _: parse_link_settings(value, f"{where}: [tool.kb.links]"),
        "sources": lambda value, _: parse_source_settings(value, f"{where}: [tool.kb.sources]"),
    }
    return read_table(Settings, table, f"{where}: [tool.kb]", rules=rules, skip=("root",))


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
