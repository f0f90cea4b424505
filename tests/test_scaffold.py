"""`kb new`: a paper page from the template, never overwriting anything."""

from __future__ import annotations

import datetime as dt

from kb.schema import PAPER_SECTIONS
from tests.helpers import KbRunner, SiteBuilder

SECTION = {"docs/papers/_section.yaml": "title: 论文\norder: 1\ngroup_by: category\n"}


def test_new_paper_page_has_the_template_and_todays_date(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(SECTION)
    code, _, err = kb(
        root, "new", "bello-2019-4dsurvival", "--title", "A title", "--category", "survival"
    )
    assert code == 0, err
    text = (root / "docs/papers/bello-2019-4dsurvival.md").read_text(encoding="utf-8")
    assert text.startswith("---\ntype: paper\ntitle: A title\n")
    assert f"added: {dt.date.today().isoformat()}\n" in text
    assert "category: survival\n" in text
    positions = [text.index(f"\n## {name}\n") for name in PAPER_SECTIONS]
    assert positions == sorted(positions)


def test_new_page_fails_the_check_until_it_is_filled_in(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(SECTION)
    kb(root, "new", "x-2020-y")
    code, out, _ = kb(root, "check")
    assert code == 2
    assert "docs/papers/x-2020-y.md:4: FM105 'title_zh' is empty" in out
    assert "FM111 paper has none of doi, arxiv, url" in out


def test_new_never_overwrites_and_rejects_bad_names(site: SiteBuilder, kb: KbRunner) -> None:
    root = site({**SECTION, "docs/papers/taken.md": "mine\n"})
    code, _, err = kb(root, "new", "taken")
    assert code == 3 and "already exists" in err
    assert (root / "docs/papers/taken.md").read_text(encoding="utf-8") == "mine\n"
    code, _, err = kb(root, "new", "Bad Name")
    assert code == 3 and "kebab-case" in err
