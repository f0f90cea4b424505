"""Count the work a call does, deterministically, to test linear time without a clock.

`measure(call, modules)` runs `call()` and returns units of work:

- every line of Python executed in kb's own code (`sys.settrace`), and in the packages named
  in `also` (PyYAML's constructor, for instance);
- for each call of a compiled regular expression held at module level by one of `modules`
  (directly, or in a dict, list or tuple there), the characters it read: a search reads up to
  its match or to the end; `finditer`, `findall`, `sub` and `split` read to the end; a match
  reads up to its end; a failed match reads as far as the engine got before failing, found
  with the `regex` module's partial matching (the longest window in which the pattern is
  still "possible");
- for a `Tracked` string, the characters that `find`, `rfind`, `index`, `rindex` and `count`
  were asked to look at.

Counts do not depend on the machine or its load. A pass that rescans the rest of the text from
each of n starts costs about n² units; a linear pass about n. `assert_linear` compares the work
at two sizes. `limit` stops runaway work (an alias bomb walked level by level) with
`WorkLimitExceeded`, a BaseException so that no `except Exception` in the code swallows it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import regex

KB_DIR = str(Path(__file__).resolve().parents[1] / "tools" / "kb")
_FLAGS = (
    (re.I, regex.I),
    (re.M, regex.M),
    (re.S, regex.S),
    (re.X, regex.X),
    (re.A, regex.A),
    (re.U, regex.U),
)


class WorkLimitExceeded(BaseException):
    """More work than the limit: the call is stopped where it is."""


class Meter:
    def __init__(self, limit: int | None) -> None:
        self.units = 0
        self.limit = limit

    def add(self, units: int) -> None:
        self.units += max(1, units)
        if self.limit is not None and self.units > self.limit:
            raise WorkLimitExceeded(f"more than {self.limit:,} units of work")


_meter: Meter | None = None


def _add(units: int) -> None:
    if _meter is not None:
        _meter.add(units)


class Tracked(str):
    """A string whose searches are counted (pass it as the text under test): `find` and
    `index` read from the start of the window to the end of what they found (or to the end of
    the window), `rfind` and `rindex` from the end of the window back; `count` reads it all."""

    def _window(self, start: Any, end: Any) -> tuple[int, int]:
        a, b, _ = slice(start, end).indices(len(self))
        return a, max(a, b)

    def find(self, sub: str, start: Any = None, end: Any = None) -> int:  # type: ignore[override]
        a, b = self._window(start, end)
        found = str.find(self, sub, start, end)
        _add((found + len(sub) if found >= 0 else b) - a)
        return found

    def rfind(self, sub: str, start: Any = None, end: Any = None) -> int:  # type: ignore[override]
        a, b = self._window(start, end)
        found = str.rfind(self, sub, start, end)
        _add(b - (found if found >= 0 else a))
        return found

    def index(self, sub: str, start: Any = None, end: Any = None) -> int:  # type: ignore[override]
        found = self.find(sub, start, end)
        if found < 0:
            raise ValueError("substring not found")
        return found

    def rindex(self, sub: str, start: Any = None, end: Any = None) -> int:  # type: ignore[override]
        found = self.rfind(sub, start, end)
        if found < 0:
            raise ValueError("substring not found")
        return found

    def count(self, sub: str, start: Any = None, end: Any = None) -> int:  # type: ignore[override]
        a, b = self._window(start, end)
        _add(b - a)
        return str.count(self, sub, start, end)


def _window(text: str, pos: int, endpos: int | None) -> tuple[int, int]:
    end = len(text) if endpos is None else max(0, min(endpos, len(text)))
    return max(0, min(pos, end)), end


class CountingPattern:
    """A compiled pattern whose calls count the characters they read."""

    def __init__(self, pattern: Any) -> None:
        self._pattern = pattern
        self._partial: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)

    def _scan(self, text: str, start: int, end: int) -> int:
        """What a scan over [start, end) reads (sub, findall, split): the engine tries a match
        at each position, and goes on after each match; a backtracking pattern may read to
        the end from every position it tries."""
        units, pos = 0, start
        while pos <= end:
            found = self._pattern.match(text, pos, end)
            if found is not None and found.end() > pos:
                units += found.end() - pos
                pos = found.end()
            else:
                units += self._reach(text, pos, end) if found is None else 1
                pos += 1
        return units

    def _compile_partial(self) -> Any:
        if self._partial is None:
            flags = 0
            for ours, theirs in _FLAGS:
                if self._pattern.flags & ours:
                    flags |= theirs
            pattern = self._pattern.pattern
            self._partial = regex.compile(pattern, flags) if isinstance(pattern, str) else False
        return self._partial

    def _reach(self, text: str, pos: int, end: int) -> int:
        """How far a failed match at `pos` read: the longest window [pos, e) in which the
        pattern can still match if the text went on (exponential, then binary search)."""
        partial = self._compile_partial()
        if not partial:
            return 1

        def possible(e: int) -> bool:
            return partial.match(text, pos, e, partial=True) is not None

        low, step = pos, 1
        while low + step <= end and possible(low + step):
            low += step
            step *= 2
        high = min(low + step, end + 1)  # not possible (or past the end)
        while high - low > 1:
            middle = (low + high) // 2
            if possible(middle):
                low = middle
            else:
                high = middle
        return low - pos + 1

    def match(self, text: str, pos: int = 0, endpos: int | None = None) -> Any:
        found = self._pattern.match(text, pos, *(() if endpos is None else (endpos,)))
        if _meter is not None:
            start, end = _window(text, pos, endpos)
            _add(found.end() - start if found else self._reach(text, start, end))
        return found

    def fullmatch(self, text: str, pos: int = 0, endpos: int | None = None) -> Any:
        found = self._pattern.fullmatch(text, pos, *(() if endpos is None else (endpos,)))
        if _meter is not None:
            start, end = _window(text, pos, endpos)
            _add(end - start if found else self._reach(text, start, end))
        return found

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> Any:
        found = self._pattern.search(text, pos, *(() if endpos is None else (endpos,)))
        start, end = _window(text, pos, endpos)
        _add((found.end() if found else end) - start)
        return found

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[Any]:
        start, end = _window(text, pos, endpos)
        _add(end - start)
        return self._pattern.finditer(text, pos, *(() if endpos is None else (endpos,)))

    def findall(self, text: str, pos: int = 0, endpos: int | None = None) -> list[Any]:
        start, end = _window(text, pos, endpos)
        _add(self._scan(text, start, end))
        return self._pattern.findall(text, pos, *(() if endpos is None else (endpos,)))

    def sub(self, repl: Any, text: str, count: int = 0) -> str:
        _add(self._scan(text, 0, len(text)))
        return self._pattern.sub(repl, text, count)

    def subn(self, repl: Any, text: str, count: int = 0) -> tuple[str, int]:
        _add(self._scan(text, 0, len(text)))
        return self._pattern.subn(repl, text, count)

    def split(self, text: str, maxsplit: int = 0) -> list[str]:
        _add(self._scan(text, 0, len(text)))
        return self._pattern.split(text, maxsplit)


def _is_pattern(value: object) -> bool:
    return isinstance(value, re.Pattern | regex.Pattern)


def _wrapped(value: object) -> object | None:
    """`value` with its patterns wrapped, or None when it holds none."""
    if _is_pattern(value):
        return CountingPattern(value)
    if isinstance(value, dict) and any(_is_pattern(v) for v in value.values()):
        return {k: CountingPattern(v) if _is_pattern(v) else v for k, v in value.items()}
    if isinstance(value, list | tuple) and any(_is_pattern(v) for v in value):
        items = [CountingPattern(v) if _is_pattern(v) else v for v in value]
        return type(value)(items)
    return None


_traced: tuple[str, ...] = (KB_DIR,)


def _tracer(frame: FrameType, event: str, arg: object) -> Any:
    if not frame.f_code.co_filename.startswith(_traced):
        return None
    return _line_tracer


def _line_tracer(frame: FrameType, event: str, arg: object) -> Any:
    if event == "line":
        _add(1)
    return _line_tracer


@contextmanager
def counting(
    modules: Iterable[ModuleType], limit: int | None = None, also: Iterable[ModuleType] = ()
) -> Iterator[Meter]:
    """Count while the block runs; `also`: packages whose Python lines count too."""
    global _meter, _traced
    meter = Meter(limit)
    traced = _traced
    saved: list[tuple[ModuleType, str, object]] = []
    for module in modules:
        for name, value in list(vars(module).items()):
            wrapped = _wrapped(value)
            if wrapped is not None:
                saved.append((module, name, value))
                setattr(module, name, wrapped)
    _meter = meter
    _traced = (KB_DIR, *(str(Path(package.__file__).parent) for package in also))
    previous = sys.gettrace()
    sys.settrace(_tracer)
    try:
        yield meter
    finally:
        sys.settrace(previous)
        _meter, _traced = None, traced
        for module, name, value in saved:
            setattr(module, name, value)


def measure(
    call: Callable[[], object],
    modules: Iterable[ModuleType],
    limit: int | None = None,
    also: Iterable[ModuleType] = (),
) -> int:
    """Units of work of `call()` (see the module docstring); WorkLimitExceeded past `limit`."""
    with counting(modules, limit, also) as meter:
        call()
    return meter.units


def assert_work_below(
    call: Callable[[], object],
    modules: Iterable[ModuleType],
    limit: int,
    also: Iterable[ModuleType] = (),
) -> int:
    """`call()` does at most `limit` units of work; runaway work is stopped at the limit."""
    try:
        return measure(call, modules, limit, also)
    except WorkLimitExceeded as exc:
        raise AssertionError(f"the call did {exc}") from None


def assert_linear(
    run: Callable[[str], object],
    make: Callable[[int], str],
    n: int,
    modules: Iterable[ModuleType],
    *,
    factor: float = 2.5,
) -> tuple[int, int]:
    """Doubling the input (`make(n)` → `make(2 * n)`, passed as `Tracked` strings) multiplies
    the work by at most `factor`. A linear pass gives at most 2 (counts are exact, so there is
    no noise to allow for); a pass that rescans the rest of the input from each of n starts
    gives about 4 once its n² term dominates; the large run is stopped as soon as it passes
    the factor."""
    modules = list(modules)
    small = measure(lambda: run(Tracked(make(n))), modules)
    limit = int(factor * small)
    try:
        large = measure(lambda: run(Tracked(make(2 * n))), modules, limit)
    except WorkLimitExceeded:
        raise AssertionError(
            f"doubling the input multiplied the work by more than {factor} "
            f"({small:,} units at n={n:,}, more than {limit:,} at n={2 * n:,})"
        ) from None
    return small, large
