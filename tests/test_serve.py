"""The preview server's handler: markdown served fresh, private files never served."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import ThreadingHTTPServer

import pytest

from kb.policy import SANDBOX_CSP, render_csp
from kb.serve import SiteHandler

Fetch = Callable[[str], tuple[int, dict[str, str], bytes]]

SITE_CSP = render_csp(["player.bilibili.com"])
PAGE = "---\ntype: note\ntitle: 页\n---\n# 中文页面\n".encode()
PRIVATE_FILES = {
    ".git/config": b"[core]\n",
    ".kb-cache/pages.pickle": b"cache",
    "node_modules/x": b"module",
    "tools/kb/cli.py": b"print('source')\n",
    "tests/test_x.py": b"test",
    "pyproject.toml": b"[tool.kb]\n",
    "package.json": b"{}",
}


@pytest.fixture(scope="module")
def fetch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fetch]:
    """GET raw request paths from a SiteHandler serving a small tree on 127.0.0.1."""
    tmp_path = tmp_path_factory.mktemp("serve")
    files = {
        "docs/x.md": PAGE,
        "index.html": b"<!doctype html>",
        "docs/_media/x.html": b"<script>alert(1)</script>",
        "docs/_media/x.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        **PRIVATE_FILES,
    }
    for rel, data in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    handler = type("Handler", (SiteHandler,), {"site_csp": SITE_CSP})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    port = server.server_address[1]

    def get(path: str) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()

    try:
        yield get
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_markdown_is_served_as_utf8_without_caching(fetch: Fetch) -> None:
    status, headers, body = fetch("/docs/x.md")
    assert status == 200
    assert headers["content-type"] == "text/markdown; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    assert headers["x-content-type-options"] == "nosniff"
    assert body == PAGE


def test_the_site_page_carries_its_csp_and_cannot_be_framed(fetch: Fetch) -> None:
    for path in ("/", "/index.html", "/index.html?x=1"):
        assert fetch(path)[1]["content-security-policy"] == f"{SITE_CSP}; frame-ancestors 'none'"


@pytest.mark.parametrize("path", ["/docs/_media/x.html", "/docs/_media/x.svg", "/docs/x.md"])
def test_every_other_file_is_sandboxed(fetch: Fetch, path: str) -> None:
    status, headers, _ = fetch(path)
    assert status == 200
    assert headers["content-security-policy"] == SANDBOX_CSP
    assert "sandbox" in SANDBOX_CSP and "default-src 'none'" in SANDBOX_CSP


def test_index_and_query_strings_are_served(fetch: Fetch) -> None:
    assert fetch("/")[0] == 200
    assert fetch("/docs/x.md?v=123")[0] == 200


@pytest.mark.parametrize(
    "path",
    [
        "/.git/config",
        "/.kb-cache/pages.pickle",
        "/node_modules/x",
        "/tools/kb/cli.py",
        "/tests/test_x.py",
        "/pyproject.toml",
        "/package.json",
        "/pyproject.toml?x=1",
        "//tools/kb/cli.py",
    ],
)
def test_private_files_are_not_served(fetch: Fetch, path: str) -> None:
    status, headers, body = fetch(path)
    assert status == 404
    assert b"source" not in body and b"[core]" not in body
    assert headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/docs/../tools/kb/cli.py",
        "/docs/../.git/config",
        "/docs/..%2fpyproject.toml",
        "/%2egit/config",
        "/%74ools/kb/cli.py",
        "/%70yproject.toml",
    ],
)
def test_private_files_are_not_served_through_encoded_or_dotted_paths(
    fetch: Fetch, path: str
) -> None:
    status, _, body = fetch(path)
    assert status == 404, f"{path} served {body[:40]!r}"
