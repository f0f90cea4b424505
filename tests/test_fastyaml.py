"""The fast front-matter path must agree with PyYAML whenever it does not hand over."""

from __future__ import annotations

import random
import re

import pytest
import yaml

from kb import yamlio
from kb.fastyaml import Unsupported, parse_simple
from tests.helpers import REPO, SITES

SCALARS = [
    "2019",
    "2019年",
    "-5",
    "+7",
    "0x1F",
    "010",
    "1_000",
    "3.5",
    "1e3",
    "1.0e+3",
    ".inf",
    "-.Inf",
    ".nan",
    "12:30",
    "yes",
    "No",
    "ON",
    "off",
    "true",
    "False",
    "null",
    "~",
    "Null",
    "2026-11-22",
    "2026-13-45",
    "2026-11-22T10:00:00Z",
    "2001.01230",
    "10.1038/s42256-019-0019-2",
    "it's",
    'a"b',
    "a,b",
    "中文 标题（测试）",
    "https://example.org/a?b=1",
    "'quoted'",
    "'it''s'",
    '"double"',
    "'2019'",
    '"yes"',
    "x-y",
    "_a",
    "a.b",
    "MRI ",
    "=",
    "<<",
    "@a",
    "`a`",
    "!a",
    "&a",
    "*a",
    "a: b",
    "a #c",
    "- a",
    "[a",
    "a]",
    "{a}",
    "|",
    ">",
    "?",
    ":",
    "-",
    "",
]


def _compare(text: str) -> None:
    try:
        data, lines, duplicates = parse_simple(text, 1)
    except (Unsupported, ValueError):
        return  # handed over to PyYAML: nothing to compare
    expected = yaml.safe_load(text)
    assert data == expected and type(data) is type(expected), text
    slow = _slow(text)
    assert lines == slow.lines, text


def _slow(text: str) -> yamlio.YamlDoc:
    """PyYAML's reading of the same text (the fast path switched off)."""
    original = yamlio.parse_simple
    try:
        yamlio.parse_simple = _refuse  # type: ignore[assignment]
        doc, _ = yamlio.parse_yaml(text, "f.yaml")
    finally:
        yamlio.parse_simple = original  # type: ignore[assignment]
    assert doc is not None
    return doc


def _refuse(text: str, first_line: int) -> None:
    raise Unsupported(text)


KEYS = ["title", "null", "Null", "NULL", "true", "False", "yes", "No", "on", "OFF", "y", "n", "_"]


@pytest.mark.parametrize("key", KEYS)
def test_keys_agree_with_pyyaml(key: str) -> None:
    _compare(f"{key}: x\n")
    _compare(f"a: 1\n{key}:\n  - x\n")


def test_long_base_60_numbers_are_refused_before_they_are_built() -> None:
    with pytest.raises(ValueError):
        parse_simple("a: 1" + ":30" * 50_000 + "\n", 1)
    with pytest.raises(ValueError):
        parse_simple("a: 1" + ":30" * 300 + ".5\n", 1)  # beyond float range
    assert parse_simple("a: 1:30\n", 1)[0] == {"a": 90}


@pytest.mark.parametrize("scalar", SCALARS)
def test_every_scalar_form_agrees_as_value_flow_item_and_block_item(scalar: str) -> None:
    _compare(f"k: {scalar}\n")
    _compare(f"k: [{scalar}, b]\n")
    _compare(f"k:\n  - {scalar}\n  - b\n")


def test_random_documents_agree() -> None:
    rng = random.Random(20261122)
    keys = ["type", "title", "year", "tags", "authors", "added", "x-y", "a_b"]
    for _ in range(3000):
        lines = []
        for _ in range(rng.randint(0, 6)):
            key, kind = rng.choice(keys), rng.randint(0, 4)
            if kind == 0:
                lines.append(f"{key}: {rng.choice(SCALARS)}")
            elif kind == 1:
                items = ", ".join(rng.choice(SCALARS) for _ in range(rng.randint(0, 3)))
                lines.append(f"{key}: [{items}]")
            elif kind == 2:
                indent = rng.choice(["", "  ", "    "])
                lines.append(f"{key}:")
                lines.extend(f"{indent}- {rng.choice(SCALARS)}" for _ in range(rng.randint(1, 3)))
            elif kind == 3:
                lines.append(rng.choice(["# comment", "", "   "]))
            else:
                lines.append(f"{key}:")
        _compare("\n".join(lines) + "\n")


def _front_matters() -> list[str]:
    blocks = []
    for path in [*REPO.joinpath("docs").rglob("*.md"), *SITES.rglob("*.md")]:
        match = re.match(r"---\n(.*?)\n---\n", path.read_text(encoding="utf-8"), re.S)
        if match:
            blocks.append(match.group(1) + "\n")
    return blocks


def test_real_front_matter_agrees_and_mostly_takes_the_fast_path() -> None:
    blocks = _front_matters()
    fast = 0
    for text in blocks:
        _compare(text)
        try:
            parse_simple(text, 1)
            fast += 1
        except (Unsupported, ValueError):
            pass
    # The fixtures put `# expect:` comments after values, which the fast path leaves to PyYAML.
    assert blocks and fast / len(blocks) > 0.75


@pytest.mark.parametrize(
    "text",
    [
        "a: 1 # comment\n",
        "a: b: c\n",
        'a: "x\\ny"\n',
        "a: [x, [y]]\n",
        "a:\n  b: 1\n",
        "a: |\n  text\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a:\n- x\n  - y\n",
        "a: long\n  continued\n",
        "- a\n- b\n",
        "'a': 1\n",
        "a: [b, &x c]\n",
        "a: [b, *x]\n",
        "a: [!t b]\n",
        "a:\n  - &x b\n",
        "a:\n  - *x\n",
        "a:\n  - !t b\n",
        "a: !t\n",
        "&x a: b\n",
        "a: b\n*x : c\n",
        "!t a: b\n",
        "<<: {a: 1}\n",
        "a: {b: c}\n",
        "a: [b, {c: d}]\n",
        "a: [b, [c]]\n",
        "a:\n  - [b]\n",
        "a:\n  - {b: c}\n",
        "a: [" * 50 + "\n",
        "a: [b, c] # comment\n",
        "null: x\n",
        "Yes: x\n",
        "off: x\n",
    ],
)
def test_anything_outside_the_plain_subset_is_handed_to_pyyaml(text: str) -> None:
    with pytest.raises(Unsupported):
        parse_simple(text, 1)
