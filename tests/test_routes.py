"""Where links and images point, resolved as docsify 5 does with `relativePath: true`."""

from __future__ import annotations

import pytest

from kb.routes import Target, ascii_lower, resolve, resolve_image

PAGE = "docs/notes/a.md"


@pytest.mark.parametrize(
    ("raw", "target"),
    [
        ("b.md", Target("docs/notes/b.md", "")),
        ("./b.md", Target("docs/notes/b.md", "")),
        ("  b.md  ", Target("docs/notes/b.md", "")),
        ("b", Target("docs/notes/b.md", "")),
        ("sub/", Target("docs/notes/sub/README.md", "")),
        ("../", Target("docs/README.md", "")),
        ("../papers/x.md", Target("docs/papers/x.md", "")),
        ("../_media/fig.png", Target("docs/_media/fig.png", "")),
        ("/docs/papers/x.md", Target("docs/papers/x.md", "")),
        ("/docs/papers/x", Target("docs/papers/x.md", "")),
        ("/", Target("README.md", "")),
        ("#intro", Target(PAGE, "intro")),
        ("?id=intro", Target(PAGE, "intro")),
        ("#%E8%83%8C%E6%99%AF", Target(PAGE, "背景")),
        ("b.md#Intro", Target("docs/notes/b.md", "Intro")),
        ("b.md#%E8%83%8C%E6%99%AF", Target("docs/notes/b.md", "背景")),
        ("b.md?id=sec&x=1", Target("docs/notes/b.md", "sec")),
        ("b.md?x=1", Target("docs/notes/b.md", "")),
        ("b.md?x=1&id=sec", Target("docs/notes/b.md", "sec")),
        ("my%20page.md", Target("docs/notes/my page.md", "")),
        ("#/docs/papers/x?id=a", Target("docs/papers/x.md", "a")),
        ("#/docs/papers/x?foo=1&id=%E6%96%B9", Target("docs/papers/x.md", "方")),
        ("#/docs/papers/", Target("docs/papers/README.md", "")),
        ("#/", Target("README.md", "")),
        ("../../../x.md", Target("", "")),
        ("../../..", Target("", "")),
    ],
)
def test_resolve(raw: str, target: Target) -> None:
    assert resolve(PAGE, raw) == target


@pytest.mark.parametrize(
    "raw", ["", "https://example.org/a.md", "mailto:a@b.org", "//cdn.example.org/x.js", "tel:123"]
)
def test_resolve_ignores_external_and_empty_targets(raw: str) -> None:
    assert resolve(PAGE, raw) is None


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("../_media/a.png", "docs/_media/a.png"),
        ("/docs/_media/a.png?raw=1#x", "docs/_media/a.png"),
        ("my%20pic.png", "docs/notes/my pic.png"),
        ("../../../a.png", ""),
        ("https://example.org/a.png", None),
        ("//cdn.example.org/a.png", None),
        ("data:image/png;base64,AAAA", None),
    ],
)
def test_resolve_image(url: str, file: str | None) -> None:
    assert resolve_image(PAGE, url) == file


def test_ascii_lower_changes_only_a_to_z() -> None:
    assert ascii_lower("C-VS-Java Δ Überblick") == "c-vs-java Δ Überblick"
