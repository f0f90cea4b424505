"""The site's front-end runtime: which scripts its index.html runs, and where they live.

`kb check` renders pages with the site's own docsify (tools/kb/node/gate.mjs), so it needs
the scripts a reader's browser runs, in order: files of the site (assets/…) as they are, and
`vendor/…` files from the pinned npm packages they are copied from (kb.assets.ASSETS).
Scripts that are the browser wall (marked `data-kb-wall`) and files kb generates into
vendor/ are left out: the gate judges pages as they are before anything sanitizes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from kb.assets import ASSETS, SITE_INFO_FILE
from kb.config import INDEX_FILE, Settings
from kb.docsify import IndexPage
from kb.errors import UserError
from kb.policy import POLICY_SCRIPT

_GENERATED = {SITE_INFO_FILE, POLICY_SCRIPT}
"""Vendor files kb writes for the site (not scripts from node_modules)."""


class GateError(UserError):
    """The HTML gate cannot run (no runtime, no node); the message names the fix."""


@dataclass(frozen=True)
class Runtime:
    scripts: tuple[Path, ...]
    """Absolute paths, in the order index.html runs them."""
    node_modules: Path
    signature: str
    """Changes whenever any script, the policy or the gate's own code changes."""
    scope: str = "strict"
    """What the gate reports: "strict", the site's whole HTML policy (pages from strangers,
    kb's content model); "script", only what can run script, redirect the page or load
    active content (any docsify site: its own styling and hotlinked images are its choice)."""


def find_node_modules(settings: Settings) -> Path:
    """The site's node_modules; a site without a package.json of its own uses the one beside
    kb's source (a repository checkout), whose package.json pins the same packages."""
    own = settings.path(settings.node_modules)
    if own.is_dir():
        return own
    checkout = _checkout_node_modules()
    if not settings.path("package.json").exists() and checkout.is_dir():
        return checkout
    raise GateError(
        f"{settings.node_modules}/ not found: kb renders pages with the site's pinned docsify; "
        "run `npm ci` (or ./dev test)"
    )


def read_index(settings: Settings) -> str:
    """index.html of the site: a regular file (never through a symlink)."""
    path = settings.path(INDEX_FILE)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise GateError(
            f"{INDEX_FILE} not found at {settings.root}: kb renders pages the way the site's "
            "docsify page does; run kb in the site's folder or pass --root"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise GateError(f"{INDEX_FILE} is not a regular file (a symlink?); replace it")
    return path.read_text(encoding="utf-8", errors="replace")


def find_runtime(settings: Settings) -> Runtime:
    """The scripts index.html runs, resolved to files; raises GateError. A site without
    kb's content model is rendered by kb's own pinned docsify with the site's link settings:
    its index.html usually loads docsify and plugins from a CDN, which kb never runs."""
    if not settings.content_model:
        return _plain_runtime(settings)
    node_modules = find_node_modules(settings)
    vendored = {asset.dest: asset for asset in ASSETS if "*" not in asset.src}
    scripts: list[Path] = []
    for script in IndexPage(read_index(settings)).scripts:
        if not script.src or script.wall:
            continue
        path = _resolve(settings, node_modules, vendored, script.src)
        if path is not None:
            scripts.append(path)
    if not scripts:
        raise GateError(f"{INDEX_FILE} loads no scripts from the site: is it a docsify page?")
    return Runtime(tuple(scripts), node_modules, _signature(scripts))


def _checkout_node_modules() -> Path:
    """node_modules of kb's own checkout (its package.json pins docsify and the plugins)."""
    return Path(__file__).resolve().parents[2] / "node_modules"


def _plain_runtime(settings: Settings) -> Runtime:
    checkout = _checkout_node_modules()
    if not checkout.is_dir():
        raise GateError(
            "kb renders the pages of a docsify site with its own pinned docsify, found in "
            f"{checkout}: run `npm ci` in kb's checkout (or ./dev test)"
        )
    docsify = next(a for a in ASSETS if a.dest == "docsify/docsify.min.js")
    rules = settings.docsify.rules() if settings.docsify is not None else None
    config = {
        "relativePath": bool(rules and rules.relative_path),
        "basePath": (rules.base_path + "/") if rules and rules.base_path else "",
        "ext": rules.ext if rules else ".md",
        "alias": dict(rules.alias) if rules else {},
    }
    text = f"window.$docsify = {json.dumps(config, sort_keys=True)};\n"
    folder = settings.path(settings.cache_dir)
    script = folder / "docsify-config.js"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not script.is_file() or script.read_text(encoding="utf-8") != text:
            from kb.writer import write_atomic  # noqa: PLC0415

            write_atomic(script, text.encode())
    except OSError as exc:
        raise GateError(f"cannot write {script}: {exc.strerror or exc}") from None
    scripts = [script, checkout / docsify.package / docsify.src]
    return Runtime(tuple(scripts), checkout, _signature(scripts) + ":script", "script")


def _resolve(settings: Settings, node_modules: Path, vendored: dict, src: str) -> Path | None:
    parts = urlsplit(src)
    if parts.scheme or parts.netloc:
        return None  # another origin: the CSP (script-src 'self') never runs it
    rel = PurePosixPath(unquote(parts.path).lstrip("/"))
    vendor_dir = PurePosixPath(settings.vendor_dir)
    if rel.parts[: len(vendor_dir.parts)] == vendor_dir.parts:
        inside = PurePosixPath(*rel.parts[len(vendor_dir.parts) :]).as_posix()
        if inside in _GENERATED:
            return None
        asset = vendored.get(inside)
        if asset is None:
            raise GateError(
                f"{INDEX_FILE} loads {src}, which kb does not vendor (tools/kb/assets.py ASSETS)"
            )
        return node_modules / asset.package / asset.src
    path = settings.root.joinpath(*rel.parts)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise GateError(f"{INDEX_FILE} loads {src}, which does not exist") from None
    if not stat.S_ISREG(info.st_mode) or ".." in rel.parts:
        raise GateError(f"{INDEX_FILE} loads {src}, which is not a regular file in the site")
    return path


def _signature(scripts: list[Path]) -> str:
    from kb.policy import POLICY_FILE  # noqa: PLC0415

    digest = hashlib.blake2b(digest_size=20)
    gate_code = sorted((Path(__file__).parent / "node").glob("*.mjs"))
    for path in [*scripts, POLICY_FILE, *gate_code]:
        try:
            digest.update(path.read_bytes())
        except OSError as exc:
            raise GateError(f"cannot read {path}: {exc.strerror}; run `npm ci`") from None
        digest.update(b"\0")
    return digest.hexdigest()
