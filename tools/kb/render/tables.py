"""Markdown tables for `<!-- kb:table … -->` regions, rendered with Jinja templates."""

from __future__ import annotations

import functools
import hashlib
import json
import posixpath
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.diagnostics import CODES, Diagnostic, Refusal, make
from kb.model import PageInfo, ParsedPage
from kb.render.sidebar import page_label
from kb.render.text import md_cell, md_text, md_url
from kb.schema import PAGE_TYPES, check_markup
from kb.site import Site
from kb.slugify import slug_base
from kb.yamlio import parse_yaml, read_yaml_file

if TYPE_CHECKING:
    import jinja2

PAPER_FILTERS = {"category": "category", "task": "tasks", "modality": "modalities", "area": "areas"}


@dataclass(frozen=True)
class TableSpec:
    kind: str
    args: dict[str, str]


@cache
def environment() -> jinja2.Environment:
    import jinja2  # noqa: PLC0415 - imported on first use: most runs render no table

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kb", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["cell"] = md_text
    env.filters["url"] = md_url
    env.filters["cell_md"] = md_cell
    env.filters["yaml"] = yaml_scalar
    return env


def yaml_scalar(value: object) -> str:
    """A string as a YAML scalar that reads back as itself (a JSON string is one): titles
    hold colons, quotes and `#`."""
    return json.dumps(str(value), ensure_ascii=False)


def parse_spec(spec: str) -> TableSpec:
    """`papers category=survival` → TableSpec('papers', {'category': 'survival'})."""
    try:
        words = shlex.split(spec)
    except ValueError as exc:
        raise Refusal("TBL403", f"cannot read table spec {spec!r}: {exc}") from None
    if not words:
        raise Refusal(
            "TBL403", "table marker names no table", hint=f"use one of {', '.join(RENDERERS)}"
        )
    args: dict[str, str] = {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep or not value:
            raise Refusal("TBL403", f"expected key=value, got {word!r}")
        args[key] = value
    return TableSpec(words[0], args)


def render_region(site: Site, page: ParsedPage, spec_text: str) -> str:
    """The content a region should hold (between the marker lines)."""
    spec = parse_spec(spec_text)
    renderer = RENDERERS.get(spec.kind)
    if renderer is None:
        raise Refusal(
            "TBL403", f"unknown table {spec.kind!r}", hint=f"use one of {', '.join(RENDERERS)}"
        )
    return "\n" + renderer(site, page, spec.args) + "\n"


def _papers(site: Site, page: ParsedPage, args: Mapping[str, str]) -> str:
    _known_args(args, {*PAPER_FILTERS, "year"})
    _check_filter_values(site, args)
    return _papers_table(_paper_rows(site, page, args), "暂无论文。")


def _papers_table(rows: list[PaperRow], empty: str) -> str:
    lines = [row.line for row in rows]
    return environment().get_template("papers.md.j2").render(lines=lines, empty=empty)


@dataclass(frozen=True)
class PaperRow:
    """One paper as the paper tables list it, rendered once per page content and folder."""

    file: str
    line: str
    """The table row (`paper_row.md.j2`)."""
    order: tuple[int, str]
    """Newest first, then by label."""
    filters: dict[str, Any]
    """The paper's facts (`Site.paper_facts`): what the table arguments select on."""


def _paper_rows(site: Site, page: ParsedPage, args: Mapping[str, str]) -> list[PaperRow]:
    """The rows of the papers `args` select, newest first, linked from `page`'s folder."""
    folder = posixpath.dirname(page.file)
    rows = site.once(f"paper rows\0{folder}", lambda: _all_paper_rows(site, folder))
    if list(args) == ["category"]:  # the papers index asks for each category in turn
        by_category = site.once(f"paper rows by category\0{folder}", lambda: _by_category(rows))
        return by_category.get(args["category"], [])
    return [row for row in rows if _matches(row.filters, args)]


def _by_category(rows: list[PaperRow]) -> dict[str, list[PaperRow]]:
    found: dict[str, list[PaperRow]] = {}
    for row in rows:
        category = row.filters.get("category")
        for value in category if isinstance(category, list) else [category]:
            if isinstance(value, str):
                found.setdefault(value, []).append(row)
    return found


def _all_paper_rows(site: Site, folder: str) -> list[PaperRow]:
    """Every paper's row for links from `folder`. A row depends on its page's content and
    the folder only (the vocabulary salts every cache key), so rows are kept between runs:
    after one page's front matter changes, one row is rendered again, not 10,000."""
    facts = site.facts()
    store = "paper-rows-" + hashlib.blake2b(folder.encode(), digest_size=6).hexdigest()
    lines = site.per_page(store, site.papers(), lambda paper: _paper_row(site, folder, paper))
    rows = [
        PaperRow(file, line, (-year, label), facts[file])
        for file, (line, year, label) in lines.items()
    ]
    rows.sort(key=lambda row: row.order)
    return rows


def _paper_row(site: Site, folder: str, paper: PageInfo) -> tuple[str, int, str]:
    """(row line, year for sorting, label): builtin values, kept in the cache."""
    meta = paper.meta or {}
    label = page_label(paper)
    row = {
        "label": label,
        "link": _relative(paper.file, folder),
        "year": meta.get("year", "—"),
        "venue": meta.get("venue", "—"),
        "tasks": _terms(site, "tasks", meta.get("tasks")),
        "modalities": _terms(site, "modalities", meta.get("modalities")),
        "code": meta.get("code", ""),
    }
    line = environment().get_template("paper_row.md.j2").render(row=row).rstrip("\n")
    year = meta.get("year")
    return line, year if isinstance(year, int) else 0, label


def _backlinks(site: Site, page: ParsedPage, args: Mapping[str, str]) -> str:
    """Papers whose pages link to this page: notes list their worked examples for free."""
    _known_args(args, {*PAPER_FILTERS, "year"})
    _check_filter_values(site, args)
    linking = site.once("backlinks", lambda: _linking(site)).get(page.file, set())
    rows = [row for row in _paper_rows(site, page, {}) if row.file in linking]
    rows = [row for row in rows if _matches(row.filters, args)]
    return _papers_table(rows, "暂无论文页链接到本页。")


def _linking(site: Site) -> dict[str, set[str]]:
    """For each page, the pages that link to it."""
    found: dict[str, set[str]] = {}
    for file, info in site.infos.items():
        for target in info.targets:
            found.setdefault(target, set()).add(file)
    return found


def _papers_index(site: Site, page: ParsedPage, args: Mapping[str, str]) -> str:
    """One `##` section per category that has papers, each with its table."""
    _known_args(args, set())
    sections = []
    for term in sorted(
        site.vocabulary.get("categories", {}).values(), key=lambda t: (t.order, t.id)
    ):
        rows = _paper_rows(site, page, {"category": term.id})
        if rows:
            sections.append(
                {
                    "title": term.title,
                    "description": term.description,
                    "lines": [row.line for row in rows],
                }
            )
    return (
        environment()
        .get_template("papers_index.md.j2")
        .render(sections=sections, empty="暂无论文。")
    )


def _matches(meta: Mapping[str, Any], args: Mapping[str, str]) -> bool:
    if "year" in args and str(meta.get("year")) != args["year"]:
        return False
    return all(_has_value(meta.get(PAPER_FILTERS[k]), v) for k, v in args.items() if k != "year")


def _has_value(field: Any, wanted: str) -> bool:
    return field == wanted or (isinstance(field, list) and wanted in field)


def _terms(site: Site, vocab: str, values: Any) -> str:
    if not isinstance(values, list):
        return "—"
    terms = site.vocabulary.get(vocab, {})
    return "、".join(terms[v].title if v in terms else str(v) for v in values)


def _categories(site: Site, page: ParsedPage, args: Mapping[str, str]) -> str:
    _known_args(args, {"index"})
    counts: dict[str, int] = {}
    facts = site.facts()
    for file in site.papers():
        category = str(facts[file].get("category"))
        counts[category] = counts.get(category, 0) + 1
    terms = sorted(site.vocabulary.get("categories", {}).values(), key=lambda t: (t.order, t.id))
    index = args.get("index", "")
    rows = [
        {
            "title": term.title,
            "description": term.description,
            "count": counts.get(term.id, 0),
            "link": f"{index}#{slug_base(term.title)}" if index and counts.get(term.id) else "",
        }
        for term in terms
    ]
    other = sum(
        n for category, n in counts.items() if category not in site.vocabulary["categories"]
    )
    if other:
        rows.append({"title": "其他（类别未登记）", "description": "", "count": other, "link": ""})
    total = sum(counts.values())
    return environment().get_template("categories.md.j2").render(rows=rows, total=total)


def _data(site: Site, page: ParsedPage, args: Mapping[str, str]) -> str:
    _known_args(args, {"name"})
    if "name" not in args:
        raise Refusal("TBL403", "data table needs name=<file in the data folder, without .yaml>")
    columns, rows = load_data_table(
        site.settings.path(site.settings.data_dir),
        args["name"],
        f"{site.settings.data_dir}/{args['name']}.yaml",
    )
    return environment().get_template("data.md.j2").render(columns=columns, rows=rows)


def _codes(site: Site, page: ParsedPage, args: Mapping[str, str]) -> str:
    _known_args(args, set())
    return environment().get_template("codes.md.j2").render(codes=sorted(CODES.items()))


_KIND_LABELS = {
    "str": "文本",
    "text-list": "文本列表",
    "int": "整数",
    "bool": "true / false",
    "date": "日期 YYYY-MM-DD",
    "year": "年份（整数）",
    "doi": "DOI，如 10.1038/xxx",
    "arxiv": "arXiv 编号，如 1810.03382",
    "url": "http(s) 网址",
    "vocab": "词表中的一个取值",
    "vocab-list": "词表取值的列表",
    "field-list": "字段名列表",
}


def _fields(site: Site, page: ParsedPage, args: Mapping[str, str]) -> str:
    _known_args(args, {"type"})
    page_type = args.get("type", "paper")
    if page_type not in PAGE_TYPES:
        raise Refusal(
            "TBL403",
            f"type={page_type!r} is not a page type",
            hint=f"use one of {', '.join(PAGE_TYPES)}",
        )
    fields = list(PAGE_TYPES[page_type].items())
    fields.sort(key=lambda item: (not item[1].required, list(PAGE_TYPES[page_type]).index(item[0])))
    return environment().get_template("fields.md.j2").render(fields=fields, kinds=_KIND_LABELS)


def _vocabulary(site: Site, page: ParsedPage, args: Mapping[str, str]) -> str:
    _known_args(args, {"name"})
    name = args.get("name", "")
    if name not in site.vocabulary:
        raise Refusal(
            "TBL403",
            f"name={name!r} is not a vocabulary",
            hint=f"use one of {', '.join(site.vocabulary)}",
        )
    terms = sorted(site.vocabulary[name].values(), key=lambda t: (t.order, t.id))
    return environment().get_template("vocabulary.md.j2").render(terms=terms)


def load_data_table(
    data_dir: Path, name: str, file: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Columns and rows of a data file; shape errors raise Refusal(FM114)."""
    try:
        text, unread = read_yaml_file(data_dir / f"{name}.yaml", file)
    except FileNotFoundError:
        raise Refusal("TBL403", f"data file '{file}' not found") from None
    if text is None:
        raise Refusal(unread[0].code, unread[0].message)
    doc, found = parse_yaml(text, file)
    if doc is None:
        raise Refusal("FM102", found[0].message if found else "invalid YAML")
    # Markup (FM116) is reported at the data file by `kb check`; the table escapes it.
    problems = [p for p in validate_data_table(doc.data, doc.line, file) if p.code != "FM116"]
    if problems:
        raise Refusal("FM114", f"{file}: {problems[0].message}")
    return doc.data["columns"], doc.data["rows"]


def validate_data_table(data: Any, line_of: Callable[..., int], file: str) -> list[Diagnostic]:
    """Shape of a data file: `columns: [{key, title, link?, link_text?}]`, `rows: [{…}]`."""
    if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
        return [make("FM114", file, line_of(), "expected 'columns:' (a list) and 'rows:' (a list)")]
    found: list[Diagnostic] = []
    keys: set[str] = set()
    for index, column in enumerate(data["columns"]):
        if (
            not isinstance(column, dict)
            or not isinstance(column.get("key"), str)
            or not isinstance(column.get("title"), str)
        ):
            found.append(
                make("FM114", file, line_of("columns", index), "column needs 'key' and 'title'")
            )
            continue
        keys.add(column["key"])
    keys.update(
        str(c.get("link_text"))
        for c in data["columns"]
        if isinstance(c, dict) and c.get("link_text")
    )
    rows = data.get("rows")
    if not isinstance(rows, list):
        return [*found, make("FM114", file, line_of("rows"), "'rows' must be a list of mappings")]
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            found.append(make("FM114", file, line_of("rows", index), "row must be a mapping"))
            continue
        for key in row:
            if key not in keys:
                found.append(
                    make(
                        "FM114",
                        file,
                        line_of("rows", index, key),
                        f"row field '{key}' is not a column",
                        hint=f"columns: {', '.join(sorted(keys))}",
                    )
                )
    found.extend(check_markup(data, line_of, file))
    return found


def _known_args(args: Mapping[str, str], allowed: set[str]) -> None:
    for key in args:
        if key not in allowed:
            hint = (
                f"allowed: {', '.join(sorted(allowed))}"
                if allowed
                else "this table takes no arguments"
            )
            raise Refusal("TBL403", f"unknown table argument {key!r}", hint=hint)


def _check_filter_values(site: Site, args: Mapping[str, str]) -> None:
    for key, value in args.items():
        if key == "year":
            if not value.isdigit():
                raise Refusal("TBL403", f"year={value!r} is not a year")
            continue
        vocab = "categories" if key == "category" else PAPER_FILTERS[key]
        if value not in site.vocabulary.get(vocab, {}):
            raise Refusal("TBL403", f"{key}={value!r} is not in the vocabulary '{vocab}'")


RENDERERS: dict[str, Callable[[Site, ParsedPage, Mapping[str, str]], str]] = {
    "papers": _papers,
    "papers-index": _papers_index,
    "backlinks": _backlinks,
    "categories": _categories,
    "data": _data,
    "codes": _codes,
    "fields": _fields,
    "vocabulary": _vocabulary,
}


def _memo_render(site: Site, page: ParsedPage, spec: str) -> Callable[[], str]:
    return lambda: render_region(site, page, spec)


def expected_regions(
    site: Site, page: ParsedPage
) -> list[tuple[int, str | None, Diagnostic | None]]:
    """For each region of a page: (line, wanted content or None, problem or None)."""
    out: list[tuple[int, str | None, Diagnostic | None]] = []
    for region in page.regions:
        if region.end < 0:
            out.append(
                (
                    region.line,
                    None,
                    make(
                        "TBL402",
                        page.file,
                        region.line,
                        "table region is not closed",
                        hint="add '<!-- /kb:table -->' on its own line",
                    ),
                )
            )
            continue
        try:
            name = f"table\0{page.file}\0{region.spec}"
            if region.spec.split(maxsplit=1)[:1] == ["backlinks"]:
                name += "\0" + site.targets_signature()
            out.append((region.line, site.memo(name, _memo_render(site, page, region.spec)), None))
        except Refusal as refusal:
            out.append((region.line, None, refusal.at(page.file, region.line)))
    return out


def _relative(file: str, folder: str) -> str:
    """`posixpath.relpath(file, folder)`, with the folder part computed once per pair."""
    head, _, name = file.rpartition("/")
    return posixpath.join(_relative_folder(head, folder), name) if head != folder else name


@functools.lru_cache(maxsize=4096)
def _relative_folder(target: str, start: str) -> str:
    return posixpath.relpath(target or ".", start or ".")
