"""The CLI, called in-process: exit codes, --check modes, idempotent builds, odd input files."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb import pipeline as kb_pipeline
from kb.render.sidebar import HEADER
from tests.helpers import REPO, KbRunner, SiteBuilder, copy_site

SIDEBAR = f"{HEADER}\n- 笔记\n  - [A](/docs/n/a.md)\n"


def _note(title: str, body: str = "") -> str:
    return f"---\ntype: note\ntitle: {title}\n---\n# {title}\n{body}"


def _files(extra: dict[str, str | bytes] | None = None) -> dict[str, str | bytes]:
    """A one-page site with a fresh sidebar, plus `extra` files (which may replace them)."""
    return {
        "docs/n/_section.yaml": "title: 笔记\norder: 1\n",
        "docs/n/a.md": _note("A"),
        "_sidebar.md": SIDEBAR,
        **(extra or {}),
    }


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".kb-cache" not in p.parts
    }


def _codes(out: str) -> list[tuple[str, int, str]]:
    return [(d["file"], d["line"], d["code"]) for d in json.loads(out)["diagnostics"]]


# Exit codes.


def test_clean_site_exits_0(site: SiteBuilder, kb: KbRunner) -> None:
    code, out, err = kb(site(_files()), "check")
    assert (code, out, err) == (0, "no problems found\n", "")


def test_errors_exit_2(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(_files({"docs/n/a.md": _note("A", "[x](missing.md)\n")}))
    code, out, _ = kb(root, "check")
    assert code == 2
    assert out.startswith("docs/n/a.md:6:1: LNK201 link 'missing.md' points to missing")
    assert out.endswith("1 error(s), 0 warning(s) in 1 file(s)\n")


def test_the_kb_command_flushes_its_report_and_keeps_its_exit_code(site: SiteBuilder) -> None:
    # `main()` ends the process without the interpreter's teardown: output must not be lost.
    root = site(_files({"docs/n/a.md": _note("A", "[x](missing.md)\n" * 2000)}))
    command = [sys.executable, "-m", "kb", "--root", str(root), "check", "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert len(json.loads(done.stdout)["diagnostics"]) == 2000
    # A reader that stops early (`kb check | head`) gets no traceback from kb.
    with subprocess.Popen(
        command[:-2], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.read(10)
        process.stdout.close()
        assert "Traceback" not in process.stderr.read()
        assert process.wait(timeout=120) in (2, 3)  # 3: kb saw the broken pipe itself


def test_warnings_exit_0_unless_strict(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(_files({"docs/n/a.md": "---\ntype: note\ntitle: A\n---\n正文\n"}))
    assert kb(root, "check")[0] == 0
    assert kb(root, "check", "--strict")[0] == 2


def test_bad_settings_exit_3(site: SiteBuilder, kb: KbRunner) -> None:
    code, out, err = kb(site(_files(), kb_toml="docs_dir = 1\n"), "check")
    assert (code, out) == (3, "")
    assert err.startswith("kb: error: pyproject.toml: [tool.kb] docs_dir: expected a string")


def test_root_without_pyproject_exits_3(tmp_path: Path, kb: KbRunner) -> None:
    code, out, err = kb(tmp_path, "check")
    assert (code, out) == (3, "")
    assert err == (
        f"kb: error: {tmp_path}: no docsify index.html, kb.toml or pyproject.toml here; "
        "pass the site's folder with --root\n"
    )


def test_root_whose_pyproject_has_no_kb_table_exits_3(tmp_path: Path, kb: KbRunner) -> None:
    # --root must name "a folder with pyproject.toml containing [tool.kb]".
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    code, out, err = kb(tmp_path, "check")
    assert (code, out) == (3, "")
    assert "[tool.kb]" in err


def test_internal_error_exits_1_with_a_trace(
    site: SiteBuilder, kb: KbRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> Iterator[object]:
        raise RuntimeError("checker exploded")

    monkeypatch.setattr(kb_pipeline, "check_links", broken)
    code, _, err = kb(site(_files()), "check")
    assert code == 1
    assert "RuntimeError: checker exploded" in err
    assert "kb: internal error (a bug in kb)" in err


def test_unknown_command_is_a_usage_error(site: SiteBuilder, kb: KbRunner) -> None:
    with pytest.raises(SystemExit) as caught:
        kb(site(_files()), "frobnicate")
    assert caught.value.code == 2


# Generators: --check modes write nothing.


def test_sidebar_check_prints_a_diff_and_exits_2_when_stale(
    site: SiteBuilder, kb: KbRunner
) -> None:
    root = site(_files({"docs/n/b.md": _note("B")}))
    before = _snapshot(root)
    code, out, err = kb(root, "sidebar", "--check")
    assert code == 2
    assert out == (
        "--- a/_sidebar.md\n+++ b/_sidebar.md\n@@ -1,3 +1,4 @@\n"
        f" {HEADER}\n - 笔记\n   - [A](/docs/n/a.md)\n+  - [B](/docs/n/b.md)\n"
    )
    assert "kb: sidebar out of date: _sidebar.md; run `kb sidebar`" in err
    assert _snapshot(root) == before


def test_sidebar_check_exits_0_when_fresh(site: SiteBuilder, kb: KbRunner) -> None:
    code, out, err = kb(site(_files()), "sidebar", "--check")
    assert (code, out, err) == (0, "", "kb: sidebar up to date\n")


def test_sidebar_check_with_no_sidebar_diffs_against_nothing(
    site: SiteBuilder, kb: KbRunner
) -> None:
    files = _files()
    del files["_sidebar.md"]
    root = site(files)
    code, out, _ = kb(root, "sidebar", "--check")
    assert code == 2
    assert f"+{HEADER}\n" in out
    assert not (root / "_sidebar.md").exists()


def test_sidebar_writes_when_stale(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(_files({"docs/n/b.md": _note("B")}))
    code, _, err = kb(root, "sidebar")
    assert (code, err) == (0, "kb: wrote _sidebar.md\n")
    assert (root / "_sidebar.md").read_text("utf-8").endswith("  - [B](/docs/n/b.md)\n")
    assert kb(root, "sidebar") == (0, "", "kb: sidebar up to date\n")


TABLE_PAGE = (
    "---\ntype: guide\ntitle: 代码\n---\n# 代码\n\n<!-- kb:table codes -->\n<!-- /kb:table -->\n"
)


def test_tables_check_prints_a_diff_and_exits_2_when_stale(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(_files({"docs/n/codes.md": TABLE_PAGE}))
    kb(root, "sidebar")
    before = _snapshot(root)
    code, out, err = kb(root, "tables", "--check")
    assert code == 2
    assert out.startswith("--- a/docs/n/codes.md\n+++ b/docs/n/codes.md\n@@ ")
    assert "+| `LNK201` | `link-target-missing` | error |" in out
    assert "kb: tables out of date: docs/n/codes.md; run `kb tables`" in err
    assert _snapshot(root) == before
    assert kb(root, "tables")[0] == 0
    assert kb(root, "tables", "--check") == (0, "", "kb: tables up to date\n")


def test_tables_reports_region_problems_and_exits_2(site: SiteBuilder, kb: KbRunner) -> None:
    page = "---\ntype: guide\ntitle: T\n---\n# T\n\n<!-- kb:table nosuch -->\n<!-- /kb:table -->\n"
    root = site(_files({"docs/n/t.md": page}))
    kb(root, "sidebar")
    code, _, err = kb(root, "tables")
    assert code == 2
    assert "docs/n/t.md:7: TBL403 unknown table 'nosuch'" in err


def test_check_reports_table_region_problems(site: SiteBuilder, kb: KbRunner) -> None:
    page = (
        "---\ntype: guide\ntitle: T\n---\n# T\n\n"
        "<!-- kb:table nosuch -->\n<!-- /kb:table -->\n\n<!-- kb:table papers -->\n"
    )
    root = site(_files({"docs/n/t.md": page}))
    kb(root, "sidebar")
    code, out, _ = kb(root, "check", "--format", "json")
    assert code == 2
    assert _codes(out) == [("docs/n/t.md", 7, "TBL403"), ("docs/n/t.md", 10, "TBL402")]


# build: writes, then is idempotent.


def test_build_writes_then_a_second_build_writes_nothing(tmp_path: Path, kb: KbRunner) -> None:
    root = copy_site("showcase", tmp_path)
    code, _, err = kb(root, "build")
    assert code == 2  # the showcase has a paper with an unknown category on purpose
    assert "kb: wrote _sidebar.md" in err and "kb: wrote docs/papers/README.md" in err
    first = _snapshot(root)
    mtimes = {p: (root / p).stat().st_mtime_ns for p in first}
    code, _, err = kb(root, "build")
    assert code == 2
    assert "kb: wrote" not in err
    assert _snapshot(root) == first
    assert {p: (root / p).stat().st_mtime_ns for p in first} == mtimes


def test_build_reports_page_counts(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(_files())
    assert "kb: 1 pages (1 parsed, 0 cached)" in kb(root, "build")[2]
    assert "kb: 1 pages (0 parsed, 1 cached)" in kb(root, "build")[2]
    assert "kb: 1 pages (1 parsed, 0 cached)" in kb(root, "build", "--no-cache")[2]


def test_build_check_writes_nothing_and_reports_stale_files(
    site: SiteBuilder, kb: KbRunner
) -> None:
    root = site(_files({"docs/n/b.md": _note("B"), "docs/n/codes.md": TABLE_PAGE}))
    before = _snapshot(root)
    code, out, _ = kb(root, "build", "--check", "--format", "json")
    assert code == 2
    assert _codes(out) == [("_sidebar.md", 0, "SB301"), ("docs/n/codes.md", 7, "TBL401")]
    assert _snapshot(root) == before


def test_check_reports_a_stale_sidebar(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(_files({"docs/n/b.md": _note("B")}))
    code, out, _ = kb(root, "check", "--format", "json")
    assert (code, _codes(out)) == (2, [("_sidebar.md", 0, "SB301")])


# A hand-written sidebar is never overwritten.


HAND_WRITTEN = "- [我的首页](/)\n- [手写的目录](/docs/n/a.md)\n"


@pytest.mark.parametrize("args", [("sidebar",), ("build",), ("check",), ("sidebar", "--check")])
def test_hand_written_sidebar_is_never_overwritten(
    site: SiteBuilder, kb: KbRunner, args: tuple[str, ...]
) -> None:
    root = site(_files({"_sidebar.md": HAND_WRITTEN}))
    code, _, err = kb(root, *args)
    assert code == 3
    assert err.startswith("kb: error: _sidebar.md: not generated by kb")
    assert (root / "_sidebar.md").read_text("utf-8") == HAND_WRITTEN


def test_empty_sidebar_file_may_be_replaced(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(_files({"_sidebar.md": "\n"}))
    assert kb(root, "sidebar")[0] == 0
    assert (root / "_sidebar.md").read_text("utf-8") == SIDEBAR


# Odd input files: clear diagnostics, never a crash.


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("---\ntype: note\ntitle: a: b\n---\n# T\n", [(3, "FM102")]),
        ("# 只有正文\n", [(1, "FM101")]),
        ("", [(0, "MD505"), (1, "FM101")]),
        (
            b"\xef\xbb\xbf---\r\ntype: note\r\ntitle: T\r\norder: x\r\n---\r\n# T\r\n",
            [(4, "FM106")],
        ),
        (b"---\r\ntype: note\r\ntitle: T\r\n---\r\n# T\r\n[x](gone.md)\r\n", [(6, "LNK201")]),
        (b"---\ntype: note\ntitle: T\n---\n# T \xff\xfe\n", [(0, "MD506")]),
        ("---\n- a\n---\n# T\n", [(2, "FM103")]),
    ],
    ids=["malformed-yaml", "no-front-matter", "empty", "bom-crlf", "crlf-link", "not-utf8", "list"],
)
def test_odd_pages_give_clear_diagnostics(
    site: SiteBuilder, kb: KbRunner, content: str | bytes, expected: list[tuple[int, str]]
) -> None:
    root = site(_files({"docs/n/odd.md": content}))
    kb(root, "sidebar")
    code, out, err = kb(root, "check", "--format", "json")
    assert code == 2, err
    found = [(line, c) for file, line, c in _codes(out) if file == "docs/n/odd.md"]
    assert found == expected


def test_a_5_mb_page_is_refused_unread_with_md504(site: SiteBuilder, kb: KbRunner) -> None:
    paragraph = "这是一段很长的正文，用来测试一个很大的页面。" * 20 + "\n\n"
    body = paragraph * (5 * 1024 * 1024 // len(paragraph.encode()) + 1)
    root = site(_files({"docs/n/big.md": _note("大页面", body)}))
    kb(root, "sidebar")
    code, out, _ = kb(root, "check", "--format", "json")
    assert code == 2
    assert _codes(out) == [("docs/n/big.md", 0, "MD504")]


def test_contributor_text_outside_regions_is_kept_byte_for_byte(
    site: SiteBuilder, kb: KbRunner
) -> None:
    before_region = (
        "\ufeff---\r\ntype: guide\r\ntitle: 代码\r\n---\r\n# 代码  \r\n\r\n前言 *保留*\t\r\n"
    )
    after_region = "\r\n结尾  \r\n\r\n没有换行结束"
    page = f"{before_region}<!-- kb:table codes -->\r\n旧的\r\n<!-- /kb:table -->{after_region}"
    root = site(_files({"docs/n/codes.md": page.encode("utf-8")}))
    assert kb(root, "tables")[0] == 0
    written = (root / "docs/n/codes.md").read_bytes().decode("utf-8")
    assert written.startswith(before_region + "<!-- kb:table codes -->\r\n\r\n| 代码 |")
    assert written.endswith("\r\n<!-- /kb:table -->" + after_region)
    assert "旧的" not in written
    assert "\n" not in written.replace("\r\n", "")


def test_github_format_from_the_cli(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(_files({"docs/n/a.md": _note("A", "[x](missing.md)\n")}))
    code, out, _ = kb(root, "check", "--format", "github")
    assert code == 2
    assert out.splitlines()[0].startswith(
        "::error file=docs/n/a.md,line=6,col=1,title=LNK201 link-target-missing::"
    )


def test_serve_without_node_modules_says_how_to_fix(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(_files({}))
    shutil.copy2(REPO / "package.json", root / "package.json")  # the site pins its own
    code, _, err = kb(root, "serve", "--port", "0", "--no-watch")
    assert code == 3
    assert "npm ci" in err and "internal error" not in err and "Traceback" not in err


def test_serve_on_a_port_in_use_says_so(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(_files({}))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, _, err = kb(root, "serve", "--port", str(taken.getsockname()[1]), "--no-watch")
    assert code == 3
    assert "Address already in use" in err and "internal error" not in err
