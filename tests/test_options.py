"""The one validator behind [tool.kb] and [tool.kb.links]."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from kb.links.settings import parse_link_settings
from kb.options import ConfigError, read_table, strings


@dataclass(frozen=True)
class Example:
    name: str = ""
    count: int = 0
    ratio: float = 1.0
    on: bool = False
    words: tuple[str, ...] = ()
    nested: dict[str, int] | None = None


def _read(table: object, **kwargs: object) -> dict[str, object]:
    return read_table(Example, table, "t.toml: [x]", **kwargs)  # type: ignore[arg-type]


def test_values_by_field_type() -> None:
    got = _read({"name": "a", "count": 2, "ratio": 3, "on": True, "words": ["b"]})
    assert got == {"name": "a", "count": 2, "ratio": 3.0, "on": True, "words": ("b",)}
    assert type(got["ratio"]) is float


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"nme": "a"}, "t.toml: [x] nme: unknown setting; did you mean 'name'?"),
        ({"zzz": 1}, "t.toml: [x] zzz: unknown setting"),
        ({"name": 1}, "t.toml: [x] name: expected a string, got 1"),
        ({"count": True}, "t.toml: [x] count: expected a non-negative integer, got True"),
        ({"count": 1.5}, "t.toml: [x] count: expected a non-negative integer, got 1.5"),
        ({"ratio": -1}, "t.toml: [x] ratio: expected a non-negative number, got -1"),
        ({"on": "yes"}, "t.toml: [x] on: expected true or false, got 'yes'"),
        ({"words": "a"}, "t.toml: [x] words: expected a list of strings, got 'a'"),
        ([], "t.toml: [x]: expected a table"),
    ],
)
def test_each_wrong_value_names_table_key_and_expectation(table: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _read(table)
    assert str(caught.value) == message


def test_positive_keys_refuse_zero() -> None:
    with pytest.raises(ConfigError, match="expected a positive integer, got 0"):
        _read({"count": 0}, positive={"count"})


def test_rules_check_items_and_lower_them() -> None:
    rule = strings("patterns", lower=True, item=re.compile)
    assert _read({"words": ["A+"]}, rules={"words": rule}) == {"words": ("a+",)}
    with pytest.raises(ConfigError, match=r"words: '\(' is invalid"):
        _read({"words": ["("]}, rules={"words": rule})


def test_a_structured_field_without_a_rule_is_a_bug_in_kb() -> None:
    with pytest.raises(TypeError, match="Example.nested"):
        _read({"nested": {}})


def test_link_settings_share_the_validator() -> None:
    with pytest.raises(ConfigError, match=r"\[tool.kb.links\] per_hosts: unknown setting; did you"):
        parse_link_settings({"per_hosts": 2})
    assert parse_link_settings({"per_host": 2, "head_hostile": ["X.com"]}).head_hostile == (
        "x.com",
    )
