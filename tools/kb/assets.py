"""Front-end files the site loads, and the copier that puts them into ``vendor/``.

``index.html`` loads docsify, KaTeX and the plugins from ``vendor/`` (never from a CDN), so
the site works offline and can be hosted as plain static files. ``vendor/`` is gitignored:
:func:`vendor_assets` rebuilds it from the pinned packages in ``node_modules/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kb.errors import UserError
from kb.policy import POLICY_SCRIPT, render_policy_script
from kb.writer import write_if_changed

FIX = "run `npm ci` (or ./dev serve)"
SITE_INFO_FILE = "kb-site.js"
"""Vendor-relative path of the generated ``window.KB_SITE`` script."""
RECORD_FILE = ".kb-assets.json"
"""Vendor-relative path of the list of files the last run wrote (used to remove stale ones)."""

_EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?")
# `@import url(https://…);`, `@import "//…";`: remote stylesheets (Google Fonts in docsify's
# vue addon). A local `@import` would be kept, but none of the files we copy has one.
_REMOTE_IMPORT = re.compile(
    r"""@import\s+(?:url\(\s*)?["']?(?:https?:)?//[^;]*;[ \t]*\r?\n?""", re.IGNORECASE
)
_CSS_SOURCE_MAP = re.compile(r"/\*#\s*sourceMappingURL=[^*]*\*/[ \t]*\r?\n?")
_JS_SOURCE_MAP = re.compile(r"^//#\s*sourceMappingURL=\S*[ \t]*\r?\n?", re.MULTILINE)


class AssetError(UserError):
    """node_modules is missing, incomplete or does not match package.json."""


@dataclass(frozen=True)
class Asset:
    """One file (or a glob of files) copied from an npm package into ``vendor/``."""

    package: str
    """npm package name; its installed version must equal the pin in package.json."""
    src: str
    """Posix path inside ``node_modules/<package>/``; may contain a ``*`` glob."""
    dest: str
    """Vendor-relative posix path; a directory (ending in ``/``) when ``src`` is a glob."""


ASSETS: tuple[Asset, ...] = (
    Asset("docsify", "dist/docsify.min.js", "docsify/docsify.min.js"),
    Asset("docsify", "dist/themes/core.min.css", "docsify/themes/core.min.css"),
    Asset("docsify", "dist/plugins/front-matter.min.js", "docsify/plugins/front-matter.min.js"),
    Asset("katex", "dist/katex.min.js", "katex/katex.min.js"),
    Asset("katex", "dist/katex.min.css", "katex/katex.min.css"),
    # Browsers that run docsify 5 all take the first (woff2) source of each @font-face.
    Asset("katex", "dist/fonts/*.woff2", "katex/fonts/"),
    Asset("docsify-latex", "dist/docsify-latex.min.js", "plugins/docsify-latex.min.js"),
    # The browser wall: every piece of HTML the site inserts is sanitized (assets/kb-sanitize.js).
    Asset("dompurify", "dist/purify.min.js", "dompurify/purify.min.js"),
    Asset("prismjs", "components/prism-python.min.js", "prism/prism-python.min.js"),
    Asset("prismjs", "components/prism-bash.min.js", "prism/prism-bash.min.js"),
    Asset("prismjs", "components/prism-yaml.min.js", "prism/prism-yaml.min.js"),
    Asset("prismjs", "components/prism-json.min.js", "prism/prism-json.min.js"),
    # The hosted site redistributes these packages, so their licences travel with them.
    Asset("docsify", "LICENSE", "licenses/docsify.txt"),
    Asset("katex", "LICENSE", "licenses/katex.txt"),
    Asset("docsify-latex", "LICENSE", "licenses/docsify-latex.txt"),
    Asset("dompurify", "LICENSE", "licenses/dompurify.txt"),
    Asset("prismjs", "LICENSE", "licenses/prismjs.txt"),
)
"""Everything index.html needs from node_modules, and nothing else."""


MIRROR_ASSETS: tuple[Asset, ...] = (
    Asset("katex", "dist/katex.min.js", "katex/katex.min.js"),
    Asset("katex", "dist/katex.min.css", "katex/katex.min.css"),
    Asset("katex", "dist/fonts/*.woff2", "katex/fonts/"),
    Asset("katex", "dist/contrib/auto-render.min.js", "katex/contrib/auto-render.min.js"),
    Asset("katex", "LICENSE", "licenses/katex.txt"),
)
"""What the static mirror (`kb export`) needs from node_modules: KaTeX typesets its math."""


SEARCH_INDEX_DIR = "search"
"""The search index folder, written by `kb build` (kb.search), not copied from node_modules:
never removed as stale here."""


def vendor_assets(
    node_modules: Path,
    vendor_dir: Path,
    site_info: Mapping[str, str],
    iframe_hosts: Sequence[str] = (),
) -> list[str]:
    """Copy the pinned front-end files into vendor_dir, with the site info and HTML policy.

    Returns the vendor-relative paths written; unchanged files are not rewritten. Raises
    :class:`AssetError` when node_modules is missing a file or does not match package.json.
    """
    pins = _read_pins(node_modules.parent / "package.json")
    files = dict(_collect(node_modules, pins))
    files[SITE_INFO_FILE] = render_site_info(site_info)
    files[POLICY_SCRIPT] = render_policy_script(iframe_hosts)
    written = [
        rel for rel, data in sorted(files.items()) if _write_if_changed(vendor_dir, rel, data)
    ]
    _remove_stale(vendor_dir, set(files))
    _write_if_changed(vendor_dir, RECORD_FILE, _record(files))
    return written


def render_site_info(site_info: Mapping[str, str]) -> bytes:
    """Return ``vendor/kb-site.js``: ``window.KB_SITE = {...};`` with JSON-escaped values."""
    body = json.dumps(dict(site_info), ensure_ascii=True, sort_keys=True, indent=2)
    return f"// Generated by kb; do not edit.\nwindow.KB_SITE = {body};\n".encode()


def strip_remote_imports(css: str) -> str:
    """Remove ``@import`` rules that load remote stylesheets (e.g. Google Fonts)."""
    return _REMOTE_IMPORT.sub("", css)


def _read_pins(package_json: Path) -> dict[str, str]:
    try:
        meta = json.loads(package_json.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssetError(
            f"{package_json} not found: node_modules must sit next to the package.json "
            "that pins the front-end packages"
        ) from None
    except (OSError, ValueError) as exc:
        raise AssetError(f"cannot read {package_json}: {exc}") from None
    pins = dict(meta.get("dependencies") or {})
    for package in sorted({asset.package for asset in ASSETS}):
        version = pins.get(package)
        if not isinstance(version, str) or not _EXACT_VERSION.fullmatch(version):
            raise AssetError(
                f"{package_json} must pin {package} to an exact version, got {version!r}"
            )
    return pins


def copy_assets(node_modules: Path, dest: Path, assets: Sequence[Asset]) -> list[str]:
    """Copy `assets` (checked against the pins of package.json) into `dest`; returns the
    dest-relative paths."""
    pins = _read_pins(node_modules.parent / "package.json")
    written = []
    for rel, data in _collect(node_modules, pins, assets):
        _write_if_changed(dest, rel, data)
        written.append(rel)
    return written


def _collect(
    node_modules: Path, pins: Mapping[str, str], assets: Sequence[Asset] = ASSETS
) -> Iterator[tuple[str, bytes]]:
    checked: set[str] = set()
    for asset in assets:
        if asset.package not in checked:
            _check_installed(node_modules, asset.package, pins[asset.package])
            checked.add(asset.package)
        for src, rel in _expand(node_modules / asset.package, asset):
            yield rel, _transform(rel)(src.read_bytes())


def _check_installed(node_modules: Path, package: str, pinned: str) -> None:
    meta_path = node_modules / package / "package.json"
    try:
        installed = json.loads(meta_path.read_text(encoding="utf-8")).get("version")
    except FileNotFoundError:
        raise AssetError(f"{node_modules / package} is missing: {FIX}") from None
    except (OSError, ValueError) as exc:
        raise AssetError(f"cannot read {meta_path} ({exc}): {FIX}") from None
    if installed != pinned:
        raise AssetError(
            f"node_modules is stale: {package} {installed} is installed but package.json "
            f"pins {pinned}; run npm ci (or ./dev serve)"
        )


def _expand(package_dir: Path, asset: Asset) -> Iterator[tuple[Path, str]]:
    if "*" not in asset.src:
        src = package_dir / asset.src
        if not src.is_file():
            raise AssetError(f"{src} is missing: {FIX}")
        yield src, asset.dest
        return
    matches = sorted(p for p in package_dir.glob(asset.src) if p.is_file())
    if not matches:
        raise AssetError(f"no files match {package_dir / asset.src}: {FIX}")
    for src in matches:
        yield src, asset.dest + src.name


def _transform(rel: str) -> Callable[[bytes], bytes]:
    """Pick the rewrite for a vendored file; source maps are not copied, so drop their links."""
    if rel.endswith(".css"):
        return lambda data: _CSS_SOURCE_MAP.sub("", strip_remote_imports(data.decode())).encode()
    if rel.endswith(".js"):
        return lambda data: _JS_SOURCE_MAP.sub("", data.decode()).encode()
    return lambda data: data


def _target(vendor_dir: Path, rel: str) -> Path:
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
        raise ValueError(f"refusing to write outside {vendor_dir}: {rel!r}")
    return vendor_dir.joinpath(*parts)


def _write_if_changed(vendor_dir: Path, rel: str, data: bytes) -> bool:
    return write_if_changed(_target(vendor_dir, rel), data)


def _record(files: Mapping[str, bytes]) -> bytes:
    return (json.dumps({"files": sorted(files)}, indent=2) + "\n").encode()


def _remove_stale(vendor_dir: Path, current: set[str]) -> None:
    """Delete files a previous run wrote that the manifest no longer lists."""
    try:
        previous = json.loads((vendor_dir / RECORD_FILE).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    for rel in previous:
        if not isinstance(rel, str) or rel in current or rel == RECORD_FILE:
            continue
        try:
            _target(vendor_dir, rel).unlink(missing_ok=True)
        except ValueError:
            continue
