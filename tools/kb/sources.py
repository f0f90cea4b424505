"""sources: a paper's record from its identifier, from Crossref (DOI) or arXiv (arXiv ID).

`[tool.kb.sources]` sets the services' base URLs (tests point them at loopback), the
`mailto` Crossref asks polite clients to send, and the timeout. Every failure (offline, an
unknown identifier, an HTTP error, a rate limit, a timeout, a record that is malformed or
lacks a title, authors or a date) is one `SourceError` whose message says what to do.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from kb import __version__
from kb.errors import UserError
from kb.options import non_empty_string, read_table


@dataclass(frozen=True)
class SourceSettings:
    crossref: str = "https://api.crossref.org"
    """Crossref REST API; a work is `{crossref}/works/{doi}`."""
    arxiv: str = "https://export.arxiv.org/api/query"
    """arXiv API; a paper is `{arxiv}?id_list={id}`."""
    mailto: str = ""
    """An address Crossref may write to about our requests (its "polite" pool)."""
    timeout: float = 10.0


def parse_source_settings(value: Any, where: str) -> SourceSettings:
    """Validate `[tool.kb.sources]`; raises ConfigError naming the key."""
    if value is None:
        return SourceSettings()
    rules = {"crossref": non_empty_string, "arxiv": non_empty_string}
    return SourceSettings(
        **read_table(SourceSettings, value, where, rules=rules, positive={"timeout"})
    )


@dataclass(frozen=True)
class PaperRecord:
    """What a paper page's front matter takes from its identifier."""

    title: str
    authors: tuple[str, ...]
    """In the order the paper lists them, "Given Family"."""
    year: int
    venue: str
    doi: str = ""
    arxiv: str = ""
    url: str = ""


class SourceError(UserError):
    """The record could not be had; the message names why and what to do."""


_DOI = re.compile(r"10\.\d{4,9}/\S+")
_ARXIV_NEW = re.compile(r"\d{4}\.\d{4,5}")
_ARXIV_OLD = re.compile(r"[a-z-]+(?:\.[A-Z]{2})?/\d{7}")
_VERSION = re.compile(r"v\d+$")
_TAG = re.compile(r"<[^>]+>")
_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV_NS = "{http://arxiv.org/schemas/atom}"
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)
_ARXIV_PREFIX = re.compile(
    r"^(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:\s*)", re.I
)


def normalize_doi(text: str) -> str:
    """`https://doi.org/10.1/X`, `doi:10.1/X`, `10.1/X` → `10.1/X`; raises SourceError."""
    value = text.strip()
    value = _DOI_PREFIX.sub("", value)
    value = urllib.parse.unquote(value)
    if not _DOI.fullmatch(value):
        raise SourceError(f"{text!r} is not a DOI: expected 10.<registrant>/<suffix>")
    return value


def normalize_arxiv(text: str) -> str:
    """`arXiv:1810.03382v2`, `https://arxiv.org/abs/1810.03382` → `1810.03382` (the paper,
    not one version); raises SourceError."""
    value = text.strip()
    value = _ARXIV_PREFIX.sub("", value)
    value = _VERSION.sub("", value.removesuffix(".pdf"))
    if not (_ARXIV_NEW.fullmatch(value) or _ARXIV_OLD.fullmatch(value)):
        raise SourceError(f"{text!r} is not an arXiv identifier: expected e.g. 1810.03382")
    return value


def fetch_crossref(doi: str, settings: SourceSettings) -> PaperRecord:
    """The Crossref record of `doi` (normalised first)."""
    doi = normalize_doi(doi)
    url = f"{settings.crossref.rstrip('/')}/works/{urllib.parse.quote(doi, safe='/')}"
    return parse_crossref(_get(url, settings, f"DOI {doi}", "Crossref"), doi)


def fetch_arxiv(arxiv_id: str, settings: SourceSettings) -> PaperRecord:
    """The arXiv record of `arxiv_id` (normalised first)."""
    arxiv_id = normalize_arxiv(arxiv_id)
    url = f"{settings.arxiv}?{urllib.parse.urlencode({'id_list': arxiv_id})}"
    return parse_arxiv(_get(url, settings, f"arXiv {arxiv_id}", "arXiv"), arxiv_id)


def user_agent(settings: SourceSettings) -> str:
    contact = f"; mailto:{settings.mailto}" if settings.mailto else ""
    return f"medai-kb/{__version__} (MedAI Notes knowledge base{contact})"


def _get(url: str, settings: SourceSettings, what: str, service: str) -> bytes:
    # Imported here: every command reads the settings above, few fetch (http.client and
    # its kin cost ~30 ms to import, on every `kb build`).
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    request = urllib.request.Request(url, headers={"User-Agent": user_agent(settings)})
    silent = f"{service} did not answer within {settings.timeout:g} s: try again later"
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout) as response:
            return bytes(response.read(4 << 20))
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 404:
            raise SourceError(f"{service} does not know {what}: check the identifier") from None
        if exc.code == 429:
            wait = exc.headers.get("Retry-After", "")
            after = f" (it asks to wait {wait} s)" if wait else ""
            raise SourceError(f"{service} is limiting our requests{after}: try later") from None
        raise SourceError(f"{service} answered {exc.code} for {what}: try again later") from None
    except TimeoutError:
        raise SourceError(silent) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise SourceError(silent) from None
        raise SourceError(f"cannot reach {service} ({exc.reason}): are you online?") from None
    except OSError as exc:
        raise SourceError(f"cannot reach {service} ({exc}): are you online?") from None


def _text(value: str) -> str:
    """Markup-free, single-spaced text (Crossref titles may hold JATS/HTML tags)."""
    return " ".join(html.unescape(_TAG.sub("", value)).split())


def parse_crossref(payload: bytes, doi: str) -> PaperRecord:
    """A `/works/{doi}` response (`message-type: work`) → PaperRecord; raises SourceError."""
    try:
        data = json.loads(payload)
        work = data["message"]
        if data.get("message-type") != "work" or not isinstance(work, dict):
            raise ValueError("not a work")
    except (ValueError, KeyError, TypeError):
        raise SourceError(f"Crossref's answer for DOI {doi} is not a work record") from None
    title = _text(_first(work.get("title")))
    authors = tuple(_crossref_author(a) for a in work.get("author") or [] if isinstance(a, dict))
    authors = tuple(a for a in authors if a)
    year = _crossref_year(work)
    _require(title, authors, year, f"Crossref's record of DOI {doi}")
    venue = _text(_first(work.get("container-title"))) or _text(str(work.get("publisher") or ""))
    return PaperRecord(
        title,
        authors,
        year,
        venue,
        doi=str(work.get("DOI") or doi),
        url=str(work.get("URL") or f"https://doi.org/{doi}"),
    )


def _require(title: str, authors: tuple[str, ...], year: int, record: str) -> None:
    missing = [n for n, v in (("title", title), ("authors", authors), ("date", year)) if not v]
    if missing:
        raise SourceError(
            f"{record} has no {', '.join(missing)}: "
            "create the page with `kb new SLUG --title …` and fill it in by hand"
        )


def _first(value: Any) -> str:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    return value if isinstance(value, str) else ""


def _crossref_author(author: dict[str, Any]) -> str:
    if isinstance(author.get("name"), str):  # an organisation
        return _text(author["name"])
    parts = [author.get("given"), author.get("family")]
    return _text(" ".join(p for p in parts if isinstance(p, str)))


def _crossref_year(work: dict[str, Any]) -> int:
    for key in ("published-print", "published-online", "published", "issued"):
        parts = (work.get(key) or {}).get("date-parts") if isinstance(work.get(key), dict) else None
        if parts and isinstance(parts[0], list) and parts[0] and isinstance(parts[0][0], int):
            return parts[0][0]
    return 0


def parse_arxiv(payload: bytes, arxiv_id: str) -> PaperRecord:
    """An arXiv API Atom feed with one entry → PaperRecord; raises SourceError."""
    import xml.etree.ElementTree as ET  # noqa: PLC0415, N817 - only `--arxiv` reads Atom

    try:
        feed = ET.fromstring(payload)
    except ET.ParseError:
        raise SourceError(f"arXiv's answer for {arxiv_id} is not an Atom feed") from None
    entry = feed.find(f"{_ATOM}entry")
    # An unknown identifier comes back as a feed with no entry, or an entry titled "Error".
    if entry is None or (entry.findtext(f"{_ATOM}title") or "").strip() == "Error":
        raise SourceError(f"arXiv does not know {arxiv_id}: check the identifier")
    title = _text(entry.findtext(f"{_ATOM}title") or "")
    authors = tuple(
        _text(a.findtext(f"{_ATOM}name") or "") for a in entry.findall(f"{_ATOM}author")
    )
    authors = tuple(a for a in authors if a)
    published = (entry.findtext(f"{_ATOM}published") or "").strip()
    year = int(published[:4]) if published[:4].isdigit() else 0
    _require(title, authors, year, f"arXiv's record of {arxiv_id}")
    journal = _text(entry.findtext(f"{_ARXIV_NS}journal_ref") or "")
    doi = (entry.findtext(f"{_ARXIV_NS}doi") or "").strip()
    return PaperRecord(
        title,
        authors,
        year,
        journal or "arXiv preprint",
        doi=doi,
        arxiv=arxiv_id,
        url=f"https://arxiv.org/abs/{arxiv_id}",
    )
