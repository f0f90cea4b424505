"""Atomic, idempotent writes that keep BOM and line endings; only table regions change."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kb.config import load_settings
from kb.generate import apply, plan_tables
from kb.site import load_site
from kb.writer import TextStyle, encode, read_text, write_if_changed
from tests.helpers import SiteBuilder


@pytest.mark.parametrize(
    ("raw", "text", "style"),
    [
        (b"a\nb\n", "a\nb\n", TextStyle(False, False)),
        (b"a\r\nb\r\n", "a\nb\n", TextStyle(False, True)),
        (b"\xef\xbb\xbfa\nb", "a\nb", TextStyle(True, False)),
        (b"\xef\xbb\xbfa\r\nb\r\n", "a\nb\n", TextStyle(True, True)),
    ],
)
def test_read_text_and_encode_round_trip(
    tmp_path: Path, raw: bytes, text: str, style: TextStyle
) -> None:
    path = tmp_path / "f.md"
    path.write_bytes(raw)
    assert read_text(path) == (text, style)
    assert encode(text, style) == raw


def test_write_if_changed_writes_new_and_changed_files(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "f.md"
    assert write_if_changed(path, b"one\n") is True
    assert path.read_bytes() == b"one\n"
    assert write_if_changed(path, b"two\n") is True
    assert path.read_bytes() == b"two\n"


def test_write_if_changed_leaves_identical_files_alone(tmp_path: Path) -> None:
    path = tmp_path / "f.md"
    path.write_bytes(b"same\n")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert write_if_changed(path, b"same\n") is False
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_write_keeps_the_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "f.md"
    path.write_bytes(b"old\n")
    path.chmod(0o600)
    write_if_changed(path, b"new\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.md"
    path.write_bytes(b"old\n")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_if_changed(path, b"new\n")
    assert path.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.md"]


PAPER = (
    "---\ntype: paper\ntitle: Alpha EN\ntitle_zh: 阿尔法\nauthors: [A]\nyear: 2020\nvenue: V\n"
    "doi: 10.1234/a\ncategory: survival\ntasks: [classification]\nmodalities: [ct]\n"
    "areas: [oncology]\nadded: 2024-05-01\n---\n# 阿尔法\n"
)

PAGE_LINES = [
    "---",
    "type: guide",
    "title: 目录",
    "---",
    "# 目录  ",
    "",
    "贡献者写的文字，行尾有空格   ",
    "<!-- kb:table papers -->",
    "过期内容",
    "<!-- /kb:table -->",
    "",
    "中间的文字\t制表符",
    "<!-- kb:table categories -->",
    "<!-- /kb:table -->",
    "结尾没有换行",
]


def _table_site(site: SiteBuilder, page: bytes) -> Path:
    return site(
        {
            "docs/p/_section.yaml": "title: 论文\norder: 1\n",
            "docs/p/a.md": PAPER,
            "docs/p/index.md": page,
        }
    )


def _outside_regions(data: bytes, newline: bytes) -> list[bytes]:
    """The bytes before, between and after the regions."""
    parts: list[bytes] = []
    inside = False
    current: list[bytes] = []
    for line in data.split(newline):
        if b"/kb:table" in line:
            inside = False
            current = [line]
        elif b"kb:table" in line:
            parts.append(newline.join([*current, line]))
            current, inside = [], True
        elif not inside:
            current.append(line)
    parts.append(newline.join(current))
    return parts


@pytest.mark.parametrize(
    ("newline", "bom"), [(b"\n", b""), (b"\r\n", b""), (b"\r\n", b"\xef\xbb\xbf")]
)
def test_tables_rewrite_only_regions_and_keep_bom_and_newlines(
    site: SiteBuilder, newline: bytes, bom: bytes
) -> None:
    original = bom + newline.join(line.encode() for line in PAGE_LINES)
    root = _table_site(site, original)
    loaded = load_site(load_settings(root), use_cache=False)
    changes, problems = plan_tables(loaded)
    assert problems == []
    assert apply(loaded, changes) == ["docs/p/index.md"]
    written = (root / "docs/p/index.md").read_bytes()
    assert written.startswith(bom + b"---" + newline)
    assert "[阿尔法](a.md)".encode() in written
    assert "过期内容".encode() not in written
    if newline == b"\r\n":
        assert b"\n" not in written.replace(b"\r\n", b"")
    assert _outside_regions(written, newline) == _outside_regions(original, newline)


def test_second_table_run_writes_nothing(site: SiteBuilder) -> None:
    root = _table_site(site, "\n".join(PAGE_LINES).encode())
    settings = load_settings(root)
    first = load_site(settings, use_cache=False)
    apply(first, plan_tables(first)[0])
    after_first = (root / "docs/p/index.md").read_bytes()
    second = load_site(settings, use_cache=False)
    assert plan_tables(second) == ([], [])
    assert (root / "docs/p/index.md").read_bytes() == after_first
