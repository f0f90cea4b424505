"""Every worked example on a note is executable: each ```python block on a page under
docs/notes/ is followed by "输出：" and a ```text block, and running the code prints exactly
that text. A number changed in the code, or in the output the page shows, fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

NOTES = sorted((REPO / "docs" / "notes").glob("*.md"))
_BLOCK = re.compile(
    r"^```python\n(?P<code>.*?)^```\n\n输出：\n\n```text\n(?P<out>.*?)^```$", re.M | re.S
)
_PYTHON = re.compile(r"^```python$", re.M)


def _examples() -> list[tuple[str, int, str, str]]:
    found = []
    for page in NOTES:
        text = page.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((page.name, line, match.group("code"), match.group("out")))
    return found


EXAMPLES = _examples()


def test_every_python_block_on_a_note_shows_its_output() -> None:
    for page in NOTES:
        text = page.read_text(encoding="utf-8")
        blocks = len(_PYTHON.findall(text))
        checked = len(_BLOCK.findall(text))
        assert blocks == checked, f"{page.name}: a ```python block without its 输出 block"
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize(
    ("page", "line", "code", "expected"), EXAMPLES, ids=[f"{e[0]}:{e[1]}" for e in EXAMPLES]
)
def test_the_code_prints_what_the_page_says(
    page: str, line: int, code: str, expected: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-I", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 0, f"{page}:{line}: {done.stderr}"
    assert done.stdout == expected, f"{page}:{line}: the page shows other numbers"
