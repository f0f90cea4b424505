"""Front-matter validation: codes, lines and the exact messages users read."""

from __future__ import annotations

import pytest

from kb.render.tables import validate_data_table
from kb.schema import PAGE_TYPES, validate_front_matter, validate_section
from kb.vocabulary import Term
from kb.yamlio import parse_yaml

FILE = "docs/papers/x.md"
YEAR = 2025


def _terms(*ids: str) -> dict[str, Term]:
    return {term: Term(term, term.upper(), index, "") for index, term in enumerate(ids)}


VOCABULARY = {
    "categories": _terms("survival", "imaging"),
    "tasks": _terms("classification", "survival-analysis"),
    "modalities": _terms("mri", "ct", "cardiac-mri"),
    "areas": _terms("cardiology", "oncology"),
}

PAPER = """\
type: paper
title: A Valid Paper
title_zh: 有效的论文
authors: [A. Author, B. Author]
year: 2020
venue: Some Journal
doi: 10.1234/valid.1
category: survival
tasks: [survival-analysis]
modalities: [mri]
areas: [cardiology]
added: 2024-05-01
"""

Finding = tuple[int, str, str, str]


def findings(yaml_text: str) -> list[Finding]:
    """(line, code, message, hint) for front matter that starts on file line 2."""
    doc, found = parse_yaml(yaml_text, FILE, first_line=2)
    assert doc is not None, found
    result = validate_front_matter(doc, FILE, VOCABULARY, year=YEAR)
    return sorted((d.line, d.code, d.message, d.hint) for d in [*found, *result])


def paper_with(old: str, new: str) -> str:
    assert old in PAPER
    return PAPER.replace(old, new)


def test_a_complete_paper_has_no_findings() -> None:
    assert findings(PAPER) == []


@pytest.mark.parametrize("page_type", ["note", "resources", "guide"])
def test_other_page_types_need_only_type_and_title(page_type: str) -> None:
    assert findings(f"type: {page_type}\ntitle: 标题\n") == []


def test_year_with_a_chinese_suffix_is_a_type_error() -> None:
    assert findings(paper_with("year: 2020", "year: 2019年")) == [
        (6, "FM106", "'year': expected an integer, got '2019年'", "")
    ]


@pytest.mark.parametrize(("year", "ok"), [(1899, False), (1900, True), (2026, True), (2027, False)])
def test_year_range(year: int, ok: bool) -> None:
    found = findings(paper_with("year: 2020", f"year: {year}"))
    assert found == ([] if ok else [(6, "FM109", f"'year' {year} is outside 1900–2026", "")])


def test_boolean_is_not_an_integer() -> None:
    assert findings(paper_with("year: 2020", "year: true")) == [
        (6, "FM106", "'year': expected an integer, got true", "")
    ]


def test_vocabulary_value_with_case_and_space_gets_the_exact_id_as_hint() -> None:
    assert findings(paper_with("modalities: [mri]", "modalities: [MRI ]")) == [
        (11, "FM107", "unknown modality 'MRI'", "did you mean 'mri'?")
    ]


def test_vocabulary_value_with_underscore_gets_the_kebab_id_as_hint() -> None:
    assert findings(paper_with("modalities: [mri]", "modalities: [cardiac_mri]")) == [
        (11, "FM107", "unknown modality 'cardiac_mri'", "did you mean 'cardiac-mri'?")
    ]


def test_unknown_vocabulary_value_without_a_close_match_suggests_adding_it() -> None:
    assert findings(paper_with("category: survival", "category: zebra")) == [
        (9, "FM107", "unknown category 'zebra'", "add 'zebra' to the vocabulary 'categories'")
    ]


def test_vocabulary_item_lines_point_at_the_item() -> None:
    text = paper_with("areas: [cardiology]", "areas:\n  - cardiology\n  - oncologgy")
    assert findings(text) == [(14, "FM107", "unknown area 'oncologgy'", "did you mean 'oncology'?")]


def test_scalar_where_a_list_is_expected() -> None:
    assert findings(paper_with("tasks: [survival-analysis]", "tasks: survival-analysis")) == [
        (
            10,
            "FM106",
            "'tasks': expected a non-empty list such as [a, b], got 'survival-analysis'",
            "",
        )
    ]


def test_empty_list_is_a_type_error() -> None:
    assert findings(paper_with("authors: [A. Author, B. Author]", "authors: []")) == [
        (5, "FM106", "'authors': expected a non-empty list such as [a, b], got an empty list", "")
    ]


def test_list_with_a_repeated_value() -> None:
    assert findings(paper_with("authors: [A. Author, B. Author]", "authors: [A, A]")) == [
        (5, "FM109", "'authors' lists a value twice", "")
    ]


def test_missing_required_field_is_reported_on_the_first_line() -> None:
    assert findings(paper_with("venue: Some Journal\n", "")) == [
        (
            2,
            "FM105",
            "missing required field 'venue'",
            "add 'venue:', or list it under 'unconfirmed:' if no source confirms it",
        )
    ]


def test_empty_required_field_is_fm105_on_its_line() -> None:
    assert findings(paper_with("title_zh: 有效的论文", "title_zh:")) == [
        (4, "FM105", "'title_zh' is empty", "give 'title_zh' a value")
    ]


def test_unconfirmed_field_is_not_required() -> None:
    text = paper_with("venue: Some Journal\n", "") + "unconfirmed: [venue]\n"
    assert findings(text) == []


def test_unconfirmed_field_that_is_also_given() -> None:
    text = PAPER + "unconfirmed:\n  - venue\n"
    assert findings(text) == [
        (
            15,
            "FM109",
            "'venue' is listed as unconfirmed but is also given",
            "remove it from one of the two places",
        )
    ]


def test_unconfirmed_entry_that_is_not_a_paper_field() -> None:
    text = paper_with("venue: Some Journal\n", "") + "unconfirmed: [venue, venu]\n"
    assert findings(text) == [
        (13, "FM109", "unconfirmed: 'venu' is not a paper field", "did you mean 'venue'?")
    ]


def test_unknown_field_with_did_you_mean() -> None:
    assert findings("type: note\ntitle: x\ntitel: y\n") == [
        (4, "FM108", "unknown field 'titel'", "did you mean 'title'?")
    ]


def test_unknown_field_without_a_close_match() -> None:
    assert findings("type: note\ntitle: x\nzzz: y\n") == [
        (4, "FM108", "unknown field 'zzz'", "remove it")
    ]


def test_paper_fields_are_unknown_on_a_note() -> None:
    assert [f[1:3] for f in findings("type: note\ntitle: x\nyear: 2020\n")] == [
        ("FM108", "unknown field 'year'")
    ]


def test_bad_type_with_did_you_mean() -> None:
    assert findings("type: papr\ntitle: x\n") == [
        (2, "FM104", "unknown page type 'papr'", "did you mean 'paper'?")
    ]


def test_bad_type_without_a_close_match_lists_the_types() -> None:
    assert findings("type: blog\ntitle: x\n") == [
        (2, "FM104", "unknown page type 'blog'", "use one of paper, note, resources, guide")
    ]


def test_missing_type() -> None:
    assert findings("title: x\n") == [
        (2, "FM104", "front matter has no 'type'", "add 'type:' (paper, note, resources, guide)")
    ]


@pytest.mark.parametrize(
    ("text", "shown"),
    [("- a\n- b\n", "a list"), ("just text\n", "'just text'"), ("42\n", "42")],
)
def test_front_matter_that_is_not_a_mapping(text: str, shown: str) -> None:
    assert findings(text) == [(2, "FM103", f"expected key: value pairs, got {shown}", "")]


@pytest.mark.parametrize(
    ("line", "message", "hint"),
    [
        (
            "doi: https://doi.org/10.1234/a.1",
            "'doi' must be the bare DOI, got 'https://doi.org/10.1234/a.1'",
            "write '10.1234/a.1'",
        ),
        (
            "doi: doi:10.1234/a.1",
            "'doi' must be the bare DOI, got 'doi:10.1234/a.1'",
            "write '10.1234/a.1'",
        ),
        ("doi: 11.1234/a", "'doi' '11.1234/a' is not a DOI (10.NNNN/…)", ""),
        (
            "doi: '10.1234/a'\narxiv: https://arxiv.org/abs/1606.00931v2",
            "'arxiv' must be the bare id, got 'https://arxiv.org/abs/1606.00931v2'",
            "write '1606.00931v2'",
        ),
        (
            "doi: '10.1234/a'\narxiv: '16060.0931'",
            "'arxiv' '16060.0931' is not an arXiv id (YYMM.NNNNN)",
            "",
        ),
        (
            "doi: '10.1234/a'\nurl: example.org/paper",
            "'url' must be an http(s) URL, got 'example.org/paper'",
            "",
        ),
    ],
)
def test_identifier_formats(line: str, message: str, hint: str) -> None:
    found = findings(paper_with("doi: 10.1234/valid.1", line))
    assert [(code, m, h) for _, code, m, h in found] == [("FM109", message, hint)]


@pytest.mark.parametrize(
    "arxiv", ["1606.00931", "1606.00931v3", "0704.0001", "hep-th/9901001", "math.GT/0309136"]
)
def test_valid_arxiv_ids(arxiv: str) -> None:
    assert findings(paper_with("doi: 10.1234/valid.1", f"arxiv: '{arxiv}'")) == []


def test_unquoted_arxiv_id_is_a_number_and_a_type_error() -> None:
    assert findings(paper_with("doi: 10.1234/valid.1", "arxiv: 1606.00931")) == [
        (
            8,
            "FM106",
            "'arxiv': expected a string, got the number 1606.00931",
            'quote it: arxiv: "…" (YAML reads 2001.01230 as 2001.0123)',
        )
    ]


def test_paper_without_identifier() -> None:
    assert findings(paper_with("doi: 10.1234/valid.1\n", "")) == [
        (
            2,
            "FM111",
            "paper has none of doi, arxiv, url",
            "add the DOI or arXiv id; never guess one",
        )
    ]


def test_dates_and_booleans() -> None:
    text = paper_with("added: 2024-05-01", "added: 2024/05/01\ndraft: 'yes'")
    assert findings(text) == [
        (13, "FM106", "'added': expected a date YYYY-MM-DD, got '2024/05/01'", ""),
        (14, "FM106", "'draft': expected true or false, got 'yes'", ""),
    ]


def test_every_required_paper_field_is_reported_when_all_are_missing() -> None:
    required = [k for k, spec in PAGE_TYPES["paper"].items() if spec.required and k != "type"]
    found = findings("type: paper\n")
    assert sorted(m.split("'")[1] for _, code, m, _ in found if code == "FM105") == sorted(required)


def _section(text: str) -> list[tuple[int, str, str]]:
    doc, found = parse_yaml(text, "docs/a/_section.yaml")
    assert doc is not None, found
    return sorted(
        (d.line, d.code, d.message) for d in validate_section(doc, "docs/a/_section.yaml")
    )


def test_valid_section() -> None:
    assert (
        _section("title: 论文\norder: 1\ndescription: x\ngroup_by: category\ndraft: false\n") == []
    )


def test_section_problems() -> None:
    assert _section("title: 论文\ngroup_by: tag\nicon: x\n") == [
        (1, "FM105", "missing required field 'order'"),
        (2, "FM109", "group_by: expected 'category', got 'tag'"),
        (3, "FM108", "unknown field 'icon'"),
    ]


def test_section_that_is_not_a_mapping() -> None:
    assert _section("- title\n") == [(1, "FM113", "expected key: value pairs, got a list")]


MARKUP_HINT = (
    "metadata is plain text: remove the markup "
    "(write '<' followed by a space, or '＜', when you mean less-than)"
)


def test_html_in_a_title_is_fm116_at_its_line() -> None:
    text = paper_with(
        "title: A Valid Paper",
        """title: '<meta http-equiv=refresh content="0;url=//evil.example">'""",
    )
    assert findings(text) == [
        (
            3,
            "FM116",
            "'title' contains HTML markup '<meta http-equiv=refresh content=\"0;url…'",
            MARKUP_HINT,
        )
    ]


def test_html_in_list_items_and_nested_values_is_found_at_each_line() -> None:
    text = (
        "type: note\ntitle: ok\nauthors:\n  - A\n  - </b>\nextra:\n  inner:\n    - <!-- x\n"
        "other: <?php ?>\n"
    )
    found = [(line, code, message) for line, code, message, _ in findings(text)]
    assert (6, "FM116", "'authors[1]' contains HTML markup '</b>'") in found
    assert (9, "FM116", "'extra.inner[0]' contains HTML markup '<!-- x'") in found
    assert (10, "FM116", "'other' contains HTML markup '<?php ?>'") in found
    assert [f for f in found if f[1] == "FM116"] == [
        (6, "FM116", "'authors[1]' contains HTML markup '</b>'"),
        (9, "FM116", "'extra.inner[0]' contains HTML markup '<!-- x'"),
        (10, "FM116", "'other' contains HTML markup '<?php ?>'"),
    ]


@pytest.mark.parametrize(
    "value", ["p < 0.05", "a<3", "x <= y", "<-- arrow", "'<'", "1 < 2 > 0", "＜b＞"]
)
def test_less_than_that_is_not_markup_is_allowed(value: str) -> None:
    text = paper_with("venue: Some Journal", f"venue: {value}")
    assert [f for f in findings(text) if f[1] == "FM116"] == []


@pytest.mark.parametrize("page_type", [*PAGE_TYPES, "unknown"])
def test_markup_is_reported_for_every_page_type(page_type: str) -> None:
    found = findings(f"type: {page_type}\ntitle: <b>x</b>\n")
    assert (3, "FM116") in [(line, code) for line, code, _, _ in found]


def test_markup_in_a_section_title_is_fm116() -> None:
    doc, _ = parse_yaml("title: <i>栏目</i>\norder: 1\n", "docs/notes/_section.yaml")
    assert doc is not None
    found = validate_section(doc, "docs/notes/_section.yaml")
    assert [(d.code, d.line) for d in found] == [("FM116", 1)]


def test_markup_in_data_table_values_is_fm116() -> None:
    text = (
        "columns:\n  - {key: name, title: <u>名称</u>}\n"
        "rows:\n  - name: ok\n  - name: <script>x</script>\n"
    )
    doc, _ = parse_yaml(text, "docs/_data/t.yaml")
    assert doc is not None
    found = validate_data_table(doc.data, doc.line, "docs/_data/t.yaml")
    assert [(d.code, d.line, d.message) for d in found] == [
        ("FM116", 2, "'columns[0].title' contains HTML markup '<u>名称</u>'"),
        ("FM116", 5, "'rows[1].name' contains HTML markup '<script>x</script>'"),
    ]
