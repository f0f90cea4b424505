"""`kb new`: start a paper page from the template, never overwriting a file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from kb.config import ConfigError, Settings
from kb.render.tables import environment

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def new_paper(settings: Settings, slug: str, *, title: str = "", category: str = "") -> Path:
    """Create `docs/papers/<slug>.md`; raises ConfigError when the name is bad or taken."""
    if not _SLUG.match(slug):
        raise ConfigError(
            f"page name {slug!r}: use lowercase kebab-case such as 'bello-2019-4dsurvival'"
        )
    path = settings.docs_path / "papers" / f"{slug}.md"
    if path.exists():
        raise ConfigError(f"{path.relative_to(settings.root)} already exists; choose another name")
    text = (
        environment()
        .get_template("paper_page.md.j2")
        .render(slug=slug, title=title, category=category, added=dt.date.today().isoformat())
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
        handle.write(text)
    return path
