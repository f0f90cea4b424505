"""collect: every external http(s) URL of the site, with where it occurs, normalised."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from kb.collect import find_files
from kb.config import Settings, read_limit
from kb.frontmatter import normalize_text, split_front_matter
from kb.markdown import external_links
from kb.writer import read_regular
from kb.yamlio import parse_yaml, read_yaml_file

_SAFE = "/:?#[]@!$&'()*+,;=%~-._"
"""Characters kept as they are when a URL is percent-encoded (RFC 3986 reserved + %)."""


@dataclass(frozen=True, order=True)
class Occurrence:
    """One place a URL is written."""

    file: str
    line: int
    column: int
    url: str
    """Normalised URL without the fragment: what is fetched, and the cache key."""
    fragment: str = ""
    written: str = ""
    """The URL as the page writes it."""
    invalid: bool = False
    """Looks like an http(s) URL but cannot be fetched (no host, bad port, credentials)."""


def normalize_url(raw: str) -> tuple[str, str] | None:
    """(URL to fetch, fragment) or None when it is not an http(s) URL that can be fetched.

    Scheme and host are lower-cased (the host IDNA-encoded), default ports and empty
    paths made canonical, spaces and non-ASCII characters percent-encoded: two spellings
    of one resource are checked once.
    """
    text = raw.strip()
    if text.startswith("//"):
        text = "https:" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != (443 if scheme == "https" else 80):
        host = f"{host}:{port}"
    if parts.username or parts.password:
        return None  # credentials in a public page are a mistake; never send them
    path = quote(parts.path or "/", safe=_SAFE)
    query = quote(parts.query, safe=_SAFE)
    return urlunsplit((scheme, host, path, query, "")), parts.fragment


_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
_ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})
_ARXIV_PAGE = re.compile(r"/(?:abs|pdf)/(.+?)(?:\.pdf)?/?")
_PUBMED_OLD = re.compile(r"/pubmed/(\d+)/?")


def canonical_url(url: str) -> str:
    """One spelling for the identifiers a paper list is full of, so each is checked once:
    `dx.doi.org`, `http://doi.org` → `https://doi.org/<doi>` (the DOI lower-cased: DOIs
    are case-insensitive); arXiv's `/pdf/<id>`, `/pdf/<id>.pdf` and `export.`/`www.` hosts
    → `https://arxiv.org/abs/<id>` (a version, `v2`, is kept: a version that does not exist
    is a broken link); `www.ncbi.nlm.nih.gov/pubmed/<pmid>` →
    `https://pubmed.ncbi.nlm.nih.gov/<pmid>/`. `url` is a `normalize_url` result."""
    parts = urlsplit(url)
    host = parts.netloc
    if host in _DOI_HOSTS and len(parts.path) > 1 and not parts.query:
        return "https://doi.org" + parts.path.lower()
    if host in _ARXIV_HOSTS and not parts.query:
        page = _ARXIV_PAGE.fullmatch(parts.path)
        if page:
            return f"https://arxiv.org/abs/{page.group(1)}"
    if host == "www.ncbi.nlm.nih.gov" and not parts.query:
        pubmed = _PUBMED_OLD.fullmatch(parts.path)
        if pubmed:
            return f"https://pubmed.ncbi.nlm.nih.gov/{pubmed.group(1)}/"
    return url


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


def collect(settings: Settings) -> list[Occurrence]:
    """Pages, the sidebar and the YAML data files, in file order."""
    pages, _, _ = find_files(settings)
    found: list[Occurrence] = []
    navigation = [settings.sidebar] if settings.sidebar and settings.sidebar not in pages else []
    for file in [*pages, *navigation]:
        limit = read_limit(settings.max_page_kb, file)
        raw = read_regular(str(settings.path(file)), limit)
        if len(raw) <= limit:  # a larger page is MD504 and not read
            found.extend(_from_page(file, raw))
    data_dir = settings.path(settings.data_dir)
    data_files = sorted(data_dir.glob("*.yaml")) if settings.data_dir and data_dir.is_dir() else []
    for path in data_files:
        file = path.relative_to(settings.root).as_posix()
        text, _ = read_yaml_file(path, file)
        if text is not None:  # kb check reports why it is not read
            found.extend(_from_yaml(file, text, 1))
    return found


def _from_page(file: str, raw: bytes) -> Iterator[Occurrence]:
    try:
        text = normalize_text(raw)
    except UnicodeDecodeError:
        return  # `kb check` reports undecodable pages
    front, _ = split_front_matter(text, file)
    if front.doc is not None:
        yield from _walk(file, front.doc.data, (), front.doc.line)
    for link in external_links(front.body, front.body_line):
        yield from _occurrence(file, link.line, link.column, link.target)


def _from_yaml(file: str, text: str, first_line: int) -> Iterator[Occurrence]:
    doc, _ = parse_yaml(text, file, first_line)
    if doc is not None:
        yield from _walk(file, doc.data, (), doc.line)


def _walk(file: str, data: Any, path: tuple[str | int, ...], line_of: Any) -> Iterator[Occurrence]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(file, value, (*path, str(key)), line_of)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk(file, value, (*path, index), line_of)
    elif isinstance(data, str) and "://" in data:
        value = data.strip()
        if value.lower().startswith(("http://", "https://")) and not any(
            c.isspace() for c in value
        ):
            yield from _occurrence(file, line_of(*path), 0, value)
        else:  # prose with URLs in it, e.g. a description
            for link in external_links(value):
                yield from _occurrence(file, line_of(*path), 0, link.target)


def _occurrence(file: str, line: int, column: int, written: str) -> Iterator[Occurrence]:
    normal = normalize_url(written)
    if normal is None:
        yield Occurrence(file, line, column, written, "", written, invalid=True)
    else:
        yield Occurrence(file, line, column, canonical_url(normal[0]), normal[1], written)
