"""The site's vendor folder: the pinned front-end files (kb.assets) plus what only this site
knows (edit link, build hash, live reload)."""

from __future__ import annotations

from kb.assets import vendor_assets
from kb.config import Settings
from kb.gitinfo import edit_url
from kb.runtime import find_node_modules


def vendor(settings: Settings, build: str, *, live: bool = False) -> list[str]:
    """Copy the pinned front-end files into the vendor folder with the site info and the
    HTML policy; returns the vendor-relative files written (unchanged ones are not)."""
    info = {"editUrl": edit_url(settings), "build": build}
    if live:
        info["live"] = "1"
    return vendor_assets(
        find_node_modules(settings), settings.path(settings.vendor_dir), info, settings.iframe_hosts
    )
