"""`kb.sources` against a loopback server replaying Crossref and arXiv answers
(tests/sources/README.md says where their format comes from), every error case included."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kb.config import ConfigError, load_settings
from kb.sources import (
    PaperRecord,
    SourceError,
    SourceSettings,
    fetch_arxiv,
    fetch_crossref,
    normalize_arxiv,
    normalize_doi,
    parse_source_settings,
)
from tests.linkweb import free_port
from tests.sourceweb import Replay, replay

FIXTURES = Path(__file__).parent / "sources"

DEEPSURV = PaperRecord(
    "DeepSurv: personalized treatment recommender system using a Cox proportional hazards "
    "deep neural network",
    (
        "Jared L. Katzman",
        "Uri Shaham",
        "Alexander Cloninger",
        "Jonathan Bates",
        "Tingting Jiang",
        "Yuval Kluger",
    ),
    2018,
    "BMC Medical Research Methodology",
    doi="10.1186/s12874-018-0482-1",
    url="https://doi.org/10.1186/s12874-018-0482-1",
)


@pytest.fixture(scope="module")
def settings() -> Iterator[SourceSettings]:
    with replay() as base:
        yield SourceSettings(
            crossref=base, arxiv=f"{base}/api/query", mailto="kb@example.org", timeout=0.5
        )


def test_a_doi_gives_the_papers_record(settings: SourceSettings) -> None:
    for written in (
        "10.1186/s12874-018-0482-1",
        "https://doi.org/10.1186/s12874-018-0482-1",
        "doi:10.1186/s12874-018-0482-1",
    ):
        assert fetch_crossref(written, settings) == DEEPSURV
    assert Replay.agents[-1].endswith("(MedAI Notes knowledge base; mailto:kb@example.org)")


def test_an_arxiv_id_gives_the_papers_record(settings: SourceSettings) -> None:
    record = fetch_arxiv("arXiv:1606.00931v3", settings)
    assert record.title == DEEPSURV.title  # the feed wraps it over two lines
    assert record.authors == DEEPSURV.authors
    assert (record.year, record.venue) == (2016, "BMC Medical Research Methodology")
    assert (record.arxiv, record.doi) == ("1606.00931", "10.1186/s12874-018-0482-1")
    assert record.url == "https://arxiv.org/abs/1606.00931"


def test_markup_is_dropped_and_the_first_date_found_is_the_year(settings: SourceSettings) -> None:
    record = fetch_crossref("10.9999/markup", settings)
    assert record.title == "Survival of E. coli & 2 alert(1)models"
    assert record.authors == ("The Consortium", "Ada Lovelace")
    assert (record.year, record.venue) == (2021, "Example Press")  # online before issued


@pytest.mark.parametrize(
    ("fetch", "identifier", "message"),
    [
        (
            fetch_crossref,
            "10.9999/unknown",
            "Crossref does not know DOI 10.9999/unknown: check the identifier",
        ),
        (
            fetch_crossref,
            "10.9999/limited",
            "Crossref is limiting our requests (it asks to wait 7 s): try later",
        ),
        (
            fetch_crossref,
            "10.9999/down",
            "Crossref answered 503 for DOI 10.9999/down: try again later",
        ),
        (fetch_crossref, "10.9999/slow", "Crossref did not answer within 0.5 s: try again later"),
        (
            fetch_crossref,
            "10.9999/garbage",
            "Crossref's answer for DOI 10.9999/garbage is not a work record",
        ),
        (
            fetch_crossref,
            "10.9999/list",
            "Crossref's answer for DOI 10.9999/list is not a work record",
        ),
        (
            fetch_crossref,
            "10.9999/noauthors",
            "Crossref's record of DOI 10.9999/noauthors has no authors, date: create the page "
            "with `kb new SLUG --title …` and fill it in by hand",
        ),
        (
            fetch_crossref,
            "not-a-doi",
            "'not-a-doi' is not a DOI: expected 10.<registrant>/<suffix>",
        ),
        (fetch_arxiv, "9912.99999", "arXiv does not know 9912.99999: check the identifier"),
        (fetch_arxiv, "2001.00001", "arXiv does not know 2001.00001: check the identifier"),
        (fetch_arxiv, "2001.00002", "arXiv's answer for 2001.00002 is not an Atom feed"),
        (
            fetch_arxiv,
            "16060.0931",
            "'16060.0931' is not an arXiv identifier: expected e.g. 1810.03382",
        ),
    ],
)
def test_every_failure_is_one_clear_line(
    settings: SourceSettings,
    fetch: Callable[[str, SourceSettings], PaperRecord],
    identifier: str,
    message: str,
) -> None:
    with pytest.raises(SourceError) as raised:
        fetch(identifier, settings)
    assert str(raised.value) == message


def test_offline_is_said_as_such() -> None:
    closed = f"http://127.0.0.1:{free_port('127.0.0.1')}"
    offline = SourceSettings(crossref=closed, arxiv=closed, timeout=0.5)
    with pytest.raises(SourceError, match=r"^cannot reach Crossref \(.*\): are you online\?$"):
        fetch_crossref("10.1186/s12874-018-0482-1", offline)
    with pytest.raises(SourceError, match=r"^cannot reach arXiv \(.*\): are you online\?$"):
        fetch_arxiv("1606.00931", offline)


@pytest.mark.parametrize(
    ("written", "doi"),
    [
        ("https://dx.doi.org/10.1000/ABC%2F1", "10.1000/ABC/1"),
        ("  DOI: 10.1038/s41591-018-0300-7 ", "10.1038/s41591-018-0300-7"),
    ],
)
def test_normalize_doi(written: str, doi: str) -> None:
    assert normalize_doi(written) == doi


@pytest.mark.parametrize(
    ("written", "arxiv"),
    [
        ("https://arxiv.org/pdf/1810.03382v2.pdf", "1810.03382"),
        ("http://export.arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
        ("arXiv: 2401.12345", "2401.12345"),
    ],
)
def test_normalize_arxiv(written: str, arxiv: str) -> None:
    assert normalize_arxiv(written) == arxiv


def test_settings_come_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.kb]\n\n[tool.kb.sources]\ncrossref = "http://127.0.0.1:9/"\nmailto = "m@x.org"\n',
        encoding="utf-8",
    )
    sources = load_settings(tmp_path).sources
    assert (sources.crossref, sources.mailto, sources.arxiv) == (
        "http://127.0.0.1:9/",
        "m@x.org",
        SourceSettings().arxiv,
    )


def test_settings_are_validated() -> None:
    where = "pyproject.toml: [tool.kb.sources]"
    assert parse_source_settings(None, where) == SourceSettings()
    assert parse_source_settings({"mailto": "a@b.org"}, where).mailto == "a@b.org"
    with pytest.raises(ConfigError, match=r"crosref: unknown setting; did you mean 'crossref'"):
        parse_source_settings({"crosref": "x"}, where)
    with pytest.raises(ConfigError, match="timeout"):
        parse_source_settings({"timeout": 0}, where)
