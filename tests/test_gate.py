"""The HTML gate: pages rendered by the site's own docsify, judged by the HTML policy.

Each case is a page as a contributor could write it; the gate must name the line of every
unsafe construct the browser would create, and nothing in pages that are safe.
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kb import gate
from kb.config import load_settings
from kb.gate import Request, start_judging
from kb.policy import POLICY_RULES, load_policy, render_policy_script
from kb.runtime import find_runtime
from tests.helpers import KbRunner, SiteBuilder, make_site

HOSTS = ("player.bilibili.com",)
PAGE = "docs/n/a.md"
FRONT = "---\ntype: note\ntitle: 页面\n---\n# 页面\n\n"
BODY_LINE = 7
"""File line of the first body line after FRONT."""


@pytest.fixture(scope="module")
def gate_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_site(
        tmp_path_factory.mktemp("gate"),
        {
            "docs/n/_section.yaml": "title: n\norder: 1\n",
            "docs/_media/frag.md": "片段里的 <img src=x onerror=alert(1)>\n",
            "docs/_media/ok.md": "片段 **正文**\n",
        },
        kb_toml='iframe_hosts = ["player.bilibili.com"]\n',
    )
    return root


def judge(root: Path, body: str) -> list[tuple[int, str, str]]:
    settings = load_settings(root)
    runtime = find_runtime(settings)
    request = Request(PAGE, "/docs/n/a", FRONT + body)
    judging = start_judging(runtime, root, settings.iframe_hosts, [request], timeout=30)
    (verdict,) = judging.verdicts()
    return sorted((f.line, f.code, f.message) for f in verdict.findings)


UNSAFE = [
    # (body, code, part of the message, line offset in the body)
    ("<script>alert(1)</script>\n", "SEC601", "<script> element", 0),
    ('<SCRIPT SRC="x.js"></SCRIPT>\n', "SEC601", "<script> element", 0),
    ("<img src=x onerror=alert(1)>\n", "SEC602", "event handler 'onerror' on <img>", 0),
    ('<div OnClick="x()">a</div>\n', "SEC602", "event handler 'onclick' on <div>", 0),
    ('<a href="javascript:alert(1)">a</a>\n', "SEC603", "javascript: URL in <a> href", 0),
    ('<a href="jav&#x61;script:alert(1)">a</a>\n', "SEC603", "javascript: URL", 0),
    ('<a href="java&#9;script:alert(1)">a</a>\n', "SEC603", "javascript: URL", 0),
    ('<a href="javascript&colon;alert(1)">a</a>\n', "SEC603", "javascript: URL", 0),
    ('<a href="&#x20;javascript:alert(1)">a</a>\n', "SEC603", "javascript: URL", 0),
    ("[x](javascript:alert(1))\n", "SEC603", "javascript: URL in <a> href", 0),
    ("[x](JAVASCRIPT:alert(1))\n", "SEC603", "javascript: URL", 0),
    ("[x][r]\n\n[r]: vbscript:msgbox(1)\n", "SEC603", "vbscript: URL", 0),
    ("<javascript:alert(1)>\n", "SEC603", "javascript: URL", 0),
    ("[x](foo ':disabled')\n", "SEC603", "javascript: URL", 0),
    ('<iframe src="data:text/html,<script>x</script>"></iframe>\n', "SEC604", "data: URL", 0),
    ("![x](data:image/svg+xml;base64,PHN2Zz4=)\n", "SEC603", "data: URL that is not", 0),
    ("![x](https://evil.example/t.gif)\n", "SEC603", "a URL on another host", 0),
    ("![x](//evil.example/t.gif)\n", "SEC603", "a URL on another host", 0),
    ('<iframe src="https://evil.example/x"></iframe>\n', "SEC604", "host evil.example", 0),
    ('<iframe src="http://player.bilibili.com/x"></iframe>\n', "SEC604", "http: URL", 0),
    ("<iframe></iframe>\n", "SEC604", "<iframe> without a src", 0),
    ('<object data="x.swf"></object>\n', "SEC605", "<object> is not allowed", 0),
    ("<embed src=x.swf>\n", "SEC605", "<embed> is not allowed", 0),
    ("<style>body{display:none}</style>\n", "SEC605", "<style> is not allowed", 0),
    ('<base href="https://evil.example/">\n', "SEC605", "<base> is not allowed", 0),
    ('<meta http-equiv="refresh" content="0">\n', "SEC605", "<meta> is not allowed", 0),
    ('<form action="https://evil.example/"></form>\n', "SEC605", "<form> is not allowed", 0),
    ('<input type="text" placeholder="密码">\n', "SEC605", '<input type="text">', 0),
    ('<link rel="stylesheet" href="x.css">\n', "SEC605", "<link> is not allowed", 0),
    ("<svg><rect/></svg>\n", "SEC605", "<svg> is not allowed", 0),
    ('<span style="color:red">红</span>\n', "SEC606", "attribute 'style' is not allowed", 0),
    ('<div class="sidebar">x</div>\n', "SEC606", "class 'sidebar'", 0),
    ('<p id="main">x</p>\n', "SEC606", "id 'main'", 0),
    ("> [!cover]\n> x\n", "SEC606", "class 'cover'", 0),
    ("[x](a.md ':class=sidebar')\n", "SEC606", "class 'sidebar'", 0),
    (
        '<iframe src="https://player.bilibili.com/a" srcdoc="<b>x</b>"></iframe>\n',
        "SEC606",
        "srcdoc",
        0,
    ),
    (
        "[v](https://player.bilibili.com/a ':include :type=iframe srcdoc=x')\n",
        "SEC606",
        "attribute 'srcdoc'",
        0,
    ),
    (
        "[v](https://player.bilibili.com/a ':include :type=iframe onload=alert(1)')\n",
        "SEC602",
        "event handler 'onload' on <iframe>",
        0,
    ),
    # Parser differentials: what a regular expression calls a comment or text, a browser
    # builds as an element.
    ("<!--\n\n<meta http-equiv=refresh content=0>\n\n-->\n", "SEC605", "<meta>", 2),
    ("<!-->\n<div><meta http-equiv=refresh content=0></div>\n", "SEC605", "<meta>", 1),
    ("<div><!--></div><meta http-equiv=refresh content=0>\n", "SEC607", "'<!-->'", 0),
    (
        '<noembed><a title="</noembed><meta http-equiv=refresh>">x</a></noembed>\n',
        "SEC605",
        "<meta>",
        0,
    ),
    (
        '<noscript><a title="</noscript><img src=x onerror=alert(1)>"></noscript>\n',
        "SEC602",
        "onerror",
        0,
    ),
    ('<xmp><a title="</xmp><img src=x onerror=alert(1)>"></xmp>\n', "SEC602", "onerror", 0),
    (
        '<textarea><a title="</textarea><img src=x onerror=alert(1)>"></textarea>\n',
        "SEC602",
        "onerror",
        0,
    ),
    ("<div><meta/http-equiv=refresh content=0></div>\n", "SEC607", "'/' inside a tag", 0),
    ("<div><img src=x/onerror=alert(1)></div>\n", "SEC605", "xx-never", -1),
    ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>\n", "SEC605", "<math>", 0),
    (
        "<svg><foreignObject><img src=x onerror=alert(1)></foreignObject></svg>\n",
        "SEC602",
        "onerror",
        0,
    ),
    ("$\\href{javascript:alert(1)}{x}$ 与 [x](javascript:alert(2))\n", "SEC603", "javascript:", 0),
    # A page whose only finding is a parse error.
    ('<div title="a"title="b">x</div>\n', "SEC607", "attributes without a space between them", 0),
    ("## 标题 <img src=x onerror=alert(1)>\n", "SEC602", "onerror", 0),
    ("## <i title='>\" onfocus=alert(1) autofocus x=\"'>t</i>\n", "SEC602", "onfocus", 0),
    ("[x](../_media/frag.md ':include')\n", "SEC602", "onerror", 0),
    ("[x](https://evil.example/x.md ':include')\n", "SEC603", "from another host", 0),
    ("[x](//evil.example/x.md ':include :type=markdown')\n", "SEC603", "from another host", 0),
]


@pytest.mark.parametrize(("body", "code", "message", "offset"), UNSAFE)
def test_unsafe_markup_is_named_at_its_line(
    gate_site: Path, body: str, code: str, message: str, offset: int
) -> None:
    found = judge(gate_site, "前文。\n\n" + body + "\n后文。\n")
    if offset < 0:  # what looks unsafe but is not, as the browser reads it
        assert not [f for f in found if message in f[2]], found
        return
    assert (BODY_LINE + 2 + offset, code) in {(line, c) for line, c, m in found if message in m}, (
        found
    )


SAFE = [
    '<iframe src="https://player.bilibili.com/player.html?bvid=1" allowfullscreen></iframe>',
    '<a href="https://example.org/javascript:">ok</a> [相对](other.md) [锚点](#标题)',
    "![png](data:image/png;base64,iVBORw0KGgo=)",
    '<img src="../_media/a.png" alt="x" width="10">',
    "<details><summary>展开</summary>内容</details>",
    "行内 $x_i^2$ 与 $\\frac{a}{b}$，独立公式：\n\n$$\n"
    "\\sum_{i=1}^n \\sqrt{x_i} \\xrightarrow{f} \\overbrace{abc}^{n}\n$$",
    "$$\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix} \\cancel{x} \\color{red}{y} \\boxed{z}$$",
    "$$x = 1 \\tag{1}\\label{eq:a}$$\n\n见公式 $\\eqref{eq:a}$。",
    "```python\ndef f(x):\n    return '<script>' + x\n```",
    "| a | b |\n|:--|--:|\n| `<b>` | $x$ |",
    "- [x] 完成\n- [ ] 未完成",
    "> [!NOTE]\n> 提示\n\n> [!WARNING]\n> 警告",
    "!> 重要\n\n?> 提示",
    "[x](other.md ':target=_self') [y](https://example.org ':ignore') [z](a.md ':id=k')",
    "## 标题 <!-- {docsify-ignore} -->",
    "[参考][r]\n\n[r]: https://example.org",
    "<kbd>Ctrl</kbd> <sub>1</sub> <sup>2</sup> <mark>高亮</mark> <abbr title='t'>a</abbr>",
    "[片段](../_media/ok.md ':include')",
    "p < 0.05 且 a<b",
]


@pytest.mark.parametrize("body", SAFE)
def test_safe_pages_have_no_findings(gate_site: Path, body: str) -> None:
    assert judge(gate_site, body + "\n") == []


def test_lines_survive_front_matter_and_collapsed_math(gate_site: Path) -> None:
    body = "$$\na\n\\\\\nb\n$$\n\n文字 $x$ 文字\n\n<b onclick=x>1</b>\n"
    assert judge(gate_site, body) == [(BODY_LINE + 8, "SEC602", "event handler 'onclick' on <b>")]


def test_several_findings_in_one_html_block_keep_their_own_lines(gate_site: Path) -> None:
    body = (
        "<div>\n<b>ok</b>\n<img src=x onerror=a()>\n<i>ok</i>\n"
        "<a href='javascript:b()'>x</a>\n</div>\n"
    )
    found = {(line, code) for line, code, _ in judge(gate_site, body)}
    assert found == {(BODY_LINE + 2, "SEC602"), (BODY_LINE + 4, "SEC603")}


def _repo(site: SiteBuilder, files: dict[str, str | bytes], **kw: str) -> Path:
    base = {
        "docs/n/_section.yaml": "title: n\norder: 1\n",
        "docs/n/a.md": FRONT + "正文\n",
    }
    return site({**base, **files}, **kw)


def _check(kb: KbRunner, root: Path, *args: str) -> tuple[int, list[tuple[str, int, str]]]:
    kb(root, "sidebar")
    code, out, err = kb(root, "check", "--format", "json", *args)
    assert code in (0, 2), err
    return code, [(d["file"], d["line"], d["code"]) for d in json.loads(out)["diagnostics"]]


def test_an_included_file_is_judged_in_the_page_and_its_change_is_noticed(
    site: SiteBuilder, kb: KbRunner
) -> None:
    root = _repo(
        site,
        {
            "docs/n/a.md": FRONT + "正文\n\n[片段](../_media/part.md ':include')\n",
            "docs/_media/part.md": "安全的片段\n",
        },
    )
    assert _check(kb, root)[1] == []
    (root / "docs/_media/part.md").write_text("<img src=x onerror=alert(1)>\n", encoding="utf-8")
    code, found = _check(kb, root)
    assert code == 2
    assert ("docs/n/a.md", BODY_LINE + 2, "SEC602") in found  # the include, in the page
    assert ("docs/_media/part.md", 1, "SEC602") in found  # and the file itself


def test_files_too_large_to_judge_are_refused_not_skipped(site: SiteBuilder, kb: KbRunner) -> None:
    # The browser shows a file of any size: what kb does not read must not pass unseen.
    big = "安全的片段\n" * 200_000  # 3.2 MB: above max_page_kb and above the embed limit
    root = _repo(
        site,
        {
            "docs/n/a.md": FRONT + "正文\n\n[片段](../_media/big.md ':include')\n",
            "docs/_media/big.md": big + "<img src=x onerror=alert(1)>\n",
            "README.md": big,
        },
    )
    code, found = _check(kb, root)
    assert code == 2
    assert ("docs/n/a.md", BODY_LINE + 2, "SEC608") in found  # the embed, at its line
    assert ("docs/_media/big.md", 0, "MD504") in found  # outside the content model
    assert ("README.md", 0, "MD504") in found


def test_the_sidebar_of_a_large_site_is_judged_not_refused(site: SiteBuilder, kb: KbRunner) -> None:
    # kb's own sidebar lists every page (about 1 MB at 10,000 pages): navigation files are
    # read up to 4 MB whatever max_page_kb says, and judged like any other file.
    pages = {f"docs/n/p{i:03}.md": FRONT.replace("页面", f"页面{i:03}" * 8) for i in range(40)}
    root = _repo(site, pages, kb_toml="max_page_kb = 1\n")
    kb(root, "sidebar")
    assert (root / "_sidebar.md").stat().st_size > 1024
    code, found = _check(kb, root)
    assert found == [] and code == 0
    sidebar = (root / "_sidebar.md").read_text(encoding="utf-8")
    (root / "_sidebar.md").write_text(sidebar + "- <b onclick=x>!</b>\n", encoding="utf-8")
    code, out, _ = kb(root, "check", "--format", "json")
    found = [(d["file"], d["code"]) for d in json.loads(out)["diagnostics"]]
    assert ("_sidebar.md", "SEC602") in found


def test_a_change_deep_in_a_large_embedded_file_is_noticed(site: SiteBuilder, kb: KbRunner) -> None:
    # Embedded files are read up to 1 MB, beyond max_page_kb (512 KB): the cache must see
    # all of what the gate read, not only what kb reads of the file itself.
    filler = "安全的片段\n" * 40_000  # 640 KB
    root = _repo(
        site,
        {
            "docs/n/a.md": FRONT + "正文\n\n[片段](../_media/part.md ':include')\n",
            "docs/_media/part.md": filler + "结尾\n",
        },
    )
    assert _check(kb, root)[1] == [("docs/_media/part.md", 0, "MD504")]
    part = root / "docs/_media/part.md"
    part.write_text(filler + "<b onclick=x>!</b>\n", encoding="utf-8")
    found = _check(kb, root)[1]
    assert ("docs/n/a.md", BODY_LINE + 2, "SEC602") in found


def test_verdicts_are_cached_by_content(site: SiteBuilder, kb: KbRunner) -> None:
    root = _repo(site, {"docs/n/b.md": FRONT.replace("页面", "乙") + "<b onclick=x>1</b>\n"})
    first = _check(kb, root)
    cache = root / ".kb-cache" / "state.marshal"
    assert cache.exists()
    second = _check(kb, root)
    assert first == second and ("docs/n/b.md", BODY_LINE, "SEC602") in first[1]


def test_commands_that_do_not_judge_keep_the_verdicts(site: SiteBuilder, kb: KbRunner) -> None:
    root = _repo(site, {"docs/n/b.md": FRONT.replace("页面", "乙") + "正文\n"})
    _check(kb, root)
    gate_part = root / ".kb-cache" / "gate.marshal"
    verdicts = marshal.loads(gate_part.read_bytes())[1]
    assert len(verdicts) == 4  # two pages, the sidebar and the one unit it was judged in
    for command in ("sidebar", "tables"):
        assert kb(root, command)[0] == 0
        assert marshal.loads(gate_part.read_bytes())[1] == verdicts, command


def test_a_symlink_is_never_followed(site: SiteBuilder, kb: KbRunner, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntype: note\ntitle: SECRET-TITLE\n---\n# SECRET\n", encoding="utf-8")
    root = _repo(site, {})
    for name, target in (
        ("docs/n/secret.md", secret),
        ("docs/n/loop.md", root / "docs/n/loop.md"),
        ("docs/n/dangling.md", tmp_path / "nothing-here.md"),
        ("docs/n/zero.md", Path("/dev/zero")),
        ("docs/linked", tmp_path),
    ):
        os.symlink(target, root / name)
    code, found = _check(kb, root)
    assert code == 2
    assert {f for f in found if f[2] == "SEC610"} == {
        (f, 0, "SEC610")
        for f in (
            "docs/n/secret.md",
            "docs/n/loop.md",
            "docs/n/dangling.md",
            "docs/n/zero.md",
            "docs/linked",
        )
    }
    assert "SECRET" not in (root / "_sidebar.md").read_text(encoding="utf-8")


def test_a_page_docsify_cannot_render_in_time_is_refused(site: SiteBuilder, kb: KbRunner) -> None:
    # docsify-latex rewrites a page once per formula: 4,000 formulas take seconds.
    slow = FRONT.replace("页面", "慢") + "$x$ " * 4000 + "\n"
    root = _repo(site, {"docs/n/slow.md": slow}, kb_toml="render_timeout = 1\n")
    code, found = _check(kb, root)
    assert code == 2
    assert ("docs/n/slow.md", 1, "SEC608") in found


def test_each_page_reads_the_files_it_embeds_as_they_are_now(gate_site: Path) -> None:
    # docsify keeps every file it fetched; one renderer serves many pages and many runs, so
    # what it fetched for one page must not answer for another.
    part = gate_site / "docs/_media/changing.md"
    page = "[片段](../_media/changing.md ':include')\n"
    try:
        part.write_text("安全的片段\n", encoding="utf-8")
        assert judge(gate_site, page) == []
        part.write_text("<b onclick=x>1</b>\n", encoding="utf-8")
        assert judge(gate_site, page) == [(BODY_LINE, "SEC602", "event handler 'onclick' on <b>")]
        part.write_text("安全的片段\n", encoding="utf-8")
        assert judge(gate_site, page + "\n" + page) == []
    finally:
        part.unlink()


def test_a_page_that_times_out_costs_no_other_page_its_verdict(
    site: SiteBuilder, kb: KbRunner
) -> None:
    # A renderer holds several pages ahead; when it is replaced, the pages it held behind the
    # slow one are rendered by its successor, each judged at its own lines.
    slow = FRONT.replace("页面", "慢") + "$x$ " * 4000 + "\n"
    unsafe = {
        f"docs/n/c{i}.md": FRONT.replace("页面", f"丙{i}") + "正文\n" * i + "<b onclick=x>1</b>\n"
        for i in range(1, 7)
    }
    root = _repo(site, {"docs/n/b.md": slow, **unsafe}, kb_toml="render_timeout = 1\n")
    code, found = _check(kb, root, "--no-cache")
    assert code == 2
    assert sorted(found) == [
        ("docs/n/b.md", 1, "SEC608"),
        *((f"docs/n/c{i}.md", BODY_LINE + i, "SEC602") for i in range(1, 7)),
    ]


def test_pages_sent_together_keep_their_own_verdicts(gate_site: Path) -> None:
    # Renderers take pages in batches and answer in batches: each verdict stays with its page.
    settings = load_settings(gate_site)
    runtime = find_runtime(settings)
    bodies = [("正文\n" * i) + ("<b onclick=x>1</b>\n" if i % 3 == 0 else "") for i in range(40)]
    requests = [
        Request(f"docs/n/p{i}.md", f"/docs/n/p{i}", FRONT + body) for i, body in enumerate(bodies)
    ]
    verdicts = start_judging(runtime, gate_site, settings.iframe_hosts, requests).verdicts()
    assert [[(f.line, f.code) for f in v.findings] for v in verdicts] == [
        [(BODY_LINE + i, "SEC602")] if i % 3 == 0 else [] for i in range(40)
    ]


def test_the_csp_follows_iframe_hosts(site: SiteBuilder, kb: KbRunner) -> None:
    root = _repo(site, {})
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text(encoding="utf-8")
        + 'iframe_hosts = ["www.youtube-nocookie.com"]\n',
        encoding="utf-8",
    )
    index = (root / "index.html").read_text(encoding="utf-8")
    code, found = _check(kb, root)
    assert [f for f in found if f[2] == "SEC614"] == [("index.html", 14, "SEC614")]
    code, _, _ = kb(root, "build")
    written = (root / "index.html").read_text(encoding="utf-8")
    assert "frame-src https://www.youtube-nocookie.com;" in written
    assert written.replace("https://www.youtube-nocookie.com", "'none'") == index
    assert _check(kb, root)[1] == []
    assert (
        kb(root, "build")[0] == 0 and (root / "index.html").read_text(encoding="utf-8") == written
    )


def test_a_missing_csp_is_reported_not_added(site: SiteBuilder, kb: KbRunner) -> None:
    root = _repo(site, {})
    index = root / "index.html"
    text = index.read_text(encoding="utf-8")
    start = text.index('  <meta http-equiv="Content-Security-Policy"')
    text = text[:start] + text[text.index("\n", start) + 1 :]
    index.write_text(text, encoding="utf-8")
    assert ("index.html", 0, "SEC614") in _check(kb, root)[1]
    kb(root, "build")
    assert index.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda root: (root / "index.html").unlink(), "index.html not found"),
        (
            lambda root: (root / "assets" / "kb-config.js").unlink(),
            "assets/kb-config.js, which does not exist",
        ),
    ],
)
def test_without_a_runtime_kb_check_stops_with_exit_3(
    site: SiteBuilder, kb: KbRunner, break_it, message: str
) -> None:
    root = _repo(site, {})
    break_it(root)
    code, _, err = kb(root, "check")
    assert code == 3
    assert message in err and "internal error" not in err


def test_without_node_kb_check_stops_with_exit_3(
    site: SiteBuilder, kb: KbRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(site, {})
    gate._close_all()  # a gate started by earlier tests would be reused
    monkeypatch.setenv("PATH", "/nonexistent")
    code, _, err = kb(root, "check", "--no-cache")
    assert code == 3
    assert "node not found" in err


def test_a_symlinked_sidebar_is_neither_read_nor_written(
    site: SiteBuilder, kb: KbRunner, tmp_path: Path
) -> None:
    root = _repo(site, {})
    target = tmp_path / "elsewhere.md"
    target.write_text("kept\n", encoding="utf-8")
    (root / "_sidebar.md").symlink_to(target)
    for command in ("sidebar", "build", "check"):
        code, _, err = kb(root, command)
        assert code == 3, command
        assert "_sidebar.md is a symbolic link" in err and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "kept\n"


# The policy compiler, run from both of its homes: vendor/kb-policy.js as the browser runs it
# (a classic script) and node/html-policy.mjs as the gate imports it (a module).
RULES_PROBE = r"""
import fs from 'node:fs';
import vm from 'node:vm';
const [script, module, hosts, policyFile] = process.argv.slice(2);
const window = {};
vm.runInNewContext(fs.readFileSync(script, 'utf8'), { window, URL });
await import(module);
const HTML = 'http://www.w3.org/1999/xhtml';
const SVG = 'http://www.w3.org/2000/svg';
const LATEX = 'max-width: 100%;display: inline-flex;overflow: auto hidden;';
function ask(rules, source) {
  const policy = rules.compilePolicy(source, JSON.parse(hosts));
  const { content, katex, toc } = policy.profiles;
  const rule = (profile, key, name) => {
    const r = rules.attributeRule(profile, key, name);
    return [r.allowed, r.url || null, r.value ? r.value.source : null];
  };
  const url = (kind, key) => (value) => rules.urlProblem(policy, kind, value, key);
  return {
    links: ['javascript:alert(1)', ' java\tscript:x', 'MAILTO:a@b.c', '/docs/x', 'vbscript:x']
      .map(url('link', 'a')),
    images: ['//evil.example/x.png', 'data:image/png;base64,AA', 'https://evil.example/x.png']
      .map(url('resource', 'img')),
    video: ['data:image/png;base64,AA', 'x.mp4'].map(url('resource', 'video')),
    frames: ['https://player.bilibili.com/v', 'http://player.bilibili.com/v',
      'https://u:p@player.bilibili.com/v', 'https://evil.example/v', 'player.bilibili.com']
      .map(url('frame', 'iframe')),
    classes: [rules.classes(content, 'anchor  sidebar\tlang-python'),
      rules.classes(toc, 'section-link')],
    styles: [
      rules.styles(content, 'docsify-latex', LATEX),
      rules.styles(content, 'span', 'color:red'),
      rules.styles(katex, 'span', 'color: RED ; position: fixed;;'),
    ],
    rules: [rule(content, 'a', 'href'), rule(content, 'img', 'onerror'),
      rule(content, 'code', 'tabindex'), rule(katex, 'math:math', 'xmlns'),
      rule(content, 'object', 'data')],
    ids: ['main', 'kb-nav', 'intro'].map((id) => rules.reservedId(policy, id)),
    keys: [rules.keyOf(HTML, 'DIV'), rules.keyOf(SVG, 'foreignObject'), rules.keyOf('urn:x', 'y')],
  };
}
const browser = ask(window.KB_HTML_POLICY, window.KB_POLICY);
const gate = ask(globalThis.KB_HTML_POLICY, JSON.parse(fs.readFileSync(policyFile, 'utf8')));
process.stdout.write(JSON.stringify({ browser, gate }));
"""


def test_both_walls_compile_the_policy_with_one_module(tmp_path: Path) -> None:
    # One copy of the rules: the browser gets the gate's own file through vendor/kb-policy.js.
    script = render_policy_script(["Player.Bilibili.com"]).decode()
    rules = POLICY_RULES.read_text(encoding="utf-8")
    assert script.endswith(rules)
    node_dir = POLICY_RULES.parent
    assert "import './html-policy.mjs';" in (node_dir / "judge.mjs").read_text(encoding="utf-8")
    sanitizer = (Path(__file__).parents[1] / "assets" / "kb-sanitize.js").read_text("utf-8")
    assert "window.KB_HTML_POLICY" in sanitizer
    judge_code = (node_dir / "judge.mjs").read_text(encoding="utf-8")
    assert "new RegExp" not in sanitizer and "new RegExp" not in judge_code
    assert rules.isascii()  # served as it is, whatever charset the host announces

    (tmp_path / "kb-policy.js").write_text(script, encoding="utf-8")
    (tmp_path / "probe.mjs").write_text(RULES_PROBE, encoding="utf-8")
    (tmp_path / "policy.json").write_text(json.dumps(load_policy()), encoding="utf-8")
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [
            node,
            str(tmp_path / "probe.mjs"),
            str(tmp_path / "kb-policy.js"),
            POLICY_RULES.as_uri(),
            json.dumps(["player.bilibili.com"]),
            str(tmp_path / "policy.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    answers = json.loads(done.stdout)
    assert answers["browser"] == answers["gate"]
    seen = answers["gate"]
    assert seen["links"] == ["javascript: URL", "javascript: URL", "", "", "vbscript: URL"]
    assert seen["images"] == ["a URL on another host", "", "a URL on another host"]
    assert seen["video"] == ["data: URL that is not a raster image", ""]
    assert seen["frames"] == [
        "",
        "http: URL",
        "a URL with credentials",
        "host evil.example",
        "not an absolute https URL",
    ]
    assert seen["classes"] == [
        {"kept": ["anchor", "lang-python"], "dropped": ["sidebar"]},
        {"kept": ["section-link"], "dropped": []},
    ]
    assert seen["styles"] == [
        {
            "kept": ["max-width: 100%", "display: inline-flex", "overflow: auto hidden"],
            "dropped": [],
        },
        {"kept": [], "dropped": ["color:red"]},
        {"kept": ["color: red"], "dropped": ["position: fixed"]},
    ]
    assert seen["rules"] == [
        [True, "link", None],
        [False, None, None],
        [True, None, "^-?[0-9]$"],
        [True, None, "^http:\\/\\/www\\.w3\\.org\\/1998\\/Math\\/MathML$"],
        [False, None, None],
    ]
    assert seen["ids"] == [True, True, False]
    assert seen["keys"] == ["div", "svg:foreignobject", "?:y"]
