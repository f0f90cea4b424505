"""`[tool.kb.links]`: how the external link checker behaves, validated once."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from kb import __version__
from kb.options import ConfigError, mapping, non_empty_string, read_table, strings

CLASSES = ("ok", "warn", "broken", "excluded")
"""How a link is classified; settings may remap a status to any of these."""

DEFAULT_STATUS: dict[int, str] = {401: "warn", 403: "warn", 429: "warn", 999: "warn"}
"""Statuses that are not broken although they are errors: a human can usually open them.
Every other 4xx/5xx is broken, every 2xx ok."""


def user_agent(repository: str = "") -> str:
    """Names the project, and its repository when known, so site owners can reach us."""
    where = f"; +{repository}" if repository else ""
    return f"medai-kb-links/{__version__} (MedAI Notes link checker{where})"


@dataclass(frozen=True)
class LinkSettings:
    timeout: float = 10.0
    """Seconds for one request, from connect to the end of the headers."""
    connect_timeout: float = 5.0
    retries: int = 2
    """Extra attempts after a transient failure (reset, 5xx); after a 5xx from a host that
    answers other requests meanwhile, one at most."""
    timeout_retries: int = 1
    """Extra attempts after a timeout, only when the host answered nothing else meanwhile
    (it looks down); a host that serves other URLs is busy with this one, not down."""
    hold: float = 60.0
    """Seconds a request that got no answer within `timeout` stays open, and counts against
    its host's `per_host`, while the server may still be working on it (most servers finish
    a request after the client hangs up). 0: hang up at `timeout`."""
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


_POSITIVE = {"timeout", "connect_timeout", "concurrency", "per_host", "max_body_kb"}


def parse_link_settings(value: Any, where: str = "pyproject.toml: [tool.kb.links]") -> LinkSettings:
    """Validate the `[tool.kb.links]` table; raises ConfigError naming the key."""
    if value is None:
        return LinkSettings()
    rules = {
        "user_agent": non_empty_string,
        "cache_file": non_empty_string,
        "exclude": strings(item=re.compile),
        "head_hostile": strings(lower=True),
        "allow_networks": strings(item=lambda net: ipaddress.ip_network(net, strict=False)),
        "status": _status_table,
        "hosts": _hosts,
    }
    values = read_table(LinkSettings, value, where, rules=rules, positive=_POSITIVE)
    if "status" in values:
        values["status"] = {**DEFAULT_STATUS, **values["status"]}
    return LinkSettings(**values)


def _hosts(value: Any, prefix: str) -> dict[str, dict[int, str]]:
    return {
        str(host).lower(): _status_table(statuses, f"{prefix}.{host}")
        for host, statuses in mapping(value, prefix).items()
    }


def _status_table(value: Any, prefix: str) -> dict[int, str]:
    result: dict[int, str] = {}
    for status, link_class in mapping(value, prefix).items():
        if not str(status).isdigit() or not 100 <= int(status) <= 999:
            raise ConfigError(f"{prefix}: {status!r} is not an HTTP status code")
        if link_class not in CLASSES:
            raise ConfigError(
                f"{prefix}.{status}: expected one of {', '.join(CLASSES)}, got {link_class!r}"
            )
        result[int(status)] = link_class
    return result
