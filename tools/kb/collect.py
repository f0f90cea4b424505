"""collect: find the site's files without following symlinks, and read section folders."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kb.config import Settings
from kb.diagnostics import Diagnostic, make
from kb.schema import validate_section
from kb.yamlio import parse_yaml, read_yaml_file

SECTION_FILE = "_section.yaml"
Signature = tuple[int, int, int, int]


@dataclass(frozen=True)
class Section:
    folder: str
    """Repo-relative posix folder, e.g. ``docs/papers``."""
    title: str
    order: int
    description: str = ""
    group_by: str = ""
    draft: bool = False


def find_files(settings: Settings) -> tuple[list[str], list[str], set[str]]:
    """(page files, section folders, all regular files) under docs/, plus the root files,
    as repo-relative posix paths. See `walk_files`."""
    found = walk_files(settings)
    return found.pages, found.folders, found.files


@dataclass(frozen=True)
class FoundFiles:
    pages: list[str]
    """Markdown pages of the content model (not in `_`-folders), sorted."""
    folders: list[str]
    """Section folders under docs/ (not the docs folder itself, not `_`-folders)."""
    files: set[str]
    """Every regular file under docs/, and the regular files at the root."""
    irregular: dict[str, str]
    """Entries that are not regular files (symlinks, FIFOs, devices…) → what they are."""
    signatures: dict[str, Signature] = field(default_factory=dict)
    """Regular file → (size, mtime_ns, ctime_ns, inode) as the walk saw it: a file whose
    signature matches the cache's is unchanged (any write changes its ctime)."""


def walk_files(settings: Settings) -> FoundFiles:
    """Walk docs/ without ever following a symlink: a symlinked file or folder is listed in
    `irregular` and neither read nor entered (it may point out of the repository, at a
    device or at itself)."""
    root = settings.root
    pages: list[str] = []
    folders: list[str] = []
    files: set[str] = set()
    irregular: dict[str, str] = {}
    signatures: dict[str, Signature] = {}
    docs = settings.docs_dir.strip("/")
    if docs:  # this layout: the pages in docs/, a few files beside index.html
        for entry in _scan(root):
            kind = _kind(entry)
            if kind == "file":
                files.add(entry.name)
                signatures[entry.name] = _signature(entry)
            elif kind != "dir":
                irregular[entry.name] = kind
    docs_kind = _path_kind(settings.docs_path) if docs else "dir"
    if docs_kind not in ("dir", "missing"):
        irregular[docs] = docs_kind
        return FoundFiles([], [], files, irregular)
    stack = [docs] if docs_kind == "dir" else []
    while stack:
        rel_dir = stack.pop()
        inside = rel_dir[len(docs) :].strip("/").split("/") if rel_dir != docs else []
        in_data = any(part.startswith("_") for part in inside)
        if rel_dir != docs and not in_data:
            folders.append(rel_dir)
        for entry in _scan(root / rel_dir):
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            kind = _kind(entry)
            if kind == "dir":
                if not entry.name.startswith(".") and entry.name not in _NOT_SITE:
                    stack.append(rel)
            elif kind == "file":
                files.add(rel)
                signatures[rel] = _signature(entry)
                if entry.name.endswith(".md") and not in_data:
                    pages.append(rel)
            else:
                irregular[rel] = kind
    return FoundFiles(sorted(pages), sorted(folders), files, irregular, signatures)


_NOT_SITE = frozenset({"node_modules"})
"""Folders never part of a site's pages (installed packages)."""


def _signature(entry: os.DirEntry[str]) -> Signature:
    st = entry.stat(follow_symlinks=False)  # cached by the DirEntry since _kind
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _scan(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError:
        return []


def _kind(entry: os.DirEntry[str]) -> str:
    try:
        if entry.is_symlink():
            return "symbolic link"
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError:
        return "unreadable entry"
    return _mode_kind(mode)


def _path_kind(path: Path) -> str:
    try:
        return _mode_kind(os.lstat(path).st_mode)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "unreadable entry"


def _mode_kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def load_sections(
    settings: Settings, folders: Iterable[str]
) -> tuple[dict[str, Section], list[Diagnostic]]:
    sections: dict[str, Section] = {}
    found: list[Diagnostic] = []
    for folder in folders:
        file = f"{folder}/{SECTION_FILE}"
        try:
            text, unread = read_yaml_file(settings.path(file), file)
        except FileNotFoundError:
            found.append(
                make(
                    "FM113",
                    file,
                    0,
                    f"folder '{folder}' has no {SECTION_FILE}",
                    hint="add one with 'title:' and 'order:'",
                )
            )
            sections[folder] = Section(folder, folder.rsplit("/", 1)[-1], 1000)
            continue
        found.extend(unread)
        doc, errors = parse_yaml(text, file) if text is not None else (None, [])
        found.extend(errors)
        if doc is not None:
            found.extend(validate_section(doc, file))
        meta = doc.data if doc is not None and isinstance(doc.data, dict) else {}
        sections[folder] = Section(
            folder,
            str(meta.get("title") or folder.rsplit("/", 1)[-1]),
            meta["order"] if isinstance(meta.get("order"), int) else 1000,
            str(meta.get("description") or ""),
            str(meta.get("group_by") or ""),
            meta.get("draft") is True,
        )
    return sections, found
