"""Accessibility of the published site, judged by axe-core (WCAG 2 A and AA rules) in Chromium:
every page the sidebar lists, with the search results open, on a desktop and a phone.

axe-core is pinned in package.json like the site's own front-end packages; the tests inject
it into the page (the site never loads it), in tabs whose CSP is bypassed so that it may run.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from conftest import REPO

if TYPE_CHECKING:
    from conftest import Site

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _violations(site: Site) -> list[dict[str, Any]]:
    if not site.page.evaluate("() => typeof window.axe === 'object'"):
        site.page.add_script_tag(path=str(AXE))
    found = site.page.evaluate(
        "async options => (await axe.run(document, options)).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)}))",
        RULES,
    )
    return list(found)


def _report(where: dict[str, list[dict[str, Any]]]) -> str:
    return json.dumps({k: v for k, v in where.items() if v}, ensure_ascii=False, indent=1)


def _routes(site: Site) -> list[str]:
    site.open("/docs/")
    hrefs = site.page.eval_on_selector_all(
        ".sidebar-nav a", "links => links.map(a => a.getAttribute('href'))"
    )
    routes = {h[1:].split("?")[0] for h in hrefs if h and h.startswith("#/docs/")}
    return ["/docs/", *sorted(routes - {"/docs/"})]


def test_every_page_has_no_axe_violations(audit_site: Site) -> None:
    found: dict[str, list[dict[str, Any]]] = {}
    for route in _routes(audit_site):
        audit_site.navigate(route)
        audit_site.page.wait_for_timeout(400)  # formulas typeset, scrollers marked
        found[route] = _violations(audit_site)
    assert not any(found.values()), _report(found)


def test_search_results_have_no_axe_violations(audit_site: Site) -> None:
    audit_site.open("/docs/")
    audit_site.page.locator(".sidebar input[type=search]").fill("生存分析")
    audit_site.page.locator(".kb-search-result").first.wait_for()
    assert not (found := _violations(audit_site)), _report({"search": found})


def test_a_phone_sees_no_axe_violations(audit_mobile_site: Site) -> None:
    found: dict[str, list[dict[str, Any]]] = {}
    for route in ("/docs/", "/docs/papers/", "/docs/notes/classification-metrics"):
        audit_mobile_site.open(route)
        audit_mobile_site.page.wait_for_timeout(400)  # formulas typeset, scrollers marked
        found[route] = _violations(audit_mobile_site)
    audit_mobile_site.page.locator("button.sidebar-toggle").click()
    found["sidebar open"] = _violations(audit_mobile_site)
    assert not any(found.values()), _report(found)
