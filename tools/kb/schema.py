"""Declared front-matter schemas per page type, and their validation.

Each field is a `Field` whose `kind` names a validator; messages read
"expected X, got Y" and carry a fix or a "did you mean".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kb.diagnostics import Diagnostic, make
from kb.suggest import did_you_mean
from kb.yamlio import YamlDoc, YamlPath


@dataclass(frozen=True)
class Field:
    kind: str
    """One of: str, text-list, int, bool, date, year, doi, arxiv, url, vocab, vocab-list,
    field-list."""
    required: bool = False
    vocab: str = ""
    """Vocabulary name for vocab kinds (categories, tasks, modalities, areas)."""
    doc: str = ""


_COMMON = {
    "type": Field("str", True, doc="页面类型：paper、note、resources 或 guide"),
    "title": Field("str", True, doc="页面标题；论文页为正式发表的英文原题"),
    "description": Field("str", doc="一句话简介"),
    "order": Field("int", doc="在目录中的位置，数字小的在前"),
    "draft": Field("bool", doc="为 true 时不出现在目录和表格中"),
    "added": Field("date", doc="页面加入本站的日期"),
    "updated": Field("date", doc="最近一次实质修改的日期"),
}

PAGE_TYPES: dict[str, dict[str, Field]] = {
    "paper": {
        **_COMMON,
        "title_zh": Field("str", True, doc="中文标题，用作目录中的名称"),
        "authors": Field("text-list", True, doc="全部作者，按论文署名顺序"),
        "year": Field("year", True, doc="发表年份"),
        "venue": Field("str", True, doc="期刊或会议"),
        "doi": Field("doi", doc="DOI，不带 https://doi.org/ 前缀"),
        "arxiv": Field("arxiv", doc="arXiv 编号，不带版本号亦可"),
        "url": Field("url", doc="没有 DOI 和 arXiv 编号时，论文的官方页面"),
        "pmid": Field("int", doc="PubMed 编号（PMID）"),
        "code": Field("url", doc="官方代码仓库"),
        "category": Field(
            "vocab", True, vocab="categories", doc="研究主题分类，决定论文在目录中的分组"
        ),
        "tasks": Field("vocab-list", True, vocab="tasks", doc="研究任务"),
        "modalities": Field("vocab-list", True, vocab="modalities", doc="数据模态"),
        "areas": Field("vocab-list", True, vocab="areas", doc="临床领域"),
        "datasets": Field("text-list", doc="使用的数据集或队列"),
        "added": Field("date", True, doc="页面加入本站的日期"),
        "unconfirmed": Field("field-list", doc="因无法核实而留空的字段名"),
    },
    "note": dict(_COMMON),
    "resources": dict(_COMMON),
    "guide": dict(_COMMON),
}

IDENTIFIERS = ("doi", "arxiv", "url")

PAPER_SECTIONS = (
    "一句话总结",
    "研究问题",
    "方法",
    "数据",
    "主要结果",
    "局限与思考",
    "相关笔记",
    "链接",
)
"""The `##` sections every paper page has, in this order (the page template)."""

SECTION_FIELDS: dict[str, Field] = {
    "title": Field("str", True, doc="目录中的栏目名"),
    "order": Field("int", True, doc="在同级栏目中的位置"),
    "description": Field("str"),
    "group_by": Field("str", doc="'category': group the pages by paper category"),
    "draft": Field("bool"),
}

_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_ARXIV = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")
_URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$")
_MARKUP = re.compile(r"<[A-Za-z/!?]")
"""What an HTML parser reads as the start of a tag, end tag, comment or declaration."""
_MARKUP_HINT = (
    "metadata is plain text: remove the markup "
    "(write '<' followed by a space, or '＜', when you mean less-than)"
)

Vocabulary = Mapping[str, Mapping[str, Any]]


def validate_front_matter(
    doc: YamlDoc, file: str, vocabulary: Vocabulary, *, year: int
) -> list[Diagnostic]:
    """All schema findings for one page's front matter."""
    meta = doc.data
    if not isinstance(meta, dict):
        return [make("FM103", file, doc.line(), f"expected key: value pairs, got {_show(meta)}")]
    found = check_markup(meta, doc.line, file)
    page_type = meta.get("type")
    if page_type not in PAGE_TYPES:
        return [*found, _bad_type(page_type, file, doc)]
    schema = PAGE_TYPES[page_type]
    found.extend(_check_fields(meta, schema, file, doc, vocabulary, year))
    if page_type == "paper":
        found.extend(_check_paper(meta, file, doc))
    return found


def validate_section(doc: YamlDoc, file: str) -> list[Diagnostic]:
    """Findings for one `_section.yaml`."""
    meta = doc.data
    if not isinstance(meta, dict):
        return [make("FM113", file, doc.line(), f"expected key: value pairs, got {_show(meta)}")]
    found = check_markup(meta, doc.line, file)
    found.extend(_check_fields(meta, SECTION_FIELDS, file, doc, {}, dt.date.today().year))
    group_by = meta.get("group_by")
    if group_by is not None and group_by != "category":
        found.append(
            make(
                "FM109",
                file,
                doc.line("group_by"),
                f"group_by: expected 'category', got {_show(group_by)}",
            )
        )
    return found


def check_markup(data: Any, line_of: Callable[..., int], file: str) -> list[Diagnostic]:
    """FM116 for every text value (in lists and mappings too) that holds HTML markup.

    kb escapes metadata in what it generates, but front-end code that copies sidebar or
    table text into `innerHTML` would bring it to life; "p < 0.05" stays allowed.
    """
    return [
        make(
            "FM116",
            file,
            line_of(*path),
            f"'{_label(path)}' contains HTML markup {_excerpt(text)}",
            hint=_MARKUP_HINT,
        )
        for path, text in _markup(data, ())
    ]


def _markup(value: Any, path: YamlPath) -> Iterator[tuple[YamlPath, str]]:
    """(path, text from the markup on) of each string holding markup; YAML nesting is
    bounded by kb.yamlio, so this recursion is shallow."""
    if isinstance(value, str):
        match = _MARKUP.search(value)
        if match:
            yield path, value[match.start() :]
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _markup(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _markup(item, (*path, index))


def _label(path: YamlPath) -> str:
    label = ""
    for part in path:
        label += f"[{part}]" if isinstance(part, int) else f".{part}" if label else part
    return label


def _excerpt(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _bad_type(page_type: Any, file: str, doc: YamlDoc) -> Diagnostic:
    choices = ", ".join(PAGE_TYPES)
    if page_type is None:
        return make(
            "FM104", file, doc.line(), "front matter has no 'type'", hint=f"add 'type:' ({choices})"
        )
    hint = _did_you_mean(str(page_type), list(PAGE_TYPES)) or f"use one of {choices}"
    return make("FM104", file, doc.line("type"), f"unknown page type {_show(page_type)}", hint=hint)


def _check_fields(
    meta: dict[str, Any],
    schema: Mapping[str, Field],
    file: str,
    doc: YamlDoc,
    vocabulary: Vocabulary,
    year: int,
) -> Iterator[Diagnostic]:
    unconfirmed = meta.get("unconfirmed") if isinstance(meta.get("unconfirmed"), list) else []
    for key, value in meta.items():
        if key not in schema:
            hint = _did_you_mean(str(key), list(schema)) or "remove it"
            yield make("FM108", file, doc.line(key), f"unknown field '{key}'", hint=hint)
        elif value is None and schema[key].required:
            yield make(
                "FM105", file, doc.line(key), f"'{key}' is empty", hint=_fill_hint(key, empty=True)
            )
        elif value is not None:
            yield from _check_value(key, value, schema[key], file, doc, vocabulary, year)
    for key, spec in schema.items():
        if spec.required and key not in meta and key not in unconfirmed:
            yield make(
                "FM105",
                file,
                doc.line(),
                f"missing required field '{key}'",
                hint=_fill_hint(key),
            )


def _fill_hint(key: str, empty: bool = False) -> str:
    """`add 'venue:'` for a missing field, `give 'venue' a value` for an empty one."""
    fix = f"give '{key}' a value" if empty else f"add '{key}:'"
    if key in ("authors", "year", "venue"):
        return f"{fix}, or list it under 'unconfirmed:' if no source confirms it"
    return fix


def _check_value(
    key: str,
    value: Any,
    spec: Field,
    file: str,
    doc: YamlDoc,
    vocabulary: Vocabulary,
    year: int,
) -> Iterator[Diagnostic]:
    line = doc.line(key)
    kind = spec.kind
    if kind in ("str", "doi", "arxiv", "url"):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and kind != "url":
            yield make(
                "FM106",
                file,
                line,
                f"'{key}': expected a string, got the number {value!r}",
                hint=f'quote it: {key}: "…" (YAML reads 2001.01230 as 2001.0123)',
            )
        elif not isinstance(value, str) or not value.strip():
            yield _type_error(key, "a non-empty string", value, file, line)
        elif kind != "str":
            yield from _check_format(key, value, kind, file, line)
    elif kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            yield _type_error(key, "an integer", value, file, line)
    elif kind == "bool":
        if not isinstance(value, bool):
            yield _type_error(key, "true or false", value, file, line)
    elif kind == "date":
        if not isinstance(value, dt.date):
            yield _type_error(key, "a date YYYY-MM-DD", value, file, line)
    elif kind == "year":
        yield from _check_year(key, value, file, line, year)
    elif kind == "vocab":
        yield from _check_vocab(key, value, None, spec.vocab, file, doc, vocabulary)
    else:
        yield from _check_list(key, value, spec, file, doc, vocabulary)


def _check_list(
    key: str, value: Any, spec: Field, file: str, doc: YamlDoc, vocabulary: Vocabulary
) -> Iterator[Diagnostic]:
    if not isinstance(value, list) or not value:
        yield _type_error(key, "a non-empty list such as [a, b]", value, file, doc.line(key))
        return
    for index, item in enumerate(value):
        if spec.kind == "vocab-list":
            yield from _check_vocab(key, item, index, spec.vocab, file, doc, vocabulary)
        elif not isinstance(item, str) or not item.strip():
            yield _type_error(
                f"{key}[{index}]", "a non-empty string", item, file, doc.line(key, index)
            )
        elif spec.kind == "field-list" and item not in PAGE_TYPES["paper"]:
            yield make(
                "FM109",
                file,
                doc.line(key, index),
                f"{key}: '{item}' is not a paper field",
                hint=_did_you_mean(item, list(PAGE_TYPES["paper"])),
            )
    if len(set(map(str, value))) != len(value):
        yield make("FM109", file, doc.line(key), f"'{key}' lists a value twice")


def _check_vocab(
    key: str,
    value: Any,
    index: int | None,
    vocab_name: str,
    file: str,
    doc: YamlDoc,
    vocabulary: Vocabulary,
) -> Iterator[Diagnostic]:
    line = doc.line(key) if index is None else doc.line(key, index)
    label = key if index is None else f"{key}[{index}]"
    if not isinstance(value, str):
        yield _type_error(label, "a vocabulary id (string)", value, file, line)
        return
    terms = vocabulary.get(vocab_name, {})
    if value in terms:
        return
    hint = vocabulary_hint(value, terms, vocab_name)
    yield make("FM107", file, line, f"unknown {_singular(vocab_name)} {value!r}", hint=hint)


def vocabulary_hint(value: str, terms: Mapping[str, object], vocab_name: str) -> str:
    """What to write instead of `value`, which is not in `terms`: the id it spells another
    way, a close id, or adding it to the vocabulary."""
    normal = value.strip().lower().replace(" ", "-").replace("_", "-")
    if normal in terms:
        return f"did you mean '{normal}'?"
    return _did_you_mean(normal, list(terms)) or f"add '{value}' to the vocabulary '{vocab_name}'"


def _check_year(key: str, value: Any, file: str, line: int, year: int) -> Iterator[Diagnostic]:
    if not isinstance(value, int) or isinstance(value, bool):
        yield _type_error(key, "an integer", value, file, line)
    elif not 1900 <= value <= year + 1:
        yield make("FM109", file, line, f"'{key}' {value} is outside 1900–{year + 1}")


def _check_format(key: str, value: str, kind: str, file: str, line: int) -> Iterator[Diagnostic]:
    if kind == "doi":
        bare = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", value.strip(), flags=re.I)
        if bare != value:
            yield make(
                "FM109",
                file,
                line,
                f"'doi' must be the bare DOI, got {value!r}",
                hint=f"write '{bare}'",
            )
        elif not _DOI.match(value):
            yield make("FM109", file, line, f"'doi' {value!r} is not a DOI (10.NNNN/…)")
    elif kind == "arxiv":
        bare = re.sub(
            r"^(?:https?://arxiv\.org/(?:abs|pdf)/|arxiv:)", "", value.strip(), flags=re.I
        )
        bare = bare.removesuffix(".pdf")
        if bare != value:
            yield make(
                "FM109",
                file,
                line,
                f"'arxiv' must be the bare id, got {value!r}",
                hint=f"write '{bare}'",
            )
        elif not _ARXIV.match(value):
            yield make("FM109", file, line, f"'arxiv' {value!r} is not an arXiv id (YYMM.NNNNN)")
    elif not _URL.match(value):
        yield make("FM109", file, line, f"'{key}' must be an http(s) URL, got {value!r}")


def _check_paper(meta: dict[str, Any], file: str, doc: YamlDoc) -> Iterator[Diagnostic]:
    unconfirmed = meta.get("unconfirmed")
    if not any(meta.get(k) for k in IDENTIFIERS):
        yield make(
            "FM111",
            file,
            doc.line(),
            "paper has none of doi, arxiv, url",
            hint="add the DOI or arXiv id; never guess one",
        )
    if isinstance(unconfirmed, list):
        for index, name in enumerate(unconfirmed):
            if isinstance(name, str) and name in meta:
                yield make(
                    "FM109",
                    file,
                    doc.line("unconfirmed", index),
                    f"'{name}' is listed as unconfirmed but is also given",
                    hint="remove it from one of the two places",
                )


def _type_error(key: str, expected: str, value: Any, file: str, line: int) -> Diagnostic:
    return make("FM106", file, line, f"'{key}': expected {expected}, got {_show(value)}")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if value.strip() else "an empty string"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    return repr(value)


def _did_you_mean(value: str, choices: list[str]) -> str:
    return did_you_mean(value, choices)


def _singular(vocab_name: str) -> str:
    return {
        "categories": "category",
        "tasks": "task",
        "modalities": "modality",
        "areas": "area",
    }.get(vocab_name, vocab_name)
