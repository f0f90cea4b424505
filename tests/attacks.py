"""The attack corpus (tests/attacks/corpus.yaml) and the site built from it.

Every payload is one page of a throwaway site, written the way a stranger's pull request
would write it. Both walls are tested on the same site: `kb check` must name each payload's
line (tests/test_attacks.py), and the browser, served by `kb serve`, must neither run it nor
let it navigate or restyle the site (tests/browser/test_attacks.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import make_site

CORPUS = Path(__file__).parent / "attacks" / "corpus.yaml"
SECTION = "docs/attacks"
FRONT = "---\ntype: note\ntitle: 攻击样本 {number}\n---\n# 攻击样本\n\n"
CLASSES = {
    "script": "a script element runs",
    "handler": "an event handler attribute runs",
    "url": "a javascript:, data: or off-site URL",
    "frame": "an iframe, srcdoc, object or embed",
    "navigation": "the reader is sent elsewhere with no click (meta refresh, base, forms)",
    "style": "the site is restyled or covered (style, link, classes, ids)",
    "differential": "hidden from a checker by how HTML is parsed (comments, raw text, namespaces)",
    "obfuscation": "entities, whitespace and case that change how a string reads",
    "docsify": "docsify's own link options and embeds (:include, :type=iframe, :class …)",
    "front-matter": "metadata that other pages, the sidebar or tables show",
    "file": "a file published next to the pages (html, svg, js, css …)",
}
"""Classes of payloads, for the report of what each wall caught."""


@dataclass(frozen=True)
class Payload:
    id: str
    kind: str
    about: str
    page: str
    """The page file exactly as written (front matter included)."""
    at: str
    """kb check must report an error on the first line of the page holding this text."""
    codes: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)
    csp: bool = False
    """The CSP alone (no sanitizer) must stop it too."""

    @property
    def file(self) -> str:
        return f"{SECTION}/{self.id}.md"

    @property
    def route(self) -> str:
        return f"/{SECTION}/{self.id}"

    @property
    def line(self) -> int:
        """Counted as kb counts lines: LF, CRLF and a lone CR each end one."""
        for number, text in enumerate(re.split(r"\r\n|\r|\n", self.page), start=1):
            if self.at in text:
                return number
        raise ValueError(f"{self.id}: 'at' text {self.at!r} is not in the page")


def load_corpus() -> list[Payload]:
    entries: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    payloads = []
    for number, entry in enumerate(entries, start=1):
        page = entry["page"]
        if not page.startswith("---"):
            page = FRONT.format(number=number) + page
        payloads.append(
            Payload(
                id=entry["id"],
                kind=entry["class"],
                about=entry["about"],
                page=page,
                at=entry["at"],
                codes=tuple(entry.get("codes", ())),
                files=dict(entry.get("files", {})),
                csp=bool(entry.get("csp", False)),
            )
        )
    return payloads


BENIGN = {
    f"{SECTION}/_section.yaml": "title: 攻击样本\norder: 1\n",
    "docs/README.md": (
        "---\ntype: guide\ntitle: 首页\n---\n# 首页\n\n正常的首页，有公式 $E=mc^2$。\n"
    ),
    "docs/notes/_section.yaml": "title: 笔记\norder: 2\n",
    "docs/notes/normal.md": (
        "---\ntype: note\ntitle: 正常的笔记\n---\n# 正常的笔记\n\n## 小节\n\n"
        "正文与公式 $\\frac{a}{b}$，表格：\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```python\nprint('ok')\n```\n"
    ),
}


def build_attack_site(tmp_path: Path, payloads: list[Payload]) -> Path:
    """A site holding every payload page and the files they bring."""
    files: dict[str, str | bytes] = dict(BENIGN)
    for payload in payloads:
        files[payload.file] = payload.page
        files.update(payload.files)
    return make_site(
        tmp_path,
        files,
        kb_toml='iframe_hosts = ["player.bilibili.com"]\n',
        name="attack-site",
    )
