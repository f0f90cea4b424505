"""The repository's real content in Chromium, exactly as the Pages workflow deploys it (`kb
publish`), served under a sub-path: every page the sidebar lists renders cleanly, search works,
and nothing but the site is served."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from playwright.sync_api import expect

if TYPE_CHECKING:
    from conftest import Site


def test_every_page_in_the_generated_sidebar_renders(repo_site: Site) -> None:
    repo_site.open("/docs/")
    hrefs = repo_site.page.eval_on_selector_all(
        ".sidebar-nav a:not(.section-link)", "links => links.map(a => a.getAttribute('href'))"
    )
    routes = [href[1:] for href in hrefs if href.startswith("#/docs/")]
    assert len(routes) == len(hrefs) >= 5
    for route in routes:
        repo_site.navigate(route)
        main = repo_site.page.locator("#main")
        heading = main.locator("h1").first
        expect(heading).to_be_visible()
        assert "404" not in heading.inner_text(), route
        # Front matter is metadata, never page text: the page starts with its title.
        assert main.inner_text().strip().startswith(heading.inner_text().strip()), route
        assert main.locator(".katex-error").count() == 0, route
    repo_site.page.wait_for_load_state("networkidle")
    repo_site.assert_clean()


def test_paper_page_renders_its_math_and_generated_index(repo_site: Site) -> None:
    repo_site.open("/docs/papers/bello-2019-4dsurvival")
    main = repo_site.page.locator("#main")
    expect(main.locator(".katex-display").first).to_be_visible()
    assert main.locator(".katex").count() >= 4
    repo_site.navigate("/docs/papers/")
    link = main.locator("table a", has_text="4Dsurvival")
    expect(link).to_have_attribute("href", "#/docs/papers/bello-2019-4dsurvival")
    repo_site.assert_clean()


def test_search_works_on_the_published_site_under_its_sub_path(repo_site: Site) -> None:
    repo_site.open("/docs/")
    box = repo_site.page.locator(".sidebar input[type=search]")
    box.fill("生存分析")
    first = repo_site.page.locator(".kb-search-result a").first
    expect(first).to_be_visible()
    first.click()
    repo_site.page.wait_for_function("() => document.body.dataset.kbRoute.startsWith('/docs/')")
    expect(repo_site.page.locator("#main h1").first).to_be_visible()
    prefix = urlsplit(repo_site.base_url).path
    assert prefix.count("/") == 2 and prefix != "/"  # /<repo>/: a real sub-path
    for url in repo_site.requests:
        assert urlsplit(url).path.startswith(prefix), url  # nothing asked of the host's root
    repo_site.assert_clean()


def test_repository_internals_are_not_published(repo_site: Site) -> None:
    """Only the site's files are deployed: sources, caches and tooling answer 404."""
    for internal in (
        "pyproject.toml",
        "dev",
        "tools/kb/cli.py",
        "tests/conftest.py",
        "package.json",
        "node_modules/docsify/package.json",
        ".kb-cache/",
        ".git/HEAD",
        ".github/workflows/ci.yml",
        "requirements/base.txt",
        "docs/_data/vocabulary.yaml",
    ):
        response = repo_site.page.request.get(repo_site.base_url + internal)
        assert response.status == 404, internal
