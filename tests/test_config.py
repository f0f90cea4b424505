"""`[tool.kb]` settings: validation messages, exit code 3, severity overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.config import ConfigError, Settings, find_root, load_settings
from kb.diagnostics import Severity
from kb.render.sidebar import HEADER
from tests.helpers import KbRunner, SiteBuilder


def _pyproject(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.kb]\n{body}", encoding="utf-8")
    return tmp_path


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(_pyproject(tmp_path, ""))
    assert settings == Settings(root=tmp_path)
    assert settings.docs_path == tmp_path / "docs"
    assert (settings.max_page_kb, settings.serve_host, settings.severity) == (512, "127.0.0.1", {})


def test_values_are_read(tmp_path: Path) -> None:
    body = 'docs_dir = "site"\niframe_hosts = ["Player.Bilibili.com"]\nmax_page_kb = 64\njobs = 2\n'
    settings = load_settings(_pyproject(tmp_path, body))
    assert settings.docs_dir == "site"
    assert settings.iframe_hosts == ("player.bilibili.com",)
    assert (settings.max_page_kb, settings.jobs) == (64, 2)


def test_severity_overrides(tmp_path: Path) -> None:
    body = '[tool.kb.severity]\nLNK205 = "error"\nMD505 = "off"\nLNK207 = "info"\n'
    assert load_settings(_pyproject(tmp_path, body)).severity == {
        "LNK205": Severity.ERROR,
        "MD505": None,
        "LNK207": Severity.INFO,
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "max_page_k = 10\n",
            "pyproject.toml: [tool.kb] max_page_k: unknown setting; did you mean 'max_page_kb'?",
        ),
        ("colour = 1\n", "pyproject.toml: [tool.kb] colour: unknown setting"),
        ("docs_dir = 3\n", "pyproject.toml: [tool.kb] docs_dir: expected a string, got 3"),
        (
            'max_page_kb = "1"\n',
            "pyproject.toml: [tool.kb] max_page_kb: expected a non-negative integer, got '1'",
        ),
        (
            "max_page_kb = true\n",
            "pyproject.toml: [tool.kb] max_page_kb: expected a non-negative integer, got True",
        ),
        ("jobs = -1\n", "pyproject.toml: [tool.kb] jobs: expected a non-negative integer, got -1"),
        (
            'iframe_hosts = "a.org"\n',
            "pyproject.toml: [tool.kb] iframe_hosts: expected a list of host names, got 'a.org'",
        ),
        (
            'severity = "error"\n',
            'pyproject.toml: [tool.kb] severity: expected a table such as { LNK205 = "error" }',
        ),
        (
            '[tool.kb.severity]\nXX999 = "error"\n',
            "pyproject.toml: [tool.kb] severity: unknown diagnostic code 'XX999'",
        ),
        (
            '[tool.kb.severity]\nLNK205 = "fatal"\n',
            "pyproject.toml: [tool.kb] severity.LNK205: "
            "expected one of error, warning, info, off, got 'fatal'",
        ),
    ],
)
def test_bad_settings_raise_config_error(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_pyproject(tmp_path, body))
    assert str(caught.value) == message


def test_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"pyproject.toml: invalid TOML"):
        load_settings(_pyproject(tmp_path, "docs_dir = \n"))


def test_find_root_walks_up_to_the_kb_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.kb]\n", encoding="utf-8")
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert find_root(inner) == tmp_path


def test_find_root_without_kb_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match="no docsify site at or above .*pyproject.toml with"):
        find_root(tmp_path)


def test_unknown_setting_exits_3_with_did_you_mean(site: SiteBuilder, kb: KbRunner) -> None:
    root = site({}, kb_toml="iframe_host = []\n")
    code, out, err = kb(root, "check")
    assert code == 3
    assert out == ""
    assert err == (
        "kb: error: pyproject.toml: [tool.kb] iframe_host: unknown setting; "
        "did you mean 'iframe_hosts'?\n"
    )


def test_wrong_type_exits_3(site: SiteBuilder, kb: KbRunner) -> None:
    root = site({}, kb_toml='max_page_kb = "big"\n')
    assert kb(root, "sidebar")[0] == 3


def _no_title_site(site: SiteBuilder, severity: str) -> Path:
    return site(
        {
            "docs/n/_section.yaml": "title: 笔记\norder: 1\n",
            "docs/n/a.md": "---\ntype: note\ntitle: A\n---\n没有标题。\n",
            "_sidebar.md": f"{HEADER}\n- 笔记\n  - [A](/docs/n/a.md)\n",
        },
        kb_toml=severity,
    )


def _json_codes(out: str) -> list[tuple[str, str]]:
    return [(d["code"], d["severity"]) for d in json.loads(out)["diagnostics"]]


def test_default_warning_passes_but_fails_with_strict(site: SiteBuilder, kb: KbRunner) -> None:
    root = _no_title_site(site, "")
    code, out, _ = kb(root, "check", "--format", "json")
    assert (code, _json_codes(out)) == (0, [("MD505", "warning")])
    assert kb(root, "check", "--strict")[0] == 2


def test_severity_override_to_error_fails_the_run(site: SiteBuilder, kb: KbRunner) -> None:
    root = _no_title_site(site, '[tool.kb.severity]\nMD505 = "error"\n')
    code, out, _ = kb(root, "check", "--format", "json")
    assert (code, _json_codes(out)) == (2, [("MD505", "error")])


def test_severity_off_drops_the_finding(site: SiteBuilder, kb: KbRunner) -> None:
    root = _no_title_site(site, '[tool.kb.severity]\nMD505 = "off"\n')
    code, out, _ = kb(root, "check", "--strict", "--format", "json")
    assert (code, _json_codes(out)) == (0, [])


def test_severity_info_never_fails_even_with_strict(site: SiteBuilder, kb: KbRunner) -> None:
    root = _no_title_site(site, '[tool.kb.severity]\nMD505 = "info"\n')
    code, out, _ = kb(root, "check", "--strict", "--format", "json")
    assert (code, _json_codes(out)) == (0, [("MD505", "info")])


def test_lang_is_en_or_zh(site: SiteBuilder, kb: KbRunner) -> None:
    root = site({}, kb_toml='lang = "fr"\n')
    code, _, err = kb(root, "check")
    assert code == 3
    assert err == 'kb: error: pyproject.toml: [tool.kb] lang: expected "en" or "zh", got \'fr\'\n'
    root = site({"docs/notes/_section.yaml": "title: 笔记\norder: 1\n"}, kb_toml='lang = "zh"\n')
    code, out, _ = kb(root, "check")  # no sidebar yet: one finding, reported in Chinese
    assert code == 2
    assert out == (
        "_sidebar.md: SB301 `_sidebar.md` 与 `kb sidebar` 生成的结果不一致。\n"
        "    详情：sidebar is out of date\n"
        "    修改：运行 `kb sidebar`（或 `kb build`）并提交结果。\n"
        "    提示：run `kb sidebar`\n"
        "1 个错误，0 个警告，涉及 1 个文件\n"
    )
