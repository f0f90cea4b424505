"""kb's markdown scanner against marked as docsify 5 runs it, page by page.

The oracle (tests/oracle/marked_scan.mjs) runs marked from node_modules with docsify's own
heading, link and image renderers and the site's docsify-latex hook, in one node process
for every page: the site's pages and sidebar, the fixture sites, and pinned pages of real
docsify sites (tests/oracle/pages, sources in tests/oracle/README.md). Headings (level,
text, id), links, images, HTML link attributes, definitions and references must agree.
tests/oracle/run_real.py runs the same comparison over whole checked-out sites.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.oracle.compare import ROOT, OracleResult, compare, oracle_scan, read_body


def _pages() -> list[Path]:
    found = [*ROOT.glob("docs/**/*.md"), ROOT / "_sidebar.md"]
    found += ROOT.glob("tests/sites/**/*.md")
    found += ROOT.glob("tests/oracle/pages/*.md")
    return sorted(path for path in found if path.is_file() and not path.is_symlink())


PAGES = _pages()


@pytest.fixture(scope="module")
def oracle() -> dict[Path, OracleResult]:
    return dict(zip(PAGES, oracle_scan([read_body(path) for path in PAGES]), strict=True))


def test_the_oracle_sees_every_kind_of_page() -> None:
    names = {path.relative_to(ROOT).parts[0:2] for path in PAGES}
    assert ("docs", "guide") in names and ("tests", "sites") in names
    assert len([path for path in PAGES if "oracle" in path.parts]) >= 10


@pytest.mark.parametrize("path", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_kb_reads_the_page_as_docsify_does(path: Path, oracle: dict[Path, OracleResult]) -> None:
    found = list(compare(str(path.relative_to(ROOT)), read_body(path), oracle[path]))
    assert not found, "\n".join(str(disagreement) for disagreement in found)


def test_the_oracle_gives_docsify_ids_formulas_and_html_links() -> None:
    body = (
        "## 类别 `category`\n\n## 求解$Ax=b$\n\n## 小结 :id=Summary\n\n## 小结 :id=summary\n\n"
        '<div>\n<img src="a.png">\n</div>\n\n[![b](b.svg)](c.md) [d][] <e@f.org>\n\n[d]: g.md\n'
    )
    result = oracle_scan([body])[0]
    assert [tuple(h) for h in result["headings"]] == [
        (2, "类别 `category`", "类别-category"),
        (2, "求解$Ax=b$", "求解"),
        (2, "小结 :id=Summary", "summary"),
        (2, "小结 :id=summary", "summary-1"),
    ]
    assert [tuple(link[:2]) for link in result["links"]] == [
        ("link", "c.md"),
        ("image", "b.svg"),
        ("ref-link", "g.md"),
        ("autolink", "mailto:e@f.org"),
    ]
    assert [tuple(link) for link in result["html"]] == [("html:img:src", "a.png")]
    assert [tuple(entry) for entry in result["defs"]] == [("d", "g.md")]


def test_compare_reports_what_each_side_found_that_the_other_did_not() -> None:
    body = "## 类别 `category`\n\n[a](x.md)\n"
    oracle = oracle_scan([body])[0]
    assert list(compare("page.md", body, oracle)) == []
    oracle["headings"][0][2] = "类别"
    oracle["links"].append(["image", "y.png"])
    found = {disagreement.what: disagreement for disagreement in compare("p", body, oracle)}
    assert set(found) == {"headings", "links"}
    assert found["headings"].kb == (0, (2, "类别 `category`", "类别-category"))
    assert found["links"].kb == [] and found["links"].marked == [("image", "y.png")]
