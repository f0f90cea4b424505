"""`kb verify`: paper pages against their records, on a loopback Crossref and arXiv."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.helpers import KbRunner, SiteBuilder
from tests.sourceweb import replay

AUTHORS = (
    "  - Jared L. Katzman\n  - Uri Shaham\n  - Alexander Cloninger\n  - Jonathan Bates\n"
    "  - Tingting Jiang\n  - Yuval Kluger\n"
)
TITLE = (
    '"DeepSurv: personalized treatment recommender system using a Cox proportional hazards '
    'deep neural network"'
)


def _paper(title: str, authors: str, year: int, venue: str, ids: str) -> str:
    return (
        f"---\ntype: paper\ntitle: {title}\nauthors:\n{authors}year: {year}\n"
        f"venue: {venue}\n{ids}category: survival\n---\n# 论文\n"
    )


@pytest.fixture(scope="module")
def sources() -> Iterator[str]:
    with replay() as base:
        table = f'crossref = "{base}"\narxiv = "{base}/api/query"\ntimeout = 0.5\n'
        yield "\n[tool.kb.sources]\n" + table


def test_each_fact_that_differs_is_reported_at_its_line(
    site: SiteBuilder, kb: KbRunner, sources: str
) -> None:
    doi = "doi: 10.1186/s12874-018-0482-1\n"
    root = site(
        {
            "docs/papers/_section.yaml": "title: 论文\norder: 1\n",
            "docs/papers/right.md": _paper(
                TITLE, AUTHORS, 2018, "BMC Medical Research Methodology", doi
            ),
            "docs/papers/wrong.md": _paper(
                '"DeepSurv: a recommender"', "  - Uri Shaham\n", 2017, "BMC Bioinformatics", doi
            ),
            "docs/papers/preprint.md": _paper(
                TITLE, AUTHORS, 2016, "arXiv preprint", 'arxiv: "1606.00931"\n'
            ),
            "docs/papers/unknown.md": _paper(
                '"Unknown"', "  - A. Person\n", 2020, "Nowhere", "doi: 10.9999/unknown\n"
            ),
            "docs/papers/no-id.md": _paper('"No identifier"', "  - A. Person\n", 2020, "X", ""),
        },
        kb_toml=sources,
    )
    code, out, err = kb(root, "verify", "--format", "json")
    assert code == 2, err
    # right, wrong, preprint and unknown are asked about; the page with no identifier is not.
    assert "kb verify: 4 paper page(s) compared with their records, 5 finding(s)" in err
    found = sorted(
        (d["file"], d["line"], d["code"], d["message"]) for d in json.loads(out)["diagnostics"]
    )
    assert found == [
        (
            "docs/papers/unknown.md",
            8,
            "VER705",
            "not verified: Crossref does not know DOI 10.9999/unknown: check the identifier",
        ),
        (
            "docs/papers/wrong.md",
            3,
            "VER701",
            f"title differs from Crossref: {TITLE.strip(chr(34))!r}",
        ),
        (
            "docs/papers/wrong.md",
            4,
            "VER703",
            "first author differs from Crossref: 'Jared L. Katzman'",
        ),
        ("docs/papers/wrong.md", 6, "VER702", "year differs from Crossref: 2018"),
        (
            "docs/papers/wrong.md",
            7,
            "VER704",
            "venue differs from Crossref: 'BMC Medical Research Methodology'",
        ),
    ]


def test_changed_since_checks_only_the_pages_a_change_touches(
    site: SiteBuilder, kb: KbRunner, sources: str
) -> None:
    import subprocess

    root = site(
        {
            "docs/papers/_section.yaml": "title: 论文\norder: 1\n",
            "docs/papers/old.md": _paper(
                '"Unknown"', "  - A. Person\n", 2020, "Nowhere", "doi: 10.9999/unknown\n"
            ),
        },
        kb_toml=sources,
    )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=root, check=True)
    (root / "docs/papers/new.md").write_text(
        _paper(
            '"DeepSurv"', "  - Jared L. Katzman\n", 2018, "X", "doi: 10.1186/s12874-018-0482-1\n"
        ),
        encoding="utf-8",
    )
    code, out, _ = kb(root, "verify", "--changed-since", "HEAD", "--format", "json")
    files = {d["file"] for d in json.loads(out)["diagnostics"]}
    assert files == {"docs/papers/new.md"}  # old.md's unknown DOI is not asked about
    assert code == 2
