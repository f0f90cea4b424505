"""`kb new`: a paper page from the template, never overwriting anything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kb.schema import PAPER_SECTIONS
from tests.helpers import KbRunner, SiteBuilder
from tests.sourceweb import replay

SECTION = {"docs/papers/_section.yaml": "title: 论文\norder: 1\ngroup_by: category\n"}


def test_new_paper_page_has_the_template_and_todays_date(site: SiteBuilder, kb: KbRunner) -> None:
    root = site(SECTION)
    code, _, err = kb(
        root, "new", "bello-2019-4dsurvival", "--title", "A title", "--category", "survival"
    )
    assert code == 0, err
    text = (root / "docs/papers/bello-2019-4dsurvival.md").read_text(encoding="utf-8")
    assert text.startswith('---\ntype: paper\ntitle: "A title"\n')
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


@pytest.fixture(scope="module")
def sources() -> Iterator[str]:
    with replay() as base:
        table = f'crossref = "{base}"\narxiv = "{base}/api/query"\ntimeout = 0.5\n'
        yield "\n[tool.kb.sources]\n" + table


def _paper_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "docs/papers").glob("*.md"))


def test_new_from_a_doi_fills_the_front_matter_and_regenerates_the_sidebar(
    site: SiteBuilder, kb: KbRunner, sources: str
) -> None:
    root = site(SECTION, kb_toml=sources)
    code, _, err = kb(
        root,
        "new",
        "--doi",
        "https://doi.org/10.1186/s12874-018-0482-1",
        "--category",
        "survival",
        "--tasks",
        "survival-analysis, treatment-effect",
        "--modalities",
        "tabular",
        "--areas",
        "oncology,general",
    )
    assert code == 0, err
    page = root / "docs/papers/katzman-2018-deepsurv-personalized-treatment.md"
    assert "kb: created docs/papers/katzman-2018-deepsurv-personalized-treatment.md" in err
    assert "kb: wrote _sidebar.md" in err
    front = yaml.safe_load(page.read_text(encoding="utf-8").split("---")[1])
    assert front["title"].startswith("DeepSurv: personalized treatment recommender system")
    assert front["authors"][:2] == ["Jared L. Katzman", "Uri Shaham"]
    assert len(front["authors"]) == 6
    assert (front["year"], front["venue"]) == (2018, "BMC Medical Research Methodology")
    assert (front["doi"], front["arxiv"]) == ("10.1186/s12874-018-0482-1", None)
    assert front["tasks"] == ["survival-analysis", "treatment-effect"]
    assert front["modalities"] == ["tabular"] and front["category"] == "survival"
    assert front["areas"] == ["oncology", "general"]
    assert "katzman-2018-deepsurv-personalized-treatment.md" in (root / "_sidebar.md").read_text(
        encoding="utf-8"
    )
    # The same paper again, by its DOI or from arXiv (same title): refused, nothing written.
    for again in (["--doi", "10.1186/S12874-018-0482-1"], ["--arxiv", "1606.00931"]):
        code, _, err = kb(root, "new", *again)
        assert code == 3
        assert "is already on the site" in err and page.name in err
    assert _paper_files(root) == [page.name]


def test_new_from_an_arxiv_id(site: SiteBuilder, kb: KbRunner, sources: str) -> None:
    root = site(SECTION, kb_toml=sources)
    code, _, err = kb(root, "new", "deepsurv-preprint", "--arxiv", "arXiv:1606.00931v3")
    assert code == 0, err
    front = yaml.safe_load(
        (root / "docs/papers/deepsurv-preprint.md").read_text(encoding="utf-8").split("---")[1]
    )
    assert (front["arxiv"], front["year"]) == ("1606.00931", 2016)
    assert front["doi"] == "10.1186/s12874-018-0482-1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--doi", "10.9999/unknown"], "Crossref does not know DOI 10.9999/unknown"),
        (["--doi", "10.9999/limited"], "Crossref is limiting our requests"),
        (["--doi", "10.9999/noauthors"], "has no authors, date"),
        (["--arxiv", "9912.99999"], "arXiv does not know 9912.99999"),
        (["--doi", "10.9999/markup", "--category", "survivl"], "did you mean 'survival'"),
        (["--doi", "10.9999/markup", "--tasks", "segmentaton"], "did you mean 'segmentation'"),
        (["--doi", "10.9999/markup", "--areas", "oncolgy"], "did you mean 'oncology'"),
        ([], "give a page name, or --doi / --arxiv"),
    ],
)
def test_new_from_an_identifier_fails_in_one_line_and_writes_nothing(
    site: SiteBuilder, kb: KbRunner, sources: str, args: list[str], message: str
) -> None:
    root = site(SECTION, kb_toml=sources)
    code, out, err = kb(root, "new", *args)
    assert code == 3
    assert message in err and len(err.strip().splitlines()) == 1
    assert _paper_files(root) == [] and not (root / "_sidebar.md").exists()
