"""`kb new`: start a paper page from the template, or from its DOI or arXiv identifier, never
overwriting a file and never adding a paper the site already has."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from kb.config import ConfigError, Settings
from kb.errors import UserError
from kb.render.tables import environment
from kb.schema import vocabulary_hint
from kb.sources import PaperRecord, normalize_arxiv, normalize_doi

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_WORD = re.compile(r"[a-z0-9]+")
_MINOR = frozenset("a an and as at by for from in into of on or the to using via with".split())
"""Words a short title leaves out."""


def new_paper(
    settings: Settings,
    slug: str = "",
    *,
    title: str = "",
    category: str = "",
    tasks: Sequence[str] = (),
    modalities: Sequence[str] = (),
    areas: Sequence[str] = (),
    record: PaperRecord | None = None,
) -> Path:
    """Create `docs/papers/<slug>.md` (the slug derived from `record` when not given);
    raises ConfigError when a name, a vocabulary term or the paper itself is not new."""
    vocabulary = _vocabulary(settings)
    for kind, values in (
        ("categories", [category] if category else []),
        ("tasks", tasks),
        ("modalities", modalities),
        ("areas", areas),
    ):
        _check_terms(vocabulary, kind, values)
    if record is not None:
        refuse_known(settings, record)
        slug = slug or derive_slug(record)
    if not _SLUG.match(slug):
        raise ConfigError(
            f"page name {slug!r}: use lowercase kebab-case such as 'bello-2019-4dsurvival'"
        )
    path = settings.docs_path / "papers" / f"{slug}.md"
    if path.exists():
        raise ConfigError(f"{path.relative_to(settings.root)} already exists; choose another name")
    fields = {
        "title": record.title if record else title,
        "authors": record.authors if record else (),
        "year": record.year if record else "",
        "venue": record.venue if record else "",
        "doi": record.doi if record else "",
        "arxiv": record.arxiv if record else "",
        "url": record.url if record and not record.doi and not record.arxiv else "",
    }
    text = (
        environment()
        .get_template("paper_page.md.j2")
        .render(
            slug=slug,
            category=category,
            tasks=list(tasks),
            modalities=list(modalities),
            areas=list(areas),
            added=dt.date.today().isoformat(),
            **fields,
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
        handle.write(text)
    return path


def derive_slug(record: PaperRecord) -> str:
    """`<first author's family name>-<year>-<short title>`, ASCII kebab-case: the same record
    always gives the same name."""
    surname = _ascii(record.authors[0].split()[-1]) if record.authors else "anon"
    words = [w for w in _WORD.findall(_ascii(record.title)) if w not in _MINOR][:3]
    parts = [*_WORD.findall(surname)[:1], str(record.year), *words]
    return "-".join(p for p in parts if p) or "paper"


def _ascii(text: str) -> str:
    """Lower-case ASCII: accents dropped (`Müller` → `muller`), other scripts dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _vocabulary(settings: Settings) -> dict[str, dict[str, object]]:
    from kb.vocabulary import load_vocabulary  # noqa: PLC0415

    vocabulary, _ = load_vocabulary(settings.path(settings.vocabulary), settings.vocabulary)
    return vocabulary  # type: ignore[return-value]


def _check_terms(
    vocabulary: dict[str, dict[str, object]], kind: str, values: Sequence[str]
) -> None:
    known = vocabulary.get(kind, {})
    for value in values:
        if value not in known:
            hint = vocabulary_hint(value, known, kind)
            raise ConfigError(f"{value!r} is not in the vocabulary's {kind}; {hint}")


def refuse_known(settings: Settings, record: PaperRecord) -> None:
    """A paper already on the site (same DOI, arXiv ID or normalised title) is refused."""
    from kb.checks.duplicates import normalize_title  # noqa: PLC0415
    from kb.site import load_site  # noqa: PLC0415

    site = load_site(settings)
    facts = site.facts()
    wanted = {
        ("doi", record.doi.lower()) if record.doi else None,
        ("arxiv", record.arxiv) if record.arxiv else None,
        ("title", normalize_title(record.title)) if record.title else None,
    } - {None}
    for file, info in sorted(site.infos.items()):
        if info.page_type != "paper":
            continue
        have = facts[file]
        keys = {("title", normalize_title(str(have.get("title") or "")))}
        if isinstance(have.get("doi"), str) and have["doi"].strip():
            keys.add(("doi", _doi_key(have["doi"])))
        if isinstance(have.get("arxiv"), str) and have["arxiv"].strip():
            keys.add(("arxiv", _arxiv_key(have["arxiv"])))
        same = wanted & keys
        if same:
            kind = sorted(same)[0][0]
            raise ConfigError(f"this paper is already on the site (same {kind}): {file}")


def _doi_key(value: str) -> str:
    try:
        return normalize_doi(value).lower()
    except UserError:
        return value.strip().lower()


def _arxiv_key(value: str) -> str:
    try:
        return normalize_arxiv(value)
    except UserError:
        return value.strip()
