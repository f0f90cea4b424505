"""YAML parsing that remembers the line of every key and item.

Front matter and data files come from pull requests, so nothing YAML offers beyond plain
data is accepted: anchors, aliases and explicit tags (which make "billion laughs" bombs and
arbitrary objects possible) and deep nesting (which makes the composer recurse) are refused
as FM115 by an iterative pass over libyaml's events before anything is composed, and any
other failure becomes FM102 instead of a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kb.diagnostics import Diagnostic, make
from kb.writer import read_regular

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

YamlPath = tuple[str | int, ...]

MAX_DEPTH = 12
"""Deepest nesting of mappings and lists accepted; the site's own data needs 3 levels."""
MAX_DATA_BYTES = 1024 * 1024
"""YAML data files (`_section.yaml`, `docs/_data/*.yaml`) larger than this are not read."""
_MAX_REFUSALS = 10
"""FM115 findings reported per document; one hostile file can hold thousands."""
_CONSTRUCT_HINT = (
    "write the value out in full; anchors, aliases and tags are not supported "
    "in front matter or data files"
)


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


def read_yaml_file(
    path: Path, file: str, limit: int = MAX_DATA_BYTES
) -> tuple[str | None, list[Diagnostic]]:
    """The text of a YAML data file, or why it is not read: not a regular file or over
    `limit` bytes (FM114), not UTF-8 (FM102). Reads at most `limit + 1` bytes; raises
    FileNotFoundError when there is no such file."""
    # A symlink may point out of the repository, a device or pipe would never end.
    if not stat.S_ISREG(os.lstat(path).st_mode):
        return None, [
            make("FM114", file, 0, f"{file} is not a regular file, so kb does not read it")
        ]
    raw = read_regular(str(path), limit)
    if len(raw) > limit:
        return None, [
            make(
                "FM114",
                file,
                0,
                f"{file} is larger than {_size(limit)}, so kb does not read it",
                hint="split the data into smaller files",
            )
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [
            make("FM102", file, 0, f"not valid UTF-8 (byte {exc.start})", hint="save as UTF-8")
        ]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"


def parse_yaml(
    text: str, file: str, first_line: int = 1
) -> tuple[YamlDoc | None, list[Diagnostic]]:
    """Parse one YAML document; `first_line` is the file line where `text` starts."""
    try:
        return _parse(text, file, first_line)
    except (
        RecursionError,
        MemoryError,
        ValueError,
        TypeError,
        ArithmeticError,
        yaml.YAMLError,
    ) as exc:
        # Every known case is reported more precisely below; this keeps a hostile document
        # that slips past them a finding rather than a crash.
        return None, [
            make("FM102", file, first_line, f"YAML cannot be read ({type(exc).__name__})")
        ]


def _parse(text: str, file: str, first_line: int) -> tuple[YamlDoc | None, list[Diagnostic]]:
    refused = refuse_constructs(text, file, first_line)
    if refused:
        return None, refused
    return _compose(text, file, first_line)


def refuse_constructs(text: str, file: str, first_line: int = 1) -> list[Diagnostic]:
    """FM115 for anchors, aliases, explicit tags, merge keys and nesting deeper than
    MAX_DEPTH. Reads libyaml's event stream, which it produces without recursion, and
    never builds a value; a syntax error ends the pass (composing reports it)."""
    found: list[Diagnostic] = []
    depth = deepest = 0
    too_deep: yaml.Mark | None = None
    loader = _Loader(text)
    try:
        while (event := loader.get_event()) is not None:
            kind = type(event)
            if kind in _ENDS:
                depth -= 1
                continue
            if kind not in _NODES:
                continue
            if (
                kind is yaml.AliasEvent
                or event.anchor is not None
                or event.tag is not None
                or (kind is yaml.ScalarEvent and event.value == "<<" and event.implicit[0])
            ) and len(found) < _MAX_REFUSALS:
                found.append(_refusal(file, event.start_mark, first_line, _construct(event)))
            if kind is not yaml.ScalarEvent and kind is not yaml.AliasEvent:
                depth += 1
                if depth > deepest:
                    deepest = depth
                    if depth > MAX_DEPTH and too_deep is None:
                        too_deep = event.start_mark
    except yaml.MarkedYAMLError as exc:
        if exc.problem == "exceeded maximum nesting depth":  # libyaml's own limit, 1000
            too_deep, deepest = too_deep or exc.problem_mark, -1
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    if too_deep is not None:
        levels = f"{deepest} levels" if deepest > 0 else "more than 1000 levels"
        problem = f"nesting is {levels} deep, at most {MAX_DEPTH} allowed"
        hint = "flatten the data: a few levels of keys and lists are enough"
        found.append(_refusal(file, too_deep, first_line, problem, hint))
    return found


_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_NODES = (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)


def _construct(event: yaml.NodeEvent) -> str:
    """What the event uses that front matter may not."""
    if isinstance(event, yaml.AliasEvent):
        return f"YAML alias '*{event.anchor}' is not supported"
    if event.anchor is not None:
        return f"YAML anchor '&{event.anchor}' is not supported"
    tag = getattr(event, "tag", None)
    if tag is not None:
        return f"YAML tag '{_short_tag(tag)}' is not supported"
    return "YAML merge key '<<' is not supported"


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


def _refusal(
    file: str, mark: yaml.Mark, first_line: int, problem: str, hint: str = _CONSTRUCT_HINT
) -> Diagnostic:
    return make("FM115", file, mark.line + first_line, problem, column=mark.column + 1, hint=hint)


def _compose(text: str, file: str, first_line: int) -> tuple[YamlDoc | None, list[Diagnostic]]:
    offset = first_line - 1
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = _fast(loader, node) if node is not None else None
    except _BadValue as exc:
        mark = exc.node.start_mark
        return None, [
            make(
                "FM102",
                file,
                mark.line + 1 + offset,
                f"YAML value {_clip(repr(exc.node.value), 60)}: {_clip(str(exc), 100)}",
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
    except yaml.YAMLError as exc:
        return None, [make("FM102", file, first_line, f"YAML value: {exc}")]
    finally:
        loader.dispose()
    if node is None:
        return YamlDoc(None, {(): first_line}), []
    lines: dict[YamlPath, int] = {(): node.start_mark.line + 1 + offset}
    diagnostics: list[Diagnostic] = []
    _walk(node, (), offset, lines, diagnostics, file)
    return YamlDoc(data, lines), diagnostics


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _BadValue(Exception):
    def __init__(self, node: yaml.Node, error: Exception) -> None:
        super().__init__(str(error))
        self.node = node


def _fast(loader: Any, node: yaml.Node) -> Any:
    """Build the document's value. Tags, anchors and merge keys were refused before, and the
    nesting is at most MAX_DEPTH, so this plain recursion stays shallow."""
    tag = node.tag
    if tag == _STR:
        return node.value
    if isinstance(node, yaml.ScalarNode):
        build = loader.yaml_constructors.get(tag)
        if build is None:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"could not determine a constructor for the tag {tag!r}",
                node.start_mark,
            )
        try:
            _check_scalar(tag, node.value)
            return build(loader, node)
        except (ValueError, OverflowError) as exc:  # e.g. 2026-13-45 looks like a date
            raise _BadValue(node, exc) from None
    if isinstance(node, yaml.SequenceNode) and tag == _SEQ:
        return [_fast(loader, item) for item in node.value]
    if isinstance(node, yaml.MappingNode) and tag == _MAP:
        result = {}
        for key_node, value_node in node.value:
            key = _fast(loader, key_node)
            if isinstance(key, (list, dict)):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found unhashable key",
                    key_node.start_mark,
                )
            if isinstance(key, dt.date):  # the page cache and the tables expect text keys
                raise _BadValue(key_node, ValueError("a key must be text; quote it"))
            result[key] = _fast(loader, value_node)
        return result
    raise yaml.constructor.ConstructorError(  # pragma: no cover - tags are refused earlier
        None, None, f"unsupported YAML node with tag {tag!r}", node.start_mark
    )


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


_NUMBER_TAGS = frozenset(("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"))
_MAX_BASE_60 = 64
"""PyYAML builds a base-60 number (`1:20:30`) in time quadratic in its length."""


def _check_scalar(tag: str, value: str) -> None:
    """Raise ValueError for a scalar PyYAML would take too long to build."""
    if tag in _NUMBER_TAGS and len(value) > _MAX_BASE_60 and ":" in value:
        raise ValueError(f"a base-60 number of {len(value)} characters is too long")
