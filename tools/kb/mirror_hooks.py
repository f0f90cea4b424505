"""MkDocs hooks of the static mirror (`kb export`, see kb.mirror), named in its mkdocs.yml.

They carry what docsify does into the MkDocs build, using kb's own model of the site
(`kb-mirror.json`, written by kb.mirror.stage), and report back what they could not do
(`kb-mirror-report.json`):

- every heading gets the id docsify 5 gives it (docsify keeps Chinese characters and
  full-width punctuation that MkDocs' slug functions drop, and numbers repeats `-1`);
- every link and image goes where docsify sends it (routes, `?id=`, folder links, raw HTML
  URLs, which docsify reads against the site root), as a path MkDocs then checks;
- the rendered page is sanitized with nh3 against the site's HTML allow-list
  (tools/kb/data/html-policy.json), the list the docsify site's DOMPurify wall uses;
- every HTML file gets a Content-Security-Policy with the hashes of the theme's inline
  scripts, and every page a link back to itself on the docsify site.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import posixpath
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from xml.etree.ElementTree import Element

import nh3
from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor

from kb.markdown import Link
from kb.policy import load_policy
from kb.routes import DocsifyRules, resolve_image, resolve_links
from kb.slugify import Slugger

STATE: dict[str, Any] = {}
"""This build's data (kb-mirror.json), the page being rendered, and the report."""

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_URL_ATTR = re.compile(r"""(\s(?:href|src)\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I)
_TAG = re.compile(r"<[A-Za-z][^>]*>")
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)([^>]*)>(.*?)</script>", re.S | re.I)
_HEAD = re.compile(r"<head[^>]*>", re.I)
_EMPTY_FRAME = re.compile(r"<iframe(?![^>]*\ssrc=)[^>]*>.*?</iframe>", re.S)
_ID = re.compile(r"""\sid=(?:"([^"]*)"|'([^']*)')""")
MIRROR_CLASSES = frozenset(
    {
        "arithmatex",
        "headerlink",
        "highlight",
        "highlighttable",
        "linenos",
        "linenodiv",
        "filename",
        "magiclink",
        "task-list",
        "task-list-item",
        "task-list-control",
        "task-list-indicator",
        "footnote",
        "footnote-ref",
        "footnote-backref",
        "md-tag",
        "md-tags",
    }
)
"""Classes the mirror's Markdown extensions write (pygments' token classes are added)."""


# --- MkDocs events -------------------------------------------------------------------------


def on_config(config: Any) -> Any:
    folder = Path(config.config_file_path).parent
    data = json.loads((folder / "kb-mirror.json").read_text(encoding="utf-8"))
    rules = data.get("rules")
    STATE.clear()
    STATE.update(
        data=data,
        rules=DocsifyRules(*rules) if rules else None,
        by_file={page["file"]: src for src, page in data["pages"].items()},
        page=None,
        ids={},
        removed={},
        sanitizer=Sanitizer(data.get("iframe_hosts", [])),
    )
    config.markdown_extensions.append(DocsifyExtension())
    return config


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    STATE["page"] = page.file.src_uri
    return markdown


def on_page_content(content: str, page: Any, **_: Any) -> str:
    src = page.file.src_uri
    info = STATE["data"]["pages"].get(src)
    if STATE["data"].get("sanitize", True):
        clean, removed = STATE["sanitizer"].clean(content)
    else:
        clean, removed = content, []
    if info is None:
        return clean
    present = {html.unescape(a or b) for a, b in _ID.findall(clean)}
    missing = [slug for slug in info["ids"] if slug not in present]
    if missing:
        STATE["ids"][info["file"]] = missing
    if removed:
        STATE["removed"][info["file"]] = removed
    back = _docsify_link(page.url, info["route"])
    note = f'<p class="kb-mirror-source"><a href="{html.escape(back)}">在交互版中打开本页</a></p>'
    return clean + note


def on_page_context(context: dict[str, Any], page: Any, **_: Any) -> dict[str, Any]:
    info = STATE["data"]["pages"].get(page.file.src_uri)
    template = STATE["data"].get("edit_url", "")
    if info is not None and template:
        page.edit_url = template.replace("{path}", quote(info["file"]))
    elif info is None:
        page.edit_url = None
    return context


def on_post_page(output: str, page: Any, **_: Any) -> str:
    # (no <link rel="alternate"> back to docsify: Material reads those as language versions
    # and fetches a sitemap.xml beside each; the page links back in its content)
    return with_csp(output, STATE["data"].get("iframe_hosts", []), page.content or "")


def on_post_template(output: str, template_name: str, **_: Any) -> str:
    if template_name.endswith(".html"):
        return with_csp(output, STATE["data"].get("iframe_hosts", []))
    return output


def on_post_build(**_: Any) -> None:
    report = {"ids": STATE["ids"], "removed": STATE["removed"]}
    Path(STATE["data"]["report"]).write_text(json.dumps(report, ensure_ascii=False), "utf-8")


# --- ids and links -------------------------------------------------------------------------


class DocsifyExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Python-Markdown's API
        # after attr_list (8), before toc (5) assigns its own ids and MkDocs (0) checks links
        md.treeprocessors.register(DocsifyTreeprocessor(md), "kb_docsify", 6)
        # before the stash of raw HTML (30) goes back into the page
        md.postprocessors.register(RawHtmlUrls(md), "kb_raw_urls", 35)


class DocsifyTreeprocessor(Treeprocessor):
    def run(self, root: Element) -> None:
        info = STATE["data"]["pages"].get(STATE["page"] or "")
        if info is None:
            return
        headings = [el for el in root.iter() if el.tag in _HEADINGS]
        ids = info["ids"]
        if len(headings) != len(ids):  # Python-Markdown read the page otherwise: compute
            slugger = Slugger()
            ids = [slugger.slug("".join(el.itertext())) for el in headings]
        for element, slug in zip(headings, ids, strict=True):
            element.set("id", slug)
        for element in root.iter("a"):
            href = element.get("href")
            if href is not None:
                element.set("href", markdown_url(info, href, "link"))
        for element in root.iter("img"):
            src = element.get("src")
            if src is not None:
                element.set("src", markdown_url(info, src, "image"))


class RawHtmlUrls(Postprocessor):
    """URLs in raw HTML: docsify leaves them to the browser, which reads them against the
    site's root; the mirror's pages live elsewhere, so they are rewritten to the file."""

    def run(self, text: str) -> str:
        info = STATE["data"]["pages"].get(STATE["page"] or "")
        if info is not None:
            stash = self.md.htmlStash.rawHtmlBlocks
            for index, block in enumerate(stash):
                stash[index] = _TAG.sub(lambda m: _rewrite_tag(info, m.group(0)), block)
        return text


def _rewrite_tag(info: dict[str, Any], tag: str) -> str:
    name = tag[1:].split(None, 1)[0].split(">")[0].lower()

    def replace(match: re.Match[str]) -> str:
        value = html.unescape(match.group(2) or match.group(3) or match.group(4) or "")
        attr = match.group(1).strip().split("=")[0].strip().lower()
        kind = f"html:{name}:{attr}"
        url = html_url(info, value, kind)
        return f'{match.group(1)}"{html.escape(url)}"'

    return _URL_ATTR.sub(replace, tag)


def _target(info: dict[str, Any], url: str, kind: str) -> tuple[str, str] | None:
    """(the repo file a docsify link or image goes to, its anchor), or None: leave it."""
    rules = STATE["rules"]
    if kind == "image" or kind in ("html:img:src", "html:source:src", "html:video:poster"):
        found = resolve_image(info["file"], url, kind, rules)
        return (found, "") if found else None
    resolved = resolve_links(info["file"], [Link(0, 0, url, kind)], rules)[0]
    if resolved is None or not resolved[0] or len(resolved) > 2:
        return None
    return resolved[0], resolved[1]


def _in_mirror(info: dict[str, Any], url: str, kind: str) -> tuple[str, str] | None:
    """(the docs-relative file a link goes to, '#anchor' or ''), or None when the mirror
    leaves the URL as written: external, or outside the docs folder (MkDocs then reports it;
    kb check: LNK219)."""
    target = _target(info, url, kind)
    docs = STATE["data"]["docs_dir"] + "/"
    if target is None or not target[0].startswith(docs):
        return None
    file, anchor = target
    # the anchor as written: MkDocs compares it with the page's ids, browsers accept it
    return STATE["by_file"].get(file, file[len(docs) :]), "#" + anchor if anchor else ""


def markdown_url(info: dict[str, Any], url: str, kind: str) -> str:
    """A markdown link or image as a docs-relative path MkDocs resolves and checks."""
    found = _in_mirror(info, url, kind)
    if found is None:
        return url
    src, fragment = found
    if src == STATE["page"] and fragment:
        return fragment
    return _relative(src, posixpath.dirname(STATE["page"])) + fragment


def html_url(info: dict[str, Any], url: str, kind: str) -> str:
    """A raw HTML URL as the mirror serves the file: relative to the page's own URL."""
    found = _in_mirror(info, url, kind)
    if found is None:
        return url
    src, fragment = found
    base = _page_url(STATE["page"]).rstrip("/")
    return _relative(_page_url(src), base) + fragment


def _page_url(src: str) -> str:
    """The URL MkDocs serves a docs file at (use_directory_urls)."""
    if not src.endswith(".md"):
        return src
    stem = src[: -len(".md")]
    name = posixpath.basename(stem)
    if name in ("README", "index"):
        return stem[: -len(name)]
    return stem + "/"


def _relative(path: str, start: str) -> str:
    rel = posixpath.relpath(path or ".", start or ".")
    if path.endswith("/") and not rel.endswith("/"):
        rel += "/"
    return "./" if rel == "./" or rel == "." else rel


def _docsify_link(page_url: str, route: str) -> str:
    base = STATE["data"].get("docsify_url", "../")
    if not urlsplit(base).scheme:
        depth = page_url.strip("/").count("/") + 1 if page_url.strip("/") else 0
        base = "../" * depth + base
    return base + "#" + quote(route, safe="/")


# --- sanitizing ----------------------------------------------------------------------------


class Sanitizer:
    """nh3 with the site's allow-list (the `content` profile of html-policy.json)."""

    def __init__(self, iframe_hosts: list[str]) -> None:
        from pygments.token import STANDARD_TYPES  # noqa: PLC0415 - MkDocs brings pygments

        policy = load_policy()
        content = policy["profiles"]["content"]
        self.hosts = frozenset(iframe_hosts)
        elements = {k: v for k, v in content["elements"].items() if ":" not in k}
        elements.pop("docsify-latex", None)
        if not self.hosts:
            elements.pop("iframe", None)
        self.tags = set(elements)
        generic = set(content["attributes"])
        self.attributes = {tag: set(attrs) | generic for tag, attrs in elements.items()}
        for cell in ("td", "th"):
            self.attributes[cell] = self.attributes[cell] | {"style"}  # tables' text-align
        self.values = {key: re.compile(v) for key, v in content["values"].items()}
        self.urls = content["urls"]
        self.classes = set(content["classes"]) | MIRROR_CLASSES
        self.classes |= {name for name in STANDARD_TYPES.values() if name}
        self.class_patterns = [re.compile(p) for p in content["class_patterns"]]
        # pygments' subtype classes, as pymdownx.highlight writes them: `l-Scalar-Plain`
        self.class_patterns.append(re.compile(r"^[a-z]{1,3}(-[A-Z][A-Za-z]*)+$"))
        self.reserved_ids = set(policy["reserved_ids"])
        self.reserved_prefixes = tuple(policy["reserved_id_prefixes"])
        self.data_images = tuple(f"data:{kind};" for kind in policy["data_images"])
        self._dropped: list[str] = []

    def clean(self, content: str) -> tuple[str, list[str]]:
        """(the sanitized HTML, what was removed, as short descriptions)."""
        self._dropped = []
        out = nh3.clean(
            content,
            tags=self.tags,
            attributes=self.attributes,
            attribute_filter=self._filter,
            url_schemes={"http", "https", "mailto", "data"},
            link_rel=None,
            strip_comments=True,
            filter_style_properties={"text-align"},
        )
        out = _EMPTY_FRAME.sub("", out)  # an iframe whose src was refused shows nothing
        removed = _removed(content, out) + self._dropped
        return out, sorted(set(removed))

    def _filter(self, tag: str, attr: str, value: str) -> str | None:
        if attr == "class":
            kept = [c for c in value.split() if self._class_ok(c)]
            if len(kept) < len(value.split()):
                self._dropped.append(f"class '{value}' on <{tag}>")
            return " ".join(kept) or None
        if attr == "id" and (
            value in self.reserved_ids or value.startswith(self.reserved_prefixes)
        ):
            self._dropped.append(f"id '{value}' on <{tag}>")
            return None
        pattern = self.values.get(f"{tag} {attr}") or self.values.get(f"* {attr}")
        if pattern is not None and not pattern.search(value):
            self._dropped.append(f"{attr}='{value}' on <{tag}>")
            return None
        kind = self.urls.get(f"{tag} {attr}")
        if kind is not None and not self._url_ok(kind, tag, value):
            self._dropped.append(f"{attr}='{value[:60]}' on <{tag}>")
            return None
        return value

    def _class_ok(self, name: str) -> bool:
        return name in self.classes or any(p.search(name) for p in self.class_patterns)

    def _url_ok(self, kind: str, tag: str, value: str) -> bool:
        url = value.strip()
        scheme = urlsplit(url).scheme.lower() if ":" in url.split("/", 1)[0] else ""
        if kind == "link":
            return scheme in ("", "http", "https", "mailto") and not url.startswith("//")
        if kind == "frame":
            parts = urlsplit(url)
            return parts.scheme == "https" and (parts.hostname or "") in self.hosts
        if scheme == "data":
            return tag == "img" and url.lower().startswith(self.data_images)
        return scheme == "" and not url.startswith("//")


_START_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTR_NAME = re.compile(r"""(?:^|\s)([^\s"'>/=]+)(?=\s*=|\s|/|$)""")


def _inventory(text: str) -> Counter[str]:
    """Start tags and attributes by name: `<a>`, `href on <a>` (both serializations quote
    every attribute value, so a linear scan of the tags is enough to compare them)."""
    found: Counter[str] = Counter()
    for name, attrs in _START_TAG.findall(text):
        tag = name.lower()
        found[f"<{tag}>"] += 1
        for attr in _ATTR_NAME.findall(_QUOTED.sub("", attrs)):
            found[f"{attr.lower()} on <{tag}>"] += 1
    return found


_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


def _removed(before: str, after: str) -> list[str]:
    """Elements and attributes in `before` that `after` no longer has."""
    return sorted(_inventory(before) - _inventory(after))


# --- CSP -----------------------------------------------------------------------------------


def with_csp(page: str, iframe_hosts: list[str], content: str = "") -> str:
    """`page` with a CSP meta tag first in <head>: the theme's inline scripts are allowed by
    their hashes, never one that came with the page's `content` (it must not run even
    where the sanitizer was switched off)."""
    hashes = []
    for match in _INLINE_SCRIPT.finditer(page):
        attrs, body = match.groups()
        if "application/json" in attrs.lower() or (content and match.group(0) in content):
            continue  # data, never run; or the page's own
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    frames = " ".join(f"https://{host}" for host in iframe_hosts) or "'none'"
    csp = (
        "default-src 'none'; "
        f"script-src 'self' {' '.join(sorted(set(hashes)))}; "
        "style-src 'self'; style-src-attr 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; "
        f"frame-src {frames}; object-src 'none'; base-uri 'none'; form-action 'self'"
    )
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp)}">'
    head = _HEAD.search(page)
    if head is None:
        return page
    return page[: head.end()] + meta + page[head.end() :]
