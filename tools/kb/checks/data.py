"""Data files under the data folder (besides the vocabulary): readable YAML tables of the
shape `kb:table data` renders."""

from __future__ import annotations

from collections.abc import Iterator

from kb.diagnostics import Diagnostic
from kb.render.tables import validate_data_table
from kb.site import Site
from kb.yamlio import parse_yaml, read_yaml_file


def check_data_files(site: Site) -> Iterator[Diagnostic]:
    data_dir = site.settings.path(site.settings.data_dir)
    if not data_dir.is_dir():
        return
    vocabulary = site.settings.path(site.settings.vocabulary).resolve()
    for path in sorted(data_dir.glob("*.yaml")):
        if path.resolve() == vocabulary:
            continue
        file = path.relative_to(site.settings.root).as_posix()
        text, unread = read_yaml_file(path, file)
        yield from unread
        if text is None:
            continue
        doc, found = parse_yaml(text, file)
        yield from found
        if doc is not None:
            yield from validate_data_table(doc.data, doc.line, file)
