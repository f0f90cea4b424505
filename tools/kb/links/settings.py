"""`[tool.kb.links]`: how the external link checker behaves, validated once."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, fields
from typing import Any

from kb import __version__
from kb.suggest import did_you_mean

CLASSES = ("ok", "warn", "broken", "excluded")
"""How a link is classified; settings may remap a status to any of these."""

DEFAULT_STATUS: dict[int, str] = {401: "warn", 403: "warn", 429: "warn", 999: "warn"}
"""Statuses that are not broken although they are errors: a human can usually open them.
Every other 4xx/5xx is broken, every 2xx ok."""


def user_agent(repository: str = "") -> str:
    """Names the project, and its repository when known, so site owners can reach us."""
    where = f"; +{repository}" if repository else ""
    return f"medai-kb-links/{__version__} (MedAI Notes link checker{where})"


class LinkSettingsError(ValueError):
    """A `[tool.kb.links]` value is invalid; the message names the key and the fix."""


@dataclass(frozen=True)
class LinkSettings:
    timeout: float = 10.0
    """Seconds for one request, from connect to the end of the headers."""
    connect_timeout: float = 5.0
    retries: int = 2
    """Extra attempts after a transient failure (reset, 5xx)."""
    timeout_retries: int = 1
    """Extra attempts after a timeout (a slow host costs `timeout` per attempt)."""
    rate_retries: int = 1
    """Extra attempts after a 429, each after its `Retry-After`: a URL still refused after
    that is a warning (it most likely opens for a reader), and asking again is impolite."""
    backoff: float = 0.5
    """First retry wait in seconds; doubles per attempt, with jitter."""
    max_backoff: float = 8.0
    max_retry_after: float = 30.0
    """Longest `Retry-After` honoured; a longer one makes the link a warning at once."""
    concurrency: int = 64
    """Requests in flight over all hosts."""
    per_host: int = 4
    """Requests in flight to one host (connections to it are reused)."""
    max_redirects: int = 10
    max_body_kb: int = 64
    """Most of a body ever read (bot-challenge detection, fragments)."""
    user_agent: str = ""
    """Empty: `medai-kb-links/VERSION (MedAI Notes link checker; +<git origin>)`."""
    exclude: tuple[str, ...] = ()
    """Regular expressions; a URL matching one is classified excluded and never fetched."""
    head_hostile: tuple[str, ...] = ("amazon.com", "linkedin.com", "x.com", "twitter.com")
    """Hosts (and their subdomains) that get GET at once: they answer HEAD wrongly."""
    allow_networks: tuple[str, ...] = ()
    """CIDR blocks that may be fetched although not globally routable, e.g. "127.0.0.0/8"."""
    status: dict[int, str] = field(default_factory=lambda: dict(DEFAULT_STATUS))
    """Status → class, over the defaults."""
    hosts: dict[str, dict[int, str]] = field(default_factory=dict)
    """Host → (status → class): per-host overrides, e.g. a host whose 403 means gone."""
    ttl_ok_days: float = 7.0
    ttl_warn_days: float = 1.0
    ttl_broken_days: float = 0.0
    """Broken links are rechecked on every run unless this is raised."""
    cache_file: str = ".kb-cache/links.json"
    check_fragments: bool = False
    """Also check `#fragment` of external HTML pages (reads up to max_fragment_kb)."""
    max_fragment_kb: int = 2048

    def classify_status(self, host: str, status: int) -> str:
        for pattern, table in self.hosts.items():
            if host_matches(host, pattern) and status in table:
                return table[status]
        if status in self.status:
            return self.status[status]
        return "ok" if 200 <= status < 300 else "broken"

    def ttl_seconds(self, link_class: str) -> float:
        days = {
            "ok": self.ttl_ok_days,
            "warn": self.ttl_warn_days,
            "broken": self.ttl_broken_days,
        }.get(link_class, 0.0)
        return days * 86400.0

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(n, strict=False) for n in self.allow_networks]

    def excluded(self, url: str) -> bool:
        return any(re.search(p, url) for p in self.exclude)

    def is_head_hostile(self, host: str) -> bool:
        return any(host_matches(host, h) for h in self.head_hostile)


def host_matches(host: str, pattern: str) -> bool:
    """`example.org` matches itself and its subdomains."""
    return host == pattern or host.endswith("." + pattern)


_FLOATS = {
    "timeout",
    "connect_timeout",
    "backoff",
    "max_backoff",
    "max_retry_after",
    "ttl_ok_days",
    "ttl_warn_days",
    "ttl_broken_days",
}
_INTS = {
    "retries",
    "timeout_retries",
    "rate_retries",
    "concurrency",
    "per_host",
    "max_redirects",
    "max_body_kb",
    "max_fragment_kb",
}
_POSITIVE = {"timeout", "connect_timeout", "concurrency", "per_host", "max_body_kb"}


def unknown_setting(key: str, known: set[str]) -> str:
    """`unknown setting; did you mean 'per_host'?` (shared with [tool.kb])."""
    hint = did_you_mean(key, sorted(known))
    return "unknown setting" + (f"; {hint}" if hint else "")


def parse_link_settings(table: Any, where: str = "pyproject.toml: [tool.kb.links]") -> LinkSettings:
    """Validate the `[tool.kb.links]` table; raises LinkSettingsError naming the key."""
    if table is None:
        return LinkSettings()
    if not isinstance(table, dict):
        raise LinkSettingsError(f"{where}: expected a table")
    known = {f.name for f in fields(LinkSettings)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        prefix = f"{where} {key}"
        if key not in known:
            raise LinkSettingsError(f"{prefix}: {unknown_setting(key, known)}")
        values[key] = _value(key, value, prefix)
    if "status" in values:
        values["status"] = {**DEFAULT_STATUS, **values["status"]}
    return LinkSettings(**values)


def _value(key: str, value: Any, prefix: str) -> Any:
    if key in _FLOATS or key in _INTS:
        number_ok = isinstance(value, int | float) and not isinstance(value, bool)
        if key in _INTS:
            number_ok = number_ok and isinstance(value, int)
        if not number_ok or value < 0 or (key in _POSITIVE and value == 0):
            kind = "integer" if key in _INTS else "number"
            least = "positive" if key in _POSITIVE else "non-negative"
            raise LinkSettingsError(f"{prefix}: expected a {least} {kind}, got {value!r}")
        return float(value) if key in _FLOATS else value
    if key in ("user_agent", "cache_file"):
        if not isinstance(value, str) or not value:
            raise LinkSettingsError(f"{prefix}: expected a non-empty string, got {value!r}")
        return value
    if key == "check_fragments":
        if not isinstance(value, bool):
            raise LinkSettingsError(f"{prefix}: expected true or false, got {value!r}")
        return value
    if key in ("exclude", "head_hostile", "allow_networks"):
        return _strings(key, value, prefix)
    if key == "status":
        return _status_table(value, prefix)
    return {
        str(host).lower(): _status_table(table, f"{prefix}.{host}")
        for host, table in _table(value, prefix).items()
    }


def _strings(key: str, value: Any, prefix: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LinkSettingsError(f"{prefix}: expected a list of strings, got {value!r}")
    for item in value:
        try:
            if key == "exclude":
                re.compile(item)
            elif key == "allow_networks":
                ipaddress.ip_network(item, strict=False)
        except (re.error, ValueError) as exc:
            raise LinkSettingsError(f"{prefix}: {item!r} is invalid: {exc}") from None
    return tuple(v.lower() if key == "head_hostile" else v for v in value)


def _table(value: Any, prefix: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LinkSettingsError(f"{prefix}: expected a table, got {value!r}")
    return value


def _status_table(value: Any, prefix: str) -> dict[int, str]:
    result: dict[int, str] = {}
    for status, link_class in _table(value, prefix).items():
        if not str(status).isdigit() or not 100 <= int(status) <= 999:
            raise LinkSettingsError(f"{prefix}: {status!r} is not an HTTP status code")
        if link_class not in CLASSES:
            raise LinkSettingsError(
                f"{prefix}.{status}: expected one of {', '.join(CLASSES)}, got {link_class!r}"
            )
        result[int(status)] = link_class
    return result
