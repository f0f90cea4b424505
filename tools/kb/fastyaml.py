"""A fast path for the plain YAML that almost every page's front matter is.

`key: value` lines, flow lists `[a, b]`, block lists `- item`, comments and blank lines are
read here, about ten times faster than PyYAML's composer. Plain scalars are resolved with
PyYAML's own resolver patterns and constructors, so `2019`, `yes`, `~` and `2026-11-22` get
exactly the types PyYAML would give them. Anything else — quoting with escapes, multi-line
scalars, nested mappings or lists, anchors (`&`), aliases (`*`), tags (`!`), merge keys,
`: ` or ` #` inside a value — raises `Unsupported` and the caller parses the block with
PyYAML instead, behind the checks in `kb.yamlio`; tests compare both on many inputs.
The parse is one loop over the lines: nothing here recurses.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*?))?[ \t]*$")
_ITEM = re.compile(r"( *)-[ \t]+(.*?)[ \t]*$")
_FLOW_ITEM = re.compile(r"""\s*("[^"\\]*"|'(?:[^']|'')*'|[^,'"]*?)\s*(,|$)""")
_SPECIAL_START = frozenset("[]{}#&*!|>%@`,?'\"")
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_STR = "tag:yaml.org,2002:str"
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("bool", "null", "int", "float", "timestamp")
)
_NUMBER_TAGS = frozenset(("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"))
_MAX_BASE_60 = 64
"""Longest base-60 number (`1:30:00`) built: PyYAML builds them in quadratic time."""

Lines = dict[tuple[str | int, ...], int]


class Unsupported(Exception):
    """The text needs the full YAML parser."""


def parse_simple(text: str, first_line: int) -> tuple[Any, Lines, list[tuple[str, int, int]]]:
    """(data, line of each key/item, duplicate keys as (key, line, first line)).

    Raises Unsupported for anything outside the plain subset, and ValueError for a scalar
    PyYAML would also reject (e.g. the date 2026-13-45).
    """
    data: dict[str, Any] = {}
    lines: Lines = {}
    duplicates: list[tuple[str, int, int]] = []
    list_key = ""
    indent = ""
    first_key = 0
    for number, line in enumerate(text.split("\n"), start=first_line):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key_match = _KEY.match(line)
        if key_match:
            key, raw = key_match.group(1), key_match.group(2) or ""
            if not isinstance(_resolve(key), str):
                raise Unsupported(key)  # `null:`, `yes:` …: PyYAML's key is not text
            if key in data:
                duplicates.append((key, number, lines[(key,)]))
            first_key = first_key or number
            lines[(key,)] = number
            data[key] = _value(raw)
            if isinstance(data[key], list):
                for index in range(len(data[key])):
                    lines[(key, index)] = number
            list_key = key if not raw else ""
            indent = ""
            continue
        item = _ITEM.match(line)
        if item is None or not list_key:
            raise Unsupported(line)
        items = data[list_key] if isinstance(data[list_key], list) else []
        if data[list_key] is not None and not items:
            raise Unsupported(line)
        if items and item.group(1) != indent:
            raise Unsupported(line)  # a nested or continued item
        indent = item.group(1)
        lines[(list_key, len(items))] = number
        items.append(_scalar(item.group(2)))
        data[list_key] = items
    if not lines:
        return None, {(): first_line}, []
    lines[()] = first_key
    return data, lines, duplicates


def _value(raw: str) -> Any:
    if raw.startswith("[") and raw.endswith("]"):
        return _flow_list(raw[1:-1])
    return _scalar(raw)


def _flow_list(inner: str) -> list[Any]:
    # In flow context PyYAML treats ':' and '?' specially (even inside URLs): hand over.
    if any(ch in inner for ch in "[]{}#:?"):
        raise Unsupported(inner)
    if not inner.strip():
        return []
    items: list[Any] = []
    pos = 0
    while pos < len(inner):
        match = _FLOW_ITEM.match(inner, pos)
        if match is None or not match.group(1):
            raise Unsupported(inner)
        items.append(_scalar(match.group(1)))
        pos = match.end()
        if not match.group(2):
            break
    if pos < len(inner):
        raise Unsupported(inner)
    return items


def _scalar(raw: str) -> Any:
    if not raw:
        return None
    first = raw[0]
    if first == '"':
        if len(raw) < 2 or not raw.endswith('"') or '"' in raw[1:-1] or "\\" in raw:
            raise Unsupported(raw)
        return raw[1:-1]
    if first == "'":
        inner = raw[1:-1]
        if len(raw) < 2 or not raw.endswith("'") or "'" in inner.replace("''", ""):
            raise Unsupported(raw)
        return inner.replace("''", "'")
    if first in _SPECIAL_START or (first in "-:" and (len(raw) == 1 or raw[1] in " \t")):
        raise Unsupported(raw)
    if ": " in raw or raw.endswith(":") or " #" in raw or "\t#" in raw or "\t" in raw:
        raise Unsupported(raw)
    return _resolve(raw)


def _resolve(plain: str) -> Any:
    for tag, pattern in Resolver.yaml_implicit_resolvers.get(plain[0], []):
        if pattern.match(plain):
            if tag not in _PLAIN_TAGS:
                raise Unsupported(plain)
            check_scalar(tag, plain)
            node = ScalarNode(tag, plain)
            try:
                return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
            except OverflowError as exc:  # a base-60 float beyond float range
                raise ValueError(str(exc)) from None
    return plain


def check_scalar(tag: str, value: str) -> None:
    """Raise ValueError for a scalar PyYAML would take too long to build."""
    if tag in _NUMBER_TAGS and len(value) > _MAX_BASE_60 and ":" in value:
        raise ValueError(f"a base-60 number of {len(value)} characters is too long")
