"""No input makes kb fail: random markdown, HTML and YAML (front matter and data files), fed
to `kb check`, always end in a report (exit 0 or 2), never a traceback, in bounded time.

The inputs are built from the pieces attacks and broken pages are made of, so the random
walk spends its time where parsers disagree: comments, raw-text elements, fences, math,
YAML anchors and flow collections, control and bidi characters.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import kb.frontmatter
import kb.markdown
import kb.slugify
import kb.yamlio
from kb.frontmatter import split_front_matter
from kb.markdown import scan_markdown
from kb.yamlio import parse_yaml
from tests.helpers import make_site, run_kb
from tests.work import assert_work_below

MARKUP = [
    "<",
    ">",
    "/",
    "=",
    '"',
    "'",
    "`",
    "!",
    "-",
    "[",
    "]",
    "(",
    ")",
    "*",
    "_",
    "#",
    "$",
    "\\",
    "&",
    ";",
    ":",
    "\n",
    "\n\n",
    "\t",
    " ",
    "|",
    "{",
    "}",
    "~",
    "^",
    "a",
    "中文",
    "<script>",
    "</script>",
    "<!--",
    "-->",
    "<!-->",
    "<meta http-equiv=refresh content=0>",
    "onerror=alert(1)",
    "<img src=x ",
    "javascript:",
    "&#x6A;",
    "&colon;",
    "$$",
    "```",
    "~~~",
    "    ",
    "---",
    "<svg>",
    "<math>",
    "<mtext>",
    "<noembed>",
    "<xmp>",
    "<textarea>",
    "<iframe src=https://player.bilibili.com/a srcdoc=",
    "':include :type=iframe ",
    "[x](",
    "](a.md)",
    "![i](",
    "> [!NOTE]",
    "## ",
    "\u0000",
    "\u202e",
    "\u200b",
    "\r",
    "\x1b[2J",
    "::error::",
    "<div>",
    "</div>",
    "<![CDATA[",
    "<?xml ?>",
    "{docsify-ignore}",
]
YAML = [
    "title",
    "type",
    "note",
    "paper",
    ": ",
    "\n",
    "  ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!python/object ",
    "!tag ",
    "<<: ",
    "'",
    '"',
    "#",
    "|",
    ">",
    "---",
    "...",
    "~",
    "2026-13-45",
    "1e400",
    "<b>",
    "中文",
    "\u0000",
    "? ",
    "%YAML 1.1",
    "\\u0000",
]

pieces = st.lists(st.sampled_from(MARKUP), max_size=120).map("".join)
yaml_text = st.lists(st.sampled_from(YAML), max_size=60).map("".join)
ALIAS_BOMB = "".join(
    f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9) if n else 'lol'}]\n" for n in range(7)
)
"""Seven levels of nine aliases each: walking the expansion takes millions of steps."""


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_site(
        tmp_path_factory.mktemp("property"),
        {"docs/n/_section.yaml": "title: n\norder: 1\n", "docs/n/a.md": "---\ntype: note\n---\n"},
    )
    return root


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(front=yaml_text, body=pieces, data=yaml_text)
@example(front=ALIAS_BOMB, body="", data=ALIAS_BOMB)
def test_kb_check_reports_on_any_input(
    site_root: Path, capsys: pytest.CaptureFixture[str], front: str, body: str, data: str
) -> None:
    page = f"---\n{front}\n---\n{body}"
    (site_root / "docs/n/a.md").write_text(page, encoding="utf-8")
    (site_root / "docs/_data/extra.yaml").write_text(data, encoding="utf-8")
    code, out, err = run_kb(site_root, "check", "--no-cache", capsys=capsys)
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err
    assert all(not line.startswith("::") for line in out.splitlines())
    # Bounded time without a clock: kb's passes over this page and data file (front matter,
    # markdown scan, YAML) do work linear in their size (tests/work.py counts it; the inputs
    # here need at most about 11 units a character).
    assert_work_below(
        lambda: _passes(page, data), WORK_MODULES, 100 * (len(page) + len(data) + 50), also=[yaml]
    )


WORK_MODULES = (kb.frontmatter, kb.markdown, kb.slugify, kb.yamlio)


def _passes(page: str, data: str) -> None:
    front, _ = split_front_matter(page, "docs/n/a.md")
    scan_markdown(front.body, front.body_line)
    parse_yaml(data, "docs/_data/extra.yaml")
