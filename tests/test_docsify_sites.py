"""`kb check` on docsify sites that do not use kb's content model, with no settings at all.

The sites under tests/docsify_sites/ mark every finding kb must report inline; the real
breaks kb found on public docsify sites are among them. The site's `window.$docsify` is read
by node in a sandbox: hostile configs below must neither reach the machine nor hang kb.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kb import cli
from kb.docsify import read_config
from tests.helpers import actual_findings, collect_expectations, describe_mismatch

SITES = Path(__file__).parent / "docsify_sites"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A zero-config site keeps its cache in the user's cache folder: here, a temporary one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def _copy(name: str, tmp_path: Path) -> Path:
    site = tmp_path / name
    shutil.copytree(SITES / name, site)
    return site


def _check(site: Path, monkeypatch: pytest.MonkeyPatch, capsys, *args: str) -> tuple[int, dict]:
    monkeypatch.chdir(site)
    code = cli.run(["check", "--format", "json", *args])
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    return code, json.loads(out)


@pytest.mark.parametrize("name", ["plain", "relative"])
def test_findings_match_the_inline_expectations(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    site = _copy(name, tmp_path)
    code, report = _check(site, monkeypatch, capsys)
    expected = collect_expectations(SITES / name)
    actual = actual_findings(report["diagnostics"])
    assert actual == expected, describe_mismatch(expected, actual)
    assert code == 2
    # kb wrote nothing into a site that did not ask for it.
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == sorted(
        p.relative_to(SITES / name) for p in (SITES / name).rglob("*")
    )


def test_no_content_model_noise_on_a_plain_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """No front matter, no level-1 title, hand-written navigation: none of it is a finding."""
    site = _copy("plain", tmp_path)
    (site / "notitle.md").write_text("没有一级标题也没有元数据的页面。\n", encoding="utf-8")
    _, report = _check(site, monkeypatch, capsys)
    codes = {d["code"] for d in report["diagnostics"]}
    assert not {c for c in codes if c.startswith(("FM", "SB", "TBL"))}
    assert "MD505" not in codes
    assert not [d for d in report["diagnostics"] if d["file"] == "notitle.md"]


def test_build_on_a_plain_site_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    site = _copy("plain", tmp_path)
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    monkeypatch.chdir(site)
    assert cli.run(["build"]) == 2  # the fixture's breaks
    capsys.readouterr()
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before


def test_the_site_is_found_from_inside_it_and_from_a_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    site = _copy("plain", tmp_path)
    monkeypatch.chdir(site / "zh")
    assert cli.run(["check", "--explain"]) == 2
    err = capsys.readouterr().err
    assert f"kb: site: {site}" in err
    assert "zero configuration; docsify's checks only" in err
    assert "kb: alias: 2 rule(s)" in err and "kb: loadSidebar: _sidebar.md" in err
    assert "kb: lang: zh-CN" in err and "kb: math plugin: no" in err
    repo = tmp_path / "repo"
    shutil.copytree(SITES / "plain", repo / "docs")
    monkeypatch.chdir(repo)
    assert cli.run(["check", "--explain"]) == 2
    assert f"kb: site: {repo / 'docs'}" in capsys.readouterr().err


def test_no_site_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "index.html").write_text("<html><body>not docsify</body></html>")
    monkeypatch.chdir(tmp_path)
    assert cli.run(["check"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("kb: error: no docsify site at or above") and err.count("\n") == 1


def _site_with(tmp_path: Path, script: str) -> Path:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "index.html").write_text(
        f"<html><body><div id=app></div><script>{script}</script>"
        '<script src="//cdn.test/docsify.min.js"></script></body></html>',
        encoding="utf-8",
    )
    return site


@pytest.mark.parametrize(
    ("script", "note"),
    [
        ("window.$docsify = {}; while (true) {}", "timed out"),
        ("window.$docsify = {}; require('fs').writeFileSync(MARK, 'x')", ""),
        ("window.$docsify = {}; process.mainModule.require('fs').writeFileSync(MARK, 'x')", ""),
        ("window.$docsify = {}; eval('1')", "Code generation from strings disallowed"),
        ("window.$docsify = {}; new Function('return 1')()", "Code generation"),
        (
            "window.$docsify = {};"
            " this.constructor.constructor('return process')().exit(MARK.length)",
            "Code generation",
        ),
        (
            "window.$docsify = {};"
            " ({}).constructor.constructor('return process')().exit(MARK.length)",
            "Code generation",
        ),
    ],
)
def test_a_hostile_config_reaches_nothing(tmp_path: Path, script: str, note: str) -> None:
    mark = tmp_path / "reached"
    site = _site_with(tmp_path, f"var MARK = {json.dumps(str(mark))}; {script}")
    config = read_config(site, timeout=0.3)
    assert not mark.exists()
    if note:
        assert any(note in n for n in config.notes), config.notes
    assert config.found and config.alias == () and config.base_path == ""


def test_a_config_key_that_hangs_costs_only_that_key(tmp_path: Path) -> None:
    script = (
        "window.$docsify = { relativePath: true, alias: {'/a/(.*)': '/b/$1'},"
        " get basePath() { while (true) {} } };"
    )
    config = read_config(_site_with(tmp_path, script), timeout=0.3)
    assert config.relative_path and config.alias == (("/a/(.*)", "/b/$1"),)
    assert any("basePath" in n and "timed out" in n for n in config.notes)


def test_a_config_that_uses_cdn_globals_is_still_read(tmp_path: Path) -> None:
    script = (
        "window.$docsify = { loadSidebar: 'toc.md', plugins: [EditOnGithub.create('x')],"
        " coverpage: ['/', '/zh-cn/'], nameLink: '/#/' };"
    )
    config = read_config(_site_with(tmp_path, script))
    assert config.found and config.load_sidebar == "toc.md"
    assert config.coverpage == ("_coverpage.md", "zh-cn/_coverpage.md")
    assert config.name_link == "/#/"


def test_without_node_docsify_defaults_are_assumed_and_said(tmp_path: Path) -> None:
    site = _site_with(tmp_path, "window.$docsify = { relativePath: true };")
    config = read_config(site, node=str(tmp_path / "no-node"))
    assert not config.relative_path and config.notes
    assert "docsify's defaults" in config.notes[-1]


def test_init_writes_kb_toml_and_skeletons_and_leaves_navigation_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    site = _copy("plain", tmp_path)
    (site / "crlf.md").write_bytes("\ufeff## 只有二级标题\r\n\r\n正文\r\n".encode())
    (site / "has-front.md").write_text("---\ntitle: 已有\n---\n# 已有\n", encoding="utf-8")
    navigation = {n: (site / n).read_bytes() for n in ("_sidebar.md", "_navbar.md")}
    monkeypatch.chdir(site)
    assert cli.run(["init", "--front-matter"]) == 0
    err = capsys.readouterr().err
    assert "kb: wrote kb.toml" in err and "front-matter plugin" in err
    toml = (site / "kb.toml").read_text(encoding="utf-8")
    assert "content_model = false" in toml and 'lang = "zh"' in toml
    assert (
        (site / "guide.md")
        .read_text(encoding="utf-8")
        .startswith('---\ntype: note\ntitle: "指南"\n---\n# 指南\n')
    )
    # A BOM stays first, CRLF stays CRLF, and with no level-1 heading the first heading names it.
    assert (site / "crlf.md").read_bytes() == (
        '\ufeff---\r\ntype: note\r\ntitle: "只有二级标题"\r\n---\r\n## 只有二级标题\r\n\r\n正文\r\n'
    ).encode()
    assert (site / "has-front.md").read_text(encoding="utf-8").startswith("---\ntitle: 已有")
    assert {n: (site / n).read_bytes() for n in navigation} == navigation
    assert not (site / "_media" / "example.md").read_text(encoding="utf-8").startswith("---")
    # Set up now: kb reads kb.toml (its own cache beside index.html) and refuses a second init.
    assert cli.run(["check", "--explain", "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert "settings from kb.toml; docsify's checks only" in err
    assert not {d["code"] for d in json.loads(out)["diagnostics"]} & {"FM101", "MD505"}
    assert cli.run(["init"]) == 3
    assert "already holds kb's settings" in capsys.readouterr().err


def test_the_report_speaks_the_sites_language_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    site = _copy("plain", tmp_path)  # <html lang="zh-CN">
    monkeypatch.chdir(site)
    cli.run(["check"])
    out = capsys.readouterr().out
    assert "README.md:6:3: LNK201 链接指向不存在的页面或文件。" in out
    assert "    详情：link 'missing.md' points to missing 'missing.md'" in out
    assert out.rstrip().endswith("13 个错误，1 个警告，涉及 6 个文件")
    cli.run(["--lang", "en", "check"])
    out = capsys.readouterr().out
    assert "README.md:6:3: LNK201 link 'missing.md' points to missing 'missing.md'" in out
    assert out.rstrip().endswith("13 error(s), 1 warning(s) in 6 file(s)")
    english = _copy("relative", tmp_path)  # <html lang="en">
    monkeypatch.chdir(english)
    cli.run(["check"])
    assert "error(s)" in capsys.readouterr().out


def test_zero_config_caches_live_outside_the_site(tmp_path: Path) -> None:
    from kb.config import plain_settings

    site = _copy("plain", tmp_path)
    settings = plain_settings(site)
    cache_home = tmp_path / "user-cache"
    for path in (settings.path(settings.cache_dir), settings.path(settings.links.cache_file)):
        assert path.is_relative_to(cache_home) and not path.is_relative_to(site)


def test_serve_on_a_plain_site_writes_nothing_and_keeps_its_page_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """`kb serve` on a docsify site kb found with no settings: the site is checked and served
    as it is (its index.html may load docsify from a CDN, so kb's CSP is not put on it)."""
    import http.client
    import threading

    from kb.config import plain_settings
    from kb.serve import make_server, rebuild

    site = _copy("plain", tmp_path)
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    settings = plain_settings(site)
    rebuild(settings)
    assert "13 error(s)" in capsys.readouterr().err
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before  # no vendor/
    server = make_server(settings, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 200 and b"window.$docsify" in response.read()
        assert response.getheader("Content-Security-Policy") == "frame-ancestors 'none'"
    finally:
        server.shutdown()
        server.server_close()


def test_a_sibling_link_with_relative_path_off_is_told_where_it_lands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    site = _copy("plain", tmp_path)
    _, report = _check(site, monkeypatch, capsys)
    hints = {(d["file"], d["line"]): d["hint"] for d in report["diagnostics"]}
    assert hints[("zh/README.md", 5)] == (
        "did you mean 'zh/page.md'? (relativePath is off: links start at the site's root)"
    )
    assert hints[("_sidebar.md", 3)] == "did you mean 'guide.md'?"
