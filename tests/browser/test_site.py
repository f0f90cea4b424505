"""The docsify site in real headless Chromium: routing, plugins, math, sidebar, offline-only."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, expect

if TYPE_CHECKING:
    from conftest import Site

HOME = "/docs/"
PAPER = "/docs/papers/bello-2019-cardiac-motion"
METRICS = "/docs/notes/metrics"
MATH = "/docs/notes/math"
CNN = "/docs/notes/cnn"
ESCAPING = "/docs/notes/escaping"
REVIEW = "/docs/papers/multimodal-fusion-review"
ANCHOR_ID = "精确率与召回率"
ESCAPED_TITLE = "转义标题 <b>x</b> 示例"


def sidebar_hrefs(site: Site) -> list[str]:
    return site.page.eval_on_selector_all(
        ".sidebar-nav a:not(.section-link)", "links => links.map(a => a.getAttribute('href'))"
    )


def group(site: Site, key: str) -> Locator:
    return site.page.locator(f'.sidebar-nav li.kb-group[data-kb-group="{key}"]')


def label(site: Site, key: str) -> Locator:
    return group(site, key).locator(":scope > .kb-group-label")


def pagination(site: Site) -> dict[str, tuple[str, str, str]]:
    """The page's 上一页 / 下一页 links: rel -> (href, label, title)."""
    return site.page.eval_on_selector_all(
        "#main > nav.kb-pagination a",
        """links => Object.fromEntries(links.map(a => [a.rel, [
            a.getAttribute('href'),
            a.querySelector('.kb-pagination-label').textContent,
            a.querySelector('.kb-pagination-title').textContent,
        ]]))""",
    )


def test_home_renders_with_sidebar(site: Site) -> None:
    site.goto()  # no hash at all
    site.wait_rendered(HOME)
    page = site.page
    assert page.url.endswith("/medai/#/docs/")
    expect(page.locator("#main h1")).to_have_text("MedAI Notes 医学 AI 笔记")
    expect(page.locator(".sidebar .app-name")).to_have_text("MedAI Notes 医学 AI 笔记")
    assert sidebar_hrefs(site)[0] == "#/docs/"
    assert len(sidebar_hrefs(site)) == 7
    expect(page.locator(".sidebar input[type=search]")).to_have_attribute("placeholder", "搜索")
    assert page.evaluate("window.KB_SITE.build") == site.build
    # The repo-root README is the developer README: never fetched, never shown.
    assert not any(url.endswith("/medai/README.md") for url in site.requests)
    assert "DEVELOPER-README-MARKER" not in page.content()
    # A link (or a search hit) to "#/" lands on the site home, not on the dev README.
    site.page.evaluate("location.hash = '#/'")
    page.wait_for_function("() => location.hash === '#/docs/'")
    site.wait_rendered(HOME)
    expect(page.locator("#main h1")).to_have_text("MedAI Notes 医学 AI 笔记")
    site.assert_clean()


def test_every_sidebar_link_opens_without_404(site: Site) -> None:
    site.open(HOME)
    hrefs = sidebar_hrefs(site)
    assert hrefs == [
        "#/docs/",
        "#/docs/papers/bello-2019-cardiac-motion",
        "#/docs/papers/multimodal-fusion-review",
        "#/docs/notes/metrics",
        "#/docs/notes/math",
        "#/docs/notes/cnn",
        "#/docs/notes/escaping",
    ]
    for href in hrefs:
        site.navigate(href[1:])
        heading = site.page.locator("#main h1").first
        expect(heading).to_be_visible()
        assert "404" not in heading.inner_text()
    site.page.wait_for_load_state("networkidle")
    sidebars = [url for url in site.requests if url.endswith("_sidebar.md")]
    assert sidebars and all(url.endswith("/medai/_sidebar.md") for url in sidebars)
    site.assert_clean()


def test_relative_link_between_pages(site: Site) -> None:
    site.open(PAPER)
    link = site.page.locator("#main a", has_text="分类评价指标")
    expect(link).to_have_attribute("href", "#/docs/notes/metrics")
    link.click()
    site.wait_rendered(METRICS)
    expect(site.page.locator("#main h1")).to_have_text("分类评价指标")
    site.assert_clean()


def test_front_matter_is_hidden(site: Site) -> None:
    site.open(PAPER)
    main = site.page.locator("#main")
    text = main.inner_text()
    assert "FRONTMATTER-BODY-MARKER" in text
    for leaked in ("authors:", "venue:", "Nature Machine Intelligence", "category: survival"):
        assert leaked not in text
    first = site.page.eval_on_selector("#main", "m => m.firstElementChild.tagName")
    assert first == "H1"
    assert main.locator("table tr").count() == 3
    site.assert_clean()


def test_katex_inline_and_display(site: Site) -> None:
    site.open(MATH)
    page = site.page
    main = page.locator("#main")
    expect(main.locator(".katex-display")).to_have_count(3)
    assert main.locator(".katex").count() >= 9
    assert main.locator(".katex-error").count() == 0
    text = main.inner_text()
    assert "$$" not in text and "\\frac" not in text and "\\int" not in text
    assert "美元符号 $5" in text  # an escaped \$ stays a dollar sign
    expect(main.locator("code", has_text="$PATH")).to_have_count(1)
    assert main.locator("p em").count() == 0  # $x_i$ 与 $y_i$ did not become <em>
    expect(main.locator(".katex-display .katex-html", has_text="精确率").first).to_be_visible()
    # KaTeX's own fonts came from vendor/ (woff2).
    page.evaluate("document.fonts.ready")
    loaded = page.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert "KaTeX_Main" in loaded
    assert any("/vendor/katex/fonts/" in url and url.endswith(".woff2") for url in site.requests)
    site.assert_clean()


def test_image_loads_and_zooms(site: Site) -> None:
    site.open(MATH)
    page = site.page
    image = page.locator("#main img[alt='ROC 曲线示意图']")
    expect(image).to_have_attribute("src", re.compile(r"docs/notes/img/roc\.svg$"))
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.evaluate("img => getComputedStyle(img).cursor") == "zoom-in"
    assert image.get_attribute("tabindex") is None  # images are not made focusable

    image.click()
    overlay = page.locator(".kb-zoom")
    expect(overlay).to_be_visible()
    expect(overlay).to_have_attribute("role", "dialog")
    expect(overlay).to_have_attribute("aria-modal", "true")
    expect(overlay).to_have_attribute("aria-label", "图片预览")
    large = overlay.locator("img.kb-zoom-image")
    expect(large).to_have_attribute("src", image.evaluate("img => img.src"))
    expect(large).to_have_attribute("alt", "ROC 曲线示意图")
    assert large.evaluate("img => getComputedStyle(img).objectFit") == "contain"
    box = large.bounding_box()
    assert box is not None and box["height"] > 600  # shown large, not at its page size
    assert overlay.evaluate("o => getComputedStyle(o).cursor") == "zoom-out"
    # The close button is keyboard-reachable: it holds focus, and Tab keeps it there.
    close = overlay.locator("button.kb-zoom-close")
    expect(close).to_be_focused()
    expect(close).to_have_attribute("aria-label", "关闭图片预览")
    page.keyboard.press("Tab")
    expect(close).to_be_focused()

    # Escape closes it and focus returns to the image.
    page.keyboard.press("Escape")
    expect(overlay).to_have_count(0)
    assert image.evaluate("img => document.activeElement === img")

    # A click anywhere closes it too.
    image.click()
    expect(overlay).to_be_visible()
    page.mouse.click(20, 20)
    expect(overlay).to_have_count(0)
    assert image.evaluate("img => document.activeElement === img")

    # So does scrolling the page.
    image.click()
    expect(overlay).to_be_visible()
    page.mouse.wheel(0, 300)
    expect(overlay).to_have_count(0)

    # Images marked no-zoom and images inside links are left alone.
    no_zoom = page.locator("#main img[alt='ROC 曲线（不放大）']")
    expect(no_zoom).to_have_attribute("data-no-zoom", "")
    assert no_zoom.evaluate("img => getComputedStyle(img).cursor") != "zoom-in"
    no_zoom.click()
    page.wait_for_timeout(200)
    expect(overlay).to_have_count(0)
    linked = page.locator("#main a img[alt='ROC 曲线（链接）']")
    linked.click()
    site.wait_rendered(METRICS)
    expect(overlay).to_have_count(0)
    site.assert_clean()


def test_zoom_respects_reduced_motion(site: Site) -> None:
    site.page.emulate_media(reduced_motion="reduce")
    site.open(MATH)
    image = site.page.locator("#main img[alt='ROC 曲线示意图']")
    image.click()
    overlay = site.page.locator(".kb-zoom")
    expect(overlay).to_be_visible()
    names = overlay.evaluate(
        "o => [o, o.querySelector('img')].map(e => getComputedStyle(e).animationName)"
    )
    assert names == ["none", "none"]
    site.page.keyboard.press("Escape")
    expect(overlay).to_have_count(0)
    site.assert_clean()


def test_code_highlight_and_copy_button(site: Site) -> None:
    site.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    site.open(METRICS)
    main = site.page.locator("#main")
    for lang in ("python", "bash", "yaml", "json"):
        block = main.locator(f'pre[data-lang="{lang}"]')
        expect(block).to_have_count(1)
        assert block.locator(".token").count() > 0, f"{lang} block is not highlighted"
    assert main.locator('pre[data-lang="python"] .token.keyword').count() >= 3
    expect(main.locator('pre[data-lang="bash"] code')).to_contain_text('echo "$HOME 下的费用是 $5"')
    buttons = main.locator("pre > button.kb-copy")
    expect(buttons).to_have_count(4)
    expect(buttons.first).to_have_text("复制代码")
    expect(buttons.first).to_have_attribute("type", "button")
    expect(buttons.first).to_have_attribute("aria-label", "复制代码（python）")
    block = main.locator('pre[data-lang="python"]')
    button = block.locator(".kb-copy")
    # Hidden until the block is hovered; then it takes the language label's place.
    assert button.evaluate("b => getComputedStyle(b).opacity") == "0"
    block.hover()
    page = site.page
    page.wait_for_function("b => getComputedStyle(b).opacity === '1'", arg=button.element_handle())
    page.wait_for_function(  # the language label gave way
        "pre => getComputedStyle(pre, '::after').opacity === '0'", arg=block.element_handle()
    )
    button.click()
    expect(button).to_have_class(re.compile(r"\bkb-copied\b"))
    expect(button).to_have_text("已复制")
    clipboard = page.evaluate("navigator.clipboard.readText()")
    assert clipboard.startswith("from sklearn.metrics import f1_score")
    assert "def evaluate(y_true, y_pred):" in clipboard
    assert "复制代码" not in clipboard and "已复制" not in clipboard
    # After about 2 s the button is back to its label.
    expect(button).not_to_have_class(re.compile(r"\bkb-copied\b"), timeout=4000)
    expect(button).to_have_text("复制代码")
    site.assert_clean()


def test_copy_button_falls_back_to_exec_command(site: Site) -> None:
    # Without the async clipboard API the button copies through a selected textarea.
    site.page.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined});"
        "window.__kbCopied = [];"
        "document.execCommand = function (cmd) {"
        " const t = document.querySelector('textarea.kb-copy-buffer');"
        " window.__kbCopied.push([cmd, t.value.slice(t.selectionStart, t.selectionEnd)]);"
        " return true; };"
    )
    site.open(METRICS)
    block = site.page.locator('#main pre[data-lang="yaml"]')
    block.hover()
    button = block.locator(".kb-copy")
    button.click()
    expect(button).to_have_class(re.compile(r"\bkb-copied\b"))
    copied = site.page.evaluate("window.__kbCopied")
    assert copied == [["copy", "metrics: [accuracy, f1]\nthreshold: 0.5"]]
    expect(site.page.locator("textarea")).to_have_count(0)  # the buffer is gone again
    site.assert_clean()


def test_copy_button_reports_failure(site: Site) -> None:
    site.page.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined});"
        "document.execCommand = () => false;"
    )
    site.open(METRICS)
    block = site.page.locator('#main pre[data-lang="json"]')
    block.hover()
    button = block.locator(".kb-copy")
    button.click()
    expect(button).to_have_text("复制失败")
    expect(button).not_to_have_class(re.compile(r"\bkb-copied\b"))
    site.assert_clean()


def test_pagination_links_neighbours_in_sidebar_order(site: Site) -> None:
    site.open(PAPER)
    nav = site.page.locator("#main > nav.kb-pagination")
    expect(nav).to_have_count(1)
    expect(nav).to_have_attribute("aria-label", "翻页")
    assert pagination(site) == {
        "prev": ["#/docs/", "上一页", "首页"],
        "next": [
            "#/docs/papers/multimodal-fusion-review",
            "下一页",
            "多模态数据融合发现肿瘤标志物",
        ],
    }
    # It is the last thing on the page, after the edit link.
    order = site.page.eval_on_selector(
        "#main", "m => [...m.children].slice(-2).map(e => e.className)"
    )
    assert order == ["kb-edit-link", "kb-pagination"]
    # The label is small and muted, the title larger.
    sizes = nav.locator("a").first.evaluate(
        "a => ['.kb-pagination-label', '.kb-pagination-title'].map("
        "s => parseFloat(getComputedStyle(a.querySelector(s)).fontSize))"
    )
    assert sizes[0] < sizes[1]
    site.assert_clean()


def test_pagination_follows_the_sidebar_across_groups(site: Site) -> None:
    site.open(HOME)
    # The home page has only a next link.
    assert pagination(site) == {
        "next": ["#/docs/papers/bello-2019-cardiac-motion", "下一页", "心脏运动分析预测生存"],
    }
    expected = sidebar_hrefs(site)
    # Walk the whole sidebar through 下一页: from one group into the next, to the last page.
    visited = ["#/docs/"]
    next_link = site.page.locator("#main .kb-pagination a[rel=next]")
    while next_link.count():
        href = next_link.get_attribute("href") or ""
        next_link.locator(".kb-pagination-title").click()
        site.wait_rendered(href[1:])
        visited.append(href)
        assert len(visited) <= len(expected)
    assert visited == expected
    # The last page has only a previous link.
    assert list(pagination(site)) == ["prev"]
    # From the review (the last page of 论文精读) the next page is the first of 算法笔记.
    site.navigate(REVIEW)
    links = pagination(site)
    assert links["prev"][0] == f"#{PAPER}"
    assert links["next"] == [f"#{METRICS}", "下一页", "分类评价指标"]
    site.assert_clean()


def test_pagination_shows_html_in_titles_as_text(site: Site) -> None:
    site.open(CNN)
    nav = site.page.locator("#main .kb-pagination")
    assert pagination(site)["next"] == [f"#{ESCAPING}", "下一页", ESCAPED_TITLE]
    expect(nav.locator("b")).to_have_count(0)
    expect(nav.locator("a[rel=next]")).to_contain_text(ESCAPED_TITLE)
    # On the page itself, the previous link goes back; the sidebar shows the title as text too.
    nav.locator("a[rel=next]").click()
    site.wait_rendered(ESCAPING)
    assert pagination(site) == {"prev": [f"#{CNN}", "上一页", "卷积神经网络入门"]}
    expect(site.page.locator(".sidebar-nav b")).to_have_count(0)
    expect(site.page.locator("#main h1")).to_have_text(ESCAPED_TITLE)
    site.assert_clean()


def test_pagination_left_out_where_the_page_is_not_in_the_sidebar(site: Site) -> None:
    site.open("/docs/no-such-page")
    expect(site.page.locator("#main h1")).to_have_text("页面不存在（404）")
    expect(site.page.locator(".kb-pagination")).to_have_count(0)
    site.failed_responses.clear()  # the missing page itself (see test_missing_route_...)
    site.console_errors.clear()
    site.assert_clean()


def test_pagination_stacks_on_phones(mobile_site: Site) -> None:
    site = mobile_site
    site.open(MATH)
    links = site.page.locator("#main .kb-pagination a")
    expect(links).to_have_count(2)
    prev_box, next_box = links.nth(0).bounding_box(), links.nth(1).bounding_box()
    assert prev_box is not None and next_box is not None
    assert next_box["y"] >= prev_box["y"] + prev_box["height"]  # one above the other
    assert site.page.evaluate("document.documentElement.scrollWidth") <= 375
    site.assert_clean()


def test_chinese_heading_anchor_scrolls(site: Site) -> None:
    site.open(METRICS)
    page = site.page
    link = page.locator("#main a", has_text="跳到：精确率与召回率")
    href = link.get_attribute("href") or ""
    assert unquote(href) == f"#/docs/notes/metrics?id={ANCHOR_ID}"
    assert page.evaluate("scrollY") == 0
    link.click()
    heading = page.locator(f'#main h2[id="{ANCHOR_ID}"]')
    expect(heading).to_be_in_viewport()
    page.wait_for_function(
        "h => Math.abs(h.getBoundingClientRect().top) < 120 && scrollY > 500",
        arg=heading.element_handle(),
    )
    assert ANCHOR_ID in page.evaluate("decodeURIComponent(location.hash)")
    # A deep link to the same heading scrolls there on a fresh load too.
    page.goto("about:blank")
    site.goto(f"#{METRICS}?id={ANCHOR_ID}")
    page.wait_for_function(
        "id => { const h = document.getElementById(id);"
        " return h && Math.abs(h.getBoundingClientRect().top) < 120 && scrollY > 500; }",
        arg=ANCHOR_ID,
    )
    site.assert_clean()


def test_missing_route_shows_404_page(site: Site) -> None:
    site.open("/docs/no-such-page")
    page = site.page
    expect(page.locator("#main h1")).to_have_text("页面不存在（404）")
    home = page.locator("#main a", has_text="首页")
    expect(home).to_have_attribute("href", "#/docs/")
    expect(page.locator(".kb-edit-link")).to_have_count(0)
    # The only failure is the missing page itself.
    assert site.failed_responses == [f"404 {site.base_url}docs/no-such-page.md"]
    assert len(site.console_errors) == 1 and "404" in site.console_errors[0]
    site.failed_responses.clear()
    site.console_errors.clear()
    home.click()
    site.wait_rendered(HOME)
    expect(page.locator("#main h1")).to_have_text("MedAI Notes 医学 AI 笔记")
    site.assert_clean()


def test_sidebar_groups_collapse(site: Site) -> None:
    site.open(HOME)
    page = site.page
    keys = page.eval_on_selector_all(
        ".sidebar-nav li.kb-group", "els => els.map(e => e.dataset.kbGroup)"
    )
    assert keys == ["论文精读", "论文精读 / 生存分析与预后", "论文精读 / 综述与观点", "算法笔记"]
    for key in keys:  # nothing on the home page lives in a group: all start collapsed
        expect(label(site, key)).to_have_attribute("aria-expanded", "false")
    paper_link = page.locator(".sidebar-nav a", has_text="心脏运动分析预测生存")
    expect(paper_link).to_be_hidden()

    label(site, "论文精读").click()
    expect(label(site, "论文精读")).to_have_attribute("aria-expanded", "true")
    expect(label(site, "论文精读 / 生存分析与预后")).to_be_visible()
    expect(paper_link).to_be_hidden()  # the sub-group is still collapsed

    sub = label(site, "论文精读 / 生存分析与预后")
    sub.focus()
    page.keyboard.press("Enter")
    expect(sub).to_have_attribute("aria-expanded", "true")
    expect(paper_link).to_be_visible()
    page.keyboard.press(" ")
    expect(sub).to_have_attribute("aria-expanded", "false")
    expect(paper_link).to_be_hidden()
    page.keyboard.press("Enter")
    expect(paper_link).to_be_visible()

    # Opening a page expands the groups that hold it; others keep their state.
    paper_link.click()
    site.wait_rendered(PAPER)
    expect(label(site, "论文精读")).to_have_attribute("aria-expanded", "true")
    expect(label(site, "论文精读 / 生存分析与预后")).to_have_attribute("aria-expanded", "true")
    expect(label(site, "算法笔记")).to_have_attribute("aria-expanded", "false")

    # docsify's own li.collapse (a page's sub-headings) works alongside our groups.
    active = page.locator(".sidebar-nav li.active")
    expect(active.locator(".app-sub-sidebar")).to_be_visible()
    active.locator(":scope > a").click()
    expect(active).to_have_class(re.compile(r"\bcollapse\b"))
    expect(active.locator(".app-sub-sidebar")).to_be_hidden()
    expect(label(site, "论文精读 / 生存分析与预后")).to_have_attribute("aria-expanded", "true")
    expect(paper_link).to_be_visible()

    # A fresh load of a page in another group: only that page's groups start open.
    site.open(METRICS)
    expect(label(site, "算法笔记")).to_have_attribute("aria-expanded", "true")
    expect(label(site, "论文精读")).to_have_attribute("aria-expanded", "false")
    site.assert_clean()


def test_edit_link_uses_edit_url(site: Site) -> None:
    site.open(PAPER)
    link = site.page.locator("#main .kb-edit-link a")
    expect(link).to_have_text("编辑此页")
    expected = site.edit_url.replace("{path}", "docs/papers/bello-2019-cardiac-motion.md")
    expect(link).to_have_attribute("href", expected)
    expect(link).to_have_attribute("target", "_blank")
    site.navigate(HOME)
    expect(link).to_have_attribute("href", site.edit_url.replace("{path}", "docs/README.md"))
    site.assert_clean()


def test_edit_link_hidden_without_edit_url(site: Site) -> None:
    info = {"build": site.build, "editUrl": ""}
    site.page.route(
        "**/vendor/kb-site.js",
        lambda route: route.fulfill(
            content_type="text/javascript", body=f"window.KB_SITE = {json.dumps(info)};"
        ),
    )
    site.open(PAPER)
    expect(site.page.locator("#main h1")).to_have_text("心脏运动分析预测生存")
    expect(site.page.locator(".kb-edit-link")).to_have_count(0)
    site.assert_clean()


def test_mobile_sidebar_toggle(mobile_site: Site) -> None:
    site = mobile_site
    site.open(PAPER)
    page = site.page
    toggle = page.locator("button.sidebar-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_be_in_viewport()
    box = toggle.bounding_box()
    assert box is not None and box["width"] >= 20 and box["height"] >= 40
    expect(page.locator("aside.sidebar")).not_to_have_class(re.compile(r"\bshow\b"))
    expect(page.locator("#main h1")).to_be_in_viewport()
    page.locator(".sidebar-toggle-button").click()
    expect(page.locator("aside.sidebar")).to_have_class(re.compile(r"\bshow\b"))
    expect(page.locator(".sidebar input[type=search]")).to_be_in_viewport()
    expect(page.locator(".sidebar-nav a", has_text="心脏运动分析预测生存")).to_be_visible()
    # Content fits the phone: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    site.assert_clean()


def test_nothing_leaves_loopback_and_no_console_errors(site: Site) -> None:
    site.open(HOME)
    for route in (PAPER, METRICS, MATH, HOME):
        site.navigate(route)
    site.page.locator(".sidebar input[type=search]").fill("公式")
    expect(site.page.locator(".kb-search-result").first).to_be_visible()
    site.page.wait_for_load_state("networkidle")
    hosts = {urlsplit(url).hostname for url in site.requests}
    assert hosts == {"127.0.0.1"}
    assert len(site.requests) > 20
    site.assert_clean()
    # The guard itself works: a request to another host is recorded and refused.
    with pytest.raises(PlaywrightError):
        site.page.goto("http://example.com/")
    assert site.external_requests == ["http://example.com/"]
