"""The search index: assembled from per-page parts (kb.searchtext), fetched a piece at a time.

The browser (assets/kb-search.js) downloads nothing until a reader focuses the search box,
then only the manifest; a query fetches the bucket file of each of its tokens and, for the
results on screen, the display blocks of their pages. Everything lives in `<vendor>/search/`:

    index.json       manifest: build, base id, bucket count, pages, dead pages, overlay, facets
    i-<b>.txt        bucket b: a header line (the base id), then one line per base page with
                     its entries for the tokens that hash to b (kb.searchtext documents them)
    p-<k>.json       display block k: {"base": id, "pages": [[route, title, meta, sections]…]}
                     for base pages k·BLOCK … k·BLOCK + BLOCK − 1
    o-<hash>.txt     overlay: pages changed since the base was written, two lines each
                     (display record, entries); the base copies of those pages are "dead"

A one-page edit must not rewrite the index: every page has entries in most buckets, so
rewriting them costs the whole index. The base is written in full only on a first build, a
fresh output folder, or when the overlay has grown past OVERLAY_PAGES / OVERLAY_BYTES; any
other build writes the overlay and the manifest. Writing the base joins the parts' bytes
(each part's entries come pre-cut into kb.searchtext.BUCKETS pieces), no token is touched.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kb.searchtext import (
    BUCKETS,
    META,
    POSTINGS,
    ROUTE,
    SECTIONS,
    TITLE,
    Part,
)
from kb.vocabulary import Term
from kb.writer import write_atomic

VERSION = 2
INDEX_DIR = "search"
"""In the vendor folder, next to the files `kb assets` copies (kb.assets.SEARCH_INDEX_DIR)."""
MANIFEST = "index.json"
BLOCK = 8
"""Pages per display block."""
OVERLAY_PAGES = 64
OVERLAY_BYTES = 512 * 1024
_OLD_INDEX = "search-index.json"
"""The single-file index of kb before this format: ours, deleted when a base is written."""
_OWNED = re.compile(r"(?:index\.json|i-\d+\.txt|p-\d+\.json|o-[0-9a-f]+\.txt)")
_SPACE_RUNS = re.compile(rb"(?<=[ \n]) +| +(?=\n)")

Page = tuple[str, str, Part]
"""(file, content key, part) of one content page."""


def bucket_count(pages: int) -> int:
    """Buckets for a site: about 4 pages a bucket (a bucket file holds ~250 entries per
    100 pages), a power of two from 16 to kb.searchtext.BUCKETS."""
    count = 16
    while count < BUCKETS and count * 4 < pages:
        count *= 2
    return count


def write_index(
    out_dir: Path,
    pages: Sequence[tuple[str, str]],
    part: Callable[[str], Part],
    facets: dict[str, Any],
    build: str,
    state: dict[str, Any],
) -> str:
    """Write the index into `out_dir/search/`; returns the one-line summary for the CLI.

    `pages` holds (file, content key) for every content page in file order; `part(file)`
    gives a page's part (kb.searchtext.page_part) and is asked only for the pages the index
    must (re)write: all of them for a new base, the changed ones for an overlay. `facets`
    are the filter values (`facets()`). `state` is kept by the caller between runs (builtin
    values only): this function reads and updates it in place, and sets
    ``state["dirty"] = True`` whenever it changed it, so the caller saves it then. Only
    files that changed are written (atomically); files of ours that the index no longer
    uses are deleted, nothing else in `out_dir` is touched.
    """
    return _Writer(Path(out_dir), pages, part, facets, build, state).run()


def facets(
    papers: Iterable[Mapping[str, Any]], vocabulary: Mapping[str, Mapping[str, Term]]
) -> dict[str, Any]:
    """The search filters: years, and task and modality names, of the papers' metadata."""
    tasks = vocabulary.get("tasks", {})
    modalities = vocabulary.get("modalities", {})
    years: set[int] = set()
    used_tasks: dict[str, str] = {}
    used_modalities: dict[str, str] = {}
    for meta in papers:
        year = meta.get("year")
        if type(year) is int and year:
            years.add(year)
        used_tasks.update({t: tasks[t].title for t in _names(meta.get("tasks")) if t in tasks})
        used_modalities.update(
            {m: modalities[m].title for m in _names(meta.get("modalities")) if m in modalities}
        )
    return {
        "year": sorted(years, reverse=True),
        "task": dict(sorted(used_tasks.items(), key=lambda kv: kv[1])),
        "modality": dict(sorted(used_modalities.items(), key=lambda kv: kv[1])),
    }


def _names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class _Writer:
    def __init__(
        self,
        out_dir: Path,
        pages: Sequence[tuple[str, str]],
        part: Callable[[str], Part],
        facets: dict[str, Any],
        build: str,
        state: dict[str, Any],
    ) -> None:
        self.folder = out_dir / INDEX_DIR
        self.pages = pages
        self.part = part
        self.facets = facets
        self.build = build
        self.state = state
        self.slot = str(out_dir.resolve())
        self.written = 0
        self.live: set[str] = set()

    def run(self) -> str:
        memo = self._memo()
        plan = self._plan_overlay(memo) if memo else None
        if memo is None or plan is None:
            memo = self._write_base()
            overlay: list[int] = []
            dead: list[int] = []
        else:
            overlay, dead = plan
            self.live.update(n for n in memo["owned"] if not n.startswith("o-"))
        name = self._write_overlay(memo, overlay)
        manifest = {
            "v": VERSION,
            "build": self.build,
            "base": memo["base"],
            "buckets": memo["buckets"],
            "pages": len(memo["files"]),
            "block": BLOCK,
            "count": len(self.pages),
            "dead": dead,
            "overlay": name,
            "facets": self.facets,
        }
        self._put(MANIFEST, _json(manifest), memo)
        removed = self._remove_stale(memo, fresh=not plan)
        self._save(memo, changed=bool(self.written or removed or not plan))
        return (
            f"kb: search index {self.folder.parent.name}/{INDEX_DIR}: {len(self.pages)} pages, "
            f"{memo['buckets']} buckets, {len(overlay)} page(s) in the overlay, "
            f"{self.written} file(s) written"
        )

    # ---------- state ----------

    def _memo(self) -> dict[str, Any] | None:
        """What the last run wrote into this folder, if the folder still holds it."""
        memo = self.state.get("search", {}).get(self.slot)
        if not memo or memo.get("v") != VERSION:
            return None
        try:
            on_disk = json.loads((self.folder / MANIFEST).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(on_disk, dict) or on_disk.get("base") != memo["base"]:
            return None
        wanted = bucket_count(len(self.pages))
        if not wanted // 2 <= memo["buckets"] <= wanted * 2:
            return None  # the site grew or shrank a lot: a new base with fitting buckets
        return memo

    def _save(self, memo: dict[str, Any], changed: bool) -> None:
        """Keep this folder's memo in the state; mark the state dirty only if it changed
        (a build that wrote nothing leaves the cache file alone)."""
        slots = self.state.setdefault("search", {})
        if not changed and slots.get(self.slot) is memo:
            return
        slots.pop(self.slot, None)
        slots[self.slot] = memo
        while len(slots) > 4:  # kb publish writes to fresh folders: keep the recent ones
            slots.pop(next(iter(slots)))
        self.state["dirty"] = True

    # ---------- the base ----------

    def _write_base(self) -> dict[str, Any]:
        pages = self.pages
        count = bucket_count(len(pages))
        digest = hashlib.blake2b(f"{VERSION} {count}".encode(), digest_size=8)
        for file, key in pages:
            digest.update(f"{file}\0{key}\n".encode())
        base = digest.hexdigest()
        (self.folder.parent / _OLD_INDEX).unlink(missing_ok=True)
        memo: dict[str, Any] = {
            "v": VERSION,
            "base": base,
            "buckets": count,
            "files": [file for file, _ in pages],
            "keys": [key for _, key in pages],
            "owned": dict(self.state.get("search", {}).get(self.slot, {}).get("owned", {})),
        }
        header = base.encode() + b"\n"
        # Millions of small objects, none cyclic: the collector would only rescan them.
        collecting = gc.isenabled()
        gc.disable()
        try:
            parts = [self.part(file) for file, _ in pages]
            rows = [part[POSTINGS].split(b"|") for part in parts]
            columns = list(zip(*rows, strict=True)) if rows else [()] * BUCKETS
            del rows
        finally:
            if collecting:
                gc.enable()
        fold = BUCKETS // count
        for number in range(count):
            if fold == 1:
                lines = columns[number]
            else:  # a bucket of a small site gathers every count-th piece
                lines = map(b" ".join, zip(*columns[number::count], strict=True))
            data = header + b"\n".join(lines) + b"\n"
            if fold > 1:
                data = _SPACE_RUNS.sub(b"", data)
            self._put(f"i-{number}.txt", data, memo)
        for start in range(0, len(pages), BLOCK):
            records = b",".join(_display(part) for part in parts[start : start + BLOCK])
            data = b'{"base":"' + base.encode() + b'","pages":[' + records + b"]}"
            self._put(f"p-{start // BLOCK}.json", data, memo)
        return memo

    # ---------- the overlay ----------

    def _plan_overlay(self, memo: dict[str, Any]) -> tuple[list[int], list[int]] | None:
        """(positions in `pages` of the overlay, dead base pages), or None when it is time
        to write a new base."""
        files: list[str] = memo["files"]
        base = dict(zip(files, enumerate(memo["keys"]), strict=True))
        overlay: list[int] = []
        dead: list[int] = []
        size = 0
        for position, (file, key) in enumerate(self.pages):
            known = base.pop(file, None)
            if known is not None and known[1] == key:
                continue
            if known is not None:
                dead.append(known[0])
            overlay.append(position)
            size += len(self.part(file)[POSTINGS])
            if len(overlay) > OVERLAY_PAGES or size > OVERLAY_BYTES:
                return None
        dead.extend(number for number, _ in base.values())  # removed pages
        if len(dead) > OVERLAY_PAGES:
            return None
        return overlay, sorted(dead)

    def _write_overlay(self, memo: dict[str, Any], overlay: list[int]) -> str:
        if not overlay:
            return ""
        lines = []
        for position in overlay:
            part = self.part(self.pages[position][0])
            lines.append(_display(part))
            lines.append(part[POSTINGS])
        data = memo["base"].encode() + b"\n" + b"\n".join(lines) + b"\n"
        name = f"o-{hashlib.blake2b(data, digest_size=8).hexdigest()}.txt"
        self._put(name, data, memo)
        return name

    # ---------- facets, files ----------

    def _put(self, name: str, data: bytes, memo: dict[str, Any]) -> None:
        """Write one file of ours unless it already holds `data`."""
        digest = hashlib.blake2b(data, digest_size=12).hexdigest()
        owned: dict[str, str] = memo["owned"]
        path = self.folder / name
        self.live.add(name)
        if owned.get(name) == digest and path.is_file():
            return
        try:
            same = path.read_bytes() == data
        except OSError:
            same = False
        if not same:
            write_atomic(path, data)
            self.written += 1
        owned[name] = digest

    def _remove_stale(self, memo: dict[str, Any], fresh: bool) -> int:
        """Delete the files of ours this run did not write or keep: those the state
        records, and after a new base also any file in the folder named like ours (left
        by a run whose state is lost). Returns how many there were."""
        owned: dict[str, str] = memo["owned"]
        stale = set(owned) - self.live
        if fresh and self.folder.is_dir():
            stale |= {p.name for p in self.folder.iterdir() if _OWNED.fullmatch(p.name)}
        for name in sorted(stale - self.live):
            (self.folder / name).unlink(missing_ok=True)
            owned.pop(name, None)
        return len(stale - self.live)


def _display(part: Part) -> bytes:
    """A page's display record: [route, title, meta, [[anchor, heading], …]]."""
    record = [part[ROUTE], part[TITLE], part[META], [list(s) for s in part[SECTIONS]]]
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
