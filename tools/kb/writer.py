"""Atomic, idempotent file writes that keep a file's BOM and line endings."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kb.errors import UserError


@dataclass(frozen=True)
class TextStyle:
    bom: bool = False
    crlf: bool = False


def read_text(path: Path) -> tuple[str, TextStyle]:
    """Text with LF newlines, plus how the file stored it."""
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    crlf = "\r\n" in text
    return text.replace("\r\n", "\n"), TextStyle(bom, crlf)


def encode(text: str, style: TextStyle) -> bytes:
    if style.crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    return b"\xef\xbb\xbf" + data if style.bom else data


def write_if_changed(path: Path, data: bytes) -> bool:
    """Replace `path` atomically when its bytes differ; True when written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


def write_atomic(path: Path, data: bytes) -> None:
    """Write `path` through a temporary file in the same folder and an atomic rename, so a
    reader (or a crash) never sees half a file; an existing file keeps its permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_regular(path: str, limit: int) -> bytes:
    """At most `limit` + 1 bytes of a regular file, never through a symlink (the file may
    have been swapped for one since the walk); a file that is not regular reads as empty."""
    try:
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError:
        return b""
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return b""
        return handle.read(limit + 1)


class OutputError(UserError):
    """An output folder kb must not replace (a symlink, a folder kb did not write)."""


def refuse_foreign(out: Path, marker: str, command: str) -> None:
    """Stop unless `out` is absent or a real folder `command` wrote (it holds `marker`)."""
    if out.is_symlink():
        raise OutputError(f"{out} is a symlink; write into a real folder")
    if out.exists() and not (out / marker).is_file():
        raise OutputError(
            f"{out} exists and was not written by `{command}`; choose a new folder "
            "(kb never replaces a folder it did not write)"
        )
    out.parent.mkdir(parents=True, exist_ok=True)


def swap_in(staging: Path, out: Path) -> None:
    """Replace `out` with `staging` (the old folder is moved aside first, then removed)."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(staging, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
