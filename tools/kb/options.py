"""One validator for every settings table (`[tool.kb]`, `[tool.kb.links]`): the dataclass's
fields say which keys exist and what each takes; keys with more to check bring a rule.
Every message names the table, the key and what was expected."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import fields
from typing import Any

from kb.errors import UserError
from kb.suggest import did_you_mean

Rule = Callable[[Any, str], Any]
"""(value, "where key") → the validated value; raises ConfigError."""


class ConfigError(UserError):
    """Settings that kb cannot use; the message names the file, the key and the fix."""


def read_table(
    cls: type,
    table: Any,
    where: str,
    *,
    rules: Mapping[str, Rule] | None = None,
    positive: Collection[str] = (),
    skip: Collection[str] = (),
) -> dict[str, Any]:
    """The keyword arguments for `cls(...)` from a TOML table. `where` names the table, e.g.
    `pyproject.toml: [tool.kb]`; `positive` keys must be above zero; `skip` fields are not
    settings (e.g. the root)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    types = {f.name: str(f.type) for f in fields(cls) if f.name not in skip}
    rules = rules or {}
    values: dict[str, Any] = {}
    for key, value in table.items():
        prefix = f"{where} {key}"
        if key not in types:
            raise ConfigError(f"{prefix}: {unknown_setting(key, set(types))}")
        rule = rules.get(key)
        if rule is not None:
            values[key] = rule(value, prefix)
        elif types[key] in _BY_TYPE:
            values[key] = _BY_TYPE[types[key]](value, prefix, key in positive)
        else:  # a field with a structured type needs a rule: a bug in kb, not in the table
            raise TypeError(f"{cls.__name__}.{key}: no rule for {types[key]}")
    return values


def unknown_setting(key: str, known: Collection[str]) -> str:
    """`unknown setting; did you mean 'per_host'?`"""
    hint = did_you_mean(key, sorted(known))
    return "unknown setting" + (f"; {hint}" if hint else "")


def strings(
    what: str = "strings", *, lower: bool = False, item: Callable[[str], object] | None = None
) -> Rule:
    """A rule for a list of strings, each accepted by `item` (which raises ValueError)."""

    def rule(value: Any, prefix: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{prefix}: expected a list of {what}, got {value!r}")
        for text in value if item else ():
            try:
                item(text)
            except (ValueError, re.error) as exc:
                raise ConfigError(f"{prefix}: {text!r} is invalid: {exc}") from None
        return tuple(v.lower() if lower else v for v in value)

    return rule


def non_empty_string(value: Any, prefix: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{prefix}: expected a non-empty string, got {value!r}")
    return value


def mapping(value: Any, prefix: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{prefix}: expected a table, got {value!r}")
    return value


def _string(value: Any, prefix: str, positive: bool) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{prefix}: expected a string, got {value!r}")
    return value


def _number(kind: str) -> Callable[[Any, str, bool], Any]:
    def check(value: Any, prefix: str, positive: bool) -> Any:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if kind == "integer":
            ok = ok and isinstance(value, int)
        if not ok or value < 0 or (positive and value == 0):
            least = "positive" if positive else "non-negative"
            raise ConfigError(f"{prefix}: expected a {least} {kind}, got {value!r}")
        return value if kind == "integer" else float(value)

    return check


def _bool(value: Any, prefix: str, positive: bool) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{prefix}: expected true or false, got {value!r}")
    return value


def _string_list(value: Any, prefix: str, positive: bool) -> tuple[str, ...]:
    return strings()(value, prefix)  # type: ignore[no-any-return]


_BY_TYPE: dict[str, Callable[[Any, str, bool], Any]] = {
    "str": _string,
    "int": _number("integer"),
    "float": _number("number"),
    "bool": _bool,
    "tuple[str, ...]": _string_list,
}
