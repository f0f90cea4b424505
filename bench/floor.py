"""The floor of the build benchmark: the least work any markdown site builder does, in one process.

    python bench/floor.py <docs_dir>

Reads every `.md` and `.yaml` file under `<docs_dir>` (sorted, symlinks not followed), loads each
front matter and data file with PyYAML's C loader (`yaml.CSafeLoader`) and renders each page
body to HTML with markdown-it-py (CommonMark with GFM tables and strikethrough). Nothing is
checked, cached or written. The benchmark runs it as a child process, like the tools it times,
so the interpreter start-up and the imports are part of the floor too. The last line printed is
a JSON summary: files, bytes, HTML bytes.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import yaml
from markdown_it import MarkdownIt


def files(docs: Path) -> list[Path]:
    found = []
    for folder, dirs, names in os.walk(docs):
        dirs.sort()
        wanted = (name for name in sorted(names) if name.endswith((".md", ".yaml")))
        found.extend(Path(folder) / name for name in wanted)
    return found


def split_front(text: str) -> tuple[str, str]:
    """(front matter, body); the front matter is empty when the page has none."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end != -1:
            return text[4 : end + 1], text[end + 5 :]
    return "", text


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        print("error: PyYAML was built without libyaml (no yaml.CSafeLoader)", file=sys.stderr)
        return 3
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    count = size = html = 0
    for path in files(Path(argv[0])):
        data = path.read_bytes()
        text = data.decode("utf-8")
        count += 1
        size += len(data)
        if path.suffix == ".yaml":
            yaml.load(text, Loader=loader)
            continue
        front, body = split_front(text)
        if front:
            yaml.load(front, Loader=loader)
        html += len(md.render(body))
    print(json.dumps({"files": count, "bytes": size, "html_bytes": html}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
