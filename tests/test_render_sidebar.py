"""`_sidebar.md` rendering: golden file plus the rules behind it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.config import load_settings
from kb.render.sidebar import HEADER, render_sidebar
from kb.render.text import md_text, md_url, route
from kb.site import Site, load_site
from tests.helpers import GOLDEN, SITES, SiteBuilder, assert_golden


def _load(root: Path) -> Site:
    return load_site(load_settings(root), use_cache=False)


def test_showcase_sidebar_matches_golden() -> None:
    assert_golden(render_sidebar(_load(SITES / "showcase")), GOLDEN / "showcase" / "_sidebar.md")


def test_sidebar_is_byte_stable() -> None:
    site = _load(SITES / "showcase")
    assert render_sidebar(site) == render_sidebar(_load(SITES / "showcase"))


def _sidebar_lines(site: SiteBuilder, files: dict[str, str]) -> list[str]:
    text = render_sidebar(_load(site(files)))
    lines = text.splitlines()
    assert lines[0] == HEADER
    assert text.endswith("\n")
    return lines[1:]


def _page(title: str, extra: str = "", page_type: str = "note") -> str:
    return f"---\ntype: {page_type}\ntitle: {title}\n{extra}---\n# {title}\n"


def test_pages_sort_by_order_then_title(site: SiteBuilder) -> None:
    lines = _sidebar_lines(
        site,
        {
            "docs/n/_section.yaml": "title: 笔记\norder: 1\n",
            "docs/n/b.md": _page("B"),
            "docs/n/a.md": _page("A"),
            "docs/n/z.md": _page("Z", "order: 1\n"),
            "docs/n/y.md": _page("Y", "order: 2\n"),
        },
    )
    assert lines == [
        "- 笔记",
        "  - [Z](/docs/n/z.md)",
        "  - [Y](/docs/n/y.md)",
        "  - [A](/docs/n/a.md)",
        "  - [B](/docs/n/b.md)",
    ]


def test_sections_sort_by_their_order(site: SiteBuilder) -> None:
    lines = _sidebar_lines(
        site,
        {
            "docs/a/_section.yaml": "title: 第二\norder: 2\n",
            "docs/a/p.md": _page("P"),
            "docs/b/_section.yaml": "title: 第一\norder: 1\n",
            "docs/b/q.md": _page("Q"),
        },
    )
    assert lines == ["- 第一", "  - [Q](/docs/b/q.md)", "- 第二", "  - [P](/docs/a/p.md)"]


def test_drafts_special_pages_and_empty_sections_are_left_out(site: SiteBuilder) -> None:
    lines = _sidebar_lines(
        site,
        {
            "docs/_404.md": "# 404\n",
            "docs/n/_section.yaml": "title: 笔记\norder: 1\n",
            "docs/n/draft.md": _page("草稿", "draft: true\n"),
            "docs/n/_hidden.md": _page("下划线"),
            "docs/n/ok.md": _page("正文"),
            "docs/empty/_section.yaml": "title: 空\norder: 2\n",
            "docs/hidden/_section.yaml": "title: 隐藏\norder: 3\ndraft: true\n",
            "docs/hidden/p.md": _page("隐藏页面"),
        },
    )
    assert lines == ["- 笔记", "  - [正文](/docs/n/ok.md)"]


def test_home_and_section_readme_become_links(site: SiteBuilder) -> None:
    lines = _sidebar_lines(
        site,
        {
            "docs/README.md": _page("欢迎", page_type="guide"),
            "docs/n/_section.yaml": "title: 笔记\norder: 1\n",
            "docs/n/README.md": _page("笔记首页"),
            "docs/n/p.md": _page("P"),
        },
    )
    assert lines == ["- [欢迎](/docs/)", "- [笔记](/docs/n/)", "  - [P](/docs/n/p.md)"]


def test_papers_use_title_zh_and_group_by_category(site: SiteBuilder) -> None:
    def paper(name: str, category: str) -> str:
        return (
            f"---\ntype: paper\ntitle: {name} EN\ntitle_zh: {name}\ncategory: {category}\n---\n"
            f"# {name}\n"
        )

    lines = _sidebar_lines(
        site,
        {
            "docs/p/_section.yaml": "title: 论文\norder: 1\ngroup_by: category\n",
            "docs/p/a.md": paper("甲", "review"),
            "docs/p/b.md": paper("乙", "survival"),
            "docs/p/c.md": paper("丙", "not-a-category"),
        },
    )
    assert lines == [
        "- 论文",
        "  - 生存分析与预后",
        "    - [乙](/docs/p/b.md)",
        "  - 综述与观点",
        "    - [甲](/docs/p/a.md)",
        "  - 其他",
        "    - [丙](/docs/p/c.md)",
    ]


def test_page_without_title_uses_its_file_name(site: SiteBuilder) -> None:
    lines = _sidebar_lines(
        site, {"docs/n/_section.yaml": "title: 笔记\norder: 1\n", "docs/n/bare.md": "# 无\n"}
    )
    assert lines == ["- 笔记", "  - [bare.md](/docs/n/bare.md)"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("A [b] | <b>c</b>", "A &#91;b&#93; \\| &lt;b&gt;c&lt;/b&gt;"),
        ("*em* _u_ `code` \\", "\\*em\\* \\_u\\_ \\`code\\` \\\\"),
        ("多行\n  标题\t末尾 ", "多行 标题 末尾"),
        ("R&D", "R&amp;D"),
        (2020, "2020"),
        ("[点我](javascript:alert(1))", "&#91;点我&#93;(javascript:alert(1))"),
        ("[点我][x]", "&#91;点我&#93;&#91;x&#93;"),
    ],
)
def test_md_text_escapes_markdown_and_html(value: object, text: str) -> None:
    assert md_text(value) == text


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("/docs/notes/生存 分析.md", "/docs/notes/%E7%94%9F%E5%AD%98%20%E5%88%86%E6%9E%90.md"),
        ("/docs/a (b).md", "/docs/a%20%28b%29.md"),
        ("https://example.org/a?x=1&y=2#z", "https://example.org/a?x=1&y=2#z"),
    ],
)
def test_md_url_percent_encodes(path: str, url: str) -> None:
    assert md_url(path) == url


@pytest.mark.parametrize(
    ("file", "link"),
    [
        ("README.md", "/"),
        ("docs/README.md", "/docs/"),
        ("docs/papers/README.md", "/docs/papers/"),
        ("docs/papers/x.md", "/docs/papers/x.md"),
    ],
)
def test_route(file: str, link: str) -> None:
    assert route(file) == link
