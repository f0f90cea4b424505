"""`kb assets`: the pinned front-end files reach vendor/ from node_modules, or a clear error."""

from __future__ import annotations

import shutil

from tests.helpers import REPO, KbRunner, SiteBuilder


def test_assets_copies_the_manifest_and_writes_site_info(site: SiteBuilder, kb: KbRunner) -> None:
    root = site({}, kb_toml='edit_url = "https://example.org/edit/{path}"\n')
    shutil.copy2(REPO / "package.json", root / "package.json")
    (root / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    code, _, err = kb(root, "assets")
    assert code == 0, err
    vendor = root / "vendor"
    assert (vendor / "docsify/docsify.min.js").stat().st_size > 100_000
    assert list((vendor / "katex/fonts").glob("*.woff2"))
    info = (vendor / "kb-site.js").read_text(encoding="utf-8")
    assert '"editUrl": "https://example.org/edit/{path}"' in info
    assert "googleapis" not in (vendor / "docsify/themes/core.min.css").read_text(encoding="utf-8")
    code, _, err = kb(root, "assets")
    assert code == 0 and "(0 file(s) written)" in err


def test_assets_without_node_modules_says_how_to_fix(site: SiteBuilder, kb: KbRunner) -> None:
    root = site({})
    shutil.copy2(REPO / "package.json", root / "package.json")
    code, _, err = kb(root, "assets")
    assert code == 3
    assert "npm ci" in err
