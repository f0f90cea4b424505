"""The controlled vocabularies (`docs/_data/vocabulary.yaml`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.diagnostics import Diagnostic, make
from kb.schema import check_markup
from kb.yamlio import parse_yaml, read_yaml_file

VOCABULARIES = ("categories", "tasks", "modalities", "areas")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Term:
    id: str
    title: str
    order: int
    description: str


Vocabulary = Mapping[str, Mapping[str, Term]]


def load_vocabulary(path: Path, file: str) -> tuple[dict[str, dict[str, Term]], list[Diagnostic]]:
    """Read and validate the vocabulary file; unknown shapes are FM114."""
    try:
        text, unread = read_yaml_file(path, file)
    except FileNotFoundError:
        return _empty(), [
            make(
                "FM114",
                file,
                0,
                "vocabulary file not found",
                hint="create it or fix [tool.kb] vocabulary",
            )
        ]
    if text is None:
        return _empty(), unread
    doc, found = parse_yaml(text, file)
    if doc is None:
        return _empty(), found
    data = doc.data if isinstance(doc.data, dict) else {}
    # Term titles reach the sidebar, tables and search results: plain text only.
    found.extend(check_markup(data, doc.line, file))
    vocab: dict[str, dict[str, Term]] = {}
    for name in VOCABULARIES:
        entries = data.get(name)
        if not isinstance(entries, dict):
            found.append(
                make(
                    "FM114",
                    file,
                    doc.line(name) or 1,
                    f"'{name}' must be a mapping of id: {{title: …}}",
                )
            )
            vocab[name] = {}
            continue
        vocab[name] = {}
        for index, (term_id, entry) in enumerate(entries.items()):
            term, problem = _parse_term(str(term_id), entry, index)
            if problem:
                found.append(
                    make(
                        "FM114", file, doc.line(name, str(term_id)), f"{name}.{term_id}: {problem}"
                    )
                )
            else:
                vocab[name][term.id] = term
    for key in data:
        if key not in VOCABULARIES:
            found.append(
                make(
                    "FM114",
                    file,
                    doc.line(key),
                    f"unknown vocabulary '{key}'",
                    hint=f"use {', '.join(VOCABULARIES)}",
                )
            )
    return vocab, found


def _parse_term(term_id: str, entry: Any, index: int) -> tuple[Term, str]:
    empty = Term(term_id, term_id, index, "")
    if not _ID.match(term_id):
        return empty, "ids are lowercase kebab-case (a-z, 0-9, '-')"
    if not isinstance(entry, dict) or not isinstance(entry.get("title"), str):
        return empty, "expected {title: 中文名}"
    order = entry.get("order", (index + 1) * 10)
    if not isinstance(order, int):
        return empty, f"order: expected an integer, got {order!r}"
    return Term(term_id, entry["title"], order, str(entry.get("description", ""))), ""


def _empty() -> dict[str, dict[str, Term]]:
    return {name: {} for name in VOCABULARIES}
