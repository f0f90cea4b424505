"""The controlled vocabulary file."""

from __future__ import annotations

from pathlib import Path

from kb.vocabulary import VOCABULARIES, Term, load_vocabulary
from tests.helpers import VOCABULARY

FILE = "docs/_data/vocabulary.yaml"


def _load(tmp_path: Path, text: str) -> tuple[dict, list[tuple[int, str, str]]]:
    path = tmp_path / "vocabulary.yaml"
    path.write_text(text, encoding="utf-8")
    vocab, found = load_vocabulary(path, FILE)
    return vocab, [(d.line, d.code, d.message) for d in found]


def test_the_repository_vocabulary_is_valid() -> None:
    vocab, found = load_vocabulary(VOCABULARY, FILE)
    assert found == []
    assert set(vocab) == set(VOCABULARIES)
    assert all(vocab[name] for name in VOCABULARIES)


def test_terms_get_title_order_and_description(tmp_path: Path) -> None:
    text = (
        "categories:\n  a: {title: 甲, order: 5, description: 说明}\n  b: {title: 乙}\n"
        "tasks: {}\nmodalities: {}\nareas: {}\n"
    )
    vocab, found = _load(tmp_path, text)
    assert found == []
    assert vocab["categories"] == {"a": Term("a", "甲", 5, "说明"), "b": Term("b", "乙", 20, "")}


def test_shape_problems_are_fm114_on_their_line(tmp_path: Path) -> None:
    text = (
        "categories:\n  Bad_Id: {title: x}\n  ok: 标题\n  n: {title: t, order: first}\n"
        "tasks: [a]\nmodalities: {}\nareas: {}\ncolours: {}\n"
    )
    vocab, found = _load(tmp_path, text)
    assert found == [
        (2, "FM114", "categories.Bad_Id: ids are lowercase kebab-case (a-z, 0-9, '-')"),
        (3, "FM114", "categories.ok: expected {title: 中文名}"),
        (4, "FM114", "categories.n: order: expected an integer, got 'first'"),
        (5, "FM114", "'tasks' must be a mapping of id: {title: …}"),
        (8, "FM114", "unknown vocabulary 'colours'"),
    ]
    assert vocab["categories"] == {}


def test_missing_vocabulary_file(tmp_path: Path) -> None:
    vocab, found = load_vocabulary(tmp_path / "absent.yaml", FILE)
    assert [(d.line, d.code) for d in found] == [(0, "FM114")]
    assert vocab == {name: {} for name in VOCABULARIES}


def test_duplicate_term_is_fm110(tmp_path: Path) -> None:
    text = "categories:\n  a: {title: 甲}\n  a: {title: 乙}\ntasks: {}\nmodalities: {}\nareas: {}\n"
    _, found = _load(tmp_path, text)
    assert [(line, code) for line, code, _ in found] == [(3, "FM110")]


def test_markup_in_a_term_title_is_fm116_on_its_line(tmp_path: Path) -> None:
    text = (
        "categories:\n  a: {title: '<img src=x onerror=alert(1)>'}\n"
        "tasks: {}\nmodalities: {}\nareas: {}\n"
    )
    _, found = _load(tmp_path, text)
    assert [(line, code) for line, code, _ in found] == [(2, "FM116")]
