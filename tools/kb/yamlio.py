"""YAML parsing that remembers the line of every key and item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from kb.diagnostics import Diagnostic, make
from kb.fastyaml import Unsupported, parse_simple

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDoc:
    data: Any
    lines: dict[YamlPath, int]
    """File line (1-based) of each key / item, by path; () is the document itself."""

    def line(self, *path: str | int) -> int:
        """Line of the deepest known prefix of `path`."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 0)


def parse_yaml(
    text: str, file: str, first_line: int = 1
) -> tuple[YamlDoc | None, list[Diagnostic]]:
    """Parse one YAML document; `first_line` is the file line where `text` starts."""
    offset = first_line - 1
    try:
        data, lines, duplicates = parse_simple(text, first_line)
    except (Unsupported, ValueError):
        pass  # not plain YAML, or a bad value: PyYAML parses it and reports where
    else:
        return YamlDoc(data, lines), [_duplicate(file, *d) for d in duplicates]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = _construct(loader, node) if node is not None else None
    except _BadValue as exc:
        mark = exc.node.start_mark
        return None, [
            make(
                "FM102",
                file,
                mark.line + 1 + offset,
                f"YAML value {exc.node.value!r}: {exc}",
                column=mark.column + 1,
            )
        ]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and mark and mark.line >= text.count("\n"):
            mark = exc.context_mark  # the problem surfaced at the end: point where it began
        line = mark.line + 1 + offset if mark else first_line
        column = mark.column + 1 if mark else 0
        problem = exc.problem or exc.context or "invalid YAML"
        return None, [
            make(
                "FM102",
                file,
                line,
                f"YAML syntax: {problem}",
                column=column,
                hint="quote values that contain ': ', '#' or start with '[', '{', '*', '&'",
            )
        ]
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: e.g. 2026-13-45 as a date
        return None, [make("FM102", file, first_line, f"YAML value: {exc}")]
    finally:
        loader.dispose()
    if node is None:
        return YamlDoc(None, {(): first_line}), []
    lines: dict[YamlPath, int] = {(): node.start_mark.line + 1 + offset}
    diagnostics: list[Diagnostic] = []
    _walk(node, (), offset, lines, diagnostics, file)
    return YamlDoc(data, lines), diagnostics


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _BadValue(Exception):
    def __init__(self, node: yaml.Node, error: ValueError) -> None:
        super().__init__(str(error))
        self.node = node


class _Fallback(Exception):
    """The document uses a feature the fast constructor leaves to PyYAML (tags, merges)."""


def _construct(loader: Any, node: yaml.Node) -> Any:
    """Build the document's value; plain documents skip PyYAML's slower generic constructor."""
    try:
        return _fast(loader, node)
    except _Fallback:
        return loader.construct_document(node)


def _fast(loader: Any, node: yaml.Node) -> Any:
    tag = node.tag
    if tag == _STR:
        return node.value
    if isinstance(node, yaml.ScalarNode):
        build = loader.yaml_constructors.get(tag)
        if build is None or tag in ("tag:yaml.org,2002:binary",):
            raise _Fallback
        try:
            return build(loader, node)
        except ValueError as exc:  # e.g. 2026-13-45 resolves as a date but is not one
            raise _BadValue(node, exc) from None
    if isinstance(node, yaml.SequenceNode) and tag == _SEQ:
        return [_fast(loader, item) for item in node.value]
    if isinstance(node, yaml.MappingNode) and tag == _MAP:
        result = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Fallback
            key = _fast(loader, key_node)
            if isinstance(key, (list, dict)):
                raise _Fallback  # unhashable key: let PyYAML report it
            result[key] = _fast(loader, value_node)
        return result
    raise _Fallback


def _duplicate(file: str, key: str, line: int, first: int) -> Diagnostic:
    return make(
        "FM110",
        file,
        line,
        f"duplicate key '{key}' (first on line {first})",
        hint="the earlier value would be silently dropped; keep one",
    )


def _walk(
    node: yaml.Node,
    path: YamlPath,
    offset: int,
    lines: dict[YamlPath, int],
    diagnostics: list[Diagnostic],
    file: str,
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1 + offset
            if key in seen:
                diagnostics.append(_duplicate(file, key, line, seen[key]))
            seen[key] = line
            lines[(*path, key)] = line
            _walk(value_node, (*path, key), offset, lines, diagnostics, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1 + offset
            _walk(item, (*path, index), offset, lines, diagnostics, file)
