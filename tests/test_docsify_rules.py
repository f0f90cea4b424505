"""docsify's route rules in kb (kb.routes with DocsifyRules), against docsify's own router.

The oracle is docsify's router source from the pinned npm package (`tests/oracle/
docsify_router.mjs`): for every combination of settings, page and href below, the route
docsify compiles the link to and the file its router fetches must be the ones kb checks.
"""

from __future__ import annotations

import itertools
import json
import posixpath
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from kb.routes import (
    DocsifyRules,
    ascii_lower,
    page_route,
    resolve_docsify,
    resolve_image,
    route_file,
)

ORACLE = Path(__file__).parent / "oracle" / "docsify_router.mjs"

CONFIGS = {
    "defaults": {},
    "relative": {"relativePath": True},
    "base": {"basePath": "docs/"},
    "relative+base": {"relativePath": True, "basePath": "/docs/"},
    "alias": {
        "alias": {
            "/.*/_sidebar.md": "/_sidebar.md",
            "/zh-cn/(.*)": "https://cdn.test/zh/$1",
            ".*?/changelog": "https://raw.test/CHANGELOG.md",
            "/old/(.*)": "/new/$1",
            "/new/(.*)": "/newer/$1",
        }
    },
    "homepage": {"homepage": "intro.md"},
}
PAGES = ["README.md", "guide.md", "zh-cn/README.md", "zh-cn/deep/page.md", "a/b.md"]
HREFS = [
    "guide.md",
    "guide",
    "./guide.md",
    "../guide.md",
    "sub/",
    "sub/page.md#Heading",
    "/abs/page.md",
    "/abs/",
    "#/routed/page?id=x",
    "#local",
    "?id=local",
    "page.md?id=there",
    "old/thing",
    "/old/thing",
    "zh-cn/foo",
    "x/changelog",
    "%E4%B8%AD%E6%96%87.md",
    "intro.md",
    "a/../b.md",
]


def _rules(config: dict) -> DocsifyRules:
    return DocsifyRules(
        relative_path=config.get("relativePath") is True,
        base_path=config.get("basePath", "").strip("/"),
        homepage=config.get("homepage", "README.md"),
        alias=tuple(config.get("alias", {}).items()),
    )


def _site_file(config: dict, page: str) -> str:
    base = config.get("basePath", "").strip("/")
    return f"{base}/{page}" if base else page


def _fetched(base: str, file: str) -> str:
    """The file the browser fetches for docsify's path: `.` and `..` segments folded as URL
    resolution folds them; '' when that climbs out of the site's folder."""
    joined = posixpath.normpath(posixpath.join(base or ".", file))
    return "" if joined == ".." or joined.startswith("../") else joined


def test_kb_resolves_every_link_as_docsifys_router_does() -> None:
    node = shutil.which("node")
    assert node, "node is needed (./dev test installs it)"
    cases = []
    for (name, config), page, href in itertools.product(CONFIGS.items(), PAGES, HREFS):
        rules = _rules(config)
        file = _site_file(config, page)
        if route_file(page_route(file, rules), rules) != (file, ""):
            continue  # the page's route shows another file (homepage, alias): never displayed
        cases.append((name, config, file, href, page_route(file, rules)))
    payload = [{"config": c, "current": route, "href": h} for _, c, _, h, route in cases]
    done = subprocess.run(
        [node, str(ORACLE)], input=json.dumps(payload), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)
    mismatches = []
    for (name, config, file, href, _), answer in zip(cases, answers, strict=True):
        rules = _rules(config)
        target = resolve_docsify(file, href, "link", rules)
        assert target is not None, (name, file, href)
        query = answer["url"].split("?", 1)[1] if "?" in answer["url"] else ""
        anchor = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("id", "")
        if target.remote:
            got, want = target.remote, answer["file"]
        else:
            got, want = target.file, _fetched(rules.base_path, answer["file"])
        # docsify lowercases the id it puts in the URL; kb compares ids the same way
        if (got, ascii_lower(target.anchor)) != (unquote(want), ascii_lower(unquote(anchor))):
            mismatches.append(f"{name} {file} [{href}]: kb {got}#{target.anchor}, docsify {want}")
        # An image URL as the browser fetches it: query dropped, percent-decoded. (docsify
        # drops a path segment holding '#': image hrefs with fragments are left out.)
        plain = "#" not in href and not href.startswith("?")
        image = resolve_image(file, href, "image", rules) if plain else None
        fetched = _fetched("", unquote(answer["embed"].split("?")[0]))
        if image is not None and image != fetched:
            mismatches.append(
                f"{name} {file} image [{href}]: kb {image}, docsify {answer['embed']}"
            )
    assert not mismatches, "\n".join(mismatches[:20])
    assert len(answers) > 0.8 * len(CONFIGS) * len(PAGES) * len(HREFS)


def test_a_pages_route_leads_back_to_the_page() -> None:
    for config in CONFIGS.values():
        rules = _rules(config)
        for page in PAGES:
            file = _site_file(config, page)
            if config.get("homepage") and page == "README.md":
                continue  # the home route shows the homepage file instead
            if rules.alias and page.startswith("zh-cn/"):
                continue  # the alias sends these routes off the site
            assert route_file(page_route(file, rules), rules) == (file, ""), (config, page)


@pytest.mark.parametrize(
    ("kind", "href", "want"),
    [
        ("include::", "_media/example.md", "zh-cn/_media/example.md"),
        ("include:code:demo", "/code/x.js", "zh-cn/code/x.js"),  # docsify joins '/' too
        ("include::", "../up.md", "up.md"),
        ("image", "img/a.png", "zh-cn/img/a.png"),
        ("html:img:src", "img/a.png", "img/a.png"),  # raw HTML: the browser, from index.html
        ("link:ignore", "files/a.pdf", "files/a.pdf"),
        ("html:a:href", "/archives/195", "archives/195"),
    ],
)
def test_embeds_images_and_raw_html_resolve_where_they_load(
    kind: str, href: str, want: str
) -> None:
    rules = DocsifyRules()
    if kind.startswith("include:") or kind in ("link:ignore", "html:a:href"):
        target = resolve_docsify("zh-cn/page.md", href, kind, rules)
        assert target is not None and target.file == want
    else:
        assert resolve_image("zh-cn/page.md", href, kind, rules) == want


def test_urls_docsify_leaves_alone_are_not_site_links() -> None:
    rules = DocsifyRules()
    for href in ("https://x.test/a.md", "//cdn.test/a", "mailto:a@b.test", "foo:bar.md"):
        assert resolve_docsify("a.md", href, "link", rules) is None
