"""The link checker against real HTTP servers on loopback: one case per behaviour."""

from __future__ import annotations

import asyncio
import http.server
import ipaddress
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from kb.config import load_settings
from kb.links.check import (
    _NEVER_GLOBAL,
    Checker,
    Clock,
    GuardedResolver,
    Result,
    _socket_guard,
    address_allowed,
)
from kb.links.collect import collect
from kb.links.run import check_links
from kb.links.settings import LinkSettings
from tests.helpers import SiteBuilder
from tests.linkweb import HostConfig, Web, free_port

A, B = "127.0.0.2", "127.0.0.3"

FAST = LinkSettings(
    timeout=1.0,
    connect_timeout=1.0,
    backoff=0.05,
    max_backoff=0.2,
    max_retry_after=5.0,
    allow_networks=("127.0.0.0/8",),
)


@pytest.fixture(scope="module")
def web() -> Iterator[Web]:
    with Web([HostConfig(A), HostConfig(B)], slow=5.0) as running:
        yield running


def _check(web: Web, path: str, settings: LinkSettings = FAST) -> Result:
    url = web.url(A, path)
    return Checker(settings).run([url])[url]


class FakeClock:
    """Time that moves only when the checker waits: each wait is recorded and ends at once,
    so tests assert the waits kb decides on, exactly, instead of timing the real ones."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_800_000_000.0 + self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        wake = self.now + seconds
        await asyncio.sleep(0)  # waits that begin together end together
        self.now = max(self.now, wake)

    @property
    def clock(self) -> Clock:
        return Clock(self.monotonic, self.wall, self.sleep)


def _recorded(checker: Checker, clock: FakeClock) -> list[tuple[str, float, float]]:
    """(path, timeout, fake time) of every request `checker` sends, in order."""
    sent: list[tuple[str, float, float]] = []
    exchange = checker._exchange

    async def record(url: str, use_get: bool, need_body: bool, timeout: float) -> Any:
        sent.append((urlsplit(url).path, timeout, clock.now))
        return await exchange(url, use_get, need_body, timeout)

    checker._exchange = record  # type: ignore[method-assign]
    return sent


@pytest.mark.parametrize(
    ("path", "link_class", "status", "detail", "requests"),
    [
        ("/ok/1", "ok", 200, "200 OK", 1),
        ("/temp302/1", "ok", 200, "200 OK", 2),
        ("/gone/1", "broken", 404, "404 Not Found", 2),  # HEAD, then GET to be sure
        ("/gone410/1", "broken", 410, "410 Gone", 2),
        ("/flaky/1", "ok", 200, "200 OK", 2),  # 500 to HEAD, GET succeeds
        ("/down/1", "broken", 503, "503 Service Unavailable after 3 attempts", 4),
        ("/rate/1", "ok", 200, "200 OK", 2),
        ("/rate-forever/1", "warn", 429, "429 rate limited after 2 attempts", 2),
        ("/rate-long/1", "warn", 429, "429 rate limited (Retry-After 3600 s)", 1),
        ("/nohead/1", "ok", 200, "200 OK", 2),
        ("/slow/1", "broken", 0, "timeout after 2 attempts", 2),
        ("/loop/1", "broken", 302, "redirect loop at", 2),
        ("/reset/1", "broken", 0, "connection reset after 3 attempts", 3),
        ("/challenge/1", "warn", 403, "403 bot challenge (opens in a browser)", 2),
    ],
)
def test_behaviour_is_classified(
    web: Web, path: str, link_class: str, status: int, detail: str, requests: int
) -> None:
    result = _check(web, path)
    assert (result.link_class, result.status, result.requests) == (link_class, status, requests)
    assert result.detail.startswith(detail)
    assert result.moved_to == ""


@pytest.mark.parametrize("kind", ["moved", "perm308"])
def test_permanent_redirect_suggests_the_new_url(web: Web, kind: str) -> None:
    result = _check(web, f"/{kind}/2")
    assert (result.link_class, result.status) == ("ok", 200)
    assert result.moved_to == web.url(A, "/ok/2")


def test_a_5xx_from_a_host_that_serves_others_is_retried_once() -> None:
    with Web([HostConfig(A)]) as web:
        settings = LinkSettings(**{**FAST.__dict__, "per_host": 1})
        urls = [web.url(A, f"/ok/first-{i}") for i in range(5)] + [web.url(A, "/down/own")]
        result = Checker(settings).run(urls)[urls[-1]]
        # HEAD, GET, and one more GET: the others were answered while it waited its turn.
        assert (result.detail, result.requests) == ("503 Service Unavailable after 2 attempts", 3)


def test_a_resolver_chain_is_not_reported_as_moved(web: Web) -> None:
    # doi.org answers 302 (the DOI stays the address to cite), and the publisher may then
    # redirect permanently on its side: the page's link has not moved.
    result = _check(web, "/resolver/10.1000-x")
    assert (result.link_class, result.moved_to) == ("ok", "")
    assert result.requests == 3


def test_flaky_get_is_retried(web: Web) -> None:
    # Hosts that answer HEAD wrongly get GET at once: the 500 is then a GET retry.
    settings = LinkSettings(**{**FAST.__dict__, "head_hostile": (A,)})
    before = web.count("/flaky/3")
    result = _check(web, "/flaky/3", settings)
    assert (result.link_class, result.requests) == ("ok", 2)
    assert web.count("/flaky/3", "HEAD") == 0 and web.count("/flaky/3") - before == 2


def test_a_huge_body_is_not_downloaded(web: Web) -> None:
    result = _check(web, "/huge/1")
    assert (result.link_class, result.status) == ("ok", 200)
    # The server could push only what fits in the socket buffers before we hung up.
    assert web.huge_sent < 16 * 1024 * 1024


def test_refused_port_is_broken_without_retry() -> None:
    url = f"http://{A}:{free_port(A)}/x"
    result = Checker(FAST).run([url])[url]
    assert (result.link_class, result.detail, result.requests) == (
        "broken",
        "connection refused",
        1,
    )


def test_unknown_host_is_broken() -> None:
    url = "http://no-such-host.invalid/"
    result = Checker(FAST).run([url])[url]
    assert (result.link_class, result.detail) == (
        "broken",
        "DNS lookup failed for no-such-host.invalid",
    )


@pytest.mark.parametrize("host", [A, "localhost", "[::1]"])
def test_private_addresses_are_refused_by_default(web: Web, host: str) -> None:
    before = len(web.requests)
    url = f"http://{host}:{web.port}/ok/refused"
    result = Checker(LinkSettings(timeout=1.0)).run([url])[url]
    assert (result.link_class, result.refused) == ("broken", True)
    assert "is not a globally routable address" in result.detail
    assert len(web.requests) == before


def test_a_redirect_to_a_private_address_is_refused(web: Web) -> None:
    # Allow only 127.0.0.2: the redirect target on 127.0.0.3 must not be fetched.
    settings = LinkSettings(**{**FAST.__dict__, "allow_networks": (f"{A}/32",)})
    url = web.url(A, "/ok/x")
    before = web.count("/ok/x")
    assert Checker(settings).run([url])[url].link_class == "ok"
    other = web.url(B, "/ok/y")
    assert Checker(settings).run([other])[other].refused
    assert web.count("/ok/x") - before == 1


TEREDO_SERVER = 0x4136E378  # 65.54.227.120, a public Teredo server


def _embeddings(v4: str) -> dict[str, str]:
    """IPv6 spellings of an IPv4 address, by form."""
    n = int(ipaddress.IPv4Address(v4))
    forms = {
        "mapped": 0xFFFF << 32 | n,  # ::ffff:a.b.c.d
        "compatible": n,  # ::a.b.c.d (deprecated)
        "nat64": 0x64FF9B << 96 | n,  # 64:ff9b::/96
        "nat64-local": 0x64FF9B0001 << 80 | n,  # 64:ff9b:1::/48
        "6to4": 0x2002 << 112 | n << 80,  # 2002:AABB:CCDD::/48
        "teredo": 0x20010000 << 96 | TEREDO_SERVER << 64 | n ^ 0xFFFFFFFF,  # client obfuscated
    }
    return {form: str(ipaddress.IPv6Address(value)) for form, value in forms.items()}


def test_the_embedded_forms_embed_the_address() -> None:
    forms = {form: ipaddress.IPv6Address(a) for form, a in _embeddings("100.64.0.1").items()}
    v4 = ipaddress.IPv4Address("100.64.0.1")
    assert forms["mapped"].ipv4_mapped == v4
    assert forms["6to4"].sixtofour == v4
    assert forms["teredo"].teredo == (ipaddress.IPv4Address(TEREDO_SERVER), v4)
    assert str(forms["nat64"]) == "64:ff9b::6440:1"
    assert str(forms["nat64-local"]) == "64:ff9b:1::6440:1"
    assert str(forms["compatible"]) == "::6440:1"


EMBEDDED = [
    pytest.param(address, allowed and form != "compatible", id=f"{form}-{v4}")
    for v4, allowed in (
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("100.64.0.1", False),
        ("8.8.8.8", True),
    )
    for form, address in _embeddings(v4).items()
]


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        # Globally routable.
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("192.0.0.9", True),  # PCP anycast: global inside 192.0.0.0/24
        ("192.0.0.10", True),  # TURN anycast: global inside 192.0.0.0/24
        ("2001:4860:4860::8888", True),
        ("2606:4700:4700::1111", True),
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
        # Not globally routable.
        ("0.0.0.0", False),
        ("0.255.255.255", False),
        ("10.1.2.3", False),
        ("100.64.0.1", False),  # shared address space (carrier-grade NAT)
        ("100.100.100.200", False),  # a cloud metadata service inside 100.64.0.0/10
        ("100.127.255.254", False),
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("169.254.169.254", False),  # cloud metadata
        ("172.16.0.1", False),
        ("172.31.255.254", False),
        ("192.168.1.1", False),
        ("192.0.0.1", False),
        ("192.0.0.8", False),  # Python 3.11's is_global says True
        ("192.0.0.170", False),
        ("192.0.0.255", False),
        ("192.0.2.1", False),
        ("198.18.0.1", False),
        ("198.19.255.254", False),
        ("198.51.100.7", False),
        ("203.0.113.9", False),
        ("224.0.0.1", False),  # multicast: Python 3.11's is_global says True
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),  # scoped: the scope is dropped, no crash
        ("[fe80::a9fe:a9fe%25en0]", False),
        ("febf:ffff::1", False),
        ("fc00::1", False),
        ("fd00:ec2::254", False),  # a cloud metadata service over IPv6
        ("2001:db8::1", False),
        ("3fff::1", False),  # documentation (RFC 9637): Python 3.11's is_global says True
        ("ff02::1", False),
        ("ff0e::1", False),  # global-scope multicast: Python 3.11's is_global says True
        ("100::1", False),
        ("2001::", False),  # Teredo with server and client 0.0.0.0 / 255.255.255.255
        ("not-an-address", False),
        ("", False),
        *EMBEDDED,
    ],
)
def test_address_policy(address: str, allowed: bool) -> None:
    assert address_allowed(address, []) is allowed


@pytest.mark.parametrize("network", _NEVER_GLOBAL, ids=str)
def test_every_listed_special_purpose_block_is_refused(network: Any) -> None:
    assert not address_allowed(network[0], []) and not address_allowed(network[-1], [])


@pytest.mark.parametrize(
    ("address", "networks", "allowed"),
    [
        ("100.64.0.1", ["100.64.0.0/10"], True),
        ("127.0.0.2", ["127.0.0.2/32"], True),
        ("127.0.0.3", ["127.0.0.2/32"], False),
        ("::ffff:10.0.0.1", ["10.0.0.0/8"], True),  # IPv4-mapped: its IPv4 address counts
        ("64:ff9b::a00:1", ["10.0.0.0/8"], False),  # NAT64 reaches the translator's 10/8
        ("::a00:1", ["10.0.0.0/8"], False),  # an IPv6 address is in no IPv4 block
        ("fe80::1%eth0", ["fe80::/10"], True),
        ("fd00::1", ["fc00::/7"], True),
        ("8.8.8.8", ["10.0.0.0/8"], True),  # global addresses stay allowed
    ],
)
def test_allow_networks_overrides_the_policy(
    address: str, networks: list[str], allowed: bool
) -> None:
    blocks = [ipaddress.ip_network(n) for n in networks]
    assert address_allowed(address, blocks) is allowed


# -- no connection to a refused address, ever -----------------------------------------------


@dataclass
class Traffic:
    """What the whole process did on the network while a test recorded it."""

    connects: list[tuple[Any, ...]] = field(default_factory=list)
    """Destination of every socket.connect (IP sockets, any thread)."""
    lookups: list[Any] = field(default_factory=list)
    """Host of every getaddrinfo: a name here went to the system resolver (DNS)."""

    def destinations(self) -> set[str]:
        return {str(address[0]) for address in self.connects}


_recording: Traffic | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    traffic = _recording
    if traffic is None:
        return
    if event == "socket.connect" and isinstance(args[1], tuple):
        traffic.connects.append(args[1])
    elif event == "socket.getaddrinfo":
        traffic.lookups.append(args[0])


sys.addaudithook(_audit)  # cannot be removed: it records only while `traffic` is in use


@pytest.fixture
def traffic() -> Iterator[Traffic]:
    global _recording
    _recording = Traffic()
    try:
        yield _recording
    finally:
        _recording = None


class FixedResolver(AbstractResolver):
    """Resolves names from a table, never through DNS."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"{host} is not in the test's table")
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            }
            for address in self.table[host]
        ]

    async def close(self) -> None:
        pass


def _names() -> FixedResolver:
    return FixedResolver(
        {
            "metadata.internal": ["100.64.0.1"],
            "rebind.example": [A, "10.0.0.1"],  # one allowed, one refused: refused
            "nat64.example": ["64:ff9b::a9fe:a9fe"],  # 169.254.169.254 through NAT64
            "scoped.example": ["fe80::1%eth0"],
            "loopback.example": [A],  # allowed by allow_networks
        }
    )


ONLY_A = LinkSettings(**{**FAST.__dict__, "allow_networks": (f"{A}/32",)})
"""Only 127.0.0.2 may be fetched: every other loopback address is refused as well."""


def _only_loopback(traffic: Traffic, allowed: str = A) -> None:
    """Every connect went to `allowed` (inside 127.0.0.0/8); none to a refused address."""
    loopback = ipaddress.ip_network("127.0.0.0/8")
    for destination in traffic.destinations():
        ip = ipaddress.ip_address(destination)  # a name here would fail: connects use IPs
        assert ip in loopback and destination == allowed, traffic.connects
        assert address_allowed(ip, ONLY_A.networks())


@pytest.mark.parametrize(
    ("host", "detail"),
    [
        ("100.64.0.1", "100.64.0.1 is not a globally routable address"),
        ("100.100.100.200", "100.100.100.200 is not a globally routable address"),
        ("169.254.169.254", "169.254.169.254 is not a globally routable address"),
        ("0.0.0.0", "0.0.0.0 is not a globally routable address"),
        ("127.0.0.3", "127.0.0.3 is not a globally routable address"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1 is not a globally routable address"),
        ("[64:ff9b::7f00:1]", "64:ff9b::7f00:1 is not a globally routable address"),
        ("[fe80::1%25eth0]", "fe80::1%25eth0 is not a globally routable address"),
        ("2130706433", "2130706433 is not a canonical IP address"),  # 127.0.0.1 to the system
        ("127.1", "127.1 is not a canonical IP address"),
    ],
)
def test_a_refused_ip_literal_is_never_connected(
    web: Web, traffic: Traffic, host: str, detail: str
) -> None:
    url = f"http://{host}:{web.port}/ok/literal"
    result = Checker(ONLY_A).run([url])[url]
    assert (result.link_class, result.refused, result.requests) == ("broken", True, 0)
    assert result.detail == detail
    assert traffic.connects == []


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("metadata.internal", "100.64.0.1"),
        ("rebind.example", "10.0.0.1"),
        ("nat64.example", "64:ff9b::a9fe:a9fe"),
        ("scoped.example", "fe80::1%eth0"),
    ],
)
def test_a_name_resolving_to_a_refused_address_is_never_connected(
    web: Web, traffic: Traffic, host: str, address: str
) -> None:
    names = _names()
    url = f"http://{host}:{web.port}/ok/name"
    result = Checker(ONLY_A, resolver=names).run([url])[url]
    assert (result.link_class, result.refused) == ("broken", True)
    assert (
        result.detail == f"{host} resolves to {address}, which is not a globally routable address"
    )
    assert names.asked == [host]
    assert traffic.connects == [] and host not in traffic.lookups


def test_a_name_resolving_to_an_allowed_address_connects_only_there(
    web: Web, traffic: Traffic
) -> None:
    # The control: the recording sees connects, and the injected resolver is the one used.
    names = _names()
    url = f"http://loopback.example:{web.port}/ok/name"
    result = Checker(ONLY_A, resolver=names).run([url])[url]
    assert (result.link_class, result.status) == ("ok", 200)
    assert traffic.connects == [(A, web.port)]
    assert "loopback.example" not in traffic.lookups


def test_the_socket_guard_refuses_even_what_the_resolver_let_through(
    web: Web, traffic: Traffic, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The last line: with the resolver's check switched off, no socket connects either.
    async def unchecked(
        self: GuardedResolver, host: str, port: int = 0, family: Any = socket.AF_INET
    ) -> list[ResolveResult]:
        return await self._inner.resolve(host, port, family)

    if not _socket_guard([]):
        pytest.skip("aiohttp < 3.12 takes no socket factory")
    monkeypatch.setattr(GuardedResolver, "resolve", unchecked)
    url = f"http://metadata.internal:{web.port}/ok/unchecked"
    result = Checker(ONLY_A, resolver=_names()).run([url])[url]
    assert (result.link_class, result.refused) == ("broken", True)
    assert result.detail == "not connecting to 100.64.0.1, which is not a globally routable address"
    assert traffic.connects == []


class _Redirector(http.server.ThreadingHTTPServer):
    daemon_threads = True
    paths: list[str]


class _RedirectHandler(http.server.BaseHTTPRequestHandler):
    """`/to?url=U` answers 302 to U; anything else 200."""

    server: _Redirector

    def do_HEAD(self) -> None:
        self.server.paths.append(self.path)
        target = parse_qs(urlsplit(self.path).query).get("url")
        self.send_response(302 if target else 200)
        if target:
            self.send_header("Location", target[0])
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def redirector() -> Iterator[_Redirector]:
    """A server on 127.0.0.2 whose /to?url=U redirects anywhere."""
    server = _Redirector((A, 0), _RedirectHandler)
    server.paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_every_redirect_hop_is_checked_before_connecting(
    site: SiteBuilder, redirector: _Redirector, traffic: Traffic
) -> None:
    base = f"http://{A}:{redirector.server_address[1]}"

    def to(url: str) -> str:
        return f"{base}/to?url={quote(url, safe='')}"

    targets = {
        "http://100.64.0.1/": "100.64.0.1 is not a globally routable address",
        "http://[64:ff9b::7f00:1]/": "64:ff9b::7f00:1 is not a globally routable address",
        "http://169.254.169.254/latest/meta-data/": (
            "169.254.169.254 is not a globally routable address"
        ),
        "http://metadata.internal/computeMetadata/v1/": (
            "metadata.internal resolves to 100.64.0.1, which is not a globally routable address"
        ),
    }
    links = [to(target) for target in targets] + [to(to("http://100.64.0.1/two-hops"))]
    page = "---\ntype: guide\ntitle: R\n---\n# R\n\n" + "\n\n".join(f"<{u}>" for u in links)
    toml = f'\n[tool.kb.links]\ntimeout = 1.0\nallow_networks = ["{A}/32"]\n'
    root = site({"docs/r.md": page + "\n"}, kb_toml=toml)
    settings = load_settings(root)
    redirector.paths.clear()
    found, run = check_links(settings, collect(settings), cache_file=None, resolver=_names())
    assert [d.code for d in found] == ["LNK213"] * len(links)
    assert {d.hint for d in found} == {
        "link to a public address, or allow the network in allow_networks"
    }
    details = sorted(d.message.split(" is not fetched: ")[1] for d in found)
    assert details == sorted([*targets.values(), "100.64.0.1 is not a globally routable address"])
    # The loopback hops were fetched (HEAD, then GET to be sure), the refused ones never.
    assert len(redirector.paths) >= len(links) + 1
    assert traffic.connects
    _only_loopback(traffic)


def test_per_host_limit_is_respected() -> None:
    with Web([HostConfig(A, latency=(0.05, 0.05))]) as web:
        settings = LinkSettings(**{**FAST.__dict__, "per_host": 3})
        urls = [web.url(A, f"/ok/{i}") for i in range(30)]
        results = Checker(settings).run(urls)
        assert all(r.link_class == "ok" for r in results.values())
        assert web.peak[A] == 3
        assert web.count("/ok/") == 30  # one request per unique URL


def test_a_rate_limited_host_does_not_stall_the_others() -> None:
    # The real clock here, with its waits recorded: host B's requests must go out while A's
    # URL really waits (a fake wait ends at once, before B's next requests are sent).
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    with Web([HostConfig(A), HostConfig(B)]) as web:
        urls = [web.url(A, "/rate/slow-host")] + [web.url(B, f"/ok/{i}") for i in range(20)]
        results = Checker(FAST, clock=Clock(sleep=sleep)).run(urls)
        assert results[urls[0]].link_class == "ok"
        order = [host for host, _, path in web.requests]
        retry_at = [i for i, (_, _, p) in enumerate(web.requests) if p == "/rate/slow-host"][1]
        assert order[:retry_at].count(B) == 20  # host B finished while A waited 1 s
        assert waits == [1.0]  # A's URL waited its Retry-After; nothing waited for host B


def test_retry_after_pauses_the_whole_host() -> None:
    with Web([HostConfig(A)]) as web:
        settings = LinkSettings(**{**FAST.__dict__, "per_host": 1})
        urls = [web.url(A, "/rate/first")] + [web.url(A, f"/ok/{i}") for i in range(3)]
        clock = FakeClock()
        checker = Checker(settings, clock=clock.clock)
        sent = _recorded(checker, clock)
        results = checker.run(urls)
        assert all(r.link_class == "ok" for r in results.values())
        assert web.requests[0][2] == "/rate/first" and len(web.requests) == 5
        # After the 429 nothing was sent to the host for Retry-After: 1 second.
        first = sent[0][2]
        assert [at - first for _, _, at in sent] == [0.0, 1.0, 1.0, 1.0, 1.0]


def test_excluded_urls_are_not_fetched(web: Web) -> None:
    settings = LinkSettings(**{**FAST.__dict__, "exclude": (r"/gone/",)})
    before = len(web.requests)
    result = _check(web, "/gone/excluded", settings)
    assert result.link_class == "excluded" and len(web.requests) == before


def test_status_overrides_per_host(web: Web) -> None:
    settings = LinkSettings(**{**FAST.__dict__, "hosts": {A: {404: "warn"}}})
    assert _check(web, "/gone/5", settings).link_class == "warn"
    settings = LinkSettings(**{**FAST.__dict__, "status": {403: "broken"}})
    assert _check(web, "/challenge/5", settings).link_class == "warn"  # a challenge stays warn


def test_user_agent_names_the_project() -> None:
    checker = Checker(FAST, repository="https://example.org/team/medai")
    assert checker.user_agent.startswith("medai-kb-links/")
    assert "+https://example.org/team/medai" in checker.user_agent


def test_fragments_are_read_from_a_bounded_body(web: Web) -> None:
    settings = LinkSettings(**{**FAST.__dict__, "check_fragments": True})
    url = web.url(A, "/html/frag")
    result = Checker(settings).run([url], need_body=[url])[url]
    assert result.anchors == ("intro", "old")


def test_slots_serve_retries_before_new_urls() -> None:
    import asyncio
    import concurrent.futures

    from kb.links.check import Slots

    async def scenario() -> list[str]:
        slots = Slots(1)
        order: list[str] = []
        await slots.acquire(1)  # held by a first request

        async def waiter(name: str, priority: int) -> None:
            await slots.acquire(priority)
            order.append(name)
            slots.release()

        tasks = [
            asyncio.create_task(waiter("new-1", 1)),
            asyncio.create_task(waiter("new-2", 1)),
            asyncio.create_task(waiter("retry", 0)),
        ]
        await asyncio.sleep(0)
        slots.release()
        await asyncio.gather(*tasks)
        return order

    # Own thread: the browser tests' session keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, scenario()).result() == ["retry", "new-1", "new-2"]


def test_a_host_pauses_only_while_it_limits_us() -> None:
    from kb.links.check import HostGate, Slots

    gate = HostGate(Slots(1))
    assert gate.rate_limited(1.0)  # the first 429 pauses the host
    for status in (200, 200, 200, 429):
        gate.answered(status)
    assert not gate.rate_limited(1.0)  # mostly 200s since: only that URL waits
    for status in (429, 429, 429):
        gate.answered(status)
    assert gate.rate_limited(1.0)  # now 429s dominate: the host pauses again
    gate.answered(429)
    assert not gate.rate_limited(1.0, repeat=True)  # a URL limited before: only it waits
    assert gate.limited == 0  # and it does not count towards pausing the host


def test_urls_limited_before_do_not_pause_the_host_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # After the host's pause, the URLs that got a 429 are retried first; those limited for
    # good (429 forever) must not pause the whole host again and again.
    from kb.links.check import HostGate

    pauses: list[tuple[bool, bool]] = []
    original = HostGate.rate_limited

    def recorded(gate: HostGate, wait: float, *, repeat: bool = False) -> bool:
        pauses.append((repeat, original(gate, wait, repeat=repeat)))
        return pauses[-1][1]

    monkeypatch.setattr(HostGate, "rate_limited", recorded)
    with Web([HostConfig(A)]) as web:
        settings = LinkSettings(**{**FAST.__dict__, "per_host": 2})
        urls = [web.url(A, f"/rate-forever/{i}") for i in range(4)]
        urls += [web.url(A, f"/ok/{i}") for i in range(4)]
        results = Checker(settings, clock=FakeClock().clock).run(urls)
        assert [results[u].link_class for u in urls] == ["warn"] * 4 + ["ok"] * 4
    # Each limited URL got a 429 and, asked again, a repeated one: only fresh ones pause.
    assert sorted(repeat for repeat, _ in pauses) == [False] * 4 + [True] * 4
    assert not any(paused for repeat, paused in pauses if repeat)


def test_a_silent_url_on_a_host_that_answers_others_is_asked_once(web: Web) -> None:
    # The host serves the other URLs while this one is silent: it is busy with the request,
    # not down, so asking again would only take a second worker for the same nothing.
    urls = [web.url(A, "/slow/busy")] + [web.url(A, f"/ok/busy-{i}") for i in range(10)]
    result = Checker(FAST).run(urls)[urls[0]]
    assert (result.link_class, result.requests) == ("broken", 1)
    assert result.detail == "no answer within 1 s (the host answered other requests meanwhile)"
    assert web.count("/slow/busy") == 1


def test_a_silent_host_is_asked_again_after_a_backoff() -> None:
    with Web([HostConfig(A)], slow=3.0) as web:
        url = web.url(A, "/slow/alone")
        clock = FakeClock()
        checker = Checker(FAST, clock=clock.clock)
        result = checker.run([url])[url]
        assert (result.link_class, result.detail) == ("broken", "timeout after 2 attempts")
        assert len(clock.waits) == 1 and 0.025 <= clock.waits[0] <= 0.05  # backoff, jittered
        assert web.count("/slow/alone") == 2


@pytest.mark.parametrize("holds", [False, True])
def test_a_host_never_serves_more_than_per_host_requests_of_one_run(holds: bool) -> None:
    # Silent URLs among quick ones, on a server whose workers may keep running after the
    # client hangs up: a request kb stopped waiting for still counts against the host until
    # the server is done with it, so the server never has more than `per_host` of ours.
    with Web([HostConfig(A, latency=(0.02, 0.04))], slow=1.5, holds=holds) as web:
        settings = LinkSettings(**{**FAST.__dict__, "timeout": 0.5, "per_host": 3})
        urls = [web.url(A, f"/slow/held-{i}") for i in range(4)]
        urls += [web.url(A, f"/ok/held-{i}") for i in range(40)]
        results = Checker(settings).run(urls)
        assert all(results[u].link_class == "ok" for u in urls[4:])
        assert all(results[u].link_class == "broken" for u in urls[:4])
        assert web.in_flight[A] == 3


def test_a_request_that_timed_out_keeps_its_slot_until_the_server_is_done() -> None:
    with Web([HostConfig(A)], slow=1.2, holds=True) as web:
        settings = LinkSettings(**{**FAST.__dict__, "timeout": 0.3, "per_host": 1})
        urls = [web.url(A, "/slow/first"), web.url(A, "/ok/after")]
        results = Checker(settings).run(urls)
        assert results[urls[0]].link_class == "broken"
        assert results[urls[1]].link_class == "ok"
        times = dict(zip((p for _, _, p in web.requests), web.times, strict=True))
        # /ok/after went out when the server had finished /slow/first (1.2 s), not at 0.3 s.
        assert times["/ok/after"] - times["/slow/first"] >= 1.2
        assert web.in_flight[A] == 1


def test_hold_0_hangs_up_at_the_timeout() -> None:
    # Hanging up at the timeout frees kb's slot at once: on a server that keeps working, the
    # next request then arrives while the silent one still holds a worker (the politeness
    # `hold` buys, seen from the other side).
    with Web([HostConfig(A)], slow=1.5, holds=True) as web:
        settings = LinkSettings(**{**FAST.__dict__, "timeout": 0.3, "per_host": 1, "hold": 0})
        urls = [web.url(A, "/slow/first"), web.url(A, "/ok/after")]
        results = Checker(settings).run(urls)
        assert [results[u].link_class for u in urls] == ["broken", "ok"]
        assert web.in_flight[A] == 2
